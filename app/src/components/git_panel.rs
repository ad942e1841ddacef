//! The git panel of a thread's folder: branch, ahead / behind, changed
//! files, branches, committing chosen files, and `git init` for a folder
//! that is not a repository yet (checkpoints are off until then).

use super::use_store;
use crate::api::{GitAction, GitStatus, run_git};
use crate::contracts::ThreadId;
use crate::pages::error_text;
use leptos::prelude::*;
use std::collections::BTreeSet;

#[component]
pub fn GitPanel(thread_id: ThreadId) -> impl IntoView {
    let store = use_store();
    let status: RwSignal<Option<GitStatus>> = RwSignal::new(None);
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let chosen: RwSignal<BTreeSet<String>> = RwSignal::new(BTreeSet::new());
    let message = RwSignal::new(String::new());
    let new_branch = RwSignal::new(String::new());
    let act = move |action: GitAction| {
        busy.set(true);
        leptos::task::spawn_local(async move {
            match run_git(thread_id, action).await {
                Ok(s) => {
                    chosen.update(|c| c.retain(|p| s.files.iter().any(|f| &f.path == p)));
                    status.set(Some(s));
                    error.set(None);
                }
                Err(e) => error.set(Some(error_text(&e))),
            }
            busy.set(false);
        });
    };
    // Loaded in the browser when the panel is first opened.
    let opened = RwSignal::new(false);
    let on_toggle = move |_| {
        if !opened.get_untracked() {
            opened.set(true);
            act(GitAction::Status);
        }
    };
    let disabled = move || busy.get() || store.unavailable().is_some();
    let summary = move || match status.get() {
        None => "Git".to_string(),
        Some(s) if !s.repository => "Git: not a repository".to_string(),
        Some(s) => {
            let mut text = format!(
                "Git: {}",
                s.branch.clone().unwrap_or_else(|| "detached HEAD".into())
            );
            if s.upstream.is_some() {
                text.push_str(&format!(" ↑{} ↓{}", s.ahead, s.behind));
            }
            text.push_str(&format!(" · {} changed", s.files.len()));
            text
        }
    };
    let body = move || {
        let Some(s) = status.get() else {
            return view! { <p class="muted">"Loading…"</p> }.into_any();
        };
        if !s.repository {
            return view! {
                <p class="muted" data-testid="git-not-a-repo">
                    {format!("{} is not a git repository, so peon takes no checkpoints here and cannot show diffs or revert turns.", s.folder)}
                </p>
                <button data-testid="git-init" disabled=disabled on:click=move |_| act(GitAction::Init)>"Run git init"</button>
            }
            .into_any();
        }
        let files = s
            .files
            .iter()
            .map(|f| {
                let path = f.path.clone();
                let toggle_path = path.clone();
                let checked_path = path.clone();
                view! {
                    <li data-testid="git-file">
                        <label>
                            <input
                                type="checkbox"
                                prop:checked=move || chosen.with(|c| c.contains(&checked_path))
                                on:change=move |_| chosen.update(|c| {
                                    if !c.remove(&toggle_path) {
                                        c.insert(toggle_path.clone());
                                    }
                                })
                            />
                            " " <code>{path}</code> " "
                            <span class="muted">{f.kind.as_str()}</span> " "
                            <span class="add">{format!("+{}", f.additions)}</span> " "
                            <span class="del">{format!("−{}", f.deletions)}</span>
                        </label>
                    </li>
                }
            })
            .collect_view();
        let branches = s
            .branches
            .iter()
            .map(|b| view! { <option value=b.clone() selected=Some(b) == s.branch.as_ref()>{b.clone()}</option> })
            .collect_view();
        view! {
            <ul class="git-files">{files}</ul>
            <form class="form-row" on:submit=move |ev| {
                ev.prevent_default();
                let paths: Vec<String> = chosen.get_untracked().into_iter().collect();
                act(GitAction::Commit { paths, message: message.get_untracked() });
                message.set(String::new());
            }>
                <input type="text" placeholder="Commit message" data-testid="git-message" bind:value=message />
                <button type="submit" data-testid="git-commit"
                    disabled=move || disabled() || chosen.with(BTreeSet::is_empty) || message.with(|m| m.trim().is_empty())>
                    "Commit selected"
                </button>
            </form>
            <div class="form-row">
                <select data-testid="git-branches" disabled=disabled
                    on:change=move |ev| act(GitAction::Checkout { name: event_target_value(&ev) })>
                    {branches}
                </select>
                <input type="text" placeholder="new-branch" data-testid="git-new-branch" bind:value=new_branch />
                <button data-testid="git-create-branch" disabled=move || disabled() || new_branch.with(|b| b.trim().is_empty())
                    on:click=move |_| {
                        act(GitAction::CreateBranch { name: new_branch.get_untracked() });
                        new_branch.set(String::new());
                    }>
                    "Create branch"
                </button>
            </div>
            <div class="form-row">
                <button data-testid="git-push" disabled=disabled on:click=move |_| act(GitAction::Push)>
                    {if s.upstream.is_some() { format!("Push ({} ahead)", s.ahead) } else { "Push".to_string() }}
                </button>
                <button data-testid="git-pr" disabled=disabled on:click=move |_| act(GitAction::PullRequest)>
                    "Create pull request"
                </button>
            </div>
            {s.said.clone().filter(|t| !t.is_empty()).map(|t| view! { <pre class="diff" data-testid="git-said">{t}</pre> })}
        }
        .into_any()
    };
    view! {
        <details class="card git-panel" data-testid="git-panel" on:toggle=on_toggle>
            <summary data-testid="git-summary">{summary}</summary>
            {move || opened.get().then(body)}
            {move || error.get().map(|e| view! { <p class="error" data-testid="git-error">{e}</p> })}
        </details>
    }
    .into_any()
}
