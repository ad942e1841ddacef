//! Deciding the commands the server's reactors send: an agent's progress,
//! checkpoints, a revert's outcome, turns settled at start-up.

use super::*;
use peon_app::contracts::event as ev;

pub fn decide_internal(model: &ReadModel, command: &InternalCommand) -> Decision {
    use InternalCommand as C;
    match command {
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
                    steer: false,
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
        C::RecordUsage {
            thread_id,
            added,
            context_tokens,
            context_window,
            cost_micros,
        } => {
            let active = running(thread(model, *thread_id)?)?;
            Ok(vec![
                ev::UsageRecorded {
                    thread_id: *thread_id,
                    turn_id: active.id,
                    added: *added,
                    context_tokens: *context_tokens,
                    context_window: *context_window,
                    cost_micros: *cost_micros,
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
            let t = thread(model, *thread_id)?;
            let active = running(t)?;
            if active.id != *turn_id {
                return Err(Rejection::UnknownTurn(*turn_id));
            }
            let completed = ev::TurnCompleted {
                thread_id: *thread_id,
                turn_id: *turn_id,
                status: *status,
                error: error.clone(),
            };
            let mut events: Vec<OrchestrationEvent> = vec![completed.into()];
            // A turn that did what it was asked is followed by the next
            // queued message, in the same batch: it cannot be lost or sent
            // twice. A failed or interrupted one leaves the queue waiting.
            if *status == TurnOutcome::Completed
                && let Some(next) = t.queue.first()
            {
                // Decided against the thread as it is once this turn ended.
                let mut after = t.clone();
                after.active_turn = None;
                if let Ok(more) = send_queued(model, &after, next.message_id) {
                    events.extend(more);
                }
            }
            Ok(events)
        }
        C::SendQueued { thread_id } => {
            let t = thread(model, *thread_id)?;
            let next = t.queue.first().ok_or(Rejection::NothingToChange)?;
            send_queued(model, t, next.message_id)
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
        C::CompleteDelete { thread_id } => {
            let t = delete_pending(model, *thread_id)?;
            Ok(vec![
                ev::ThreadDeleted {
                    thread_id: *thread_id,
                    project_id: t.project_id,
                }
                .into(),
            ])
        }
        C::FailDelete { thread_id, error } => {
            delete_pending(model, *thread_id)?;
            Ok(vec![
                ev::ThreadDeleteFailed {
                    thread_id: *thread_id,
                    error: error.clone(),
                }
                .into(),
            ])
        }
        C::CompleteProjectDelete { project_id } => {
            project_delete_pending(model, *project_id)?;
            Ok(project_deleted(model, *project_id))
        }
        C::FailProjectDelete { project_id, error } => {
            project_delete_pending(model, *project_id)?;
            Ok(vec![
                ev::ProjectDeleteFailed {
                    project_id: *project_id,
                    error: error.clone(),
                }
                .into(),
            ])
        }
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

/// Only a project delete that was asked for completes or fails.
fn project_delete_pending(model: &ReadModel, project_id: ProjectId) -> Result<(), Rejection> {
    if project(model, project_id)?.delete_requested {
        Ok(())
    } else {
        Err(Rejection::NoProjectDeletePending)
    }
}

/// Only a delete that was asked for completes or fails.
fn delete_pending(model: &ReadModel, thread_id: ThreadId) -> Result<&ThreadSummary, Rejection> {
    let t = thread(model, thread_id)?;
    if t.delete_requested {
        Ok(t)
    } else {
        Err(Rejection::NoDeletePending)
    }
}
