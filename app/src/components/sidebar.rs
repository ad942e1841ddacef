//! Projects and their threads, newest first, with each thread's state.

use super::store::{ProjectRow, use_store};
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn Sidebar() -> impl IntoView {
    let store = use_store();
    view! {
        <nav class="sidebar" data-testid="sidebar">
            <A href="/" attr:class="brand">"peon"</A>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    store
                        .rows()
                        .map(|result| match result {
                            Ok(rows) => project_tree(rows).into_any(),
                            Err(e) => {
                                view! { <p class="error">{format!("Could not load: {e}")}</p> }
                                    .into_any()
                            }
                        })
                }}
            </Transition>
            <A href="/settings" attr:class="settings-link">"Settings"</A>
        </nav>
    }
}

fn project_tree(rows: Vec<ProjectRow>) -> impl IntoView {
    let items = rows
        .into_iter()
        .map(|project| {
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
                    <A href=format!("/projects/{}", project.id)>{project.title}</A>
                    <ul class="threads">{threads}</ul>
                </li>
            }
        })
        .collect_view();
    view! { <ul class="projects" data-testid="project-list">{items}</ul> }
}
