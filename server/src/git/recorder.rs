//! The checkpoint reactor: the folder before a turn (when the previous
//! checkpoint is missing, e.g. before the first turn) and after it, each
//! recorded in the log with the turn's per-file stats; and a revert carried
//! out, recorded as done or failed.

use super::{GitError, Limits, capture, diff, open};
use crate::orchestration::Engine;
use crate::persistence::projection_reader;
use peon_app::contracts::*;
use std::path::PathBuf;

/// Makes sure the checkpoint before turn `number` exists.
pub async fn before_turn(
    engine: &Engine,
    thread: ThreadId,
    cwd: PathBuf,
    number: u32,
    limits: &Limits,
) {
    let previous = number.saturating_sub(1);
    let dir = cwd.clone();
    let exists = tokio::task::spawn_blocking(move || {
        open(&dir).is_ok_and(|repo| {
            repo.find_reference(&super::checkpoint_ref(thread, previous))
                .is_ok()
        })
    })
    .await
    .unwrap_or(false);
    if !exists {
        record(engine, thread, cwd, None, previous, limits).await;
    }
}

/// Takes the checkpoints a previous run could not: turns it settled while
/// stopping (or that a crash cut short) have none. Runs once at start, for
/// each thread whose last turn lacks one.
pub async fn after_restart(
    engine: &Engine,
    pool: &sqlx::SqlitePool,
    model: &ReadModel,
    limits: &Limits,
) {
    for thread in model.threads.values() {
        let missing = thread.active_turn.is_none()
            && thread.turn_count > 0
            && thread.checkpoint_turn_count != Some(thread.turn_count);
        if !missing {
            continue;
        }
        let turn = projection_reader::turn_id(pool, thread.id, thread.turn_count).await;
        let cwd = model.folder_of(thread).map(PathBuf::from);
        if let (Ok(Some(turn)), Some(cwd)) = (turn, cwd) {
            after_turn(engine, thread.id, cwd, turn, thread.turn_count, limits).await;
        }
    }
}

/// Captures the folder after turn `number` and records it with the turn's
/// change against the checkpoint before it.
pub async fn after_turn(
    engine: &Engine,
    thread: ThreadId,
    cwd: PathBuf,
    turn: TurnId,
    number: u32,
    limits: &Limits,
) {
    record(engine, thread, cwd, Some(turn), number, limits).await;
}

async fn record(
    engine: &Engine,
    thread: ThreadId,
    cwd: PathBuf,
    turn_id: Option<TurnId>,
    turn_count: u32,
    limits: &Limits,
) {
    let limits = limits.clone();
    let taken = tokio::task::spawn_blocking(move || -> Result<_, GitError> {
        let c = capture(&cwd, thread, turn_count, &limits)?;
        let files = if turn_count == 0 {
            Vec::new()
        } else {
            // No earlier checkpoint (git came later): no stats to show.
            diff(&cwd, thread, turn_count - 1, turn_count)
                .map(|d| d.stats())
                .unwrap_or_default()
        };
        Ok((c, files))
    })
    .await;
    let (c, files) = match taken {
        Ok(Ok(taken)) => taken,
        // Checkpoints are simply off for folders without git.
        Ok(Err(GitError::NotARepository(_))) => return,
        Ok(Err(e)) => {
            tracing::warn!(%thread, "no checkpoint after turn {turn_count}: {e}");
            return;
        }
        Err(e) => {
            tracing::warn!(%thread, "checkpoint task failed: {e}");
            return;
        }
    };
    let command = InternalCommand::RecordCheckpoint {
        thread_id: thread,
        turn_id,
        turn_count,
        git_ref: c.git_ref,
        files,
        skipped: c.skipped,
    };
    if let Err(e) = engine.dispatch_internal(command, Actor::Server, None).await {
        tracing::debug!(%thread, "checkpoint not recorded: {e}");
    }
}

/// Restores the thread's folder to checkpoint `turn_count` and records the
/// outcome (the agent has been stopped by the caller).
pub async fn revert(
    engine: &Engine,
    thread: ThreadId,
    cwd: PathBuf,
    turn_count: u32,
    limits: &Limits,
) {
    let limits = limits.clone();
    let done =
        tokio::task::spawn_blocking(move || super::revert(&cwd, thread, turn_count, &limits))
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r.map_err(|e| e.to_string()));
    let command = match done {
        Ok(()) => InternalCommand::CompleteRevert {
            thread_id: thread,
            turn_count,
        },
        Err(e) => InternalCommand::FailRevert {
            thread_id: thread,
            turn_count,
            error: format!("could not revert to turn {turn_count}: {e}"),
        },
    };
    if let Err(e) = engine.dispatch_internal(command, Actor::Server, None).await {
        tracing::warn!(%thread, "revert outcome not recorded: {e}");
    }
}
