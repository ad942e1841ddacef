//! The append-only event log.

use super::rows::{CorruptValue, parse_id, parse_json, time_text};
use chrono::{DateTime, Utc};
use futures::Stream;
use peon_app::contracts::*;
use sqlx::SqliteConnection;
use sqlx::sqlite::SqlitePool;
use std::collections::VecDeque;

/// Events read per query while replaying, which bounds replay memory.
pub const REPLAY_PAGE: i64 = 2_000;
/// Pages fetched ahead of the reader while replaying.
const REPLAY_PREFETCH: usize = 2;
/// Reader tasks fetching pages in parallel while replaying.
const REPLAY_READERS: usize = 2;

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

impl NewEvent {
    /// The event as it was before the store assigned its sequence: for
    /// copying a history from one log into another.
    pub fn from_stored(e: &StoredEvent) -> Self {
        Self {
            event_id: e.event_id,
            expected_version: e.stream_version - 1,
            occurred_at: e.occurred_at,
            command_id: e.command_id,
            causation_event_id: e.causation_event_id,
            correlation_id: e.correlation_id,
            actor: e.actor,
            event: e.event.clone(),
        }
    }
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
    /// stays flat however long the log is. The log up to its end at the
    /// start is split into sequence ranges that two reader tasks fetch in
    /// parallel, ahead of the decoding; events appended meanwhile follow
    /// from a sequential tail.
    pub fn replay_from(
        &self,
        after: u64,
    ) -> impl Stream<Item = Result<StoredEvent, StoreError>> + Send + 'static {
        let pool = self.pool.clone();
        let (tx, rx) = tokio::sync::mpsc::channel::<Page>(REPLAY_PREFETCH);
        tokio::spawn(read_pages(pool, after, tx));
        futures::stream::unfold(
            (rx, VecDeque::<StoredEvent>::new()),
            |(mut rx, mut buffer)| async move {
                loop {
                    if let Some(next) = buffer.pop_front() {
                        return Some((Ok(next), (rx, buffer)));
                    }
                    let json = match rx.recv().await? {
                        Ok(json) => json,
                        Err(e) => return Some((Err(e), (rx, buffer))),
                    };
                    match parse_json::<Vec<StoredEvent>>("events", &json) {
                        Ok(events) => buffer.extend(events),
                        Err(e) => return Some((Err(e.into()), (rx, buffer))),
                    }
                }
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
        let (json, _, _): (String, Option<i64>, i64) = sqlx::query_as(&select_events_json(
            "stream_kind = ? AND stream_id = ? ORDER BY stream_version",
        ))
        .bind(kind.as_str())
        .bind(id)
        .fetch_one(&self.pool)
        .await?;
        Ok(parse_json("events", &json)?)
    }

    /// The id of the first event, which names this log.
    pub async fn first_event_id(&self) -> Result<Option<EventId>, StoreError> {
        let id: Option<String> =
            sqlx::query_scalar("SELECT event_id FROM events WHERE sequence = 1")
                .fetch_optional(&self.pool)
                .await?;
        Ok(id.map(|id| parse_id("event_id", &id)).transpose()?)
    }

    pub async fn last_sequence(&self) -> Result<u64, StoreError> {
        super::projection_reader::last_sequence(&self.pool).await
    }
}

/// A query returning the selected events as one JSON array of
/// `StoredEvent`s, concatenated by SQLite. Decoding one array is several
/// times faster than decoding row by row, which matters when replaying
/// millions. Plain concatenation is safe: every column but `payload` holds
/// an id, an enum wire name, a number or a timestamp (no quotes or
/// backslashes), and `payload` is JSON written by `append_in`.
fn select_events_json(filter_and_order: &str) -> String {
    let opt = |c: &str| format!("COALESCE('\"' || {c} || '\"', 'null')");
    format!(
        "SELECT '[' || COALESCE(group_concat(e, ',' ORDER BY s), '') || ']', MAX(s), COUNT(*) \
         FROM (SELECT sequence AS s, \
         '{{\"sequence\":' || sequence || ',\"event_id\":\"' || event_id || \
         '\",\"stream_kind\":\"' || stream_kind || '\",\"stream_id\":\"' || stream_id || \
         '\",\"stream_version\":' || stream_version || ',\"occurred_at\":\"' || occurred_at || \
         '\",\"command_id\":' || {} || ',\"causation_event_id\":' || {} || \
         ',\"correlation_id\":' || {} || ',\"actor\":\"' || actor || '\",\"event\":' || payload || '}}' AS e \
         FROM events WHERE {filter_and_order})",
        opt("command_id"),
        opt("causation_event_id"),
        opt("correlation_id"),
    )
}

async fn read_page(
    pool: &SqlitePool,
    after: u64,
    limit: i64,
) -> Result<Vec<StoredEvent>, StoreError> {
    let (json, _, _): (String, Option<i64>, i64) = sqlx::query_as(&select_events_json(
        "sequence > ? ORDER BY sequence LIMIT ?",
    ))
    .bind(after as i64)
    .bind(limit)
    .fetch_one(pool)
    .await?;
    Ok(parse_json("events", &json)?)
}

/// A page of events as one JSON array, or why it could not be read.
type Page = Result<String, StoreError>;

/// One query's page: the JSON array, the last sequence in it, the count.
async fn fetch_page(
    pool: &SqlitePool,
    filter: &str,
    a: i64,
    b: i64,
) -> Result<(String, Option<i64>, i64), StoreError> {
    Ok(sqlx::query_as(&select_events_json(filter))
        .bind(a)
        .bind(b)
        .fetch_one(pool)
        .await?)
}

/// Feeds `tx` with every page after `after`, in order.
async fn read_pages(pool: SqlitePool, after: u64, tx: tokio::sync::mpsc::Sender<Page>) {
    // Sequences are gap-free, so the log up to its current end splits into
    // ranges that can be read independently.
    let end = match super::projection_reader::last_sequence(&pool).await {
        Ok(end) => end,
        Err(e) => {
            let _ = tx.send(Err(e)).await;
            return;
        }
    };
    let page = REPLAY_PAGE as u64;
    let ranges: Vec<(u64, u64)> = (after..end)
        .step_by(page as usize)
        .map(|lo| (lo, (lo + page).min(end)))
        .collect();
    let mut lanes = Vec::new();
    for lane in 0..REPLAY_READERS {
        let (lane_tx, lane_rx) = tokio::sync::mpsc::channel::<Page>(1);
        let mine: Vec<(u64, u64)> = ranges
            .iter()
            .copied()
            .skip(lane)
            .step_by(REPLAY_READERS)
            .collect();
        let pool = pool.clone();
        tokio::spawn(async move {
            for (lo, hi) in mine {
                let page = fetch_page(
                    &pool,
                    "sequence > ? AND sequence <= ? ORDER BY sequence",
                    lo as i64,
                    hi as i64,
                )
                .await
                .map(|(json, _, _)| json);
                if lane_tx.send(page).await.is_err() {
                    return;
                }
            }
        });
        lanes.push(lane_rx);
    }
    for i in 0..ranges.len() {
        let Some(page) = lanes[i % REPLAY_READERS].recv().await else {
            return;
        };
        let failed = page.is_err();
        if tx.send(page).await.is_err() || failed {
            return;
        }
    }
    // Whatever was appended since the replay began.
    let mut after = end.max(after);
    loop {
        let (json, last, count) = match fetch_page(
            &pool,
            "sequence > ? ORDER BY sequence LIMIT ?",
            after as i64,
            REPLAY_PAGE,
        )
        .await
        {
            Ok(page) => page,
            Err(e) => {
                let _ = tx.send(Err(e)).await;
                return;
            }
        };
        if count == 0 || tx.send(Ok(json)).await.is_err() {
            return;
        }
        after = last.unwrap_or_default() as u64;
        if count < REPLAY_PAGE {
            return;
        }
    }
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
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
        .execute(&mut *conn)
        .await;
        let done = match result {
            Ok(done) => done,
            Err(sqlx::Error::Database(db)) if db.is_unique_violation() => {
                return Err(StoreError::Conflict {
                    stream_kind,
                    stream_id,
                    expected: new.expected_version,
                });
            }
            Err(e) => return Err(e.into()),
        };
        // The rowid is the sequence (INTEGER PRIMARY KEY).
        let sequence = done.last_insert_rowid();
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
