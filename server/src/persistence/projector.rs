//! Writes projection tables from events, in the same transaction as the
//! events themselves, and rebuilds them from the log.

use super::event_store::{EventStore, StoreError};
use super::rows::time_text;
use futures::StreamExt;
use peon_app::contracts::*;
use sqlx::{Sqlite, SqliteConnection, Transaction};

/// The projector's name in `projection_state`.
pub const PROJECTOR: &str = "main";

/// Every projection table, in the order a rebuild clears them.
pub const PROJECTION_TABLES: &[&str] = &[
    "projection_projects",
    "projection_threads",
    "projection_turns",
    "projection_messages",
    "projection_activities",
    "projection_approvals",
    "projection_checkpoints",
    "projection_sessions",
    "projection_settings",
    "projection_queue",
    "projection_state",
];

/// Applies a batch of stored events to the projection tables and records
/// the last applied sequence.
pub async fn project_all(
    conn: &mut SqliteConnection,
    events: &[StoredEvent],
) -> Result<(), StoreError> {
    let Some(last) = events.last() else {
        return Ok(());
    };
    for event in events {
        project(conn, event).await?;
    }
    sqlx::query(
        "INSERT INTO projection_state (projector, last_sequence) VALUES (?, ?) \
         ON CONFLICT (projector) DO UPDATE SET last_sequence = excluded.last_sequence",
    )
    .bind(PROJECTOR)
    .bind(last.sequence as i64)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn exec<'q>(
    conn: &mut SqliteConnection,
    query: sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments<'q>>,
) -> Result<(), StoreError> {
    query.execute(&mut *conn).await?;
    Ok(())
}

async fn project(conn: &mut SqliteConnection, stored: &StoredEvent) -> Result<(), StoreError> {
    use OrchestrationEvent as E;
    let at = time_text(stored.occurred_at);
    let version = stored.stream_version as i64;
    let seq = stored.sequence as i64;
    if let Some(thread_id) = stored.event.thread_id()
        && !matches!(stored.event, E::ThreadCreated(_) | E::ThreadDeleted(_))
    {
        exec(
            conn,
            sqlx::query("UPDATE projection_threads SET version = ?, updated_at = ? WHERE id = ?")
                .bind(version)
                .bind(&at)
                .bind(thread_id.to_string()),
        )
        .await?;
    }
    match &stored.event {
        E::ProjectCreated(e) => {
            exec(
                conn,
                sqlx::query(
                    "INSERT INTO projection_projects (id, title, workspace_root, default_model, \
                     created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(e.project_id.to_string())
                .bind(&e.title)
                .bind(&e.workspace_root)
                .bind(&e.default_model)
                .bind(&at)
                .bind(&at)
                .bind(version),
            )
            .await
        }
        E::ProjectUpdated(e) => {
            exec(
                conn,
                sqlx::query(
                    "UPDATE projection_projects SET title = COALESCE(?, title), \
                     default_model = COALESCE(?, default_model), updated_at = ?, version = ? \
                     WHERE id = ?",
                )
                .bind(&e.title)
                .bind(&e.default_model)
                .bind(&at)
                .bind(version)
                .bind(e.project_id.to_string()),
            )
            .await
        }
        E::ProjectDeleted(e) => {
            exec(
                conn,
                sqlx::query("DELETE FROM projection_projects WHERE id = ?")
                    .bind(e.project_id.to_string()),
            )
            .await
        }
        E::ProjectDeleteRequested(e) => {
            exec(
                conn,
                sqlx::query(
                    "UPDATE projection_projects SET delete_requested = 1, delete_error = NULL, \
                     updated_at = ?, version = ? WHERE id = ?",
                )
                .bind(&at)
                .bind(version)
                .bind(e.project_id.to_string()),
            )
            .await
        }
        E::ProjectDeleteFailed(e) => {
            exec(
                conn,
                sqlx::query(
                    "UPDATE projection_projects SET delete_requested = 0, delete_error = ?, \
                     updated_at = ?, version = ? WHERE id = ?",
                )
                .bind(&e.error)
                .bind(&at)
                .bind(version)
                .bind(e.project_id.to_string()),
            )
            .await
        }
        E::ThreadCreated(e) => {
            exec(
                conn,
                sqlx::query(
                    "INSERT INTO projection_threads (id, project_id, title, provider, model, \
                     runtime_mode, interaction_mode, branch, worktree_path, created_at, updated_at, \
                     version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(e.thread_id.to_string())
                .bind(e.project_id.to_string())
                .bind(&e.title)
                .bind(e.provider.as_str())
                .bind(&e.model)
                .bind(e.runtime_mode.as_str())
                .bind(e.interaction_mode.as_str())
                .bind(&e.branch)
                .bind(&e.worktree_path)
                .bind(&at)
                .bind(&at)
                .bind(version),
            )
            .await
        }
        E::ThreadUpdated(e) => {
            exec(
                conn,
                sqlx::query(
                    "UPDATE projection_threads SET title = COALESCE(?, title), \
                     model = COALESCE(?, model), runtime_mode = COALESCE(?, runtime_mode), \
                     interaction_mode = COALESCE(?, interaction_mode), branch = COALESCE(?, branch), \
                     provider = COALESCE(?, provider) WHERE id = ?",
                )
                .bind(&e.title)
                .bind(&e.model)
                .bind(e.runtime_mode.map(|m| m.as_str()))
                .bind(e.interaction_mode.map(|m| m.as_str()))
                .bind(&e.branch)
                .bind(e.provider.map(|p| p.as_str()))
                .bind(e.thread_id.to_string()),
            )
            .await
        }
        E::ThreadArchived(e) => set_archived(conn, e.thread_id, true).await,
        E::ThreadUnarchived(e) => set_archived(conn, e.thread_id, false).await,
        E::ThreadDeleted(e) => {
            let id = e.thread_id.to_string();
            for table in [
                "projection_messages",
                "projection_activities",
                "projection_approvals",
                "projection_turns",
                "projection_checkpoints",
                "projection_sessions",
                "projection_queue",
            ] {
                exec(
                    conn,
                    sqlx::query(&format!("DELETE FROM {table} WHERE thread_id = ?")).bind(&id),
                )
                .await?;
            }
            exec(
                conn,
                sqlx::query("DELETE FROM projection_threads WHERE id = ?").bind(&id),
            )
            .await
        }
        E::TurnRequested(e) => {
            exec(
                conn,
                sqlx::query(
                    "INSERT INTO projection_turns (id, thread_id, number, status, requested_at) \
                     VALUES (?, ?, ?, ?, ?)",
                )
                .bind(e.turn_id.to_string())
                .bind(e.thread_id.to_string())
                .bind(e.number as i64)
                .bind(TurnStatus::Requested.as_str())
                .bind(&at),
            )
            .await?;
            exec(
                conn,
                sqlx::query(
                    "UPDATE projection_threads SET turn_count = ?, active_turn_id = ?, \
                     last_error = NULL WHERE id = ?",
                )
                .bind(e.number as i64)
                .bind(e.turn_id.to_string())
                .bind(e.thread_id.to_string()),
            )
            .await
        }
        E::TurnStarted(e) => {
            exec(
                conn,
                sqlx::query("UPDATE projection_turns SET status = ? WHERE id = ?")
                    .bind(TurnStatus::Running.as_str())
                    .bind(e.turn_id.to_string()),
            )
            .await
        }
        E::TurnInterruptRequested(e) => {
            exec(
                conn,
                sqlx::query("UPDATE projection_turns SET interrupt_requested = 1 WHERE id = ?")
                    .bind(e.turn_id.to_string()),
            )
            .await
        }
        E::TurnCompleted(e) => {
            let turn = e.turn_id.to_string();
            let status: TurnStatus = e.status.into();
            exec(
                conn,
                sqlx::query(
                    "UPDATE projection_turns SET status = ?, error = ?, completed_at = ? WHERE id = ?",
                )
                .bind(status.as_str())
                .bind(&e.error)
                .bind(&at)
                .bind(&turn),
            )
            .await?;
            exec(
                conn,
                sqlx::query(
                    "UPDATE projection_threads SET \
                     active_turn_id = CASE WHEN active_turn_id = ? THEN NULL ELSE active_turn_id END, \
                     last_turn_status = ?, last_error = COALESCE(?, last_error) WHERE id = ?",
                )
                .bind(&turn)
                .bind(status.as_str())
                .bind(&e.error)
                .bind(e.thread_id.to_string()),
            )
            .await?;
            exec(
                conn,
                sqlx::query("UPDATE projection_approvals SET pending = 0 WHERE turn_id = ? AND pending = 1")
                    .bind(&turn),
            )
            .await?;
            exec(
                conn,
                sqlx::query(
                    "UPDATE projection_messages SET streaming = 0 WHERE turn_id = ? AND streaming = 1",
                )
                .bind(&turn),
            )
            .await
        }
        E::MessageAdded(e) => {
            let attachments = attachments_json(&e.attachments)?;
            exec(
                conn,
                sqlx::query(
                    "INSERT INTO projection_messages (id, thread_id, turn_id, position, role, text, \
                     attachments, streaming, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(e.message_id.to_string())
                .bind(e.thread_id.to_string())
                .bind(e.turn_id.to_string())
                .bind(seq)
                .bind(e.role.as_str())
                .bind(&e.text)
                .bind(attachments)
                .bind(e.streaming)
                .bind(&at),
            )
            .await
        }
        E::MessageDelta(e) => {
            exec(
                conn,
                sqlx::query("UPDATE projection_messages SET text = text || ? WHERE id = ?")
                    .bind(&e.text)
                    .bind(e.message_id.to_string()),
            )
            .await
        }
        E::MessageCompleted(e) => {
            exec(
                conn,
                sqlx::query("UPDATE projection_messages SET streaming = 0 WHERE id = ?")
                    .bind(e.message_id.to_string()),
            )
            .await
        }
        E::ActivityRecorded(e) => {
            exec(
                conn,
                sqlx::query(
                    "INSERT INTO projection_activities (id, thread_id, turn_id, position, kind, \
                     summary, detail, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) \
                     ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, summary = excluded.summary, \
                     detail = excluded.detail, status = excluded.status",
                )
                .bind(e.activity_id.to_string())
                .bind(e.thread_id.to_string())
                .bind(e.turn_id.to_string())
                .bind(seq)
                .bind(e.kind.as_str())
                .bind(&e.summary)
                .bind(&e.detail)
                .bind(e.status.as_str())
                .bind(&at),
            )
            .await
        }
        E::ApprovalRequested(e) => {
            exec(
                conn,
                sqlx::query(
                    "INSERT INTO projection_approvals (id, thread_id, turn_id, position, kind, detail, \
                     pending, created_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?)",
                )
                .bind(e.approval_id.to_string())
                .bind(e.thread_id.to_string())
                .bind(e.turn_id.to_string())
                .bind(seq)
                .bind(e.kind.as_str())
                .bind(&e.detail)
                .bind(&at),
            )
            .await
        }
        E::ApprovalResolved(e) => {
            exec(
                conn,
                sqlx::query("UPDATE projection_approvals SET decision = ?, pending = 0 WHERE id = ?")
                    .bind(e.decision.as_str())
                    .bind(e.approval_id.to_string()),
            )
            .await
        }
        E::SessionChanged(e) => {
            exec(
                conn,
                sqlx::query(
                    "INSERT INTO projection_sessions (thread_id, status, provider_thread_id, last_error, \
                     updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (thread_id) DO UPDATE SET \
                     status = excluded.status, \
                     provider_thread_id = COALESCE(excluded.provider_thread_id, provider_thread_id), \
                     last_error = COALESCE(excluded.last_error, last_error), \
                     updated_at = excluded.updated_at",
                )
                .bind(e.thread_id.to_string())
                .bind(e.status.as_str())
                .bind(&e.provider_thread_id)
                .bind(&e.last_error)
                .bind(&at),
            )
            .await?;
            exec(
                conn,
                sqlx::query(
                    "UPDATE projection_threads SET last_error = COALESCE(?, last_error) WHERE id = ?",
                )
                .bind(&e.last_error)
                .bind(e.thread_id.to_string()),
            )
            .await
        }
        E::CheckpointCreated(e) => {
            exec(
                conn,
                sqlx::query(
                    "INSERT OR REPLACE INTO projection_checkpoints (thread_id, turn_count, turn_id, \
                     git_ref, files, skipped, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(e.thread_id.to_string())
                .bind(e.turn_count as i64)
                .bind(e.turn_id.map(|t| t.to_string()))
                .bind(&e.git_ref)
                .bind(serde_json::to_string(&e.files)?)
                .bind(serde_json::to_string(&e.skipped)?)
                .bind(&at),
            )
            .await?;
            exec(
                conn,
                sqlx::query("UPDATE projection_threads SET checkpoint_turn_count = ? WHERE id = ?")
                    .bind(e.turn_count as i64)
                    .bind(e.thread_id.to_string()),
            )
            .await
        }
        E::RevertRequested(e) => {
            exec(
                conn,
                sqlx::query("UPDATE projection_threads SET revert_requested = ? WHERE id = ?")
                    .bind(e.turn_count as i64)
                    .bind(e.thread_id.to_string()),
            )
            .await
        }
        E::ThreadReverted(e) => {
            let id = e.thread_id.to_string();
            let n = e.turn_count as i64;
            for table in [
                "projection_messages",
                "projection_activities",
                "projection_approvals",
            ] {
                exec(
                    conn,
                    sqlx::query(&format!(
                        "DELETE FROM {table} WHERE turn_id IN \
                         (SELECT id FROM projection_turns WHERE thread_id = ? AND number > ?)"
                    ))
                    .bind(&id)
                    .bind(n),
                )
                .await?;
            }
            exec(
                conn,
                sqlx::query("DELETE FROM projection_turns WHERE thread_id = ? AND number > ?")
                    .bind(&id)
                    .bind(n),
            )
            .await?;
            exec(
                conn,
                sqlx::query("DELETE FROM projection_checkpoints WHERE thread_id = ? AND turn_count > ?")
                    .bind(&id)
                    .bind(n),
            )
            .await?;
            exec(
                conn,
                sqlx::query(
                    "UPDATE projection_threads SET turn_count = ?, checkpoint_turn_count = ?, \
                     revert_requested = NULL WHERE id = ?",
                )
                .bind(n)
                .bind(n)
                .bind(&id),
            )
            .await?;
            exec(
                conn,
                sqlx::query(
                    "UPDATE projection_sessions SET provider_thread_id = NULL WHERE thread_id = ?",
                )
                .bind(&id),
            )
            .await
        }
        E::RevertFailed(e) => {
            exec(
                conn,
                sqlx::query(
                    "UPDATE projection_threads SET revert_requested = NULL, last_error = ? WHERE id = ?",
                )
                .bind(&e.error)
                .bind(e.thread_id.to_string()),
            )
            .await
        }
        E::ThreadDeleteRequested(e) => {
            exec(
                conn,
                sqlx::query("UPDATE projection_threads SET delete_requested = 1 WHERE id = ?")
                    .bind(e.thread_id.to_string()),
            )
            .await
        }
        E::ThreadDeleteFailed(e) => {
            exec(
                conn,
                sqlx::query(
                    "UPDATE projection_threads SET delete_requested = 0, last_error = ? WHERE id = ?",
                )
                .bind(&e.error)
                .bind(e.thread_id.to_string()),
            )
            .await
        }
        E::SettingsUpdated(e) => {
            exec(
                conn,
                sqlx::query(
                    "INSERT INTO projection_settings (key, value, version) VALUES (?, ?, ?) \
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value, version = excluded.version",
                )
                .bind(&e.key)
                .bind(serde_json::to_string(&e.value)?)
                .bind(version),
            )
            .await
        }
        E::SessionStopRequested(_) => Ok(()),
        E::MessageQueued(e) => {
            let attachments = attachments_json(&e.attachments)?;
            exec(
                conn,
                sqlx::query(
                    "INSERT INTO projection_queue (id, thread_id, turn_id, position, text, attachments) \
                     VALUES (?1, ?2, ?3, (SELECT COALESCE(MAX(position) + 1, 0) FROM projection_queue \
                     WHERE thread_id = ?2), ?4, ?5)",
                )
                .bind(e.message_id.to_string())
                .bind(e.thread_id.to_string())
                .bind(e.turn_id.to_string())
                .bind(&e.text)
                .bind(attachments),
            )
            .await
        }
        E::MessageUnqueued(e) => {
            exec(
                conn,
                sqlx::query("DELETE FROM projection_queue WHERE id = ?")
                    .bind(e.message_id.to_string()),
            )
            .await?;
            renumber_queue(conn, e.thread_id, None).await
        }
        E::QueueMoved(e) => renumber_queue(conn, e.thread_id, Some((e.message_id, e.to))).await,
        E::UsageRecorded(e) => {
            let u = &e.added;
            exec(
                conn,
                sqlx::query(
                    "UPDATE projection_turns SET usage_input = usage_input + ?, \
                     usage_cached_input = usage_cached_input + ?, usage_output = usage_output + ?, \
                     usage_reasoning_output = usage_reasoning_output + ? WHERE id = ?",
                )
                .bind(u.input as i64)
                .bind(u.cached_input as i64)
                .bind(u.output as i64)
                .bind(u.reasoning_output as i64)
                .bind(e.turn_id.to_string()),
            )
            .await?;
            exec(
                conn,
                sqlx::query(
                    "UPDATE projection_threads SET usage_input = usage_input + ?, \
                     usage_cached_input = usage_cached_input + ?, usage_output = usage_output + ?, \
                     usage_reasoning_output = usage_reasoning_output + ?, \
                     context_tokens = COALESCE(?, context_tokens), \
                     context_window = COALESCE(?, context_window), \
                     cost_micros = CASE WHEN ? IS NULL THEN cost_micros \
                     ELSE COALESCE(cost_micros, 0) + ? END WHERE id = ?",
                )
                .bind(u.input as i64)
                .bind(u.cached_input as i64)
                .bind(u.output as i64)
                .bind(u.reasoning_output as i64)
                .bind(e.context_tokens.map(|v| v as i64))
                .bind(e.context_window.map(|v| v as i64))
                .bind(e.cost_micros.map(|v| v as i64))
                .bind(e.cost_micros.map(|v| v as i64))
                .bind(e.thread_id.to_string()),
            )
            .await
        }
    }
}

/// A message's attachments as the `attachments` column holds them (none:
/// NULL).
fn attachments_json(attachments: &[Attachment]) -> Result<Option<String>, StoreError> {
    if attachments.is_empty() {
        return Ok(None);
    }
    Ok(Some(serde_json::to_string(attachments)?))
}

/// Numbers a thread's queue 0, 1, … in its order, with `moved` (a message
/// and its new place) applied as the reducer does: taken out, then put in
/// at that place among the others.
async fn renumber_queue(
    conn: &mut SqliteConnection,
    thread_id: ThreadId,
    moved: Option<(MessageId, u32)>,
) -> Result<(), StoreError> {
    let mut ids: Vec<String> =
        sqlx::query_scalar("SELECT id FROM projection_queue WHERE thread_id = ? ORDER BY position")
            .bind(thread_id.to_string())
            .fetch_all(&mut *conn)
            .await?;
    if let Some((message_id, to)) = moved {
        let id = message_id.to_string();
        if let Some(from) = ids.iter().position(|i| *i == id) {
            let item = ids.remove(from);
            let to = (to as usize).min(ids.len());
            ids.insert(to, item);
        }
    }
    for (position, id) in ids.iter().enumerate() {
        exec(
            conn,
            sqlx::query("UPDATE projection_queue SET position = ? WHERE id = ?")
                .bind(position as i64)
                .bind(id),
        )
        .await?;
    }
    Ok(())
}

async fn set_archived(
    conn: &mut SqliteConnection,
    thread: ThreadId,
    archived: bool,
) -> Result<(), StoreError> {
    exec(
        conn,
        sqlx::query("UPDATE projection_threads SET archived = ? WHERE id = ?")
            .bind(archived)
            .bind(thread.to_string()),
    )
    .await
}

/// Events projected per transaction while replaying the log.
const REPLAY_BATCH: usize = 5_000;

/// Clears every projection and replays the whole log into it. Returns the
/// number of events replayed.
pub async fn rebuild(store: &EventStore, conn: &mut SqliteConnection) -> Result<u64, StoreError> {
    let mut tx: Transaction<'_, Sqlite> = sqlx::Connection::begin(&mut *conn).await?;
    for table in PROJECTION_TABLES {
        sqlx::query(&format!("DELETE FROM {table}"))
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    project_log_from(store, conn, 0).await
}

/// Projects every event after `after`, in batches of one transaction each.
/// Returns the number of events projected.
pub async fn project_log_from(
    store: &EventStore,
    conn: &mut SqliteConnection,
    after: u64,
) -> Result<u64, StoreError> {
    let mut count = 0u64;
    let mut batch = Vec::with_capacity(REPLAY_BATCH);
    let mut events = std::pin::pin!(store.replay_from(after));
    loop {
        let next = events.next().await;
        let end = next.is_none();
        if let Some(event) = next {
            batch.push(event?);
        }
        if batch.len() >= REPLAY_BATCH || (end && !batch.is_empty()) {
            let mut tx = sqlx::Connection::begin(&mut *conn).await?;
            project_all(&mut tx, &batch).await?;
            tx.commit().await?;
            count += batch.len() as u64;
            batch.clear();
        }
        if end {
            return Ok(count);
        }
    }
}
