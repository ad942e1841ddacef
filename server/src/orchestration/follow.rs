//! Following the log: every event after a sequence, in order, with no gap
//! and no duplicate — the one way the SSE stream, the agents' supervisor
//! and the reactors read what happens.
//!
//! The follower subscribes to the engine's broadcast *before* it reads the
//! log, so nothing committed in between is missed; it drops what it already
//! returned by sequence; and when the broadcast skips ahead (a gap, or the
//! follower lagged past the broadcast's capacity) it reads the missing
//! events from the log instead of giving up.

use crate::persistence::{EventStore, StoreError};
use peon_app::contracts::StoredEvent;
use std::collections::VecDeque;
use std::sync::Arc;
use tokio::sync::broadcast;

/// Events read from the log per query while catching up.
pub const FOLLOW_PAGE: i64 = 500;

pub struct Follower {
    live: broadcast::Receiver<Arc<StoredEvent>>,
    store: EventStore,
    /// Sequence of the last event returned.
    last: u64,
    /// Read from the log, not yet returned.
    pending: VecDeque<StoredEvent>,
    /// The log may hold events the broadcast will not deliver.
    behind: bool,
}

impl Follower {
    pub(super) fn new(
        live: broadcast::Receiver<Arc<StoredEvent>>,
        store: EventStore,
        after: u64,
    ) -> Self {
        Self {
            live,
            store,
            last: after,
            pending: VecDeque::new(),
            behind: true,
        }
    }

    /// The sequence of the last event returned (where a reconnect resumes).
    pub fn last(&self) -> u64 {
        self.last
    }

    /// The next event after `last()`. `None` once the engine has stopped
    /// and everything it committed was returned; an error when the log
    /// cannot be read (calling again retries). Cancel-safe: nothing is
    /// consumed unless it is returned.
    pub async fn next(&mut self) -> Option<Result<Arc<StoredEvent>, StoreError>> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                self.last = event.sequence;
                return Some(Ok(Arc::new(event)));
            }
            if self.behind {
                let page = match self.store.read_page(self.last, FOLLOW_PAGE).await {
                    Ok(page) => page,
                    Err(e) => return Some(Err(e)),
                };
                let page: VecDeque<StoredEvent> = page
                    .into_iter()
                    .filter(|e| e.sequence > self.last)
                    .collect();
                if page.is_empty() {
                    self.behind = false;
                } else {
                    self.pending = page;
                }
                continue;
            }
            match self.live.recv().await {
                Ok(event) if event.sequence <= self.last => continue,
                Ok(event) if event.sequence == self.last + 1 => {
                    self.last = event.sequence;
                    return Some(Ok(event));
                }
                // A hole before this event: the log has it (events are
                // published after they commit).
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => self.behind = true,
                Err(broadcast::error::RecvError::Closed) => {
                    // Whatever was committed before the engine stopped.
                    match self.store.read_page(self.last, 1).await {
                        Ok(page) if !page.is_empty() => self.behind = true,
                        _ => return None,
                    }
                }
            }
        }
    }
}
