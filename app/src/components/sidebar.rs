//! Projects and their threads, the most recently active first, with each
//! thread's state (running, needs approval, failed) and whether it finished
//! since this browser last looked; archived threads behind a toggle.

use super::new_thread::{start_thread, untitled};
use super::seen::{Seen, use_seen};
use super::store::{ProjectRow, Store, use_store};
use crate::api::ApiError;
use crate::contracts::{ProjectId, ThreadState};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;
use std::collections::BTreeSet;

#[component]
pub fn Sidebar() -> impl IntoView {
    let store = use_store();
    let seen = use_seen();
    let failed = RwSignal::new(None::<ApiError>);
    // Projects whose archived threads are shown; kept across redraws.
    let show_archived = RwSignal::new(BTreeSet::<ProjectId>::new());
    // Unread marks come from this browser's storage, once hydration is over.
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if !crate::shell::client_ready() || seen.loaded() {
            return;
        }
        if let Some(Ok(rows)) = store.rows() {
            seen.load(|| {
                rows.iter()
                    .flat_map(|p| p.threads.iter().map(|t| (t.id, t.turn_count)))
                    .collect()
            });
        }
    });
    view! {
        <nav class="sidebar" data-testid="sidebar">
            <A href="/" attr:class="brand">"peon"</A>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    store
                        .rows()
                        .map(|result| match result {
                            Ok(rows) => project_tree(store, seen, rows, failed, show_archived).into_any(),
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
    seen: Seen,
    rows: Vec<ProjectRow>,
    failed: RwSignal<Option<ApiError>>,
    show_archived: RwSignal<BTreeSet<ProjectId>>,
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
            let mut own = project.threads;
            own.sort_by_key(|t| std::cmp::Reverse((t.last_activity, t.id)));
            let archived = own.iter().filter(|t| t.archived).count();
            let showing = move || show_archived.with(|s| s.contains(&project_id));
            let threads = own
                .into_iter()
                .map(|t| {
                    let state = t.state;
                    let (id, turns, is_archived) = (t.id, t.turn_count, t.archived);
                    let unread = move || state == ThreadState::Idle && seen.unread(id, turns);
                    view! {
                        <li
                            class="thread-link"
                            class:unread=unread
                            class:archived=is_archived
                            data-state=state.as_str()
                            data-unread=move || unread().to_string()
                            data-testid="sidebar-thread"
                            hidden=move || is_archived && !showing()
                        >
                            <A href=format!("/threads/{}", t.id)>
                                <span class=format!("dot {}", state.as_str()) title=state.as_str()></span>
                                <span class="thread-title">{t.title}</span>
                                {move || unread().then(|| view! { <span class="unread-mark" title="finished since you last looked"></span> })}
                            </A>
                        </li>
                    }
                })
                .collect_view();
            let toggle = (archived > 0).then(|| {
                view! {
                    <button
                        class="link archived-toggle"
                        data-testid="sidebar-show-archived"
                        on:click=move |_| {
                            show_archived.update(|s| {
                                if !s.remove(&project_id) {
                                    s.insert(project_id);
                                }
                            })
                        }
                    >
                        {move || if showing() { "Hide archived".to_string() } else { format!("{archived} archived") }}
                    </button>
                }
            });
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
                    {toggle}
                </li>
            }
        })
        .collect_view();
    view! { <ul class="projects" data-testid="project-list">{items}</ul> }
}
