use super::{NotFound, error_text};
use crate::components::{
    ProjectRow, confirm, dispatch_action, prompt, start_thread, untitled, use_store,
};
use crate::contracts::*;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};

#[component]
pub fn ProjectPage() -> impl IntoView {
    let store = use_store();
    let params = use_params_map();
    let project_id = move || {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<ProjectId>().ok())
    };
    // A project deleted while its page is open (a delete through the
    // worktree reactor finishes a moment later) sends the page home.
    let shown = RwSignal::new(None::<ProjectId>);
    let navigate = use_navigate();
    Effect::new(move |_| {
        let (Some(Ok(rows)), Some(id)) = (store.rows(), project_id()) else {
            return;
        };
        if rows.iter().any(|p| p.id == id) {
            shown.set(Some(id));
        } else if shown.get_untracked() == Some(id) {
            navigate("/", Default::default());
        }
    });
    // Kept here, not in the view, which is drawn again whenever one of
    // the project's threads changes; cleared for another project.
    let form = NewThreadForm::new();
    Effect::watch(project_id, move |_, _, _| form.clear(), false);
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                store
                    .rows()
                    .map(|result| match result {
                        Ok(rows) => {
                            match project_id()
                                .and_then(|id| rows.into_iter().find(|p| p.id == id))
                            {
                                Some(project) => view! { <ProjectView project form /> }.into_any(),
                                None => view! { <NotFound what="This project" /> }.into_any(),
                            }
                        }
                        Err(e) => view! { <p class="error">{error_text(&e)}</p> }.into_any(),
                    })
            }}
        </Transition>
    }
}

/// What is typed into the new-thread form.
#[derive(Clone, Copy)]
struct NewThreadForm {
    title: RwSignal<String>,
    provider: RwSignal<String>,
    worktree: RwSignal<bool>,
    branch: RwSignal<String>,
}

impl NewThreadForm {
    fn new() -> Self {
        Self {
            title: RwSignal::new(String::new()),
            provider: RwSignal::new(Provider::Codex.as_str().to_string()),
            worktree: RwSignal::new(false),
            branch: RwSignal::new(String::new()),
        }
    }

    fn clear(&self) {
        self.title.set(String::new());
        self.provider.set(Provider::Codex.as_str().to_string());
        self.worktree.set(false);
        self.branch.set(String::new());
    }
}

#[component]
fn ProjectView(project: ProjectRow, form: NewThreadForm) -> impl IntoView {
    let store = use_store();
    let act = dispatch_action();
    let offline = move || store.unavailable().is_some();
    let reason = move || store.unavailable();
    let NewThreadForm {
        title: new_title,
        provider,
        worktree: own_worktree,
        branch,
    } = form;
    let project_id = project.id;
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let title = new_title.get_untracked().trim().to_string();
        let title = if title.is_empty() {
            NEW_THREAD_TITLE.to_string()
        } else {
            title
        };
        let provider = Provider::parse(&provider.get_untracked()).unwrap_or(Provider::Codex);
        let mut command = Command::new_thread(ThreadId::new(), project_id, title, provider);
        if let Command::ThreadCreate {
            worktree,
            branch: wanted,
            ..
        } = &mut command
            && own_worktree.get_untracked()
        {
            *worktree = true;
            *wanted = Some(branch.get_untracked().trim().to_string()).filter(|b| !b.is_empty());
        }
        act.dispatch(CommandEnvelope::new(command));
        new_title.set(String::new());
        branch.set(String::new());
    };
    let navigate = use_navigate();
    // With worktrees the delete takes a moment and may be refused (for
    // uncommitted work): the page stays to say so.
    let has_worktrees = project.threads.iter().any(|t| t.worktree_branch.is_some());
    let delete_project = move |_| {
        let confirmed = confirm(if has_worktrees {
            "Delete this project and all its threads from peon? Its threads' worktrees are \
             removed (their branches are kept); the project folder is not touched."
        } else {
            "Delete this project and all its threads from peon? Files on disk are not touched."
        });
        if confirmed {
            act.dispatch(CommandEnvelope::new(Command::ProjectDelete { project_id }));
            if !has_worktrees {
                navigate("/", Default::default());
            }
        }
    };
    // One click to a new, untitled thread set up as the newest one.
    let failed = RwSignal::new(None::<crate::api::ApiError>);
    let last = project.threads.first().cloned();
    let open_thread = use_navigate();
    let new_thread = move |_| {
        start_thread(
            untitled(project_id, last.as_ref()),
            open_thread.clone(),
            failed,
        );
    };
    let deleting = project.deleting;
    let delete_error = project.delete_error.clone();
    let rename = move |_| {
        if let Some(title) = prompt("New project title") {
            act.dispatch(CommandEnvelope::new(Command::ProjectUpdate {
                project_id,
                title: Some(title),
                default_model: None,
            }));
        }
    };
    let rows = project
        .threads
        .into_iter()
        .map(|t| {
            let id = t.id;
            let state = t.state;
            let archived = t.archived;
            let worktree_branch = t.worktree_branch.clone();
            let in_worktree = worktree_branch.is_some();
            view! {
                <li class="card thread-row" data-testid="thread-row" data-archived=archived.to_string()>
                    <span class=format!("dot {}", state.as_str()) title=state.as_str()></span>
                    <A href=format!("/threads/{id}")>{t.title}</A>
                    <span class="muted">{format!("{} · {} turns", t.provider, t.turn_count)}</span>
                    {worktree_branch
                        .map(|b| {
                            view! {
                                <span class="badge" data-testid="worktree-branch" title="Works in its own git worktree">
                                    {format!("worktree · {b}")}
                                </span>
                            }
                        })}
                    <span class="row-actions">
                        <button
                            class="link"
                            data-testid="rename-thread"
                            disabled=offline
                            title=reason
                            on:click=move |_| {
                                if let Some(title) = prompt("New thread title") {
                                    act.dispatch(
                                        CommandEnvelope::new(Command::ThreadUpdate {
                                            thread_id: id,
                                            title: Some(title),
                                            model: None,
                                            branch: None,
                                            provider: None,
                                        }),
                                    );
                                }
                            }
                        >
                            "Rename"
                        </button>
                        <button
                            class="link"
                            data-testid="archive-thread"
                            disabled=offline
                            title=reason
                            on:click=move |_| {
                                act.dispatch(
                                    CommandEnvelope::new(
                                        if archived {
                                            Command::ThreadUnarchive { thread_id: id }
                                        } else {
                                            Command::ThreadArchive { thread_id: id }
                                        },
                                    ),
                                );
                            }
                        >
                            {if archived { "Unarchive" } else { "Archive" }}
                        </button>
                        <button
                            class="link danger"
                            data-testid="delete-thread"
                            disabled=offline
                            title=reason
                            on:click=move |_| {
                                if in_worktree {
                                    delete_with_worktree(id, act);
                                } else if confirm("Delete this thread?") {
                                    act.dispatch(
                                        CommandEnvelope::new(Command::ThreadDelete {
                                            thread_id: id,
                                            discard_changes: false,
                                        }),
                                    );
                                }
                            }
                        >
                            "Delete"
                        </button>
                    </span>
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="page project" data-testid="project-page">
            <header class="page-header">
                <h1 data-testid="project-title">{project.title.clone()}</h1>
                <code class="path">{project.workspace_root.clone()}</code>
                <span class="row-actions">
                    <button
                        data-testid="project-new-thread"
                        on:click=new_thread
                        disabled=move || offline() || deleting
                        title=reason
                    >
                        "New thread"
                    </button>
                    <button class="link" data-testid="rename-project" on:click=rename disabled=offline title=reason>
                        "Rename"
                    </button>
                    <button
                        class="link danger"
                        data-testid="delete-project"
                        on:click=delete_project
                        disabled=move || offline() || deleting
                        title=reason
                    >
                        "Delete"
                    </button>
                </span>
            </header>
            {deleting.then(|| view! {
                <p class="muted" data-testid="project-deleting">
                    "Deleting this project and its threads' worktrees…"
                </p>
            })}
            {delete_error.map(|e| view! {
                <p class="error" data-testid="project-delete-error">
                    "The project was not deleted: " {e}
                </p>
            })}
            <form class="card form-row" on:submit=create>
                <label>
                    "New thread"
                    <input type="text" placeholder="What should the agent do?" data-testid="thread-title" bind:value=new_title />
                </label>
                <label>
                    "Agent"
                    <select bind:value=provider>
                        <option value="codex">"Codex"</option>
                        <option value="claude">"Claude Code"</option>
                    </select>
                </label>
                <label class="check" title="A git worktree on its own branch, so this thread's changes stay apart from the project folder and other threads">
                    <input type="checkbox" data-testid="thread-worktree" bind:checked=own_worktree />
                    "Own worktree"
                </label>
                <Show when=move || own_worktree.get()>
                    <label>
                        "Branch"
                        <input type="text" placeholder="peon/… (new) or an existing branch" data-testid="thread-branch" bind:value=branch />
                    </label>
                </Show>
                <button type="submit" data-testid="add-thread" disabled=offline title=reason>
                    "Create thread"
                </button>
            </form>
            {move || {
                act.value()
                    .get()
                    .and_then(|r| r.err())
                    .or_else(|| failed.get())
                    .map(|e| view! { <p class="error">{error_text(&e)}</p> })
            }}
            <ul class="cards" data-testid="threads">{rows}</ul>
        </section>
    }
}

/// Deletes a thread that has a worktree, asking first whether to discard
/// the uncommitted changes it holds (the server refuses to without).
fn delete_with_worktree(
    thread_id: ThreadId,
    act: Action<CommandEnvelope, Result<crate::api::DispatchOutcome, crate::api::ApiError>>,
) {
    leptos::task::spawn_local(async move {
        let status = crate::api::run_git(thread_id, crate::api::GitAction::StatusWithIgnored)
            .await
            .unwrap_or_default();
        let changed = status.files.len();
        let mut question = if changed > 0 {
            format!(
                "This thread's worktree has {changed} uncommitted change(s). Delete the thread \
                 and its worktree, discarding them? (Its branch is kept.)"
            )
        } else {
            "Delete this thread and its worktree? (Its branch and commits are kept.)".to_string()
        };
        if let Some(also) = ignored_note(&status.ignored) {
            question.push_str(&also);
        }
        if confirm(&question) {
            act.dispatch(CommandEnvelope::new(Command::ThreadDelete {
                thread_id,
                discard_changes: changed > 0,
            }));
        }
    });
}

/// Names what git ignores in a worktree, which its deletion removes too
/// (e.g. a `.env` copied in); `None` when there is nothing.
fn ignored_note(ignored: &[String]) -> Option<String> {
    const NAMED: usize = 5;
    if ignored.is_empty() {
        return None;
    }
    let mut named = ignored[..ignored.len().min(NAMED)].join(", ");
    if ignored.len() > NAMED {
        named.push_str(&format!(" and {} more", ignored.len() - NAMED));
    }
    Some(format!(
        "\n\nFiles git ignores are removed with it: {named}."
    ))
}

#[cfg(test)]
mod tests {
    use super::ignored_note;

    #[test]
    fn ignored_files_are_named_up_to_five() {
        assert_eq!(ignored_note(&[]), None);
        let one = ignored_note(&[".env".to_string()]).unwrap_or_default();
        assert!(one.ends_with("removed with it: .env."), "{one}");
        let many: Vec<String> = (0..7).map(|i| format!("f{i}")).collect();
        let note = ignored_note(&many).unwrap_or_default();
        assert!(note.contains("f0, f1, f2, f3, f4 and 2 more"), "{note}");
    }
}
