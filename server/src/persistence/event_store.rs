//! The append-only event log.

use super::rows::{CorruptValue, parse_enum, parse_id, parse_json, parse_time, time_text};
use chrono::{DateTime, Utc};
use futures::Stream;
use peon_app::contracts::*;
use sqlx::sqlite::{SqlitePool, SqliteRow};
use sqlx::{Row, SqliteConnection};
use std::collections::VecDeque;

/// Events read per query while replaying, which bounds replay memory.
pub const REPLAY_PAGE: i64 = 2_000;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "stream {stream_kind}/{stream_id} is no longer at version {expected}: another writer got there first"
    )]
    Conflict {
        stream_kind: StreamKind,
        stream_id: String,
        expected: u64,
    },
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("cannot encode event: {0}")]
    Encode(#[from] serde_json::Error),
    #[error(transparent)]
    Corrupt(#[from] CorruptValue),
}

/// An event about to be appended; the store assigns its sequence.
#[derive(Clone, Debug)]
pub struct NewEvent {
    pub event_id: EventId,
    /// The version the stream has before this event; the event gets
    /// `expected_version + 1`.
    pub expected_version: u64,
    pub occurred_at: DateTime<Utc>,
    pub command_id: Option<CommandId>,
    pub causation_event_id: Option<EventId>,
    pub correlation_id: Option<CommandId>,
    pub actor: Actor,
    pub event: OrchestrationEvent,
}

#[derive(Clone)]
pub struct EventStore {
    pool: SqlitePool,
}

impl EventStore {
    pub fn new(pool: SqlitePool) -> Self {
        Self { pool }
    }

    /// Appends a batch atomically: all events or none.
    pub async fn append_all(&self, events: &[NewEvent]) -> Result<Vec<StoredEvent>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let stored = append_in(&mut tx, events).await?;
        tx.commit().await?;
        Ok(stored)
    }

    /// Every event after `after`, in order, read page by page so memory
    /// stays flat however long the log is.
    pub fn replay_from(
        &self,
        after: u64,
    ) -> impl Stream<Item = Result<StoredEvent, StoreError>> + Send + 'static {
        let pool = self.pool.clone();
        futures::stream::unfold(
            (pool, after, VecDeque::<StoredEvent>::new(), false),
            |(pool, after, mut buffer, done)| async move {
                if buffer.is_empty() && !done {
                    match read_page(&pool, after, REPLAY_PAGE).await {
                        Ok(page) => {
                            let done = (page.len() as i64) < REPLAY_PAGE;
                            buffer.extend(page);
                            let next = buffer.pop_front()?;
                            let after = next.sequence;
                            return Some((Ok(next), (pool, after, buffer, done)));
                        }
                        Err(e) => return Some((Err(e), (pool, after, buffer, true))),
                    }
                }
                let next = buffer.pop_front()?;
                let after = next.sequence;
                Some((Ok(next), (pool, after, buffer, done)))
            },
        )
    }

    pub fn replay_all(
        &self,
    ) -> impl Stream<Item = Result<StoredEvent, StoreError>> + Send + 'static {
        self.replay_from(0)
    }

    /// At most `limit` events after `after`.
    pub async fn read_page(&self, after: u64, limit: i64) -> Result<Vec<StoredEvent>, StoreError> {
        read_page(&self.pool, after, limit).await
    }

    /// One stream's events in version order.
    pub async fn read_stream(
        &self,
        kind: StreamKind,
        id: &str,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let rows = sqlx::query(&format!(
            "{SELECT_EVENTS} WHERE stream_kind = ? AND stream_id = ? ORDER BY stream_version"
        ))
        .bind(kind.as_str())
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(decode_row).collect()
    }

    pub async fn last_sequence(&self) -> Result<u64, StoreError> {
        super::projection_reader::last_sequence(&self.pool).await
    }
}

const SELECT_EVENTS: &str = "SELECT sequence, event_id, stream_kind, stream_id, stream_version, \
     occurred_at, command_id, causation_event_id, correlation_id, actor, payload FROM events";

async fn read_page(
    pool: &SqlitePool,
    after: u64,
    limit: i64,
) -> Result<Vec<StoredEvent>, StoreError> {
    let rows = sqlx::query(&format!(
        "{SELECT_EVENTS} WHERE sequence > ? ORDER BY sequence LIMIT ?"
    ))
    .bind(after as i64)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter().map(decode_row).collect()
}

/// Appends inside the caller's transaction.
pub async fn append_in(
    conn: &mut SqliteConnection,
    events: &[NewEvent],
) -> Result<Vec<StoredEvent>, StoreError> {
    let mut stored = Vec::with_capacity(events.len());
    for new in events {
        let (stream_kind, stream_id) = new.event.stream();
        let stream_version = new.expected_version + 1;
        let payload = serde_json::to_string(&new.event)?;
        let result = sqlx::query(
            "INSERT INTO events (event_id, stream_kind, stream_id, stream_version, event_type, \
             occurred_at, command_id, causation_event_id, correlation_id, actor, payload) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING sequence",
        )
        .bind(new.event_id.to_string())
        .bind(stream_kind.as_str())
        .bind(&stream_id)
        .bind(stream_version as i64)
        .bind(new.event.event_type())
        .bind(time_text(new.occurred_at))
        .bind(new.command_id.map(|c| c.to_string()))
        .bind(new.causation_event_id.map(|c| c.to_string()))
        .bind(new.correlation_id.map(|c| c.to_string()))
        .bind(new.actor.as_str())
        .bind(payload)
        .fetch_one(&mut *conn)
        .await;
        let row = match result {
            Ok(row) => row,
            Err(sqlx::Error::Database(db)) if db.is_unique_violation() => {
                return Err(StoreError::Conflict {
                    stream_kind,
                    stream_id,
                    expected: new.expected_version,
                });
            }
            Err(e) => return Err(e.into()),
        };
        let sequence: i64 = row.try_get(0)?;
        stored.push(StoredEvent {
            sequence: sequence as u64,
            event_id: new.event_id,
            stream_kind,
            stream_id,
            stream_version,
            occurred_at: new.occurred_at,
            command_id: new.command_id,
            causation_event_id: new.causation_event_id,
            correlation_id: new.correlation_id,
            actor: new.actor,
            event: new.event.clone(),
        });
    }
    Ok(stored)
}

fn decode_row(row: &SqliteRow) -> Result<StoredEvent, StoreError> {
    let opt_id = |column: &'static str| -> Result<Option<String>, StoreError> {
        Ok(row.try_get::<Option<String>, _>(column)?)
    };
    let stream_kind: String = row.try_get("stream_kind")?;
    let actor: String = row.try_get("actor")?;
    let occurred_at: String = row.try_get("occurred_at")?;
    let event_id: String = row.try_get("event_id")?;
    let payload: String = row.try_get("payload")?;
    Ok(StoredEvent {
        sequence: row.try_get::<i64, _>("sequence")? as u64,
        event_id: parse_id("event_id", &event_id)?,
        stream_kind: parse_enum("stream_kind", &stream_kind, StreamKind::parse)?,
        stream_id: row.try_get("stream_id")?,
        stream_version: row.try_get::<i64, _>("stream_version")? as u64,
        occurred_at: parse_time("occurred_at", &occurred_at)?,
        command_id: opt_id("command_id")?
            .map(|s| parse_id("command_id", &s))
            .transpose()?,
        causation_event_id: opt_id("causation_event_id")?
            .map(|s| parse_id("causation_event_id", &s))
            .transpose()?,
        correlation_id: opt_id("correlation_id")?
            .map(|s| parse_id("correlation_id", &s))
            .transpose()?,
        actor: parse_enum("actor", &actor, Actor::parse)?,
        event: parse_json("payload", &payload)?,
    })
}
