//! Server functions and the query types they return. Each one only reaches
//! the backend (provided by the server as context) and maps its errors; the
//! logic lives in the server's engine and queries.

/// The names of the event stream's (`/api/events`) SSE events.
pub mod stream {
    /// One stored event, as JSON, with its sequence as the SSE id.
    pub const EVENT: &str = "event";
    /// Between events, with the sequence the stream has reached.
    pub const HEARTBEAT: &str = "heartbeat";
    /// The client named another log than the server's; the stream ends.
    pub const LOG_CHANGED: &str = "log-changed";
}

pub mod access;
mod codec;
mod error;
mod folders;
mod search;

pub use access::{
    AuthSession, LoginLink, SessionList, end_all_sessions, end_session, get_sessions,
    make_login_link,
};
pub use error::ApiError;
pub use folders::{FolderSuggestion, MAX_FOLDER_SUGGESTIONS, suggest_folders};
pub use search::{HitSource, MAX_SEARCH_HITS, MAX_SEARCH_TEXT, SearchHit, SnippetPart, search};

use crate::contracts::*;
pub use codec::Json;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What a dispatched command produced.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DispatchOutcome {
    pub command_id: CommandId,
    /// Sequences of the stored events (`first..=last`); equal to the current
    /// sequence when nothing needed storing.
    pub first_sequence: u64,
    pub last_sequence: u64,
    /// True when this command id had already been handled: the first
    /// answer is returned and nothing happens again.
    pub duplicate: bool,
}

/// Projects and thread summaries at a sequence.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Id of the log's first event: tells one peon database from another.
    pub log_id: Option<EventId>,
    pub sequence: u64,
    pub projects: Vec<Project>,
    pub threads: Vec<ThreadSummary>,
}

/// A page of a thread's timeline, latest turns last.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThreadPageResponse {
    pub sequence: u64,
    pub thread: ThreadSummary,
    pub page: ThreadPage,
}

/// Facts about the running server, shown on the settings page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServerInfo {
    pub version: String,
    pub data_dir: String,
    pub sqlite_version: String,
    pub event_count: u64,
    pub last_sequence: u64,
}

/// One agent CLI on the server's machine, for the settings page and the
/// composer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AgentStatus {
    pub provider: Provider,
    pub found: bool,
    pub path: Option<String>,
    pub version: Option<String>,
    /// Why it cannot be used, when it cannot.
    pub problem: Option<String>,
    /// The command that installs it.
    pub install: String,
    /// The environment variable that points peon at it.
    pub env_var: String,
    /// Models it reported when it last ran (empty before).
    pub models: Vec<String>,
}

/// One of a thread's terminals.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TerminalInfo {
    pub id: String,
    pub thread_id: ThreadId,
    pub title: String,
    pub cwd: String,
    pub running: bool,
    pub exit_code: Option<i32>,
    /// How its shell ended, in words, once it has.
    pub ended: Option<String>,
}

/// What the terminal panel asks for; every answer is the thread's
/// terminals afterwards.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum TerminalAction {
    List,
    Open,
    Restart { id: String },
    Close { id: String },
}

/// The terminal's WebSocket: binary frames carry output (server → browser)
/// and keystrokes (browser → server); text frames carry `TerminalControl`.
pub fn terminal_socket_path(id: &str) -> String {
    format!("/api/terminals/{id}/socket")
}

/// The query by which a client asks for flow control on that socket (it
/// then sends `TerminalControl::Ack`).
pub const TERMINAL_SOCKET_ACKS: &str = "?ack=true";

/// Text frames on a terminal's socket.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TerminalControl {
    /// Browser → server: keystrokes.
    Input { data: String },
    /// Browser → server: the terminal's size in cells.
    Resize { cols: u16, rows: u16 },
    /// Server → browser: the shell ended.
    Ended { message: String },
    /// Server → browser: this socket fell behind and is being closed;
    /// reconnect to continue from the scrollback.
    Behind,
    /// Browser → server: bytes of output drawn since the socket opened.
    /// A browser that sends it is never sent far more than it has drawn.
    Ack { bytes: u64 },
    /// Server → browser: output was skipped while the browser caught up;
    /// the scrollback follows afresh, so clear the screen first.
    Resync,
}

// The git panel's and the diff viewer's types live with the contracts (the
// server's git code uses them without depending on the API layer).
pub use crate::contracts::git::{DiffResponse, FileDiff, GitAction, GitStatus};

#[cfg(feature = "ssr")]
pub mod backend {
    use super::*;
    use std::future::Future;
    use std::pin::Pin;
    use std::sync::Arc;

    pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

    /// What the server offers the pages and server functions.
    pub trait Backend: Send + Sync + 'static {
        fn dispatch(
            &self,
            envelope: CommandEnvelope,
        ) -> BoxFuture<'_, Result<DispatchOutcome, ApiError>>;
        fn snapshot(&self) -> BoxFuture<'_, Result<Snapshot, ApiError>>;
        fn thread_page(
            &self,
            thread_id: ThreadId,
            before_turn: Option<u32>,
            limit: u32,
        ) -> BoxFuture<'_, Result<ThreadPageResponse, ApiError>>;
        fn server_info(&self) -> BoxFuture<'_, Result<ServerInfo, ApiError>>;
        fn agents(&self) -> BoxFuture<'_, Result<Vec<AgentStatus>, ApiError>>;
        fn terminals(
            &self,
            thread_id: ThreadId,
            action: TerminalAction,
        ) -> BoxFuture<'_, Result<Vec<TerminalInfo>, ApiError>>;
        fn diff(
            &self,
            thread_id: ThreadId,
            from: u32,
            to: u32,
        ) -> BoxFuture<'_, Result<DiffResponse, ApiError>>;
        fn git(
            &self,
            thread_id: ThreadId,
            action: GitAction,
        ) -> BoxFuture<'_, Result<GitStatus, ApiError>>;
        fn folders(&self, typed: String) -> BoxFuture<'_, Result<Vec<FolderSuggestion>, ApiError>>;
        fn search(&self, text: String) -> BoxFuture<'_, Result<Vec<SearchHit>, ApiError>>;
    }

    pub type SharedBackend = Arc<dyn Backend>;

    pub fn backend() -> Result<SharedBackend, ApiError> {
        use_context::<SharedBackend>().ok_or_else(|| ApiError::Unavailable {
            message: "the server's backend is not available".to_string(),
        })
    }
}

/// Most turns a single page request may ask for.
pub const MAX_PAGE_TURNS: u32 = 200;

/// Takes JSON (`{"envelope": {...}}`) so API clients can send commands as
/// easily as the browser. Only client commands decode: an internal one is
/// an unknown command here.
#[server(prefix = "/api", endpoint = "dispatch", input = Json, output = Json)]
pub async fn dispatch_command(envelope: CommandEnvelope) -> Result<DispatchOutcome, ApiError> {
    backend::backend()?.dispatch(envelope).await
}

#[server(prefix = "/api", endpoint = "snapshot", output = Json)]
pub async fn get_snapshot() -> Result<Snapshot, ApiError> {
    backend::backend()?.snapshot().await
}

#[server(prefix = "/api", endpoint = "thread_page", output = Json)]
pub async fn get_thread_page(
    thread_id: ThreadId,
    before_turn: Option<u32>,
    limit: u32,
) -> Result<ThreadPageResponse, ApiError> {
    backend::backend()?
        .thread_page(thread_id, before_turn, limit.clamp(1, MAX_PAGE_TURNS))
        .await
}

#[server(prefix = "/api", endpoint = "server_info", output = Json)]
pub async fn get_server_info() -> Result<ServerInfo, ApiError> {
    backend::backend()?.server_info().await
}

#[server(prefix = "/api", endpoint = "agents", output = Json)]
pub async fn get_agents() -> Result<Vec<AgentStatus>, ApiError> {
    backend::backend()?.agents().await
}

#[server(prefix = "/api", endpoint = "diff", output = Json)]
pub async fn get_diff(thread_id: ThreadId, from: u32, to: u32) -> Result<DiffResponse, ApiError> {
    backend::backend()?.diff(thread_id, from, to).await
}

/// Git status of a thread's folder, after carrying out `action`.
#[server(prefix = "/api", endpoint = "git", input = Json, output = Json)]
pub async fn run_git(thread_id: ThreadId, action: GitAction) -> Result<GitStatus, ApiError> {
    backend::backend()?.git(thread_id, action).await
}

/// A thread's terminals, after carrying out `action`.
#[server(prefix = "/api", endpoint = "terminals", input = Json, output = Json)]
pub async fn manage_terminals(
    thread_id: ThreadId,
    action: TerminalAction,
) -> Result<Vec<TerminalInfo>, ApiError> {
    backend::backend()?.terminals(thread_id, action).await
}
