//! Projects and their threads, newest first, with each thread's state.

use super::new_thread::{start_thread, untitled};
use super::store::{ProjectRow, Store, use_store};
use crate::api::ApiError;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

#[component]
pub fn Sidebar() -> impl IntoView {
    let store = use_store();
    let failed = RwSignal::new(None::<ApiError>);
    view! {
        <nav class="sidebar" data-testid="sidebar">
            <A href="/" attr:class="brand">"peon"</A>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    store
                        .rows()
                        .map(|result| match result {
                            Ok(rows) => project_tree(store, rows, failed).into_any(),
                            Err(e) => {
                                view! { <p class="error">{format!("Could not load: {e}")}</p> }
                                    .into_any()
                            }
                        })
                }}
            </Transition>
            {move || failed.get().map(|e| view! { <p class="error">{e.to_string()}</p> })}
            <A href="/settings" attr:class="settings-link">"Settings"</A>
        </nav>
    }
}

fn project_tree(
    store: Store,
    rows: Vec<ProjectRow>,
    failed: RwSignal<Option<ApiError>>,
) -> impl IntoView {
    let items = rows
        .into_iter()
        .map(|project| {
            let project_id = project.id;
            // As the project's newest thread: agent, access and mode.
            let last = project.threads.first().cloned();
            let navigate = use_navigate();
            let new_thread = move |_| {
                start_thread(untitled(project_id, last.as_ref()), navigate.clone(), failed);
            };
            let threads = project
                .threads
                .into_iter()
                .filter(|t| !t.archived)
                .map(|t| {
                    let state = t.state;
                    view! {
                        <li class="thread-link" data-state=state.as_str() data-testid="sidebar-thread">
                            <A href=format!("/threads/{}", t.id)>
                                <span class=format!("dot {}", state.as_str()) title=state.as_str()></span>
                                {t.title}
                            </A>
                        </li>
                    }
                })
                .collect_view();
            view! {
                <li class="project" data-testid="sidebar-project">
                    <div class="project-line">
                        <A href=format!("/projects/{}", project.id)>{project.title}</A>
                        <button
                            class="link new-thread"
                            data-testid="sidebar-new-thread"
                            title="New thread"
                            disabled=move || store.unavailable().is_some()
                            on:click=new_thread
                        >
                            "+"
                        </button>
                    </div>
                    <ul class="threads">{threads}</ul>
                </li>
            }
        })
        .collect_view();
    view! { <ul class="projects" data-testid="project-list">{items}</ul> }
}
