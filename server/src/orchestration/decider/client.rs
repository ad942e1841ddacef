//! Deciding the commands a client may send.

use super::*;
use peon_app::contracts::event as ev;

/// The place of `message_id` in the thread's queue.
fn queued(t: &ThreadSummary, message_id: MessageId) -> Result<usize, Rejection> {
    t.queue
        .iter()
        .position(|q| q.message_id == message_id)
        .ok_or(Rejection::NotQueued(message_id))
}

pub fn decide_client(model: &ReadModel, command: &Command) -> Decision {
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
            project_not_being_deleted(project(model, *project_id)?)?;
            let threads = model
                .threads
                .values()
                .filter(|t| t.project_id == *project_id);
            let mut worktrees = false;
            for t in threads {
                if t.delete_requested {
                    return Err(Rejection::ThreadBeingDeleted(t.title.clone()));
                }
                worktrees |= t.worktree_path.is_some();
            }
            // Worktrees go first, through their reactor.
            if worktrees {
                return Ok(vec![
                    ev::ProjectDeleteRequested {
                        project_id: *project_id,
                    }
                    .into(),
                ]);
            }
            Ok(project_deleted(model, *project_id))
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
            project_not_being_deleted(project(model, *project_id)?)?;
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
        C::ThreadDelete {
            thread_id,
            discard_changes,
        } => {
            let t = thread(model, *thread_id)?;
            not_being_deleted(model, t)?;
            // A worktree goes first, through its reactor.
            if t.worktree_path.is_some() {
                return Ok(vec![
                    ev::ThreadDeleteRequested {
                        thread_id: *thread_id,
                        discard_changes: *discard_changes,
                    }
                    .into(),
                ]);
            }
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
        } => start_turn(
            model,
            thread(model, *thread_id)?,
            *turn_id,
            *message_id,
            text,
            attachments,
        ),
        C::TurnQueue {
            thread_id,
            turn_id,
            message_id,
            text,
            attachments,
        } => {
            let t = thread(model, *thread_id)?;
            // Nothing running and nothing waiting: it goes now.
            if t.active_turn.is_none() && t.queue.is_empty() {
                return start_turn(model, t, *turn_id, *message_id, text, attachments);
            }
            may_take_turns(model, t)?;
            if text.trim().is_empty() {
                return Err(Rejection::EmptyMessage);
            }
            if t.queue.iter().any(|q| q.message_id == *message_id) {
                return Err(Rejection::DuplicateMessage(*message_id));
            }
            if t.queue.len() >= MAX_QUEUED {
                return Err(Rejection::QueueFull);
            }
            Ok(vec![
                ev::MessageQueued {
                    thread_id: *thread_id,
                    message_id: *message_id,
                    turn_id: *turn_id,
                    text: text.clone(),
                    attachments: attachments.clone(),
                }
                .into(),
            ])
        }
        C::TurnSteer {
            thread_id,
            message_id,
            text,
        } => {
            let t = thread(model, *thread_id)?;
            may_take_turns(model, t)?;
            let active = running(t)?;
            if text.trim().is_empty() {
                return Err(Rejection::EmptyMessage);
            }
            Ok(vec![
                ev::MessageAdded {
                    thread_id: *thread_id,
                    turn_id: active.id,
                    message_id: *message_id,
                    role: Role::User,
                    text: text.clone(),
                    attachments: Vec::new(),
                    streaming: false,
                    steer: true,
                }
                .into(),
            ])
        }
        C::QueueCancel {
            thread_id,
            message_id,
        } => {
            queued(thread(model, *thread_id)?, *message_id)?;
            Ok(vec![
                ev::MessageUnqueued {
                    thread_id: *thread_id,
                    message_id: *message_id,
                }
                .into(),
            ])
        }
        C::QueueMove {
            thread_id,
            message_id,
            to,
        } => {
            let t = thread(model, *thread_id)?;
            let from = queued(t, *message_id)?;
            let to = (*to).min(t.queue.len().saturating_sub(1) as u32);
            if from == to as usize {
                return Err(Rejection::NothingToChange);
            }
            Ok(vec![
                ev::QueueMoved {
                    thread_id: *thread_id,
                    message_id: *message_id,
                    to,
                }
                .into(),
            ])
        }
        C::QueueSend {
            thread_id,
            message_id,
        } => send_queued(model, thread(model, *thread_id)?, *message_id),
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
    }
}
