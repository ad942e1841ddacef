//! What this browser has looked at: per thread, its turn count when it was
//! last open with no turn running. A thread whose turns went past that
//! while nobody looked shows as unread in the sidebar. Kept in local
//! storage, per browser; nothing on the server.

use crate::contracts::ThreadId;
use leptos::prelude::*;
use std::collections::BTreeMap;

#[cfg(feature = "hydrate")]
const KEY: &str = "peon.seen";

#[derive(Clone, Copy)]
pub struct Seen {
    /// `None` until loaded in the browser, after hydration: the server's
    /// HTML has no unread marks, and the first client render must agree.
    turns: RwSignal<Option<BTreeMap<ThreadId, u32>>>,
}

pub fn use_seen() -> Seen {
    match use_context::<Seen>() {
        Some(seen) => seen,
        None => {
            let seen = Seen {
                turns: RwSignal::new(None),
            };
            provide_context(seen);
            seen
        }
    }
}

impl Seen {
    /// Whether it has been loaded (tracked).
    pub fn loaded(&self) -> bool {
        self.turns.with(Option::is_some)
    }

    /// Reads what this browser kept. The first time it ever looks, every
    /// thread in `known` counts as seen as it is now, so a new browser does
    /// not show everything as unread.
    pub fn load(&self, known: impl FnOnce() -> Vec<(ThreadId, u32)>) {
        if self.turns.with_untracked(Option::is_some) {
            return;
        }
        let kept = read();
        let fresh = kept.is_none();
        let turns = kept.unwrap_or_else(|| known().into_iter().collect());
        if fresh {
            write(&turns);
        }
        self.turns.set(Some(turns));
    }

    /// Turns ended since this browser last looked (tracked).
    pub fn unread(&self, id: ThreadId, turn_count: u32) -> bool {
        self.turns.with(|m| {
            m.as_ref()
                .is_some_and(|m| turn_count > m.get(&id).copied().unwrap_or(0))
        })
    }

    /// The thread was looked at with `turn_count` turns.
    pub fn mark(&self, id: ThreadId, turn_count: u32) {
        let changed = self.turns.with_untracked(|m| {
            m.as_ref()
                .is_some_and(|m| m.get(&id).copied() != Some(turn_count))
        });
        if changed {
            self.turns.update(|m| {
                if let Some(m) = m {
                    m.insert(id, turn_count);
                    write(m);
                }
            });
        }
    }
}

#[cfg(feature = "hydrate")]
fn read() -> Option<BTreeMap<ThreadId, u32>> {
    let storage = web_sys::window()?.local_storage().ok().flatten()?;
    let text = storage.get_item(KEY).ok().flatten()?;
    serde_json::from_str(&text).ok()
}

#[cfg(not(feature = "hydrate"))]
fn read() -> Option<BTreeMap<ThreadId, u32>> {
    None
}

fn write(turns: &BTreeMap<ThreadId, u32>) {
    #[cfg(feature = "hydrate")]
    if let (Some(storage), Ok(text)) = (
        web_sys::window().and_then(|w| w.local_storage().ok().flatten()),
        serde_json::to_string(turns),
    ) {
        // Full storage or private mode: unread marks last for this page only.
        let _ = storage.set_item(KEY, &text);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = turns;
}
