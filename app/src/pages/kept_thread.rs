//! A thread the server could not be asked for, from what this browser kept.

use super::thread::ThreadView;
use crate::api::ThreadPageResponse;
use crate::components::use_store;
use crate::contracts::*;
use leptos::prelude::*;

/// What this browser kept of a thread it could not fetch.
#[derive(Clone, Debug, PartialEq)]
enum Kept {
    /// Its page is in the live model (opened here before).
    Page,
    /// Known from the lists only; never opened in this browser.
    Summary {
        title: String,
        turns: u32,
        changed: chrono::DateTime<chrono::Utc>,
    },
}

/// The thread from the model this browser kept, when the server cannot be
/// reached: its page if it was opened here, else a note saying so.
#[component]
pub fn KeptThread(id: ThreadId, error: String) -> impl IntoView {
    let store = use_store();
    let kept = Memo::new(move |_| {
        store.live.with(|m| {
            let m = m.as_ref()?;
            let t = m.threads.get(&id)?;
            Some(if m.pages.contains_key(&id) {
                Kept::Page
            } else {
                Kept::Summary {
                    title: t.title.clone(),
                    turns: t.turn_count,
                    changed: t.updated_at,
                }
            })
        })
    });
    move || match kept.get() {
        Some(Kept::Page) => {
            let response = store.live.with_untracked(|m| {
                let m = m.as_ref()?;
                Some(ThreadPageResponse {
                    sequence: m.sequence,
                    thread: m.threads.get(&id)?.clone(),
                    page: m.pages.get(&id)?.clone(),
                })
            });
            response
                .map(|response| view! { <ThreadView response target=None /> })
                .into_any()
        }
        Some(Kept::Summary {
            title,
            turns,
            changed,
        }) => view! {
            <section class="page" data-testid="thread-not-offline">
                <h1>{title}</h1>
                <p class="muted">
                    {format!(
                        "This thread was never opened in this browser, so it cannot be shown \
                         while the server is away. It had {turns} turn(s), last changed {}.",
                        changed.format("%Y-%m-%d %H:%M UTC")
                    )}
                </p>
            </section>
        }
        .into_any(),
        None => view! { <p class="error">{error.clone()}</p> }.into_any(),
    }
}
