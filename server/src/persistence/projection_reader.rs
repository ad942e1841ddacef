//! Reads the projection tables: the engine's start-up model, snapshots and
//! thread pages. Never touches the event log.

use super::event_store::StoreError;
use super::projector::PROJECTOR;
use super::rows::{parse_enum, parse_id, parse_json, parse_time};
use peon_app::contracts::*;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection, SqlitePool};
use std::collections::{BTreeMap, HashMap};

/// Summaries of everything (no timeline pages), as of the last projected
/// sequence, read in one transaction.
pub async fn load_summaries(pool: &SqlitePool) -> Result<ReadModel, StoreError> {
    let mut conn = pool.acquire().await?;
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    let mut model = ReadModel {
        sequence: read_sequence(&mut tx).await?,
        ..ReadModel::default()
    };
    for row in sqlx::query("SELECT * FROM projection_projects")
        .fetch_all(&mut *tx)
        .await?
    {
        let project = decode_project(&row)?;
        model.projects.insert(project.id, project);
    }
    model.threads = read_threads(&mut tx, None).await?;
    for row in sqlx::query("SELECT key, value, version FROM projection_settings")
        .fetch_all(&mut *tx)
        .await?
    {
        let value: String = row.try_get("value")?;
        model
            .settings
            .insert(row.try_get("key")?, parse_json("value", &value)?);
        model.settings_version = model
            .settings_version
            .max(row.try_get::<i64, _>("version")? as u64);
    }
    tx.commit().await?;
    Ok(model)
}

/// A thread's summary and its turns `first..=last` where `last` is the turn
/// before `before_turn` (or the newest) and the page holds at most `limit`
/// turns; with the sequence they reflect. `None` for an unknown thread.
pub async fn load_thread_page(
    pool: &SqlitePool,
    thread: ThreadId,
    before_turn: Option<u32>,
    limit: u32,
) -> Result<Option<(u64, ThreadSummary, ThreadPage)>, StoreError> {
    let mut conn = pool.acquire().await?;
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    let sequence = read_sequence(&mut tx).await?;
    let Some(summary) = read_threads(&mut tx, Some(thread)).await?.remove(&thread) else {
        return Ok(None);
    };
    let last = before_turn
        .map(|b| b.saturating_sub(1))
        .unwrap_or(summary.turn_count)
        .min(summary.turn_count);
    let first = last.saturating_sub(limit.max(1) - 1).max(1);
    let turns = if last == 0 {
        Vec::new()
    } else {
        read_turns(&mut tx, thread, first, last).await?
    };
    tx.commit().await?;
    Ok(Some((
        sequence,
        summary,
        ThreadPage {
            first_turn: if last == 0 { 1 } else { first },
            turns,
        },
    )))
}

async fn read_sequence(conn: &mut SqliteConnection) -> Result<u64, StoreError> {
    Ok(sqlx::query_scalar::<_, i64>(
        "SELECT last_sequence FROM projection_state WHERE projector = ?",
    )
    .bind(PROJECTOR)
    .fetch_optional(&mut *conn)
    .await?
    .unwrap_or(0) as u64)
}

/// Thread summaries, all of them or one.
async fn read_threads(
    conn: &mut SqliteConnection,
    only: Option<ThreadId>,
) -> Result<BTreeMap<ThreadId, ThreadSummary>, StoreError> {
    let only = only.map(|t| t.to_string());
    // `?1 IS NULL OR x = ?1` lets one statement serve both cases.
    let mut sessions: HashMap<String, (SessionStatus, Option<String>)> = HashMap::new();
    for row in sqlx::query(
        "SELECT thread_id, status, provider_thread_id FROM projection_sessions \
         WHERE ?1 IS NULL OR thread_id = ?1",
    )
    .bind(&only)
    .fetch_all(&mut *conn)
    .await?
    {
        let status: String = row.try_get("status")?;
        sessions.insert(
            row.try_get("thread_id")?,
            (
                parse_enum("status", &status, SessionStatus::parse)?,
                row.try_get("provider_thread_id")?,
            ),
        );
    }
    let mut active: HashMap<String, ActiveTurn> = HashMap::new();
    for row in sqlx::query(
        "SELECT t.id, t.number, t.status, t.interrupt_requested, th.id AS thread_id \
         FROM projection_threads th JOIN projection_turns t ON t.id = th.active_turn_id \
         WHERE ?1 IS NULL OR th.id = ?1",
    )
    .bind(&only)
    .fetch_all(&mut *conn)
    .await?
    {
        let id: String = row.try_get("id")?;
        let status: String = row.try_get("status")?;
        active.insert(
            row.try_get("thread_id")?,
            ActiveTurn {
                id: parse_id("id", &id)?,
                number: row.try_get::<i64, _>("number")? as u32,
                status: parse_enum("status", &status, TurnStatus::parse)?,
                interrupt_requested: row.try_get("interrupt_requested")?,
            },
        );
    }
    let mut threads = BTreeMap::new();
    for row in sqlx::query("SELECT * FROM projection_threads WHERE ?1 IS NULL OR id = ?1")
        .bind(&only)
        .fetch_all(&mut *conn)
        .await?
    {
        let id: String = row.try_get("id")?;
        let (session_status, provider_thread_id) = sessions
            .remove(&id)
            .unwrap_or((SessionStatus::Stopped, None));
        let summary = decode_thread(&row, active.remove(&id), session_status, provider_thread_id)?;
        threads.insert(summary.id, summary);
    }
    for row in sqlx::query(
        "SELECT thread_id, id, turn_id FROM projection_approvals \
         WHERE pending = 1 AND (?1 IS NULL OR thread_id = ?1)",
    )
    .bind(&only)
    .fetch_all(&mut *conn)
    .await?
    {
        let (thread, id, turn): (ThreadId, ApprovalId, TurnId) = three_ids(&row)?;
        if let Some(t) = threads.get_mut(&thread) {
            t.pending_approvals.insert(id, turn);
        }
    }
    for row in sqlx::query(
        "SELECT thread_id, id, turn_id FROM projection_messages \
         WHERE streaming = 1 AND (?1 IS NULL OR thread_id = ?1)",
    )
    .bind(&only)
    .fetch_all(&mut *conn)
    .await?
    {
        let (thread, id, turn): (ThreadId, MessageId, TurnId) = three_ids(&row)?;
        if let Some(t) = threads.get_mut(&thread) {
            t.open_messages.insert(id, turn);
        }
    }
    for row in sqlx::query(
        "SELECT thread_id, id, turn_id, text, attachments FROM projection_queue \
         WHERE ?1 IS NULL OR thread_id = ?1 ORDER BY thread_id, position",
    )
    .bind(&only)
    .fetch_all(&mut *conn)
    .await?
    {
        let (thread, message_id, turn_id): (ThreadId, MessageId, TurnId) = three_ids(&row)?;
        let attachments: Option<String> = row.try_get("attachments")?;
        let attachments = attachments
            .map(|a| parse_json("attachments", &a))
            .transpose()?
            .unwrap_or_default();
        if let Some(t) = threads.get_mut(&thread) {
            t.queue.push(QueuedMessage {
                message_id,
                turn_id,
                text: row.try_get("text")?,
                attachments,
            });
        }
    }
    Ok(threads)
}

/// The `usage_*` columns of a turn or thread row.
fn usage_of(row: &SqliteRow) -> Result<TokenUsage, StoreError> {
    let n = |column: &str| -> Result<u64, StoreError> { Ok(row.try_get::<i64, _>(column)? as u64) };
    Ok(TokenUsage {
        input: n("usage_input")?,
        cached_input: n("usage_cached_input")?,
        output: n("usage_output")?,
        reasoning_output: n("usage_reasoning_output")?,
    })
}

fn three_ids<A: std::str::FromStr, B: std::str::FromStr, C: std::str::FromStr>(
    row: &SqliteRow,
) -> Result<(A, B, C), StoreError> {
    let a: String = row.try_get(0)?;
    let b: String = row.try_get(1)?;
    let c: String = row.try_get(2)?;
    Ok((
        parse_id("thread_id", &a)?,
        parse_id("id", &b)?,
        parse_id("turn_id", &c)?,
    ))
}

fn decode_project(row: &SqliteRow) -> Result<Project, StoreError> {
    let id: String = row.try_get("id")?;
    let created: String = row.try_get("created_at")?;
    let updated: String = row.try_get("updated_at")?;
    Ok(Project {
        id: parse_id("id", &id)?,
        title: row.try_get("title")?,
        workspace_root: row.try_get("workspace_root")?,
        default_model: row.try_get("default_model")?,
        created_at: parse_time("created_at", &created)?,
        updated_at: parse_time("updated_at", &updated)?,
        version: row.try_get::<i64, _>("version")? as u64,
        delete_requested: row.try_get("delete_requested")?,
        delete_error: row.try_get("delete_error")?,
    })
}

fn decode_thread(
    row: &SqliteRow,
    active_turn: Option<ActiveTurn>,
    session_status: SessionStatus,
    provider_thread_id: Option<String>,
) -> Result<ThreadSummary, StoreError> {
    let text = |c: &'static str| -> Result<String, StoreError> { Ok(row.try_get::<String, _>(c)?) };
    let opt_u32 = |c: &'static str| -> Result<Option<u32>, StoreError> {
        Ok(row.try_get::<Option<i64>, _>(c)?.map(|v| v as u32))
    };
    let opt_u64 = |c: &'static str| -> Result<Option<u64>, StoreError> {
        Ok(row.try_get::<Option<i64>, _>(c)?.map(|v| v as u64))
    };
    let last_turn_status: Option<String> = row.try_get("last_turn_status")?;
    Ok(ThreadSummary {
        id: parse_id("id", &text("id")?)?,
        project_id: parse_id("project_id", &text("project_id")?)?,
        title: text("title")?,
        provider: parse_enum("provider", &text("provider")?, Provider::parse)?,
        model: row.try_get("model")?,
        runtime_mode: parse_enum("runtime_mode", &text("runtime_mode")?, RuntimeMode::parse)?,
        interaction_mode: parse_enum(
            "interaction_mode",
            &text("interaction_mode")?,
            InteractionMode::parse,
        )?,
        branch: row.try_get("branch")?,
        worktree_path: row.try_get("worktree_path")?,
        archived: row.try_get("archived")?,
        created_at: parse_time("created_at", &text("created_at")?)?,
        updated_at: parse_time("updated_at", &text("updated_at")?)?,
        version: row.try_get::<i64, _>("version")? as u64,
        turn_count: row.try_get::<i64, _>("turn_count")? as u32,
        active_turn,
        last_turn_status: last_turn_status
            .map(|s| parse_enum("last_turn_status", &s, TurnStatus::parse))
            .transpose()?,
        pending_approvals: BTreeMap::new(),
        open_messages: BTreeMap::new(),
        session_status,
        provider_thread_id,
        last_error: row.try_get("last_error")?,
        checkpoint_turn_count: opt_u32("checkpoint_turn_count")?,
        revert_requested: opt_u32("revert_requested")?,
        delete_requested: row.try_get("delete_requested")?,
        queue: Vec::new(),
        usage: usage_of(row)?,
        context_tokens: opt_u64("context_tokens")?,
        context_window: opt_u64("context_window")?,
        cost_micros: opt_u64("cost_micros")?,
    })
}

/// The turns numbered `first..=last` of a thread with their timelines.
async fn read_turns(
    tx: &mut SqliteConnection,
    thread: ThreadId,
    first: u32,
    last: u32,
) -> Result<Vec<TurnView>, StoreError> {
    let thread_text = thread.to_string();
    let mut turns = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for row in sqlx::query(
        "SELECT * FROM projection_turns WHERE thread_id = ? AND number BETWEEN ? AND ? ORDER BY number",
    )
    .bind(&thread_text)
    .bind(first as i64)
    .bind(last as i64)
    .fetch_all(&mut *tx)
    .await?
    {
        let id: String = row.try_get("id")?;
        let status: String = row.try_get("status")?;
        let requested: String = row.try_get("requested_at")?;
        let completed: Option<String> = row.try_get("completed_at")?;
        index.insert(id.clone(), turns.len());
        turns.push(TurnView {
            id: parse_id("id", &id)?,
            number: row.try_get::<i64, _>("number")? as u32,
            status: parse_enum("status", &status, TurnStatus::parse)?,
            error: row.try_get("error")?,
            requested_at: parse_time("requested_at", &requested)?,
            completed_at: completed
                .map(|c| parse_time("completed_at", &c))
                .transpose()?,
            interrupt_requested: row.try_get("interrupt_requested")?,
            items: Vec::new(),
            checkpoint: None,
            usage: usage_of(&row)?,
        });
    }
    if turns.is_empty() {
        return Ok(turns);
    }
    // Items of all three kinds, merged by position (the sequence of the
    // event that added them), which is the order the reducer appends them.
    let mut items: Vec<(i64, usize, TimelineItem)> = Vec::new();
    let range_filter = "turn_id IN (SELECT id FROM projection_turns WHERE thread_id = ? AND number BETWEEN ? AND ?)";
    for row in sqlx::query(&format!(
        "SELECT * FROM projection_messages WHERE {range_filter}"
    ))
    .bind(&thread_text)
    .bind(first as i64)
    .bind(last as i64)
    .fetch_all(&mut *tx)
    .await?
    {
        let (position, turn) = position_and_turn(&row, &index)?;
        let id: String = row.try_get("id")?;
        let role: String = row.try_get("role")?;
        let attachments: Option<String> = row.try_get("attachments")?;
        let created: String = row.try_get("created_at")?;
        items.push((
            position,
            turn,
            TimelineItem::Message(MessageView {
                id: parse_id("id", &id)?,
                role: parse_enum("role", &role, Role::parse)?,
                text: row.try_get("text")?,
                attachments: attachments
                    .map(|a| parse_json("attachments", &a))
                    .transpose()?
                    .unwrap_or_default(),
                streaming: row.try_get("streaming")?,
                created_at: parse_time("created_at", &created)?,
            }),
        ));
    }
    for row in sqlx::query(&format!(
        "SELECT * FROM projection_activities WHERE {range_filter}"
    ))
    .bind(&thread_text)
    .bind(first as i64)
    .bind(last as i64)
    .fetch_all(&mut *tx)
    .await?
    {
        let (position, turn) = position_and_turn(&row, &index)?;
        let id: String = row.try_get("id")?;
        let kind: String = row.try_get("kind")?;
        let status: String = row.try_get("status")?;
        let created: String = row.try_get("created_at")?;
        items.push((
            position,
            turn,
            TimelineItem::Activity(ActivityView {
                id: parse_id("id", &id)?,
                kind: parse_enum("kind", &kind, ActivityKind::parse)?,
                summary: row.try_get("summary")?,
                detail: row.try_get("detail")?,
                status: parse_enum("status", &status, ActivityStatus::parse)?,
                created_at: parse_time("created_at", &created)?,
            }),
        ));
    }
    for row in sqlx::query(&format!(
        "SELECT * FROM projection_approvals WHERE {range_filter}"
    ))
    .bind(&thread_text)
    .bind(first as i64)
    .bind(last as i64)
    .fetch_all(&mut *tx)
    .await?
    {
        let (position, turn) = position_and_turn(&row, &index)?;
        let id: String = row.try_get("id")?;
        let kind: String = row.try_get("kind")?;
        let decision: Option<String> = row.try_get("decision")?;
        let created: String = row.try_get("created_at")?;
        items.push((
            position,
            turn,
            TimelineItem::Approval(ApprovalView {
                id: parse_id("id", &id)?,
                kind: parse_enum("kind", &kind, ApprovalKind::parse)?,
                detail: row.try_get("detail")?,
                decision: decision
                    .map(|d| parse_enum("decision", &d, ApprovalDecision::parse))
                    .transpose()?,
                created_at: parse_time("created_at", &created)?,
            }),
        ));
    }
    items.sort_by_key(|(position, _, _)| *position);
    for (_, turn, item) in items {
        turns[turn].items.push(item);
    }
    for row in sqlx::query(
        "SELECT turn_id, git_ref, files, skipped FROM projection_checkpoints \
         WHERE thread_id = ? AND turn_count BETWEEN ? AND ? AND turn_id IS NOT NULL",
    )
    .bind(&thread_text)
    .bind(first as i64)
    .bind(last as i64)
    .fetch_all(&mut *tx)
    .await?
    {
        let turn_id: String = row.try_get("turn_id")?;
        let files: String = row.try_get("files")?;
        if let Some(&i) = index.get(&turn_id) {
            let skipped: String = row.try_get("skipped")?;
            turns[i].checkpoint = Some(CheckpointView {
                git_ref: row.try_get("git_ref")?,
                files: parse_json("files", &files)?,
                skipped: parse_json("skipped", &skipped)?,
            });
        }
    }
    Ok(turns)
}

fn position_and_turn(
    row: &SqliteRow,
    index: &HashMap<String, usize>,
) -> Result<(i64, usize), StoreError> {
    let turn: String = row.try_get("turn_id")?;
    let position: i64 = row.try_get("position")?;
    let i = index.get(&turn).copied().ok_or_else(|| {
        StoreError::Corrupt(super::rows::CorruptValue {
            column: "turn_id",
            value: turn,
        })
    })?;
    Ok((position, i))
}

/// The last sequence in the log. Sequences are gap-free, so it is also the
/// number of events; reading it is one index lookup, not a count.
pub async fn last_sequence(pool: &SqlitePool) -> Result<u64, StoreError> {
    let seq: Option<i64> = sqlx::query_scalar("SELECT MAX(sequence) FROM events")
        .fetch_one(pool)
        .await?;
    Ok(seq.unwrap_or(0) as u64)
}

/// The id of a thread's turn `number`, if it exists.
pub async fn turn_id(
    pool: &SqlitePool,
    thread: ThreadId,
    number: u32,
) -> Result<Option<TurnId>, StoreError> {
    let id: Option<String> =
        sqlx::query_scalar("SELECT id FROM projection_turns WHERE thread_id = ? AND number = ?")
            .bind(thread.to_string())
            .bind(number as i64)
            .fetch_optional(pool)
            .await?;
    Ok(id.map(|id| parse_id("id", &id)).transpose()?)
}

/// One thread's summary; `None` for an unknown thread.
pub async fn load_thread(
    pool: &SqlitePool,
    thread: ThreadId,
) -> Result<Option<ThreadSummary>, StoreError> {
    let mut conn = pool.acquire().await?;
    Ok(read_threads(&mut conn, Some(thread)).await?.remove(&thread))
}

/// The folder a thread's agent works in, by the one rule
/// (`contracts::thread_folder`). `None` for an unknown thread.
pub async fn thread_folder(
    pool: &SqlitePool,
    thread: ThreadId,
) -> Result<Option<std::path::PathBuf>, StoreError> {
    let mut conn = pool.acquire().await?;
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    let Some(summary) = read_threads(&mut tx, Some(thread)).await?.remove(&thread) else {
        return Ok(None);
    };
    let project = sqlx::query("SELECT * FROM projection_projects WHERE id = ?")
        .bind(summary.project_id.to_string())
        .fetch_optional(&mut *tx)
        .await?
        .map(|row| decode_project(&row))
        .transpose()?;
    tx.commit().await?;
    Ok(
        peon_app::contracts::thread_folder(&summary, project.as_ref())
            .map(std::path::PathBuf::from),
    )
}
