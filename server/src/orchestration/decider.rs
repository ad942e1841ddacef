//! `decide`: turns a command into events, or a typed rejection, from the
//! read model alone. Pure: no I/O, no clock.

use peon_app::contracts::event as ev;
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
    #[error("the workspace {path} cannot be used: {reason}")]
    InvalidWorkspace { path: String, reason: String },
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
            R::InvalidWorkspace { .. } => "invalid_workspace",
            R::CommandIdReused(_) => "command_id_reused",
        }
    }
}

type Decision = Result<Vec<OrchestrationEvent>, Rejection>;

pub fn decide(model: &ReadModel, command: &Command) -> Decision {
    use Command as C;
    match command {
        C::ProjectCreate {
            project_id,
            title,
            workspace_root,
            default_model,
        } => {
            if model.projects.contains_key(project_id) {
                return Err(Rejection::DuplicateProject(*project_id));
            }
            Ok(vec![
                ev::ProjectCreated {
                    project_id: *project_id,
                    title: non_empty(title)?,
                    workspace_root: workspace_root.clone(),
                    default_model: default_model.clone(),
                }
                .into(),
            ])
        }
        C::ProjectUpdate {
            project_id,
            title,
            default_model,
        } => {
            project(model, *project_id)?;
            if title.is_none() && default_model.is_none() {
                return Err(Rejection::NothingToChange);
            }
            Ok(vec![
                ev::ProjectUpdated {
                    project_id: *project_id,
                    title: title.as_deref().map(non_empty).transpose()?,
                    default_model: default_model.clone(),
                }
                .into(),
            ])
        }
        C::ProjectDelete { project_id } => {
            project(model, *project_id)?;
            let mut events: Vec<OrchestrationEvent> = model
                .threads
                .values()
                .filter(|t| t.project_id == *project_id)
                .map(|t| {
                    ev::ThreadDeleted {
                        thread_id: t.id,
                        project_id: *project_id,
                    }
                    .into()
                })
                .collect();
            events.push(
                ev::ProjectDeleted {
                    project_id: *project_id,
                }
                .into(),
            );
            Ok(events)
        }
        C::ThreadCreate {
            thread_id,
            project_id,
            title,
            provider,
            model: agent_model,
            runtime_mode,
            interaction_mode,
            branch,
            worktree_path,
            worktree: _,
        } => {
            project(model, *project_id)?;
            if model.threads.contains_key(thread_id) {
                return Err(Rejection::DuplicateThread(*thread_id));
            }
            plan_mode_allowed(*provider, *interaction_mode)?;
            Ok(vec![
                ev::ThreadCreated {
                    thread_id: *thread_id,
                    project_id: *project_id,
                    title: non_empty(title)?,
                    provider: *provider,
                    model: agent_model.clone(),
                    runtime_mode: *runtime_mode,
                    interaction_mode: *interaction_mode,
                    branch: branch.clone(),
                    worktree_path: worktree_path.clone(),
                }
                .into(),
            ])
        }
        C::ThreadUpdate {
            thread_id,
            title,
            model: agent_model,
            branch,
            provider,
        } => {
            let t = thread(model, *thread_id)?;
            if title.is_none() && agent_model.is_none() && branch.is_none() && provider.is_none() {
                return Err(Rejection::NothingToChange);
            }
            // The agent's conversation belongs to one agent.
            if provider.is_some_and(|p| p != t.provider) && t.turn_count > 0 {
                return Err(Rejection::AgentFixed);
            }
            if let Some(p) = provider {
                plan_mode_allowed(*p, t.interaction_mode)?;
            }
            Ok(vec![
                ev::ThreadUpdated {
                    title: title.as_deref().map(non_empty).transpose()?,
                    model: agent_model.clone(),
                    branch: branch.clone(),
                    provider: *provider,
                    ..ev::ThreadUpdated::of(*thread_id)
                }
                .into(),
            ])
        }
        C::ThreadSetRuntimeMode {
            thread_id,
            runtime_mode,
        } => {
            thread(model, *thread_id)?;
            Ok(vec![
                ev::ThreadUpdated {
                    runtime_mode: Some(*runtime_mode),
                    ..ev::ThreadUpdated::of(*thread_id)
                }
                .into(),
            ])
        }
        C::ThreadSetInteractionMode {
            thread_id,
            interaction_mode,
        } => {
            plan_mode_allowed(thread(model, *thread_id)?.provider, *interaction_mode)?;
            Ok(vec![
                ev::ThreadUpdated {
                    interaction_mode: Some(*interaction_mode),
                    ..ev::ThreadUpdated::of(*thread_id)
                }
                .into(),
            ])
        }
        C::ThreadArchive { thread_id } => {
            if thread(model, *thread_id)?.archived {
                return Err(Rejection::AlreadyArchived);
            }
            Ok(vec![
                ev::ThreadArchived {
                    thread_id: *thread_id,
                }
                .into(),
            ])
        }
        C::ThreadUnarchive { thread_id } => {
            if !thread(model, *thread_id)?.archived {
                return Err(Rejection::NotArchived);
            }
            Ok(vec![
                ev::ThreadUnarchived {
                    thread_id: *thread_id,
                }
                .into(),
            ])
        }
        C::ThreadDelete { thread_id, .. } => {
            let t = thread(model, *thread_id)?;
            Ok(vec![
                ev::ThreadDeleted {
                    thread_id: *thread_id,
                    project_id: t.project_id,
                }
                .into(),
            ])
        }
        C::TurnStart {
            thread_id,
            turn_id,
            message_id,
            text,
            attachments,
        } => {
            let t = thread(model, *thread_id)?;
            if t.archived {
                return Err(Rejection::ThreadArchived);
            }
            no_revert_pending(t)?;
            if t.active_turn.is_some() {
                return Err(Rejection::TurnAlreadyRunning);
            }
            if text.trim().is_empty() {
                return Err(Rejection::EmptyMessage);
            }
            Ok(vec![
                ev::TurnRequested {
                    thread_id: *thread_id,
                    turn_id: *turn_id,
                    number: t.turn_count + 1,
                }
                .into(),
                ev::MessageAdded {
                    thread_id: *thread_id,
                    turn_id: *turn_id,
                    message_id: *message_id,
                    role: Role::User,
                    text: text.clone(),
                    attachments: attachments.clone(),
                    streaming: false,
                }
                .into(),
            ])
        }
        C::TurnInterrupt { thread_id } => {
            let active = running(thread(model, *thread_id)?)?;
            Ok(vec![
                ev::TurnInterruptRequested {
                    thread_id: *thread_id,
                    turn_id: active.id,
                }
                .into(),
            ])
        }
        C::ApprovalRespond {
            thread_id,
            approval_id,
            decision,
        } => {
            let t = thread(model, *thread_id)?;
            no_revert_pending(t)?;
            if !t.pending_approvals.contains_key(approval_id) {
                return Err(Rejection::UnknownApproval(*approval_id));
            }
            Ok(vec![
                ev::ApprovalResolved {
                    thread_id: *thread_id,
                    approval_id: *approval_id,
                    decision: *decision,
                }
                .into(),
            ])
        }
        C::CheckpointRevert {
            thread_id,
            turn_count,
        } => {
            let t = thread(model, *thread_id)?;
            no_revert_pending(t)?;
            if t.active_turn.is_some() {
                return Err(Rejection::TurnAlreadyRunning);
            }
            check_revert_target(t, *turn_count)?;
            Ok(vec![
                ev::RevertRequested {
                    thread_id: *thread_id,
                    turn_count: *turn_count,
                }
                .into(),
            ])
        }
        C::SessionStop { thread_id } => {
            thread(model, *thread_id)?;
            Ok(vec![
                ev::SessionStopRequested {
                    thread_id: *thread_id,
                }
                .into(),
            ])
        }
        C::SettingsUpdate { key, value } => {
            if key.trim().is_empty() {
                return Err(Rejection::EmptySettingKey);
            }
            Ok(vec![
                ev::SettingsUpdated {
                    key: key.trim().to_string(),
                    value: value.clone(),
                }
                .into(),
            ])
        }
        C::MessageDelta {
            thread_id,
            message_id,
            text,
        } => {
            let t = thread(model, *thread_id)?;
            if t.open_messages.contains_key(message_id) {
                return Ok(vec![
                    ev::MessageDelta {
                        thread_id: *thread_id,
                        message_id: *message_id,
                        text: text.clone(),
                    }
                    .into(),
                ]);
            }
            let active = running(t)?;
            Ok(vec![
                ev::MessageAdded {
                    thread_id: *thread_id,
                    turn_id: active.id,
                    message_id: *message_id,
                    role: Role::Assistant,
                    text: text.clone(),
                    attachments: Vec::new(),
                    streaming: true,
                }
                .into(),
            ])
        }
        C::MessageComplete {
            thread_id,
            message_id,
        } => {
            let t = thread(model, *thread_id)?;
            if !t.open_messages.contains_key(message_id) {
                return Err(Rejection::UnknownMessage(*message_id));
            }
            Ok(vec![
                ev::MessageCompleted {
                    thread_id: *thread_id,
                    message_id: *message_id,
                }
                .into(),
            ])
        }
        C::RecordActivity {
            thread_id,
            activity_id,
            kind,
            summary,
            detail,
            status,
        } => {
            let active = running(thread(model, *thread_id)?)?;
            Ok(vec![
                ev::ActivityRecorded {
                    thread_id: *thread_id,
                    turn_id: active.id,
                    activity_id: *activity_id,
                    kind: *kind,
                    summary: summary.clone(),
                    detail: detail.clone(),
                    status: *status,
                }
                .into(),
            ])
        }
        C::RequestApproval {
            thread_id,
            approval_id,
            kind,
            detail,
        } => {
            let active = running(thread(model, *thread_id)?)?;
            Ok(vec![
                ev::ApprovalRequested {
                    thread_id: *thread_id,
                    turn_id: active.id,
                    approval_id: *approval_id,
                    kind: *kind,
                    detail: detail.clone(),
                }
                .into(),
            ])
        }
        C::ChangeSession {
            thread_id,
            status,
            provider_thread_id,
            last_error,
        } => {
            thread(model, *thread_id)?;
            Ok(vec![
                ev::SessionChanged {
                    thread_id: *thread_id,
                    status: *status,
                    provider_thread_id: provider_thread_id.clone(),
                    last_error: last_error.clone(),
                }
                .into(),
            ])
        }
        C::MarkTurnStarted { thread_id, turn_id } => {
            let active = running(thread(model, *thread_id)?)?;
            if active.id != *turn_id {
                return Err(Rejection::UnknownTurn(*turn_id));
            }
            Ok(vec![
                ev::TurnStarted {
                    thread_id: *thread_id,
                    turn_id: *turn_id,
                }
                .into(),
            ])
        }
        C::CompleteTurn {
            thread_id,
            turn_id,
            status,
            error,
        } => {
            let active = running(thread(model, *thread_id)?)?;
            if active.id != *turn_id {
                return Err(Rejection::UnknownTurn(*turn_id));
            }
            Ok(vec![
                ev::TurnCompleted {
                    thread_id: *thread_id,
                    turn_id: *turn_id,
                    status: *status,
                    error: error.clone(),
                }
                .into(),
            ])
        }
        C::RecordCheckpoint {
            thread_id,
            turn_id,
            turn_count,
            git_ref,
            files,
            skipped,
        } => {
            thread(model, *thread_id)?;
            Ok(vec![
                ev::CheckpointCreated {
                    thread_id: *thread_id,
                    turn_id: *turn_id,
                    turn_count: *turn_count,
                    git_ref: git_ref.clone(),
                    files: files.clone(),
                    skipped: skipped.clone(),
                }
                .into(),
            ])
        }
        C::FailRevert {
            thread_id,
            turn_count,
            error,
        } => revert_failed(model, *thread_id, *turn_count, error),
        C::CompleteRevert {
            thread_id,
            turn_count,
        } => {
            revert_pending_for(thread(model, *thread_id)?, *turn_count)?;
            Ok(vec![
                ev::ThreadReverted {
                    thread_id: *thread_id,
                    turn_count: *turn_count,
                }
                .into(),
            ])
        }
    }
}

fn revert_failed(model: &ReadModel, thread_id: ThreadId, turn_count: u32, error: &str) -> Decision {
    revert_pending_for(thread(model, thread_id)?, turn_count)?;
    Ok(vec![
        ev::RevertFailed {
            thread_id,
            turn_count,
            error: error.to_string(),
        }
        .into(),
    ])
}

/// A revert settles only the revert that was asked for.
fn revert_pending_for(t: &ThreadSummary, turn_count: u32) -> Result<(), Rejection> {
    if t.revert_requested == Some(turn_count) {
        Ok(())
    } else {
        Err(Rejection::NoRevertPending)
    }
}

/// While a revert runs the thread's history is about to change: nothing may
/// add to it or answer for it until the revert is done.
fn no_revert_pending(t: &ThreadSummary) -> Result<(), Rejection> {
    match t.revert_requested {
        Some(n) => Err(Rejection::RevertPending(n)),
        None => Ok(()),
    }
}

fn project(model: &ReadModel, id: ProjectId) -> Result<&Project, Rejection> {
    model.projects.get(&id).ok_or(Rejection::UnknownProject(id))
}

fn thread(model: &ReadModel, id: ThreadId) -> Result<&ThreadSummary, Rejection> {
    model.threads.get(&id).ok_or(Rejection::UnknownThread(id))
}

fn running(t: &ThreadSummary) -> Result<&ActiveTurn, Rejection> {
    t.active_turn.as_ref().ok_or(Rejection::NothingRunning)
}

/// Plan mode exists only for agents that have one (Claude Code).
fn plan_mode_allowed(provider: Provider, mode: InteractionMode) -> Result<(), Rejection> {
    match (provider, mode) {
        (Provider::Codex, InteractionMode::Plan) => Err(Rejection::NoPlanMode("Codex")),
        _ => Ok(()),
    }
}

fn non_empty(text: &str) -> Result<String, Rejection> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        Err(Rejection::EmptyTitle)
    } else {
        Ok(trimmed.to_string())
    }
}

fn check_revert_target(t: &ThreadSummary, requested: u32) -> Result<(), Rejection> {
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
