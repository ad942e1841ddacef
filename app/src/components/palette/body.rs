//! The palette's list, actions and search, loaded on first use.

use super::entries::{Entry, entries, here_of};
use super::{PaletteKey, PaletteKeys};
use crate::api::{SearchHit, search};
use crate::components::actions::{self, UiAction, keys_label};
use crate::components::chunk::ChunkError;
use crate::components::shortcuts::Overlays;
use crate::components::store::{Store, use_store};
use crate::contracts::*;
use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate};

/// Typing pauses this long before the server is asked.
const SEARCH_AFTER_MS: u64 = 120;

/// The palette itself, loaded the first time it opens (its own WASM
/// chunk: the first page does not carry it). Fresh each time it opens.
#[cfg_attr(
    feature = "hydrate",
    leptos::wasm_split::wasm_split(palette_body, wasm_split_path = ::leptos::wasm_split, fallible)
)]
pub fn palette_body(
    overlay: Overlays,
    query: RwSignal<String>,
    keys: PaletteKeys,
) -> Result<AnyView, ChunkError> {
    let store = use_store();
    let selected = RwSignal::new(0usize);
    let hits = RwSignal::new(Vec::<SearchHit>::new());
    let searching = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let location = use_location();
    let rows = Memo::new(move |_| store.rows().and_then(Result::ok).unwrap_or_default());
    let here = Memo::new(move |_| rows.with(|rows| here_of(&location.pathname.get(), rows)));
    let available = Memo::new(move |_| {
        let here = here.get();
        let online = store.unavailable().is_none();
        let waiting = here
            .thread
            .is_some_and(|(_, s)| s == ThreadState::AwaitingApproval);
        UiAction::ALL
            .into_iter()
            .filter(|a| match a {
                UiAction::Palette => false,
                UiAction::NewThread => online && rows.with(|r| !r.is_empty()),
                UiAction::NextThread | UiAction::PreviousThread => {
                    rows.with(|r| r.iter().any(|p| !p.threads.is_empty()))
                }
                UiAction::ToggleTerminal | UiAction::FocusComposer | UiAction::ToggleDiff => {
                    here.thread.is_some()
                }
                UiAction::StopAgent => {
                    online
                        && here.thread.is_some_and(|(_, s)| {
                            matches!(s, ThreadState::Running | ThreadState::AwaitingApproval)
                        })
                }
                UiAction::Approve | UiAction::Decline => online && waiting,
                UiAction::Help | UiAction::OpenSettings | UiAction::ToggleTheme => true,
            })
            .collect::<Vec<_>>()
    });
    let list = Memo::new(move |_| {
        rows.with(|rows| available.with(|a| hits.with(|h| query.with(|q| entries(q, rows, a, h)))))
    });
    search_as_typed(store, query, hits, searching, problem);

    let navigate = use_navigate();
    let run = move |entry: Entry| {
        overlay.set(None);
        match entry {
            // Heard where the action's state is (the sidebar starts a
            // thread, the composer stops the agent).
            Entry::Action(a) => {
                actions::run(a);
            }
            Entry::Project { id, .. } => navigate(&format!("/projects/{id}"), Default::default()),
            Entry::Thread { id, .. } => navigate(&format!("/threads/{id}"), Default::default()),
            Entry::Hit(h) => navigate(
                &format!("/threads/{}?turn={}", h.thread_id, h.turn),
                Default::default(),
            ),
        }
    };

    // The first match is chosen again whenever the text changes.
    Effect::watch(move || query.track(), move |_, _, _| selected.set(0), false);
    // The chosen row stays in view as the arrows move past the list's edge.
    let list_ref = NodeRef::<leptos::html::Ul>::new();
    #[cfg(feature = "hydrate")]
    Effect::watch(
        move || selected.get(),
        move |i, _, _| {
            if let Some(ul) = list_ref.get_untracked() {
                reveal(&ul, *i);
            }
        },
        false,
    );
    // Keys pressed from now on (the input is the main module's).
    Effect::watch(
        move || keys.get(),
        {
            let run = run.clone();
            move |key: &Option<(PaletteKey, u64)>, _, _| {
                let count = list.with_untracked(Vec::len);
                match key.map(|(k, _)| k) {
                    Some(PaletteKey::Down) if count > 0 => {
                        selected.update(|s| *s = (*s + 1) % count)
                    }
                    Some(PaletteKey::Up) if count > 0 => {
                        selected.update(|s| *s = (*s + count - 1) % count)
                    }
                    Some(PaletteKey::Enter) => {
                        let chosen =
                            list.with_untracked(|l| l.get(selected.get_untracked()).cloned());
                        if let Some(entry) = chosen {
                            run(entry);
                        }
                    }
                    _ => {}
                }
            }
        },
        false,
    );
    let results = move || {
        let run = run.clone();
        list.get()
            .into_iter()
            .enumerate()
            .map(|(i, entry)| {
                let kind = entry.kind();
                let chosen = entry.clone();
                let run = run.clone();
                view! {
                    <li
                        class="palette-result"
                        class:selected=move || selected.get() == i
                        role="option"
                        aria-selected=move || (selected.get() == i).to_string()
                        data-testid="palette-result"
                        data-kind=kind
                        on:mousemove=move |_| selected.set(i)
                        on:click=move |_| run(chosen.clone())
                    >
                        <span class="palette-kind">{kind}</span>
                        {describe(&entry)}
                    </li>
                }
            })
            .collect_view()
    };
    let status = move || {
        if let Some(p) = problem.get() {
            return Some(view! { <p class="muted">{p}</p> }.into_any());
        }
        let typed = query.with(|q| q.trim().chars().count());
        if searching.get() {
            Some(view! { <p class="muted">"Searching messages…"</p> }.into_any())
        } else if typed >= 2 && hits.with(Vec::is_empty) {
            Some(view! { <p class="muted">"No message or work-log entry matches."</p> }.into_any())
        } else {
            None
        }
    };
    Ok(view! {
        <ul class="palette-results" role="listbox" node_ref=list_ref>{results}</ul>
        {status}
    }
    .into_any())
}

/// Scrolls `list` as little as needed to show its `i`th row.
#[cfg(feature = "hydrate")]
fn reveal(list: &web_sys::HtmlElement, i: usize) {
    use wasm_bindgen::JsCast;
    let Some(row) = list
        .children()
        .item(i as u32)
        .and_then(|r| r.dyn_into::<web_sys::HtmlElement>().ok())
    else {
        return;
    };
    // Offsets from the list itself: it is positioned (see main.css).
    let (top, bottom) = (row.offset_top(), row.offset_top() + row.offset_height());
    if top < list.scroll_top() {
        list.set_scroll_top(top);
    } else if bottom > list.scroll_top() + list.client_height() {
        list.set_scroll_top(bottom - list.client_height());
    }
}

fn describe(entry: &Entry) -> AnyView {
    match entry {
        Entry::Action(a) => view! {
            <span class="palette-title">{a.label()}</span>
            <span class="palette-detail">{keys_label(*a)}</span>
        }
        .into_any(),
        Entry::Project { title, root, .. } => view! {
            <span class="palette-title">{title.clone()}</span>
            <span class="palette-detail">{root.clone()}</span>
        }
        .into_any(),
        Entry::Thread { title, project, .. } => view! {
            <span class="palette-title">{title.clone()}</span>
            <span class="palette-detail">{project.clone()}</span>
        }
        .into_any(),
        Entry::Hit(hit) => {
            let snippet = hit
                .snippet
                .iter()
                .map(|p| match p.hit {
                    true => view! { <mark>{p.text.clone()}</mark> }.into_any(),
                    false => p.text.clone().into_any(),
                })
                .collect_view();
            view! {
                <span class="palette-title">
                    {format!("{} · turn {}", hit.thread_title, hit.turn)}
                </span>
                <span class="palette-snippet" data-testid="palette-snippet">{snippet}</span>
            }
            .into_any()
        }
    }
}

/// Asks the server for hits a moment after typing stops; an answer to text
/// that has since changed is dropped.
fn search_as_typed(
    store: Store,
    query: RwSignal<String>,
    hits: RwSignal<Vec<SearchHit>>,
    searching: RwSignal<bool>,
    problem: RwSignal<Option<String>>,
) {
    let asked = StoredValue::new(0u64);
    Effect::watch(
        move || query.get(),
        move |text, _, _| {
            asked.update_value(|n| *n += 1);
            let mine = asked.get_value();
            // Untrimmed: a space after the last word makes it whole.
            let text = text.clone();
            problem.set(None);
            if text.trim().chars().count() < 2 {
                hits.set(Vec::new());
                searching.set(false);
                return;
            }
            if let Some(why) = store.unavailable() {
                hits.set(Vec::new());
                searching.set(false);
                problem.set(Some(format!("Message search needs the server. {why}")));
                return;
            }
            searching.set(true);
            set_timeout(
                move || {
                    if asked.get_value() != mine {
                        return;
                    }
                    leptos::task::spawn_local(async move {
                        let answer = search(text).await;
                        if asked.get_value() != mine {
                            return;
                        }
                        searching.set(false);
                        match answer {
                            Ok(found) => hits.set(found),
                            Err(e) => {
                                hits.set(Vec::new());
                                problem.set(Some(e.to_string()));
                            }
                        }
                    });
                },
                std::time::Duration::from_millis(SEARCH_AFTER_MS),
            );
        },
        // At once too: text typed while the chunk was loading is searched.
        true,
    );
}
