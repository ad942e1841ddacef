//! The palette's list, actions and search, loaded on first use.

use super::entries::{Entry, entries, here_of};
use super::{PaletteKey, PaletteKeys};
use crate::api::{ApiError, SearchHit, dispatch_command, search};
use crate::components::new_thread::{start_thread, untitled};
use crate::components::store::{Store, use_store};
use crate::components::{UiAction, use_actions};
use crate::contracts::*;
use leptos::lazy;
use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate};

/// Typing pauses this long before the server is asked.
const SEARCH_AFTER_MS: u64 = 120;

/// The palette itself, loaded the first time it opens (its own WASM
/// chunk: the first page does not carry it). Fresh each time it opens.
#[lazy]
pub fn palette_body(open: RwSignal<bool>, query: RwSignal<String>, keys: PaletteKeys) -> AnyView {
    let store = use_store();
    let actions = use_actions();
    let selected = RwSignal::new(0usize);
    let hits = RwSignal::new(Vec::<SearchHit>::new());
    let searching = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let failed = RwSignal::new(None::<ApiError>);
    let location = use_location();
    let rows = Memo::new(move |_| store.rows().and_then(Result::ok).unwrap_or_default());
    let here = Memo::new(move |_| rows.with(|rows| here_of(&location.pathname.get(), rows)));
    let available = Memo::new(move |_| {
        let here = here.get();
        let online = store.unavailable().is_none();
        UiAction::ALL
            .into_iter()
            .filter(|a| match a {
                UiAction::NewThread => online && rows.with(|r| !r.is_empty()),
                UiAction::ToggleTerminal => here.thread.is_some(),
                UiAction::StopAgent => {
                    online
                        && here.thread.is_some_and(|(_, s)| {
                            matches!(s, ThreadState::Running | ThreadState::AwaitingApproval)
                        })
                }
                UiAction::OpenSettings | UiAction::ToggleTheme => true,
            })
            .collect::<Vec<_>>()
    });
    let list = Memo::new(move |_| {
        rows.with(|rows| available.with(|a| hits.with(|h| query.with(|q| entries(q, rows, a, h)))))
    });
    search_as_typed(store, query, hits, searching, problem);

    let navigate = use_navigate();
    let perform = {
        let navigate = navigate.clone();
        move |action: UiAction| match action {
            UiAction::NewThread => {
                let here = here.get_untracked();
                rows.with_untracked(|rows| {
                    let project = here
                        .project
                        .and_then(|id| rows.iter().find(|p| p.id == id))
                        .or(rows.first());
                    if let Some(p) = project {
                        start_thread(untitled(p.id, p.threads.first()), navigate.clone(), failed);
                    }
                });
            }
            UiAction::StopAgent => {
                if let Some((thread_id, _)) = here.get_untracked().thread {
                    leptos::task::spawn_local(async move {
                        let stop = CommandEnvelope::new(Command::TurnInterrupt { thread_id });
                        if let Err(e) = dispatch_command(stop).await {
                            failed.set(Some(e));
                        }
                    });
                }
            }
            UiAction::OpenSettings => navigate("/settings", Default::default()),
            UiAction::ToggleTheme => {
                #[cfg(feature = "hydrate")]
                crate::components::theme::toggle();
            }
            UiAction::ToggleTerminal => actions.run(action),
        }
    };
    let run = move |entry: Entry| {
        open.set(false);
        match entry {
            Entry::Action(a) => perform(a),
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
        if let Some(e) = failed.get() {
            return Some(
                view! { <p class="error" data-testid="palette-error">{e.to_string()}</p> }
                    .into_any(),
            );
        }
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
    view! {
        <ul class="palette-results" role="listbox">{results}</ul>
        {status}
    }
    .into_any()
}

fn describe(entry: &Entry) -> AnyView {
    match entry {
        Entry::Action(a) => view! {
            <span class="palette-title">{a.label()}</span>
            <span class="palette-detail">{a.keys()}</span>
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
