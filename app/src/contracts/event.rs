//! The event catalogue: what happened. Each variant's wire name is written
//! once, in the `events!` table below; the serde tag and the `event_type`
//! column both come from it.

use super::ids::*;
use super::types::*;
use serde::{Deserialize, Serialize};

macro_rules! events {
    ($($variant:ident = $wire:literal),* $(,)?) => {
        /// Everything that can happen, as stored in the log.
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "type")]
        pub enum OrchestrationEvent {
            $(#[serde(rename = $wire)] $variant($variant),)*
        }

        impl OrchestrationEvent {
            /// Every wire name, in catalogue order.
            pub const TYPES: &'static [&'static str] = &[$($wire),*];

            /// The stable wire name (the serde tag and the `event_type` column).
            pub fn event_type(&self) -> &'static str {
                match self { $(OrchestrationEvent::$variant(_) => $wire,)* }
            }
        }

        $(impl From<$variant> for OrchestrationEvent {
            fn from(e: $variant) -> Self { OrchestrationEvent::$variant(e) }
        })*
    };
}

events! {
    ProjectCreated = "project.created",
    ProjectUpdated = "project.updated",
    ProjectDeleted = "project.deleted",
    ThreadCreated = "thread.created",
    ThreadUpdated = "thread.updated",
    ThreadArchived = "thread.archived",
    ThreadUnarchived = "thread.unarchived",
    ThreadDeleted = "thread.deleted",
    TurnRequested = "turn.requested",
    TurnStarted = "turn.started",
    TurnInterruptRequested = "turn.interrupt-requested",
    TurnCompleted = "turn.completed",
    MessageAdded = "message.added",
    MessageDelta = "message.delta",
    MessageCompleted = "message.completed",
    ActivityRecorded = "activity.recorded",
    ApprovalRequested = "approval.requested",
    ApprovalResolved = "approval.resolved",
    SessionChanged = "session.changed",
    SessionStopRequested = "session.stop-requested",
    CheckpointCreated = "checkpoint.created",
    RevertRequested = "thread.revert-requested",
    ThreadReverted = "thread.reverted",
    RevertFailed = "thread.revert-failed",
    SettingsUpdated = "settings.updated",
    ThreadDeleteRequested = "thread.delete-requested",
    ThreadDeleteFailed = "thread.delete-failed",
    ProjectDeleteRequested = "project.delete-requested",
    ProjectDeleteFailed = "project.delete-failed",
    MessageQueued = "message.queued",
    MessageUnqueued = "message.unqueued",
    QueueMoved = "queue.moved",
    UsageRecorded = "turn.usage",
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProjectCreated {
    pub project_id: ProjectId,
    pub title: String,
    pub workspace_root: String,
    pub default_model: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProjectUpdated {
    pub project_id: ProjectId,
    pub title: Option<String>,
    pub default_model: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProjectDeleted {
    pub project_id: ProjectId,
}

/// A project with threads in worktrees of their own is to be deleted: the
/// worktree reactor checks every worktree for uncommitted work, stops the
/// threads' agents and shells, removes the folders, then records the
/// threads' and the project's deletes (or `project.delete-failed`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProjectDeleteRequested {
    pub project_id: ProjectId,
}

/// The project's delete could not be done; the project and its threads are
/// as they were (a worktree already removed stays removed).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProjectDeleteFailed {
    pub project_id: ProjectId,
    pub error: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThreadCreated {
    pub thread_id: ThreadId,
    pub project_id: ProjectId,
    pub title: String,
    pub provider: Provider,
    pub model: Option<String>,
    pub runtime_mode: RuntimeMode,
    pub interaction_mode: InteractionMode,
    pub branch: Option<String>,
    pub worktree_path: Option<String>,
}

/// Only the fields that are `Some` changed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThreadUpdated {
    pub thread_id: ThreadId,
    pub title: Option<String>,
    pub model: Option<String>,
    pub runtime_mode: Option<RuntimeMode>,
    pub interaction_mode: Option<InteractionMode>,
    pub branch: Option<String>,
    /// Only before the thread's first turn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<Provider>,
}

impl ThreadUpdated {
    /// An update of `thread_id` that changes nothing yet.
    pub fn of(thread_id: ThreadId) -> Self {
        Self {
            thread_id,
            title: None,
            model: None,
            runtime_mode: None,
            interaction_mode: None,
            branch: None,
            provider: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThreadArchived {
    pub thread_id: ThreadId,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThreadUnarchived {
    pub thread_id: ThreadId,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThreadDeleted {
    pub thread_id: ThreadId,
    pub project_id: ProjectId,
}

/// A thread with a worktree of its own is to be deleted: the worktree
/// reactor stops its agent and shells, checks for uncommitted work, removes
/// the folder, then records `thread.deleted` (or `thread.delete-failed`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThreadDeleteRequested {
    pub thread_id: ThreadId,
    /// Remove the worktree even with uncommitted changes.
    pub discard_changes: bool,
}

/// The thread's delete could not be done (uncommitted work, or the folder
/// could not be removed); the thread is as it was.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThreadDeleteFailed {
    pub thread_id: ThreadId,
    pub error: String,
}

/// A user asked for a turn; the user's message follows as `message.added`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TurnRequested {
    pub thread_id: ThreadId,
    pub turn_id: TurnId,
    /// 1-based position of the turn in its thread.
    pub number: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TurnStarted {
    pub thread_id: ThreadId,
    pub turn_id: TurnId,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TurnInterruptRequested {
    pub thread_id: ThreadId,
    pub turn_id: TurnId,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TurnCompleted {
    pub thread_id: ThreadId,
    pub turn_id: TurnId,
    pub status: TurnOutcome,
    pub error: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MessageAdded {
    pub thread_id: ThreadId,
    pub turn_id: TurnId,
    pub message_id: MessageId,
    pub role: Role,
    pub text: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
    /// True while the agent is still producing this message.
    #[serde(default)]
    pub streaming: bool,
    /// A user message sent into the turn while it runs (steering), rather
    /// than the message that started it.
    #[serde(default, skip_serializing_if = "is_false")]
    pub steer: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// A message to send as the thread's next turn once the running one has
/// completed; `turn_id` is the turn it will start.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MessageQueued {
    pub thread_id: ThreadId,
    pub message_id: MessageId,
    pub turn_id: TurnId,
    pub text: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
}

/// A queued message left the queue: cancelled, or sent (then the same batch
/// holds its `turn.requested` and `message.added`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MessageUnqueued {
    pub thread_id: ThreadId,
    pub message_id: MessageId,
}

/// Tokens the agent used since its last report, in a turn; the context it
/// holds now and how much it can, when it says.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UsageRecorded {
    pub thread_id: ThreadId,
    pub turn_id: TurnId,
    pub added: TokenUsage,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_window: Option<u64>,
    /// Its cost in millionths of a US dollar, only when the agent reports
    /// one (peon never guesses prices).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_micros: Option<u64>,
}

/// A queued message moved to position `to` (0 goes next).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueueMoved {
    pub thread_id: ThreadId,
    pub message_id: MessageId,
    pub to: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MessageDelta {
    pub thread_id: ThreadId,
    pub message_id: MessageId,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MessageCompleted {
    pub thread_id: ThreadId,
    pub message_id: MessageId,
}

/// Recorded again with the same id when an activity's status changes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActivityRecorded {
    pub thread_id: ThreadId,
    pub turn_id: TurnId,
    pub activity_id: ActivityId,
    pub kind: ActivityKind,
    pub summary: String,
    pub detail: Option<String>,
    pub status: ActivityStatus,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApprovalRequested {
    pub thread_id: ThreadId,
    pub turn_id: TurnId,
    pub approval_id: ApprovalId,
    pub kind: ApprovalKind,
    pub detail: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApprovalResolved {
    pub thread_id: ThreadId,
    pub approval_id: ApprovalId,
    pub decision: ApprovalDecision,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionChanged {
    pub thread_id: ThreadId,
    pub status: SessionStatus,
    pub provider_thread_id: Option<String>,
    pub last_error: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionStopRequested {
    pub thread_id: ThreadId,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckpointCreated {
    pub thread_id: ThreadId,
    /// `None` for the baseline taken before the first turn.
    pub turn_id: Option<TurnId>,
    pub turn_count: u32,
    pub git_ref: String,
    pub files: Vec<FileStat>,
    /// Untracked files or folders left out for their size.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RevertRequested {
    pub thread_id: ThreadId,
    pub turn_count: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThreadReverted {
    pub thread_id: ThreadId,
    pub turn_count: u32,
}

/// A requested revert could not be carried out; the folder and timeline
/// are as they were.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RevertFailed {
    pub thread_id: ThreadId,
    pub turn_count: u32,
    pub error: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SettingsUpdated {
    pub key: String,
    pub value: serde_json::Value,
}

impl OrchestrationEvent {
    /// The stream (aggregate) this event belongs to.
    pub fn stream(&self) -> (StreamKind, String) {
        use OrchestrationEvent as E;
        match self {
            E::ProjectCreated(e) => (StreamKind::Project, e.project_id.to_string()),
            E::ProjectUpdated(e) => (StreamKind::Project, e.project_id.to_string()),
            E::ProjectDeleted(e) => (StreamKind::Project, e.project_id.to_string()),
            E::ProjectDeleteRequested(e) => (StreamKind::Project, e.project_id.to_string()),
            E::ProjectDeleteFailed(e) => (StreamKind::Project, e.project_id.to_string()),
            E::SettingsUpdated(_) => (StreamKind::Settings, "settings".to_string()),
            other => (
                StreamKind::Thread,
                other.thread_id().map(|t| t.to_string()).unwrap_or_default(),
            ),
        }
    }

    /// The thread an event concerns, if any.
    pub fn thread_id(&self) -> Option<ThreadId> {
        use OrchestrationEvent as E;
        Some(match self {
            E::ProjectCreated(_)
            | E::ProjectUpdated(_)
            | E::ProjectDeleted(_)
            | E::ProjectDeleteRequested(_)
            | E::ProjectDeleteFailed(_) => return None,
            E::SettingsUpdated(_) => return None,
            E::ThreadCreated(e) => e.thread_id,
            E::ThreadUpdated(e) => e.thread_id,
            E::ThreadArchived(e) => e.thread_id,
            E::ThreadUnarchived(e) => e.thread_id,
            E::ThreadDeleted(e) => e.thread_id,
            E::TurnRequested(e) => e.thread_id,
            E::TurnStarted(e) => e.thread_id,
            E::TurnInterruptRequested(e) => e.thread_id,
            E::TurnCompleted(e) => e.thread_id,
            E::MessageAdded(e) => e.thread_id,
            E::MessageDelta(e) => e.thread_id,
            E::MessageQueued(e) => e.thread_id,
            E::MessageUnqueued(e) => e.thread_id,
            E::QueueMoved(e) => e.thread_id,
            E::UsageRecorded(e) => e.thread_id,
            E::MessageCompleted(e) => e.thread_id,
            E::ActivityRecorded(e) => e.thread_id,
            E::ApprovalRequested(e) => e.thread_id,
            E::ApprovalResolved(e) => e.thread_id,
            E::SessionChanged(e) => e.thread_id,
            E::SessionStopRequested(e) => e.thread_id,
            E::CheckpointCreated(e) => e.thread_id,
            E::RevertRequested(e) => e.thread_id,
            E::ThreadReverted(e) => e.thread_id,
            E::RevertFailed(e) => e.thread_id,
            E::ThreadDeleteRequested(e) => e.thread_id,
            E::ThreadDeleteFailed(e) => e.thread_id,
        })
    }
}
