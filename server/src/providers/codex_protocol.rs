//! The `codex app-server` messages peon uses, typed after the JSON schema
//! the pinned codex (0.171.0) prints with `codex app-server
//! generate-json-schema` (kept in `fixtures/codex-schema/`; the tests fail
//! when the pinned CLI's schema changes, and check every message peon
//! sends against it). Only the fields peon reads or writes: other fields
//! are ignored, but an enum value peon does not know is an error, never a
//! guess.

use serde::{Deserialize, Serialize};

// ---- peon → codex ----

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InitializeParams {
    pub client_info: ClientInfo,
}

#[derive(Debug, Serialize)]
pub struct ClientInfo {
    pub name: &'static str,
    pub title: &'static str,
    pub version: &'static str,
}

/// When codex asks before acting.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AskForApproval {
    /// Ask before anything not known to be safe.
    Untrusted,
    Never,
}

/// The sandbox of a thread (`thread/start`, `thread/resume`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SandboxMode {
    WorkspaceWrite,
    DangerFullAccess,
}

/// The sandbox of a turn (`turn/start`); codex keeps it for later turns
/// too, so every turn sends one.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum SandboxPolicy {
    WorkspaceWrite,
    DangerFullAccess,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ThreadStartParams {
    pub cwd: String,
    pub approval_policy: AskForApproval,
    pub sandbox: SandboxMode,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ThreadResumeParams {
    pub thread_id: String,
    #[serde(flatten)]
    pub settings: ThreadStartParams,
}

#[derive(Debug, Serialize)]
pub struct ModelListParams {
    pub limit: u32,
}

#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum UserInput {
    Text { text: String },
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TurnStartParams {
    pub thread_id: String,
    pub input: Vec<UserInput>,
    pub approval_policy: AskForApproval,
    pub sandbox_policy: SandboxPolicy,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
}

/// More input for the running turn; refused when `expected_turn_id` is no
/// longer the active turn.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TurnSteerParams {
    pub thread_id: String,
    pub expected_turn_id: String,
    pub input: Vec<UserInput>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TurnInterruptParams {
    pub thread_id: String,
    pub turn_id: String,
}

/// peon's answer to an approval request (commands and file changes alike).
#[derive(Debug, Serialize)]
pub struct ApprovalResponse {
    pub decision: Decision,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Decision {
    Accept,
    AcceptForSession,
    Decline,
    /// Declines and interrupts the turn.
    Cancel,
}

// ---- codex → peon ----

#[derive(Debug, Deserialize)]
pub struct ThreadResponse {
    pub thread: Id,
}

#[derive(Debug, Deserialize)]
pub struct Id {
    pub id: String,
}

#[derive(Debug, Deserialize)]
pub struct ModelListResponse {
    pub data: Vec<Model>,
}

#[derive(Debug, Deserialize)]
pub struct Model {
    pub model: String,
}

#[derive(Debug, Deserialize)]
pub struct TurnResponse {
    pub turn: Id,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TurnSteerResponse {
    pub turn_id: String,
}

#[derive(Debug, Deserialize)]
pub struct TurnStarted {
    pub turn: Id,
}

#[derive(Debug, Deserialize)]
pub struct TurnCompleted {
    pub turn: Turn,
}

#[derive(Debug, Deserialize)]
pub struct Turn {
    pub status: TurnStatus,
    #[serde(default)]
    pub error: Option<TurnError>,
}

/// Every value the schema allows (the tests compare the two lists).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TurnStatus {
    Completed,
    Interrupted,
    Failed,
    InProgress,
}

#[cfg(test)]
impl TurnStatus {
    pub const ALL: [(TurnStatus, &'static str); 4] = [
        (TurnStatus::Completed, "completed"),
        (TurnStatus::Interrupted, "interrupted"),
        (TurnStatus::Failed, "failed"),
        (TurnStatus::InProgress, "inProgress"),
    ];
}

#[derive(Debug, Deserialize)]
pub struct TurnError {
    pub message: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentMessageDelta {
    pub item_id: String,
    pub delta: String,
}

#[derive(Debug, Deserialize)]
pub struct ItemNotification {
    pub item: ThreadItem,
}

/// The items peon shows; any other kind is `Other`.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum ThreadItem {
    AgentMessage {
        id: String,
        text: String,
    },
    #[serde(rename_all = "camelCase")]
    CommandExecution {
        id: String,
        command: String,
        #[serde(default)]
        command_actions: Vec<CommandAction>,
        status: ItemStatus,
        #[serde(default)]
        aggregated_output: Option<String>,
        #[serde(default)]
        exit_code: Option<i64>,
    },
    FileChange {
        id: String,
        changes: Vec<FileUpdateChange>,
        status: ItemStatus,
    },
    Reasoning {
        id: String,
        #[serde(default)]
        summary: Vec<String>,
    },
    McpToolCall {
        id: String,
        server: String,
        tool: String,
        status: ItemStatus,
    },
    DynamicToolCall {
        id: String,
        tool: String,
        status: ItemStatus,
    },
    WebSearch {
        id: String,
        query: String,
    },
    ImageView {
        id: String,
        path: String,
    },
    #[serde(other)]
    Other,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ItemStatus {
    InProgress,
    Completed,
    Failed,
    Declined,
}

/// Every kind of command action carries the command as typed.
#[derive(Debug, Deserialize)]
pub struct CommandAction {
    pub command: String,
}

#[derive(Debug, Deserialize)]
pub struct FileUpdateChange {
    pub path: String,
    pub diff: String,
    pub kind: PatchChangeKind,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum PatchChangeKind {
    Add,
    Delete,
    Update {
        #[serde(default)]
        move_path: Option<String>,
    },
}

impl FileUpdateChange {
    /// "add a.rs", "update b.rs", "move c.rs → d.rs".
    pub fn describe(&self) -> String {
        match &self.kind {
            PatchChangeKind::Add => format!("add {}", self.path),
            PatchChangeKind::Delete => format!("delete {}", self.path),
            PatchChangeKind::Update { move_path: None } => format!("update {}", self.path),
            PatchChangeKind::Update {
                move_path: Some(to),
            } => format!("move {} → {to}", self.path),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorNotification {
    pub error: TurnError,
    /// Codex tries again by itself: a warning, not a failure.
    #[serde(default)]
    pub will_retry: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenUsageUpdated {
    pub token_usage: ThreadTokenUsage,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThreadTokenUsage {
    /// The thread's tokens so far.
    pub total: TokenUsageBreakdown,
    /// The latest model request's.
    pub last: TokenUsageBreakdown,
    #[serde(default)]
    pub model_context_window: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenUsageBreakdown {
    pub input_tokens: u64,
    pub cached_input_tokens: u64,
    pub output_tokens: u64,
    pub reasoning_output_tokens: u64,
    pub total_tokens: u64,
}

impl TokenUsageBreakdown {
    pub fn tokens(&self) -> peon_app::contracts::TokenUsage {
        peon_app::contracts::TokenUsage {
            input: self.input_tokens,
            cached_input: self.cached_input_tokens,
            output: self.output_tokens,
            reasoning_output: self.reasoning_output_tokens,
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct WarningNotification {
    pub message: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommandApprovalParams {
    #[serde(default)]
    pub command: Option<String>,
    #[serde(default)]
    pub command_actions: Option<Vec<CommandAction>>,
    #[serde(default)]
    pub cwd: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileChangeApprovalParams {
    pub item_id: String,
    #[serde(default)]
    pub reason: Option<String>,
}

/// `item/tool/requestUserInput`: questions for the user, with options.
#[derive(Debug, Deserialize)]
pub struct UserInputParams {
    pub questions: Vec<UserInputQuestion>,
}

#[derive(Debug, Deserialize)]
pub struct UserInputQuestion {
    pub header: String,
    pub question: String,
    #[serde(default)]
    pub options: Option<Vec<UserInputOption>>,
}

#[derive(Debug, Deserialize)]
pub struct UserInputOption {
    pub label: String,
}

#[cfg(test)]
#[path = "codex_protocol_tests.rs"]
mod tests;
