//! What a new agent conversation is told of a thread that already has
//! history: after a revert (the old conversation went further than the
//! folder) or when the agent lost the conversation it was asked to resume.

use crate::persistence::projection_reader;
use peon_app::contracts::*;
use sqlx::SqlitePool;

/// Turns (and characters per message) a new conversation is primed with.
const PRIMER_TURNS: u32 = 20;
const PRIMER_MESSAGE_CHARS: usize = 4_000;

/// Why the agent starts over.
#[derive(Clone, Copy, Debug)]
pub enum Why {
    RolledBack,
    Lost,
}

impl Why {
    fn opening(self) -> &'static str {
        match self {
            Why::RolledBack => {
                "[peon] This conversation was rolled back to an earlier point. What remains of it:\n"
            }
            Why::Lost => {
                "[peon] The agent's earlier conversation in this thread could not be resumed. \
                 What was said in it:\n"
            }
        }
    }
}

/// `text` preceded by the thread's conversation before turn `number`; just
/// `text` when there is none (or it cannot be read: the turn still runs).
pub async fn primed(
    pool: &SqlitePool,
    thread: ThreadId,
    number: u32,
    text: &str,
    why: Why,
) -> String {
    if number <= 1 {
        return text.to_string();
    }
    let page = projection_reader::load_thread_page(pool, thread, Some(number), PRIMER_TURNS)
        .await
        .ok()
        .flatten();
    let Some((_, _, page)) = page else {
        return text.to_string();
    };
    let mut out = String::from(why.opening());
    let mut said = false;
    for turn in &page.turns {
        for item in &turn.items {
            if let TimelineItem::Message(m) = item {
                let who = if m.role == Role::User {
                    "User"
                } else {
                    "Assistant"
                };
                let body: String = m.text.chars().take(PRIMER_MESSAGE_CHARS).collect();
                out.push_str(&format!("\n{who}: {body}\n"));
                said = true;
            }
        }
    }
    if !said {
        return text.to_string();
    }
    out.push_str("\n[peon] The user's new message:\n");
    out.push_str(text);
    out
}
