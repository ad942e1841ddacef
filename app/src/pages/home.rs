use super::error_text;
use crate::components::{FolderField, dispatch_action, use_store};
use crate::contracts::*;
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn HomePage() -> impl IntoView {
    let store = use_store();
    let add = dispatch_action();
    let path = RwSignal::new(String::new());
    let title = RwSignal::new(String::new());
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let workspace_root = path.get_untracked().trim().to_string();
        let title = title.get_untracked().trim().to_string();
        add.dispatch(CommandEnvelope::new(Command::ProjectCreate {
            project_id: ProjectId::new(),
            title,
            workspace_root,
            default_model: None,
        }));
    };
    Effect::new(move |_| {
        if let Some(Ok(_)) = add.value().get() {
            path.set(String::new());
            title.set(String::new());
        }
    });
    view! {
        <section class="page home">
            <header class="page-header">
                <h1>"Projects"</h1>
                <p class="muted">
                    "Point peon at a folder, open threads, and let an agent work in it."
                </p>
            </header>
            <form class="card form-row" on:submit=on_submit data-testid="add-project-form">
                <label>
                    "Folder"
                    <FolderField path />
                </label>
                <label>
                    "Title (optional)"
                    <input type="text" placeholder="my-repo" data-testid="project-title" bind:value=title />
                </label>
                <button
                    type="submit"
                    data-testid="add-project"
                    disabled=move || add.pending().get() || store.unavailable().is_some()
                    title=move || store.unavailable()
                >
                    "Add project"
                </button>
            </form>
            {move || {
                add.value()
                    .get()
                    .and_then(|r| r.err())
                    .map(|e| view! { <p class="error" data-testid="form-error">{error_text(&e)}</p> })
            }}
            <Transition fallback=|| view! { <p class="muted">"Loading projects…"</p> }>
                {move || {
                    store
                        .rows()
                        .map(|result| match result {
                            Ok(rows) if rows.is_empty() => {
                                view! {
                                    <p class="muted" data-testid="no-projects">
                                        "No projects yet. Add a folder above."
                                    </p>
                                }
                                    .into_any()
                            }
                            Ok(rows) => {
                                let cards = rows
                                    .into_iter()
                                    .map(|p| {
                                        let threads = p.threads.len();
                                        view! {
                                            <li class="card project-card" data-testid="project-card">
                                                <A href=format!("/projects/{}", p.id)>
                                                    <strong>{p.title}</strong>
                                                </A>
                                                <code class="path">{p.workspace_root}</code>
                                                <span class="muted">
                                                    {format!(
                                                        "{threads} thread{}",
                                                        if threads == 1 { "" } else { "s" },
                                                    )}
                                                </span>
                                            </li>
                                        }
                                    })
                                    .collect_view();
                                view! { <ul class="cards" data-testid="projects">{cards}</ul> }.into_any()
                            }
                            Err(e) => view! { <p class="error">{error_text(&e)}</p> }.into_any(),
                        })
                }}
            </Transition>
        </section>
    }
}
