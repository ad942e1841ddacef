//! The provider reactor: follows the log and drives one session per thread
//! (start a turn, interrupt, pass on decisions, stop). It answers only by
//! commands, through the sessions.

use super::agent::{SessionConfig, TurnSettings};
use super::binaries;
use super::primer::{self, Why};
use super::session::{Input, ModelCache, Session, Shared};
use crate::orchestration::{Engine, Follower};
use crate::persistence::{StoreError, projection_reader};
use peon_app::contracts::*;
use sqlx::SqlitePool;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

const NO_FOLDER: &str = "this thread has no folder: its project is gone";

/// A setting whose update makes the supervisor panic, in tests only.
#[cfg(test)]
pub const PANIC_ON_SETTING: &str = "test.panic-the-supervisor";

/// How long to wait before reading the log again after a failed read.
const LOG_RETRY: Duration = Duration::from_millis(500);

/// An agent with no turn to run is stopped after this long by default.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// How agents run: when an idle one stops, how many may run at once, and
/// what their checkpoints leave out.
#[derive(Clone, Debug)]
pub struct AgentOptions {
    pub idle_timeout: Duration,
    pub max_agents: usize,
    pub checkpoints: crate::git::Limits,
}

impl Default for AgentOptions {
    fn default() -> Self {
        Self {
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_agents: 8,
            checkpoints: crate::git::Limits::default(),
        }
    }
}

#[derive(Clone)]
pub struct Agents {
    models: ModelCache,
    supervisor: crate::tasks::Vital,
}

impl Agents {
    /// Starts following the log. Call after `Engine::start`, which has
    /// already settled whatever a previous run left running.
    pub async fn start(
        engine: Engine,
        pool: SqlitePool,
        options: AgentOptions,
    ) -> Result<Self, StoreError> {
        let model = projection_reader::load_summaries(&pool).await?;
        let events = engine.follow(model.sequence);
        let models = ModelCache::default();
        {
            let (engine, pool, model) = (engine.clone(), pool.clone(), model.clone());
            let limits = options.checkpoints.clone();
            tokio::spawn(async move {
                crate::git::recorder::after_restart(&engine, &pool, &model, &limits).await;
            });
        }
        // A queue a restart left behind a cut-short turn is sent now that
        // the agents are up (the follower above sees the new turn).
        let waiting: Vec<ThreadId> = engine
            .cut_short()
            .iter()
            .filter(|t| model.threads.get(t).is_some_and(|t| !t.queue.is_empty()))
            .copied()
            .collect();
        let queue_engine = engine.clone();
        let supervisor = Supervisor {
            engine,
            pool,
            model,
            sessions: HashMap::new(),
            slots: Arc::new(tokio::sync::Semaphore::new(options.max_agents)),
            options: Arc::new(options),
            models: models.clone(),
        };
        let supervisor = crate::tasks::Vital::watch(
            "the agents' supervisor",
            tokio::spawn(supervisor.run(events)),
        );
        for thread_id in waiting {
            let command = InternalCommand::SendQueued { thread_id };
            if let Err(e) = queue_engine
                .dispatch_internal(command, Actor::Server, None)
                .await
            {
                tracing::warn!(%thread_id, "could not send the queued message: {e}");
            }
        }
        Ok(Self { models, supervisor })
    }

    /// Resolves with the reason if the supervisor fails (peon then exits:
    /// no turn would be run or settled any more).
    pub async fn failed(&self) -> String {
        self.supervisor.failed().await
    }

    /// What each agent looks like on this machine, with the models it
    /// reported when it last ran.
    pub async fn status(&self) -> Vec<peon_app::api::AgentStatus> {
        let mut out = Vec::new();
        for provider in Provider::ALL {
            let models = self
                .models
                .lock()
                .ok()
                .and_then(|m| m.get(provider).cloned())
                .unwrap_or_default();
            out.push(binaries::status(*provider, models).await);
        }
        out
    }
}

struct Supervisor {
    engine: Engine,
    pool: SqlitePool,
    /// Summaries only, folded from the log like the engine's own.
    model: ReadModel,
    sessions: HashMap<ThreadId, mpsc::UnboundedSender<Input>>,
    options: Arc<AgentOptions>,
    slots: Arc<tokio::sync::Semaphore>,
    models: ModelCache,
}

impl Supervisor {
    async fn run(mut self, mut events: Follower) {
        while let Some(next) = events.next().await {
            match next {
                Ok(event) => self.handle(&event).await,
                Err(e) => {
                    // Nothing is skipped: the follower reads the same place
                    // again on the next call.
                    tracing::error!("agents could not read the log: {e}");
                    tokio::time::sleep(LOG_RETRY).await;
                }
            }
        }
    }

    async fn handle(&mut self, stored: &StoredEvent) {
        if stored.sequence <= self.model.sequence {
            return;
        }
        #[cfg(test)]
        if let OrchestrationEvent::SettingsUpdated(e) = &stored.event
            && e.key == PANIC_ON_SETTING
        {
            panic!("injected supervisor failure");
        }
        self.model.apply(stored);
        use OrchestrationEvent as E;
        match &stored.event {
            E::MessageAdded(e) if e.role == Role::User && e.steer => {
                let input = Input::Steer {
                    turn_id: e.turn_id,
                    text: e.text.clone(),
                };
                self.send(e.thread_id, input);
            }
            E::MessageAdded(e) if e.role == Role::User => {
                self.start_turn(e, stored.event_id).await;
            }
            E::TurnInterruptRequested(e) => {
                let input = Input::Interrupt { turn_id: e.turn_id };
                if !self.send(e.thread_id, input) {
                    // No session holds this turn: settle it here.
                    self.complete(e.thread_id, e.turn_id, TurnOutcome::Interrupted, None)
                        .await;
                }
            }
            E::ApprovalResolved(e) if stored.actor != Actor::Provider => {
                self.send(
                    e.thread_id,
                    Input::Approval {
                        approval_id: e.approval_id,
                        decision: e.decision,
                    },
                );
            }
            E::SessionStopRequested(e) => {
                self.send(
                    e.thread_id,
                    Input::Stop {
                        reason: "the session was stopped",
                    },
                );
            }
            E::ThreadArchived(e) => {
                self.send(
                    e.thread_id,
                    Input::Stop {
                        reason: "the thread was archived",
                    },
                );
            }
            E::RevertRequested(e) => {
                if let Some(thread) = self.model.threads.get(&e.thread_id).cloned() {
                    let Some(cwd) = self.cwd_of(&thread) else {
                        self.dispatch(InternalCommand::FailRevert {
                            thread_id: thread.id,
                            turn_count: e.turn_count,
                            error: NO_FOLDER.to_string(),
                        })
                        .await;
                        return;
                    };
                    let input = Input::Revert {
                        turn_count: e.turn_count,
                        cwd,
                    };
                    self.session(&thread).send(input).ok();
                }
            }
            E::ThreadDeleted(e) => {
                // Dropping the handle ends the session, which stops its agent.
                self.sessions.remove(&e.thread_id);
            }
            _ => {}
        }
    }

    async fn start_turn(&mut self, message: &event::MessageAdded, cause: EventId) {
        let Some(thread) = self.model.threads.get(&message.thread_id).cloned() else {
            return;
        };
        if thread
            .active_turn
            .as_ref()
            .is_none_or(|t| t.id != message.turn_id)
        {
            return;
        }
        let binary = match binaries::locate(thread.provider) {
            Ok(b) => b,
            Err(e) => {
                let text = e.to_string();
                self.complete(
                    thread.id,
                    message.turn_id,
                    TurnOutcome::Failed,
                    Some(text.clone()),
                )
                .await;
                self.dispatch(InternalCommand::ChangeSession {
                    thread_id: thread.id,
                    status: SessionStatus::Error,
                    provider_thread_id: None,
                    last_error: Some(text),
                })
                .await;
                return;
            }
        };
        let Some(cwd) = self.cwd_of(&thread) else {
            let error = Some(NO_FOLDER.to_string());
            self.complete(thread.id, message.turn_id, TurnOutcome::Failed, error)
                .await;
            return;
        };
        let number = thread.active_turn.as_ref().map_or(1, |t| t.number);
        // A new conversation for a thread that has history (after a revert):
        // the agent is told what remains of it.
        let text = match (&thread.provider_thread_id, number) {
            (None, n) => {
                primer::primed(&self.pool, thread.id, n, &message.text, Why::RolledBack).await
            }
            _ => message.text.clone(),
        };
        let config = SessionConfig {
            binary,
            cwd,
            resume: thread.provider_thread_id.clone(),
            settings: TurnSettings {
                model: thread.model.clone(),
                runtime_mode: thread.runtime_mode,
                interaction_mode: thread.interaction_mode,
            },
        };
        let input = Input::Turn {
            turn_id: message.turn_id,
            number,
            text,
            config,
            cause,
        };
        self.session(&thread).send(input).ok();
    }

    /// The thread's session, started if it has none.
    fn session(&mut self, thread: &ThreadSummary) -> &mpsc::UnboundedSender<Input> {
        let (engine, models) = (self.engine.clone(), self.models.clone());
        let (options, slots) = (self.options.clone(), self.slots.clone());
        let pool = self.pool.clone();
        self.sessions.entry(thread.id).or_insert_with(|| {
            Session::spawn(
                thread.id,
                thread.provider,
                Shared {
                    engine,
                    pool,
                    models,
                    options,
                    slots,
                },
            )
        })
    }

    /// The folder the thread's agent works in; never peon's own.
    fn cwd_of(&self, thread: &ThreadSummary) -> Option<PathBuf> {
        self.model.folder_of(thread).map(PathBuf::from)
    }

    fn send(&mut self, thread_id: ThreadId, input: Input) -> bool {
        self.sessions
            .get(&thread_id)
            .is_some_and(|s| s.send(input).is_ok())
    }

    async fn complete(
        &self,
        thread_id: ThreadId,
        turn_id: TurnId,
        status: TurnOutcome,
        error: Option<String>,
    ) {
        self.dispatch(InternalCommand::CompleteTurn {
            thread_id,
            turn_id,
            status,
            error,
        })
        .await;
    }

    async fn dispatch(&self, command: InternalCommand) {
        if let Err(e) = self
            .engine
            .dispatch_internal(command, Actor::Provider, None)
            .await
        {
            tracing::debug!("agents: command refused: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::temp_db;

    #[tokio::test]
    async fn a_supervisor_that_panics_is_reported_with_its_reason() {
        let (_dir, db) = temp_db().await;
        let engine = Engine::start(&db).await.expect("start");
        let agents = Agents::start(engine.clone(), db.pool.clone(), AgentOptions::default())
            .await
            .expect("agents");
        engine
            .dispatch(CommandEnvelope::new(Command::SettingsUpdate {
                key: PANIC_ON_SETTING.into(),
                value: serde_json::json!(1),
            }))
            .await
            .expect("the setting itself is stored");
        let reason = tokio::time::timeout(Duration::from_secs(5), agents.failed())
            .await
            .expect("reported");
        assert_eq!(
            reason,
            "the agents' supervisor panicked: injected supervisor failure"
        );
    }
}
