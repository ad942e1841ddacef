//! Full-text search over every thread's messages and work log, for the
//! command palette.

use super::ApiError;
use crate::contracts::{ProjectId, ThreadId};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Most hits one answer carries.
pub const MAX_SEARCH_HITS: usize = 20;
/// Longest search text taken, in characters.
pub const MAX_SEARCH_TEXT: usize = 200;

/// Where a hit was found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HitSource {
    /// A message, by its author's role (`user`, `assistant`, `system`).
    Message { role: String },
    /// A work-log entry (a command, a file change, a tool call).
    Activity,
}

/// A piece of a hit's excerpt; `hit` marks the words that matched.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnippetPart {
    pub text: String,
    pub hit: bool,
}

/// One message or work-log entry that matched, best first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchHit {
    pub thread_id: ThreadId,
    pub project_id: ProjectId,
    pub thread_title: String,
    /// The turn it belongs to (1-based), where opening it lands.
    pub turn: u32,
    pub source: HitSource,
    pub snippet: Vec<SnippetPart>,
}

/// Messages and work-log entries holding every word of `text` (the last
/// one as a prefix, so results come while typing, unless a space follows
/// it), best match first.
/// Blank text finds nothing; text over `MAX_SEARCH_TEXT` characters is an
/// `Invalid` error.
#[server(prefix = "/api", endpoint = "search", output = super::Json)]
pub async fn search(text: String) -> Result<Vec<SearchHit>, ApiError> {
    super::backend::backend()?.search(text).await
}
