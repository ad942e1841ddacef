//! The engine: one task owns writing. Each command goes receipt check →
//! workspace check → `decide` → one transaction (append, project, receipt)
//! → publish after commit.

use super::decider::{Rejection, decide_client, decide_internal};
use super::follow::Follower;
use super::workspace;
use crate::persistence::event_store::append_in;
use crate::persistence::projection_reader::load_summaries;
use crate::persistence::projector::{project_all, project_log_from};
use crate::persistence::{Database, DatabaseError, EventStore, NewEvent, StoreError};
use crate::tasks::Vital;
use chrono::{DateTime, Utc};
use peon_app::api::DispatchOutcome;
use peon_app::contracts::*;
use sha2::{Digest, Sha256};
use sqlx::{Row, SqliteConnection};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::{broadcast, mpsc, oneshot, watch};

/// Events buffered per subscriber before a slow one starts losing them
/// (it then resumes from the log by sequence).
pub const BROADCAST_CAPACITY: usize = 4_096;
const QUEUE: usize = 1_024;

#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    #[error(transparent)]
    Rejected(#[from] Rejection),
    #[error("storage failed: {0}")]
    Store(#[from] StoreError),
    #[error("the engine has stopped")]
    Stopped,
}

#[derive(Debug, thiserror::Error)]
pub enum EngineStartError {
    #[error(transparent)]
    Database(#[from] DatabaseError),
    #[error("cannot load the projections: {0}")]
    Store(#[from] StoreError),
}

struct Job {
    command_id: CommandId,
    command: AnyCommand,
    /// The command as its client sent it, when the server filled in parts
    /// of `command` (a worktree's path): the receipt is keyed on it, so a
    /// retry of the same request gets the first answer.
    sent: Option<Command>,
    /// Decide only: answer as dispatching would, write nothing.
    check_only: bool,
    actor: Actor,
    causation: Option<EventId>,
    reply: oneshot::Sender<Result<DispatchOutcome, DispatchError>>,
}

type Answer = oneshot::Receiver<Result<DispatchOutcome, DispatchError>>;

impl Job {
    /// A client's command, to be written.
    fn new(command_id: CommandId, command: AnyCommand) -> (Self, Answer) {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            command_id,
            command,
            sent: None,
            check_only: false,
            actor: Actor::Client,
            causation: None,
            reply,
        };
        (job, answer)
    }
}

/// A handle to the engine; cheap to clone.
#[derive(Clone)]
pub struct Engine {
    jobs: mpsc::Sender<Job>,
    events: broadcast::Sender<Arc<StoredEvent>>,
    sequence: watch::Receiver<u64>,
    store: EventStore,
    writer: Vital,
    /// Threads whose turn this process settled at start-up because the
    /// previous one stopped while it ran.
    cut_short: Arc<Vec<ThreadId>>,
}

impl Engine {
    /// Loads the model from the projections (catching them up with the log
    /// if they lag), starts the writer task, and settles turns a previous
    /// run left running.
    pub async fn start(db: &Database) -> Result<Self, EngineStartError> {
        let mut conn = db.writer().await?;
        let store = EventStore::new(db.pool.clone());
        catch_up_projections(&store, &mut conn).await?;
        let mut model = load_summaries(&db.pool).await?;
        model.keep_all_pages = false;
        let (jobs, rx) = mpsc::channel(QUEUE);
        let (events, _) = broadcast::channel(BROADCAST_CAPACITY);
        let (seq_tx, sequence) = watch::channel(model.sequence);
        let interrupted: Vec<(ThreadId, TurnId)> = model
            .threads
            .values()
            .filter_map(|t| t.active_turn.as_ref().map(|a| (t.id, a.id)))
            .collect();
        let live_sessions: Vec<ThreadId> = model
            .threads
            .values()
            .filter(|t| t.session_status.is_live())
            .map(|t| t.id)
            .collect();
        let writer = Writer {
            conn,
            model,
            events: events.clone(),
            sequence: seq_tx,
        };
        let writer = Vital::watch("the engine's writer", tokio::spawn(writer.run(rx)));
        let engine = Self {
            jobs,
            events,
            sequence,
            store,
            writer,
            cut_short: Arc::new(interrupted.iter().map(|(t, _)| *t).collect()),
        };
        engine
            .settle_after_restart(interrupted, live_sessions)
            .await;
        Ok(engine)
    }

    /// The threads whose running turn a restart cut short (settled as
    /// interrupted at start-up).
    pub fn cut_short(&self) -> &[ThreadId] {
        &self.cut_short
    }

    /// A turn cannot outlive the process that ran its agent: settle it.
    async fn settle_after_restart(&self, turns: Vec<(ThreadId, TurnId)>, sessions: Vec<ThreadId>) {
        for (thread_id, turn_id) in turns {
            let command = InternalCommand::CompleteTurn {
                thread_id,
                turn_id,
                status: TurnOutcome::Interrupted,
                error: Some(RESTART_MESSAGE.to_string()),
            };
            if let Err(e) = self.dispatch_internal(command, Actor::Server, None).await {
                tracing::warn!(%thread_id, "could not settle an interrupted turn: {e}");
            }
        }
        for thread_id in sessions {
            let command = InternalCommand::ChangeSession {
                thread_id,
                status: SessionStatus::Stopped,
                provider_thread_id: None,
                last_error: None,
            };
            if let Err(e) = self.dispatch_internal(command, Actor::Server, None).await {
                tracing::warn!(%thread_id, "could not settle a session: {e}");
            }
        }
    }

    /// Dispatches a command sent by a client.
    pub async fn dispatch(
        &self,
        envelope: CommandEnvelope,
    ) -> Result<DispatchOutcome, DispatchError> {
        self.dispatch_as(envelope, Actor::Client, None).await
    }

    /// Dispatches a client's command on behalf of `actor` (the server
    /// itself, e.g. a stop before a delete).
    pub async fn dispatch_as(
        &self,
        envelope: CommandEnvelope,
        actor: Actor,
        causation: Option<EventId>,
    ) -> Result<DispatchOutcome, DispatchError> {
        self.send(
            envelope.command_id,
            envelope.command.into(),
            actor,
            causation,
        )
        .await
    }

    /// Dispatches a reactor's command, under a new command id. A write
    /// that fails (the database is locked, full, or refused it) is logged
    /// and tried again until it lands, with a growing pause: a reactor's
    /// news — an agent's words, a turn's end — must not be dropped, and the
    /// events after it must wait for it. Rejections and a stopped engine
    /// are returned at once.
    pub async fn dispatch_internal(
        &self,
        command: InternalCommand,
        actor: Actor,
        causation: Option<EventId>,
    ) -> Result<DispatchOutcome, DispatchError> {
        let mut pause = RETRY_FIRST;
        loop {
            match self
                .send(CommandId::new(), command.clone().into(), actor, causation)
                .await
            {
                Err(DispatchError::Store(e)) => {
                    tracing::error!(
                        "could not record {}: {e}; trying again in {pause:?}",
                        internal_name(&command)
                    );
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(RETRY_MAX);
                }
                other => return other,
            }
        }
    }

    /// Resolves with the reason if the writer task fails (peon then exits:
    /// nothing could be written any more).
    pub async fn failed(&self) -> String {
        self.writer.failed().await
    }

    /// What dispatching `envelope` would answer now, without writing
    /// anything: the first answer for a retry (`duplicate`), the current
    /// sequence for a command that would be accepted, or the refusal. For
    /// commands whose side effects must not happen when they are refused.
    pub async fn check(
        &self,
        envelope: &CommandEnvelope,
    ) -> Result<DispatchOutcome, DispatchError> {
        let (mut job, answer) = Job::new(envelope.command_id, envelope.command.clone().into());
        job.check_only = true;
        self.run(job, answer).await
    }

    /// Dispatches `filled`, the client's `sent` command with parts the
    /// server filled in; the receipt is `sent`'s.
    pub async fn dispatch_filled(
        &self,
        sent: &CommandEnvelope,
        filled: Command,
    ) -> Result<DispatchOutcome, DispatchError> {
        let (mut job, answer) = Job::new(sent.command_id, filled.into());
        job.sent = Some(sent.command.clone());
        self.run(job, answer).await
    }

    async fn send(
        &self,
        command_id: CommandId,
        command: AnyCommand,
        actor: Actor,
        causation: Option<EventId>,
    ) -> Result<DispatchOutcome, DispatchError> {
        let (mut job, answer) = Job::new(command_id, command);
        job.actor = actor;
        job.causation = causation;
        self.run(job, answer).await
    }

    async fn run(&self, job: Job, answer: Answer) -> Result<DispatchOutcome, DispatchError> {
        self.jobs
            .send(job)
            .await
            .map_err(|_| DispatchError::Stopped)?;
        answer.await.map_err(|_| DispatchError::Stopped)?
    }

    /// Every event after `after`, from the log and then live, with no gap
    /// or duplicate (see `follow.rs`).
    pub fn follow(&self, after: u64) -> Follower {
        Follower::new(self.events.subscribe(), self.store.clone(), after)
    }

    /// Every event committed from now on, straight from the broadcast.
    #[cfg(test)]
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<StoredEvent>> {
        self.events.subscribe()
    }

    /// The sequence of the last committed event.
    pub fn last_sequence(&self) -> u64 {
        *self.sequence.borrow()
    }

    pub fn watch_sequence(&self) -> watch::Receiver<u64> {
        self.sequence.clone()
    }
}

/// A setting whose update makes the writer panic, in tests only.
#[cfg(test)]
pub const PANIC_ON_SETTING: &str = "test.panic-the-writer";

/// Pauses between attempts at a failed internal write.
const RETRY_FIRST: std::time::Duration = std::time::Duration::from_millis(100);
const RETRY_MAX: std::time::Duration = std::time::Duration::from_secs(5);

/// An internal command's wire name, for logs (serialises it: error paths
/// only).
fn internal_name(command: &InternalCommand) -> String {
    serde_json::to_value(command)
        .ok()
        .and_then(|v| v["type"].as_str().map(str::to_string))
        .unwrap_or_default()
}

pub const RESTART_MESSAGE: &str = "peon stopped while this turn was running, so it was interrupted";

struct Writer {
    conn: SqliteConnection,
    /// Summaries only: what `decide` needs, never message bodies.
    model: ReadModel,
    events: broadcast::Sender<Arc<StoredEvent>>,
    sequence: watch::Sender<u64>,
}

impl Writer {
    async fn run(mut self, mut rx: mpsc::Receiver<Job>) {
        while let Some(job) = rx.recv().await {
            let result = self.handle(&job).await;
            let _ = job.reply.send(result);
        }
    }

    async fn handle(&mut self, job: &Job) -> Result<DispatchOutcome, DispatchError> {
        let (command_id, command, actor, causation) =
            (job.command_id, &job.command, job.actor, job.causation);
        #[cfg(test)]
        if let AnyCommand::Client(Command::SettingsUpdate { key, .. }) = command
            && key == PANIC_ON_SETTING
        {
            panic!("injected writer failure");
        }
        let hash = match &job.sent {
            Some(sent) => command_hash(&AnyCommand::Client(sent.clone()))?,
            None => command_hash(command)?,
        };
        if let Some(outcome) = self.receipt(command_id, &hash).await? {
            return Ok(outcome);
        }
        let decided = match command {
            AnyCommand::Client(c) => {
                let c = workspace::prepare(c)?;
                decide_client(&self.model, &c)
            }
            AnyCommand::Internal(c) => decide_internal(&self.model, c),
        }?;
        if job.check_only {
            return Ok(DispatchOutcome {
                command_id,
                first_sequence: self.model.sequence,
                last_sequence: self.model.sequence,
                duplicate: false,
            });
        }
        let occurred_at = now();
        let mut versions: HashMap<(StreamKind, String), u64> = HashMap::new();
        let new_events: Vec<NewEvent> = decided
            .into_iter()
            .map(|event| {
                let key = event.stream();
                let version = versions
                    .entry(key)
                    .or_insert_with(|| stream_version(&self.model, &event));
                let expected_version = *version;
                *version += 1;
                NewEvent {
                    event_id: EventId::new(),
                    expected_version,
                    occurred_at,
                    command_id: Some(command_id),
                    causation_event_id: causation,
                    correlation_id: Some(command_id),
                    actor,
                    event,
                }
            })
            .collect();

        let mut tx = sqlx::Connection::begin(&mut self.conn)
            .await
            .map_err(StoreError::from)?;
        let stored = append_in(&mut tx, &new_events).await?;
        project_all(&mut tx, &stored).await?;
        let first = stored
            .first()
            .map(|e| e.sequence)
            .unwrap_or(self.model.sequence);
        let last = stored
            .last()
            .map(|e| e.sequence)
            .unwrap_or(self.model.sequence);
        sqlx::query(
            "INSERT INTO command_receipts (command_id, command_hash, first_sequence, last_sequence, \
             received_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(command_id.to_string())
        .bind(&hash)
        .bind(first as i64)
        .bind(last as i64)
        .bind(crate::persistence::rows_time_text(occurred_at))
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from)?;
        tx.commit().await.map_err(StoreError::from)?;

        for event in stored {
            self.model.apply(&event);
            // Nobody listening is fine: the log has it.
            let _ = self.events.send(Arc::new(event));
        }
        self.sequence.send_replace(self.model.sequence);
        Ok(DispatchOutcome {
            command_id,
            first_sequence: first,
            last_sequence: last,
            duplicate: false,
        })
    }

    async fn receipt(
        &mut self,
        command_id: CommandId,
        hash: &str,
    ) -> Result<Option<DispatchOutcome>, DispatchError> {
        let row = sqlx::query(
            "SELECT command_hash, first_sequence, last_sequence FROM command_receipts WHERE command_id = ?",
        )
        .bind(command_id.to_string())
        .fetch_optional(&mut self.conn)
        .await
        .map_err(StoreError::from)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let stored_hash: String = row.try_get(0).map_err(StoreError::from)?;
        if stored_hash != hash {
            return Err(Rejection::CommandIdReused(command_id).into());
        }
        Ok(Some(DispatchOutcome {
            command_id,
            first_sequence: row.try_get::<i64, _>(1).map_err(StoreError::from)? as u64,
            last_sequence: row.try_get::<i64, _>(2).map_err(StoreError::from)? as u64,
            duplicate: true,
        }))
    }
}

/// The version a stream has now, before new events.
fn stream_version(model: &ReadModel, event: &OrchestrationEvent) -> u64 {
    use OrchestrationEvent as E;
    match event {
        E::ProjectCreated(_) | E::ThreadCreated(_) => 0,
        E::ProjectUpdated(e) => model.projects.get(&e.project_id).map_or(0, |p| p.version),
        E::ProjectDeleted(e) => model.projects.get(&e.project_id).map_or(0, |p| p.version),
        E::ProjectDeleteRequested(e) => model.projects.get(&e.project_id).map_or(0, |p| p.version),
        E::ProjectDeleteFailed(e) => model.projects.get(&e.project_id).map_or(0, |p| p.version),
        E::SettingsUpdated(_) => model.settings_version,
        other => other
            .thread_id()
            .and_then(|t| model.threads.get(&t))
            .map_or(0, |t| t.version),
    }
}

fn command_hash(command: &AnyCommand) -> Result<String, StoreError> {
    let bytes = serde_json::to_vec(command)?;
    let digest = Sha256::digest(&bytes);
    Ok(digest.iter().map(|b| format!("{b:02x}")).collect())
}

/// Now, at the microsecond precision the log stores.
pub fn now() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}

/// Projects any events the projections have not seen (after they were
/// cleared, or written by an older peon).
async fn catch_up_projections(
    store: &EventStore,
    conn: &mut SqliteConnection,
) -> Result<(), StoreError> {
    let projected: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(last_sequence), 0) FROM projection_state")
            .fetch_one(&mut *conn)
            .await?;
    project_log_from(store, conn, projected as u64).await?;
    Ok(())
}
