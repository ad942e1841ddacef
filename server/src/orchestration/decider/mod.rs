//! `decide`: turns a command into events, or a typed rejection, from the
//! read model alone. Pure: no I/O, no clock.

mod client;
mod internal;

pub use client::decide_client;
pub use internal::decide_internal;

use peon_app::contracts::*;

/// Why a command was refused. Each message is meant for the user.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("project {0} not found")]
    UnknownProject(ProjectId),
    #[error("thread {0} not found")]
    UnknownThread(ThreadId),
    #[error("approval {0} not found, or already answered")]
    UnknownApproval(ApprovalId),
    #[error("message {0} is not streaming in this thread")]
    UnknownMessage(MessageId),
    #[error("turn {0} is not the turn running in this thread")]
    UnknownTurn(TurnId),
    #[error("a project with id {0} already exists")]
    DuplicateProject(ProjectId),
    #[error("a thread with id {0} already exists")]
    DuplicateThread(ThreadId),
    #[error("a turn is already running in this thread; wait for it or stop it first")]
    TurnAlreadyRunning,
    #[error("no turn is running in this thread")]
    NothingRunning,
    #[error("cannot revert to turn {requested}: {reason}")]
    RevertOutOfRange { requested: u32, reason: String },
    #[error("a message cannot be empty")]
    EmptyMessage,
    #[error("a title cannot be empty")]
    EmptyTitle,
    #[error("the thread is archived; unarchive it first")]
    ThreadArchived,
    #[error("the thread is already archived")]
    AlreadyArchived,
    #[error("the thread is not archived")]
    NotArchived,
    #[error("a setting needs a name")]
    EmptySettingKey,
    #[error("nothing to change")]
    NothingToChange,
    #[error("the agent of a thread can only be changed before its first turn")]
    AgentFixed,
    #[error("{0} has no plan mode")]
    NoPlanMode(&'static str),
    #[error("no revert to that turn is under way")]
    NoRevertPending,
    #[error("the thread is being reverted to turn {0}; wait for the revert to finish")]
    RevertPending(u32),
    #[error("the thread is being deleted")]
    BeingDeleted,
    #[error("no delete of this thread is under way")]
    NoDeletePending,
    #[error("the project is being deleted")]
    ProjectBeingDeleted,
    #[error("no delete of this project is under way")]
    NoProjectDeletePending,
    #[error("thread \"{0}\" of this project is being deleted; wait for it to finish")]
    ThreadBeingDeleted(String),
    #[error("the workspace {path} cannot be used: {reason}")]
    InvalidWorkspace { path: String, reason: String },
    #[error("message {0} is not in this thread's queue")]
    NotQueued(MessageId),
    #[error("a message with id {0} is already queued")]
    DuplicateMessage(MessageId),
    #[error("the queue holds {MAX_QUEUED} messages already; wait for one to be sent")]
    QueueFull,
    #[error("command id {0} was already used for a different command")]
    CommandIdReused(CommandId),
}

impl Rejection {
    /// A stable name for the rejection, for clients to match on.
    pub fn code(&self) -> &'static str {
        use Rejection as R;
        match self {
            R::UnknownProject(_) => "unknown_project",
            R::UnknownThread(_) => "unknown_thread",
            R::UnknownApproval(_) => "unknown_approval",
            R::UnknownMessage(_) => "unknown_message",
            R::UnknownTurn(_) => "unknown_turn",
            R::DuplicateProject(_) => "duplicate_project",
            R::DuplicateThread(_) => "duplicate_thread",
            R::TurnAlreadyRunning => "turn_already_running",
            R::NothingRunning => "nothing_running",
            R::RevertOutOfRange { .. } => "revert_out_of_range",
            R::EmptyMessage => "empty_message",
            R::EmptyTitle => "empty_title",
            R::ThreadArchived => "thread_archived",
            R::AlreadyArchived => "already_archived",
            R::NotArchived => "not_archived",
            R::EmptySettingKey => "empty_setting_key",
            R::NothingToChange => "nothing_to_change",
            R::AgentFixed => "agent_fixed",
            R::NoPlanMode(_) => "no_plan_mode",
            R::NoRevertPending => "no_revert_pending",
            R::RevertPending(_) => "revert_pending",
            R::BeingDeleted => "being_deleted",
            R::NoDeletePending => "no_delete_pending",
            R::ProjectBeingDeleted => "project_being_deleted",
            R::NoProjectDeletePending => "no_project_delete_pending",
            R::ThreadBeingDeleted(_) => "thread_being_deleted",
            R::InvalidWorkspace { .. } => "invalid_workspace",
            R::NotQueued(_) => "not_queued",
            R::DuplicateMessage(_) => "duplicate_message",
            R::QueueFull => "queue_full",
            R::CommandIdReused(_) => "command_id_reused",
        }
    }
}

pub(super) type Decision = Result<Vec<OrchestrationEvent>, Rejection>;

/// Decides a command of either kind.
pub fn decide(model: &ReadModel, command: &AnyCommand) -> Decision {
    match command {
        AnyCommand::Client(c) => decide_client(model, c),
        AnyCommand::Internal(c) => decide_internal(model, c),
    }
}

/// A revert settles only the revert that was asked for.
pub(super) fn revert_pending_for(t: &ThreadSummary, turn_count: u32) -> Result<(), Rejection> {
    if t.revert_requested == Some(turn_count) {
        Ok(())
    } else {
        Err(Rejection::NoRevertPending)
    }
}

/// A thread whose worktree is being removed, or whose project's worktrees
/// are, takes no more turns and no second delete.
pub(super) fn not_being_deleted(model: &ReadModel, t: &ThreadSummary) -> Result<(), Rejection> {
    if t.delete_requested {
        return Err(Rejection::BeingDeleted);
    }
    match model.projects.get(&t.project_id) {
        Some(p) => project_not_being_deleted(p),
        None => Ok(()),
    }
}

pub(super) fn project_not_being_deleted(p: &Project) -> Result<(), Rejection> {
    if p.delete_requested {
        Err(Rejection::ProjectBeingDeleted)
    } else {
        Ok(())
    }
}

/// A project's delete: each of its threads, then the project.
pub(super) fn project_deleted(model: &ReadModel, project_id: ProjectId) -> Vec<OrchestrationEvent> {
    let mut events: Vec<OrchestrationEvent> = model
        .threads
        .values()
        .filter(|t| t.project_id == project_id)
        .map(|t| {
            event::ThreadDeleted {
                thread_id: t.id,
                project_id,
            }
            .into()
        })
        .collect();
    events.push(event::ProjectDeleted { project_id }.into());
    events
}

/// While a revert runs the thread's history is about to change: nothing may
/// add to it or answer for it until the revert is done.
pub(super) fn no_revert_pending(t: &ThreadSummary) -> Result<(), Rejection> {
    match t.revert_requested {
        Some(n) => Err(Rejection::RevertPending(n)),
        None => Ok(()),
    }
}

/// A new turn: its request, the user's message, and a title taken from the
/// message for a thread made without one. Shared by every way a turn
/// starts (sent, sent from the queue, the queue's next after a turn).
pub(super) fn start_turn(
    model: &ReadModel,
    t: &ThreadSummary,
    turn_id: TurnId,
    message_id: MessageId,
    text: &str,
    attachments: &[Attachment],
) -> Decision {
    may_take_turns(model, t)?;
    if t.active_turn.is_some() {
        return Err(Rejection::TurnAlreadyRunning);
    }
    if text.trim().is_empty() {
        return Err(Rejection::EmptyMessage);
    }
    let mut events: Vec<OrchestrationEvent> = vec![
        event::TurnRequested {
            thread_id: t.id,
            turn_id,
            number: t.turn_count + 1,
        }
        .into(),
        event::MessageAdded {
            thread_id: t.id,
            turn_id,
            message_id,
            role: Role::User,
            text: text.to_string(),
            attachments: attachments.to_vec(),
            streaming: false,
            steer: false,
        }
        .into(),
    ];
    if t.turn_count == 0
        && t.title == NEW_THREAD_TITLE
        && let Some(title) = title_from_message(text)
    {
        events.push(
            event::ThreadUpdated {
                title: Some(title),
                ..event::ThreadUpdated::of(t.id)
            }
            .into(),
        );
    }
    Ok(events)
}

/// A thread that is archived, being reverted or being deleted takes no
/// turns, queued or not.
pub(super) fn may_take_turns(model: &ReadModel, t: &ThreadSummary) -> Result<(), Rejection> {
    if t.archived {
        return Err(Rejection::ThreadArchived);
    }
    no_revert_pending(t)?;
    not_being_deleted(model, t)
}

/// The queued message `message_id` leaves the queue and starts its turn.
pub(super) fn send_queued(model: &ReadModel, t: &ThreadSummary, message_id: MessageId) -> Decision {
    let queued = t
        .queue
        .iter()
        .find(|q| q.message_id == message_id)
        .ok_or(Rejection::NotQueued(message_id))?;
    let mut events: Vec<OrchestrationEvent> = vec![
        event::MessageUnqueued {
            thread_id: t.id,
            message_id,
        }
        .into(),
    ];
    events.extend(start_turn(
        model,
        t,
        queued.turn_id,
        message_id,
        &queued.text,
        &queued.attachments,
    )?);
    Ok(events)
}

pub(super) fn project(model: &ReadModel, id: ProjectId) -> Result<&Project, Rejection> {
    model.projects.get(&id).ok_or(Rejection::UnknownProject(id))
}

pub(super) fn thread(model: &ReadModel, id: ThreadId) -> Result<&ThreadSummary, Rejection> {
    model.threads.get(&id).ok_or(Rejection::UnknownThread(id))
}

pub(super) fn running(t: &ThreadSummary) -> Result<&ActiveTurn, Rejection> {
    t.active_turn.as_ref().ok_or(Rejection::NothingRunning)
}

/// Plan mode exists only for agents that have one (Claude Code).
pub(super) fn plan_mode_allowed(
    provider: Provider,
    mode: InteractionMode,
) -> Result<(), Rejection> {
    match (provider, mode) {
        (Provider::Codex, InteractionMode::Plan) => Err(Rejection::NoPlanMode("Codex")),
        _ => Ok(()),
    }
}

pub(super) fn non_empty(text: &str) -> Result<String, Rejection> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        Err(Rejection::EmptyTitle)
    } else {
        Ok(trimmed.to_string())
    }
}

pub(super) fn check_revert_target(t: &ThreadSummary, requested: u32) -> Result<(), Rejection> {
    match t.checkpoint_turn_count {
        None => Err(Rejection::RevertOutOfRange {
            requested,
            reason: "this thread has no checkpoints".to_string(),
        }),
        Some(latest) if requested > latest => Err(Rejection::RevertOutOfRange {
            requested,
            reason: format!("the latest checkpoint is turn {latest}"),
        }),
        Some(_) => Ok(()),
    }
}
