//! Coalesces streamed text: a message costs one event when it starts, then
//! at most one per window, then one at its end — not one per token.
//!
//! A write waits for `BATCH` deltas (about as many tokens) or for
//! `MAX_WAIT`, whichever comes first, and never comes sooner than `WINDOW`
//! after the last: at most 10 writes a second, and about 40 per 1,000
//! tokens at the 50–200 tokens a second models stream at.

use peon_app::contracts::MessageId;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How often a streaming message is written to the log at most.
pub const WINDOW: Duration = Duration::from_millis(100);
/// Deltas that make a write worth it once the window has passed.
pub const BATCH: usize = 25;
/// Longest a streamed piece waits before it is written.
pub const MAX_WAIT: Duration = Duration::from_millis(500);

struct Open {
    message_id: MessageId,
    /// Everything already handed out for writing.
    sent: String,
    pending: String,
    /// Deltas in `pending`.
    waiting: usize,
    last_flush: Instant,
}

impl Open {
    fn due_at(&self) -> Option<Instant> {
        if self.pending.is_empty() {
            None
        } else if self.waiting >= BATCH {
            Some(self.last_flush + WINDOW)
        } else {
            Some(self.last_flush + MAX_WAIT)
        }
    }
}

/// Text to append to a message now.
#[derive(Debug, PartialEq)]
pub struct Flush {
    pub message_id: MessageId,
    pub text: String,
}

#[derive(Default)]
pub struct Coalescer {
    open: HashMap<String, Open>,
}

impl Coalescer {
    /// Adds streamed text; returns what to write now, if anything. The first
    /// piece of a message is written at once so it appears without delay.
    pub fn push(&mut self, item: &str, text: &str, now: Instant) -> Option<Flush> {
        match self.open.get_mut(item) {
            None => {
                let message_id = MessageId::new();
                self.open.insert(
                    item.to_string(),
                    Open {
                        message_id,
                        sent: text.to_string(),
                        pending: String::new(),
                        waiting: 0,
                        last_flush: now,
                    },
                );
                Some(Flush {
                    message_id,
                    text: text.to_string(),
                })
            }
            Some(open) => {
                open.pending.push_str(text);
                open.waiting += 1;
                open.due_at()
                    .is_some_and(|at| at <= now)
                    .then(|| take(open, now))
            }
        }
    }

    /// Messages whose window has passed with text waiting.
    pub fn due(&mut self, now: Instant) -> Vec<Flush> {
        self.open
            .values_mut()
            .filter(|o| o.due_at().is_some_and(|at| at <= now))
            .map(|o| take(o, now))
            .collect()
    }

    /// When the next waiting text is due.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.open.values().filter_map(Open::due_at).min()
    }

    /// Ends a message: the rest of its text (reconciled with the agent's full
    /// copy when given) and its id. A message never seen starts here.
    pub fn finish(&mut self, item: &str, full: Option<&str>) -> Option<Flush> {
        match self.open.remove(item) {
            Some(mut open) => {
                open.sent.push_str(&open.pending);
                let mut rest = std::mem::take(&mut open.pending);
                if let Some(full) = full
                    && let Some(missing) = full.strip_prefix(open.sent.as_str())
                {
                    rest.push_str(missing);
                }
                Some(Flush {
                    message_id: open.message_id,
                    text: rest,
                })
            }
            None => full.filter(|f| !f.is_empty()).map(|f| Flush {
                message_id: MessageId::new(),
                text: f.to_string(),
            }),
        }
    }

    /// Ends every open message (the turn is over).
    pub fn finish_all(&mut self) -> Vec<Flush> {
        let items: Vec<String> = self.open.keys().cloned().collect();
        items
            .iter()
            .filter_map(|item| self.finish(item, None))
            .collect()
    }
}

fn take(open: &mut Open, now: Instant) -> Flush {
    open.last_flush = now;
    open.waiting = 0;
    let text = std::mem::take(&mut open.pending);
    open.sent.push_str(&text);
    Flush {
        message_id: open.message_id,
        text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_thousand_fast_deltas_become_a_few_writes_with_the_exact_text() {
        let mut c = Coalescer::default();
        let start = Instant::now();
        let mut writes = Vec::new();
        let mut expected = String::new();
        // 2,000 deltas over one second: one every 0.5 ms.
        for i in 0..2_000u64 {
            let now = start + Duration::from_micros(i * 500);
            let piece = format!("t{i} ");
            expected.push_str(&piece);
            writes.extend(c.due(now));
            writes.extend(c.push("m", &piece, now));
        }
        writes.extend(c.finish("m", Some(&expected)));
        let text: String = writes.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(text, expected);
        assert!(writes.len() <= 12, "{} writes", writes.len());
        assert!(writes.iter().all(|w| w.message_id == writes[0].message_id));
    }

    #[test]
    fn the_full_text_fills_in_what_streaming_missed() {
        let mut c = Coalescer::default();
        let now = Instant::now();
        c.push("m", "Hel", now);
        let end = c.finish("m", Some("Hello")).unwrap();
        assert_eq!(end.text, "lo");
        let fresh = c.finish("other", Some("whole")).unwrap();
        assert_eq!(fresh.text, "whole");
        assert_eq!(c.finish("none", None), None);
    }

    #[test]
    fn a_few_waiting_deltas_wait_for_the_longest_wait() {
        let mut c = Coalescer::default();
        let t0 = Instant::now();
        c.push("m", "a", t0);
        assert_eq!(c.push("m", "b", t0 + Duration::from_millis(10)), None);
        assert_eq!(c.next_deadline(), Some(t0 + MAX_WAIT));
        assert!(c.due(t0 + WINDOW).is_empty());
        let due = c.due(t0 + MAX_WAIT);
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].text, "b");
        assert_eq!(c.next_deadline(), None);
    }

    #[test]
    fn a_full_batch_is_due_after_the_window() {
        let mut c = Coalescer::default();
        let t0 = Instant::now();
        c.push("m", "first", t0);
        for _ in 0..BATCH {
            assert_eq!(c.push("m", "x", t0 + Duration::from_millis(1)), None);
        }
        assert_eq!(c.next_deadline(), Some(t0 + WINDOW));
        assert_eq!(c.due(t0 + WINDOW)[0].text, "x".repeat(BATCH));
    }

    #[test]
    fn fifty_tokens_a_second_cost_at_most_fifty_writes_per_thousand() {
        let mut c = Coalescer::default();
        let start = Instant::now();
        let mut writes = 0;
        for i in 0..1_000u64 {
            let now = start + Duration::from_millis(i * 20);
            writes += c.due(now).len();
            writes += usize::from(c.push("m", "tok ", now).is_some());
        }
        writes += usize::from(c.finish("m", None).is_some());
        assert!(writes <= 50, "{writes} writes");
    }
}
