//! The add-project folder field: completes as you type from the server's
//! file system (arrows move, Tab or Enter take a suggestion, Escape closes),
//! names bad input as you type, and offers the folders the projects you
//! already have live in.

use crate::api::{ApiError, FolderSuggestion, suggest_folders};
use crate::components::use_store;
use leptos::prelude::*;

#[component]
pub fn FolderField(path: RwSignal<String>) -> impl IntoView {
    let store = use_store();
    let found = RwSignal::new(Vec::<FolderSuggestion>::new());
    let problem = RwSignal::new(None::<String>);
    let selected = RwSignal::new(None::<usize>);
    let open = RwSignal::new(false);
    // Answers to older keystrokes are dropped.
    let asked = StoredValue::new(0u64);
    // The folders existing projects live in, for an empty field.
    let recent = move || {
        let mut parents: Vec<String> = store
            .rows()
            .and_then(Result::ok)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|p| {
                let root = p.workspace_root.trim_end_matches('/');
                root.rfind('/').map(|cut| format!("{}/", &root[..cut]))
            })
            .collect();
        parents.sort();
        parents.dedup();
        parents
            .into_iter()
            .map(|p| FolderSuggestion {
                name: p.clone(),
                path: p,
                git: false,
                hidden: false,
            })
            .collect::<Vec<_>>()
    };
    let ask = move |typed: String| {
        let n = asked.get_value() + 1;
        asked.set_value(n);
        leptos::task::spawn_local(async move {
            let answer = suggest_folders(typed.clone()).await;
            if asked.get_value() != n {
                return;
            }
            selected.set(None);
            match answer {
                Ok(mut folders) => {
                    if typed.trim().is_empty() {
                        let mut offered = recent();
                        offered.append(&mut folders);
                        folders = offered;
                    }
                    problem.set(None);
                    found.set(folders);
                }
                Err(ApiError::Invalid { message, .. }) => {
                    problem.set(Some(message));
                    found.set(Vec::new());
                }
                // Offline or the server failing: no completion, no noise.
                Err(_) => {
                    problem.set(None);
                    found.set(Vec::new());
                }
            }
        });
    };
    let choose = move |i: usize| {
        if let Some(s) = found.with_untracked(|f| f.get(i).cloned()) {
            let next = format!("{}/", s.path.trim_end_matches('/'));
            path.set(next.clone());
            open.set(true);
            ask(next);
        }
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let count = found.with_untracked(Vec::len);
        let showing = open.get_untracked() && count > 0;
        match ev.key().as_str() {
            "ArrowDown" | "ArrowUp" if count > 0 => {
                ev.prevent_default();
                open.set(true);
                let down = ev.key() == "ArrowDown";
                selected.update(|s| {
                    *s = Some(match (*s, down) {
                        (None, true) => 0,
                        (None, false) => count - 1,
                        (Some(i), true) => (i + 1) % count,
                        (Some(i), false) => (i + count - 1) % count,
                    })
                });
            }
            "Tab" if showing && !ev.shift_key() => {
                ev.prevent_default();
                choose(selected.get_untracked().unwrap_or(0));
            }
            "Enter" if showing => {
                if let Some(i) = selected.get_untracked() {
                    ev.prevent_default();
                    choose(i);
                }
            }
            "Escape" => open.set(false),
            _ => {}
        }
    };
    view! {
        <div class="folder-field">
            <input
                type="text"
                placeholder="/home/me/code/my-repo"
                data-testid="project-path"
                required
                autocomplete="off"
                spellcheck="false"
                role="combobox"
                aria-autocomplete="list"
                aria-expanded=move || (open.get() && !found.with(Vec::is_empty)).to_string()
                prop:value=move || path.get()
                on:input=move |ev| {
                    let typed = event_target_value(&ev);
                    path.set(typed.clone());
                    open.set(true);
                    ask(typed);
                }
                on:focus=move |_| {
                    open.set(true);
                    ask(path.get_untracked());
                }
                on:blur=move |_| open.set(false)
                on:keydown=on_key
            />
            {move || {
                problem.get().map(|p| view! { <p class="field-problem" data-testid="path-problem">{p}</p> })
            }}
            {move || {
                let folders = found.get();
                (open.get() && !folders.is_empty()).then(|| {
                    let rows = folders
                        .into_iter()
                        .enumerate()
                        .map(|(i, s)| {
                            let path = (s.path != s.name).then_some(s.path);
                            view! {
                                <li
                                    role="option"
                                    data-testid="path-suggestion"
                                    class:selected=move || selected.get() == Some(i)
                                    class:hidden-folder=s.hidden
                                    aria-selected=move || (selected.get() == Some(i)).to_string()
                                    // Before the field's blur, so the list is still there.
                                    on:mousedown=move |ev| {
                                        ev.prevent_default();
                                        choose(i);
                                    }
                                >
                                    <span class="name">{s.name}</span>
                                    {s.git.then(|| view! { <span class="badge git" title="a git repository">"git"</span> })}
                                    {path.map(|p| view! { <code class="path muted">{p}</code> })}
                                </li>
                            }
                        })
                        .collect_view();
                    view! { <ul class="folder-suggestions" role="listbox" data-testid="path-suggestions">{rows}</ul> }
                })
            }}
        </div>
    }
}
