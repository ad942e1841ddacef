//! Commands: what a client may ask for (`Command`) and what only the
//! server's own reactors send (`InternalCommand`), as two types, so a
//! client's request cannot even be decoded as an internal one.

use super::ids::*;
use super::types::*;
use serde::{Deserialize, Serialize};

/// A command with the id its sender chose. Sending the same envelope twice
/// acts once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CommandEnvelope {
    pub command_id: CommandId,
    pub command: Command,
}

impl CommandEnvelope {
    pub fn new(command: impl Into<Command>) -> Self {
        Self {
            command_id: CommandId::new(),
            command: command.into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Command {
    // ---- projects ----
    #[serde(rename = "project.create")]
    ProjectCreate {
        project_id: ProjectId,
        title: String,
        workspace_root: String,
        #[serde(default)]
        default_model: Option<String>,
    },
    #[serde(rename = "project.update")]
    ProjectUpdate {
        project_id: ProjectId,
        #[serde(default)]
        title: Option<String>,
        #[serde(default)]
        default_model: Option<String>,
    },
    #[serde(rename = "project.delete")]
    ProjectDelete { project_id: ProjectId },

    // ---- threads ----
    #[serde(rename = "thread.create")]
    ThreadCreate {
        thread_id: ThreadId,
        project_id: ProjectId,
        title: String,
        provider: Provider,
        #[serde(default)]
        model: Option<String>,
        runtime_mode: RuntimeMode,
        interaction_mode: InteractionMode,
        /// The branch of the thread's worktree: an existing branch, or a new
        /// one from the project's current commit (`peon/<id>` when empty).
        #[serde(default)]
        branch: Option<String>,
        /// Ask for a git worktree of its own: peon creates it and fills in
        /// `worktree_path`, which clients may not set themselves.
        #[serde(default)]
        worktree: bool,
        #[serde(default)]
        worktree_path: Option<String>,
    },
    #[serde(rename = "thread.update")]
    ThreadUpdate {
        thread_id: ThreadId,
        #[serde(default)]
        title: Option<String>,
        #[serde(default)]
        model: Option<String>,
        #[serde(default)]
        branch: Option<String>,
        /// The agent; only before the thread's first turn.
        #[serde(default)]
        provider: Option<Provider>,
    },
    #[serde(rename = "thread.archive")]
    ThreadArchive { thread_id: ThreadId },
    #[serde(rename = "thread.unarchive")]
    ThreadUnarchive { thread_id: ThreadId },
    #[serde(rename = "thread.delete")]
    ThreadDelete {
        thread_id: ThreadId,
        /// Delete the thread's worktree even though it holds uncommitted
        /// changes (they are lost; the branch is kept either way).
        #[serde(default)]
        discard_changes: bool,
    },
    #[serde(rename = "thread.set-runtime-mode")]
    ThreadSetRuntimeMode {
        thread_id: ThreadId,
        runtime_mode: RuntimeMode,
    },
    #[serde(rename = "thread.set-interaction-mode")]
    ThreadSetInteractionMode {
        thread_id: ThreadId,
        interaction_mode: InteractionMode,
    },

    // ---- turns ----
    #[serde(rename = "turn.start")]
    TurnStart {
        thread_id: ThreadId,
        turn_id: TurnId,
        message_id: MessageId,
        text: String,
        #[serde(default)]
        attachments: Vec<Attachment>,
    },
    #[serde(rename = "turn.interrupt")]
    TurnInterrupt { thread_id: ThreadId },
    /// A message for after the running turn: queued, and sent as turn
    /// `turn_id` once the turns before it have completed (at once when
    /// nothing runs and nothing waits).
    #[serde(rename = "turn.queue")]
    TurnQueue {
        thread_id: ThreadId,
        turn_id: TurnId,
        message_id: MessageId,
        text: String,
        #[serde(default)]
        attachments: Vec<Attachment>,
    },
    /// A message into the running turn: the agent reads it as it works.
    #[serde(rename = "turn.steer")]
    TurnSteer {
        thread_id: ThreadId,
        message_id: MessageId,
        text: String,
    },
    #[serde(rename = "queue.cancel")]
    QueueCancel {
        thread_id: ThreadId,
        message_id: MessageId,
    },
    /// Moves a queued message to place `to` (0 goes next).
    #[serde(rename = "queue.move")]
    QueueMove {
        thread_id: ThreadId,
        message_id: MessageId,
        to: u32,
    },
    /// Sends a queued message now; nothing may be running.
    #[serde(rename = "queue.send")]
    QueueSend {
        thread_id: ThreadId,
        message_id: MessageId,
    },

    // ---- approvals, checkpoints, session ----
    #[serde(rename = "approval.respond")]
    ApprovalRespond {
        thread_id: ThreadId,
        approval_id: ApprovalId,
        decision: ApprovalDecision,
    },
    #[serde(rename = "checkpoint.revert")]
    CheckpointRevert {
        thread_id: ThreadId,
        turn_count: u32,
    },
    #[serde(rename = "session.stop")]
    SessionStop { thread_id: ThreadId },
    #[serde(rename = "settings.update")]
    SettingsUpdate {
        key: String,
        value: serde_json::Value,
    },
}

/// Commands only the server's reactors send (agents, checkpoints,
/// start-up): never decoded from a client.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum InternalCommand {
    #[serde(rename = "internal.message-delta")]
    MessageDelta {
        thread_id: ThreadId,
        message_id: MessageId,
        text: String,
    },
    #[serde(rename = "internal.message-complete")]
    MessageComplete {
        thread_id: ThreadId,
        message_id: MessageId,
    },
    #[serde(rename = "internal.activity")]
    RecordActivity {
        thread_id: ThreadId,
        activity_id: ActivityId,
        kind: ActivityKind,
        summary: String,
        #[serde(default)]
        detail: Option<String>,
        status: ActivityStatus,
    },
    /// Tokens the agent reported for the running turn since its last report.
    #[serde(rename = "internal.usage")]
    RecordUsage {
        thread_id: ThreadId,
        added: TokenUsage,
        #[serde(default)]
        context_tokens: Option<u64>,
        #[serde(default)]
        context_window: Option<u64>,
        #[serde(default)]
        cost_micros: Option<u64>,
    },
    #[serde(rename = "internal.approval-request")]
    RequestApproval {
        thread_id: ThreadId,
        approval_id: ApprovalId,
        kind: ApprovalKind,
        detail: String,
    },
    #[serde(rename = "internal.session-change")]
    ChangeSession {
        thread_id: ThreadId,
        status: SessionStatus,
        #[serde(default)]
        provider_thread_id: Option<String>,
        #[serde(default)]
        last_error: Option<String>,
    },
    #[serde(rename = "internal.turn-started")]
    MarkTurnStarted {
        thread_id: ThreadId,
        turn_id: TurnId,
    },
    #[serde(rename = "internal.turn-complete")]
    CompleteTurn {
        thread_id: ThreadId,
        turn_id: TurnId,
        status: TurnOutcome,
        #[serde(default)]
        error: Option<String>,
    },
    #[serde(rename = "internal.checkpoint-created")]
    RecordCheckpoint {
        thread_id: ThreadId,
        #[serde(default)]
        turn_id: Option<TurnId>,
        turn_count: u32,
        git_ref: String,
        files: Vec<FileStat>,
        #[serde(default)]
        skipped: Vec<String>,
    },
    #[serde(rename = "internal.revert-complete")]
    CompleteRevert {
        thread_id: ThreadId,
        turn_count: u32,
    },
    #[serde(rename = "internal.revert-fail")]
    FailRevert {
        thread_id: ThreadId,
        turn_count: u32,
        error: String,
    },
    /// The worktree of a thread being deleted is gone: delete the thread.
    #[serde(rename = "internal.delete-complete")]
    CompleteDelete { thread_id: ThreadId },
    #[serde(rename = "internal.delete-fail")]
    FailDelete { thread_id: ThreadId, error: String },
    /// The worktrees of a project being deleted are gone: delete its
    /// threads and the project.
    #[serde(rename = "internal.project-delete-complete")]
    CompleteProjectDelete { project_id: ProjectId },
    #[serde(rename = "internal.project-delete-fail")]
    FailProjectDelete {
        project_id: ProjectId,
        error: String,
    },
    /// Sends the thread's next queued message (after a restart cut the turn
    /// before it short).
    #[serde(rename = "internal.queue-send")]
    SendQueued { thread_id: ThreadId },
}

/// Most messages one thread may hold in its queue.
pub const MAX_QUEUED: usize = 20;

/// The title of a thread made without one; its first message names it
/// (`title_from_message`), and the user can rename it any time.
pub const NEW_THREAD_TITLE: &str = "New thread";

/// Longest title taken from a first message, in characters.
pub const MESSAGE_TITLE_CHARS: usize = 60;

/// A title from a message: its first non-empty line, trimmed, cut at a word
/// boundary to at most `MESSAGE_TITLE_CHARS` (with "…" when cut).
pub fn title_from_message(text: &str) -> Option<String> {
    let line = text.lines().map(str::trim).find(|l| !l.is_empty())?;
    if line.chars().count() <= MESSAGE_TITLE_CHARS {
        return Some(line.to_string());
    }
    let cut: String = line.chars().take(MESSAGE_TITLE_CHARS - 1).collect();
    let at_word = match cut.rfind(char::is_whitespace) {
        Some(i) if i > MESSAGE_TITLE_CHARS / 2 => cut[..i].trim_end().to_string(),
        _ => cut,
    };
    Some(format!("{at_word}…"))
}

impl Command {
    /// A new thread with the default modes (asks before acting, default
    /// interaction), the agent's default model, and no branch or worktree.
    pub fn new_thread(
        thread_id: ThreadId,
        project_id: ProjectId,
        title: impl Into<String>,
        provider: Provider,
    ) -> Self {
        Command::ThreadCreate {
            thread_id,
            project_id,
            title: title.into(),
            provider,
            model: None,
            runtime_mode: RuntimeMode::ApprovalRequired,
            interaction_mode: InteractionMode::Default,
            branch: None,
            worktree: false,
            worktree_path: None,
        }
    }
}

/// Either kind of command, as the engine's writer takes them. Untagged: it
/// serialises exactly as the command inside (receipts hash that JSON).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum AnyCommand {
    Client(Command),
    Internal(InternalCommand),
}

impl From<Command> for AnyCommand {
    fn from(c: Command) -> Self {
        AnyCommand::Client(c)
    }
}

impl From<&Command> for AnyCommand {
    fn from(c: &Command) -> Self {
        AnyCommand::Client(c.clone())
    }
}

impl From<InternalCommand> for AnyCommand {
    fn from(c: InternalCommand) -> Self {
        AnyCommand::Internal(c)
    }
}

impl From<&InternalCommand> for AnyCommand {
    fn from(c: &InternalCommand) -> Self {
        AnyCommand::Internal(c.clone())
    }
}
