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
use leptos_router::hooks::{use_location, use_navigate};
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
    keyboard_actions(store, failed);
    // On a phone the sidebar is a drawer, closed again by any navigation.
    let drawer = RwSignal::new(false);
    let location = use_location();
    Effect::watch(
        move || location.pathname.track(),
        move |_, _, _| drawer.set(false),
        false,
    );
    view! {
        <button
            class="drawer-toggle"
            data-testid="sidebar-toggle"
            aria-label="Projects and threads"
            aria-expanded=move || drawer.get().to_string()
            on:click=move |_| drawer.update(|o| *o = !*o)
        >
            "☰"
        </button>
        <div class="drawer-backdrop" class:open=drawer on:click=move |_| drawer.set(false)></div>
        <nav
            class="sidebar"
            class:open=drawer
            data-testid="sidebar"
            on:click=move |ev| {
                if clicked_link(&ev) {
                    drawer.set(false);
                }
            }
        >
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

/// Whether a click landed on a link (which navigates: the drawer closes
/// at once, before the page it opens has loaded).
fn clicked_link(ev: &leptos::ev::MouseEvent) -> bool {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        ev.target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|e| e.closest("a").ok().flatten())
            .is_some()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = ev;
        false
    }
}

/// New thread (in the project shown, else the first) and moving through
/// the threads as the sidebar lists them.
fn keyboard_actions(store: Store, failed: RwSignal<Option<ApiError>>) {
    let location = use_location();
    let navigate = use_navigate();
    super::actions::on(super::UiAction::NewThread, move || {
        if store.unavailable().is_some() {
            return false;
        }
        let Some(Ok(rows)) = untrack(|| store.rows()) else {
            return false;
        };
        let here = super::palette::here_of(&location.pathname.get_untracked(), &rows);
        let project = here
            .project
            .and_then(|id| rows.iter().find(|p| p.id == id))
            .or(rows.first());
        let Some(p) = project else {
            return false;
        };
        start_thread(untitled(p.id, p.threads.first()), navigate.clone(), failed);
        true
    });
    for (action, step) in [
        (super::UiAction::NextThread, 1isize),
        (super::UiAction::PreviousThread, -1),
    ] {
        let navigate = use_navigate();
        super::actions::on(action, move || {
            let links = listed_threads();
            if links.is_empty() {
                return false;
            }
            let here = location.pathname.get_untracked();
            let next = match links.iter().position(|href| *href == here) {
                Some(i) => (i as isize + step).rem_euclid(links.len() as isize) as usize,
                None if step > 0 => 0,
                None => links.len() - 1,
            };
            navigate(&links[next], Default::default());
            true
        });
    }
}

/// The threads' links in the order the sidebar shows them (archived ones
/// only while shown): what "next" means to the person looking at it.
fn listed_threads() -> Vec<String> {
    #[cfg(feature = "hydrate")]
    {
        let Some(found) = web_sys::window().and_then(|w| w.document()).and_then(|d| {
            d.query_selector_all("[data-testid=sidebar-thread]:not([hidden]) > a")
                .ok()
        }) else {
            return Vec::new();
        };
        (0..found.length())
            .filter_map(|i| found.item(i))
            .filter_map(|n| {
                use wasm_bindgen::JsCast;
                n.dyn_into::<web_sys::Element>().ok()?.get_attribute("href")
            })
            .collect()
    }
    #[cfg(not(feature = "hydrate"))]
    Vec::new()
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
