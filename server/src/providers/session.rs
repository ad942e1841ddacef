//! One thread's agent session: owns the agent process, turns its runtime
//! events into commands (coalescing text), and makes sure every turn ends
//! in the log whatever the agent does.

use super::AgentOptions;
use super::agent::{self, Agent, AgentError, RuntimeEvent, SessionConfig, TurnSettings};
use super::coalesce::{Coalescer, Flush};
use super::primer::{self, Why};
use super::wire::clip;
use crate::orchestration::{DispatchError, Engine};
use peon_app::contracts::*;
use sqlx::SqlitePool;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

/// How long an interrupted agent may take to stop before it is killed.
const INTERRUPT_GRACE: Duration = Duration::from_secs(5);
/// Most of a command's output or a diff kept in the log; the agent keeps
/// the whole of it.
pub const MAX_DETAIL: usize = 64 * 1024;

pub enum Input {
    Turn {
        turn_id: TurnId,
        /// Its position in the thread: checkpoints are numbered by it.
        number: u32,
        text: String,
        config: SessionConfig,
        cause: EventId,
    },
    Interrupt {
        turn_id: TurnId,
    },
    /// A user message into the running turn.
    Steer {
        turn_id: TurnId,
        text: String,
    },
    Approval {
        approval_id: ApprovalId,
        decision: ApprovalDecision,
    },
    Stop {
        reason: &'static str,
    },
    /// Restore the folder to checkpoint `turn_count`; the agent's
    /// conversation ends with it (the next turn starts a new one).
    Revert {
        turn_count: u32,
        cwd: std::path::PathBuf,
    },
}

/// Models each agent reported, for the composer and settings page.
pub type ModelCache = Arc<Mutex<HashMap<Provider, Vec<String>>>>;

struct Turn {
    id: TurnId,
    number: u32,
    cwd: std::path::PathBuf,
    cause: EventId,
    interrupt_deadline: Option<Instant>,
    /// Set while an agent started for this turn by resuming a conversation
    /// has shown nothing yet: if it turns out the conversation is gone, the
    /// turn is sent again to a new one.
    resumed: Option<(String, SessionConfig)>,
}

/// What every session shares with the supervisor.
pub struct Shared {
    pub engine: Engine,
    /// For reading the thread's history when a new conversation needs it.
    pub pool: SqlitePool,
    pub models: ModelCache,
    pub options: Arc<AgentOptions>,
    /// The `max_agents` slots.
    pub slots: Arc<Semaphore>,
}

pub struct Session {
    thread_id: ThreadId,
    provider: Provider,
    engine: Engine,
    pool: SqlitePool,
    idle_timeout: Duration,
    models: ModelCache,
    options: Arc<AgentOptions>,
    /// One of the `max_agents` slots, held while an agent process runs.
    slots: Arc<Semaphore>,
    slot: Option<OwnedSemaphorePermit>,
    agent: Option<Box<dyn Agent>>,
    runtime: Option<mpsc::Receiver<RuntimeEvent>>,
    turn: Option<Turn>,
    text: Coalescer,
    activities: HashMap<String, (ActivityId, ActivityKind, String)>,
    approvals: HashMap<ApprovalId, String>,
    idle_since: Instant,
}

impl Session {
    pub fn spawn(
        thread_id: ThreadId,
        provider: Provider,
        shared: Shared,
    ) -> mpsc::UnboundedSender<Input> {
        let (tx, rx) = mpsc::unbounded_channel();
        let Shared {
            engine,
            pool,
            models,
            options,
            slots,
        } = shared;
        let session = Session {
            thread_id,
            provider,
            engine,
            pool,
            idle_timeout: options.idle_timeout,
            models,
            options,
            slots,
            slot: None,
            agent: None,
            runtime: None,
            turn: None,
            text: Coalescer::default(),
            activities: HashMap::new(),
            approvals: HashMap::new(),
            idle_since: Instant::now(),
        };
        tokio::spawn(session.run(rx));
        tx
    }

    async fn run(mut self, mut inputs: mpsc::UnboundedReceiver<Input>) {
        loop {
            let deadline = self.next_deadline();
            tokio::select! {
                input = inputs.recv() => match input {
                    Some(input) => self.on_input(input).await,
                    None => break,
                },
                event = next_runtime(&mut self.runtime) => match event {
                    Some(event) => self.on_runtime(event).await,
                    None => self.runtime = None,
                },
                _ = sleep_until(deadline) => self.on_timer().await,
            }
        }
        self.stop("the thread was deleted").await;
    }

    fn next_deadline(&self) -> Option<Instant> {
        let idle = (self.agent.is_some() && self.turn.is_none())
            .then(|| self.idle_since + self.idle_timeout);
        let interrupt = self.turn.as_ref().and_then(|t| t.interrupt_deadline);
        [self.text.next_deadline(), idle, interrupt]
            .into_iter()
            .flatten()
            .min()
    }

    async fn on_input(&mut self, input: Input) {
        match input {
            Input::Turn {
                turn_id,
                number,
                text,
                config,
                cause,
            } => self.start_turn(turn_id, number, text, config, cause).await,
            Input::Interrupt { turn_id } => {
                if self.turn.as_ref().is_none_or(|t| t.id != turn_id) {
                    // Not a turn this session runs: settle it rather than
                    // leave it waiting for an answer nobody will give.
                    let command = InternalCommand::CompleteTurn {
                        thread_id: self.thread_id,
                        turn_id,
                        status: TurnOutcome::Interrupted,
                        error: None,
                    };
                    self.dispatch_caused(command, None).await;
                    return;
                }
                let asked = match self.agent.as_mut() {
                    Some(agent) => agent.interrupt().await.is_ok(),
                    None => false,
                };
                if asked {
                    if let Some(t) = self.turn.as_mut() {
                        t.interrupt_deadline = Some(Instant::now() + INTERRUPT_GRACE);
                    }
                } else {
                    self.kill_agent().await;
                    self.end_turn(TurnOutcome::Interrupted, None).await;
                    self.session(SessionStatus::Stopped, None, None).await;
                }
            }
            Input::Approval {
                approval_id,
                decision,
            } => {
                let Some(request) = self.approvals.remove(&approval_id) else {
                    return;
                };
                if let Some(agent) = self.agent.as_mut()
                    && let Err(e) = agent.respond(&request, decision).await
                {
                    tracing::warn!(thread = %self.thread_id, "could not pass on a decision: {e}");
                }
            }
            Input::Steer { turn_id, text } => self.steer(turn_id, &text).await,
            Input::Stop { reason } => self.stop(reason).await,
            Input::Revert { turn_count, cwd } => self.revert(turn_count, cwd).await,
        }
    }

    /// Passes a steering message to the agent; one it cannot take (the turn
    /// ended first, the agent refused) is said in the work log, so the user
    /// knows it was not read.
    async fn steer(&mut self, turn_id: TurnId, text: &str) {
        let delivered = match (self.turn.as_ref(), self.agent.as_mut()) {
            (Some(turn), Some(agent)) if turn.id == turn_id => agent.steer(text).await,
            _ => Err(AgentError::Refused {
                agent: self.provider.as_str(),
                what: "the message".to_string(),
                message: "its turn had already ended".to_string(),
            }),
        };
        if let Err(e) = delivered {
            tracing::info!(thread = %self.thread_id, "a steering message was not delivered: {e}");
            self.dispatch(InternalCommand::RecordActivity {
                thread_id: self.thread_id,
                activity_id: ActivityId::new(),
                kind: ActivityKind::Warning,
                summary: "A message sent during the turn did not reach the agent".to_string(),
                detail: Some(e.to_string()),
                status: ActivityStatus::Failed,
            })
            .await;
        }
    }

    async fn start_turn(
        &mut self,
        id: TurnId,
        number: u32,
        text: String,
        config: SessionConfig,
        cause: EventId,
    ) {
        // The folder as it was before the agent touches it.
        crate::git::recorder::before_turn(
            &self.engine,
            self.thread_id,
            config.cwd.clone(),
            number,
            &self.options.checkpoints,
        )
        .await;
        let resumed = (self.agent.is_none() && config.resume.is_some())
            .then(|| (text.clone(), config.clone()));
        self.turn = Some(Turn {
            id,
            number,
            cwd: config.cwd.clone(),
            cause,
            interrupt_deadline: None,
            resumed,
        });
        let settings: TurnSettings = config.settings.clone();
        if self.agent.is_none() {
            let Ok(slot) = self.slots.clone().try_acquire_owned() else {
                let message = format!(
                    "peon is already running {} agents, the most it may (max_agents in the \
                     config, --max-agents); stop one (\"Stop agent\") and send again",
                    self.options.max_agents
                );
                self.end_turn(TurnOutcome::Failed, Some(message)).await;
                return;
            };
            self.slot = Some(slot);
            self.session(SessionStatus::Starting, None, None).await;
            let (tx, rx) = mpsc::channel(256);
            match agent::start(self.provider, config.clone(), tx).await {
                Ok(agent) => {
                    self.agent = Some(agent);
                    self.runtime = Some(rx);
                }
                Err(e) if config.resume.is_some() && agent::lost_conversation(&e.to_string()) => {
                    // Gone before it started: a new conversation, primed.
                    if self.restart_fresh().await {
                        self.mark_started(id).await;
                    }
                    return;
                }
                Err(e) => {
                    self.fail(e.to_string()).await;
                    return;
                }
            }
        }
        let sent = match self.agent.as_mut() {
            Some(agent) => agent.send_turn(&text, &settings).await,
            None => return,
        };
        match sent {
            Ok(()) => self.mark_started(id).await,
            Err(e) => self.fail(e.to_string()).await,
        }
    }

    async fn mark_started(&mut self, id: TurnId) {
        self.dispatch(InternalCommand::MarkTurnStarted {
            thread_id: self.thread_id,
            turn_id: id,
        })
        .await;
        self.session(SessionStatus::Running, None, None).await;
    }

    async fn on_runtime(&mut self, event: RuntimeEvent) {
        // The agent says (as its turn's error or as it exits) that the
        // conversation it resumed is gone.
        let gone = match &event {
            RuntimeEvent::Exited { error } | RuntimeEvent::TurnCompleted { error, .. } => {
                error.as_deref().is_some_and(agent::lost_conversation)
            }
            _ => false,
        };
        if gone && self.turn.as_ref().is_some_and(|t| t.resumed.is_some()) {
            self.restart_fresh().await;
            return;
        }
        if !matches!(event, RuntimeEvent::Ready { .. })
            && let Some(turn) = self.turn.as_mut()
        {
            turn.resumed = None;
        }
        match event {
            RuntimeEvent::Ready {
                provider_thread_id,
                models,
            } => {
                if !models.is_empty()
                    && let Ok(mut cache) = self.models.lock()
                {
                    cache.insert(self.provider, models);
                }
                let status = if self.turn.is_some() {
                    SessionStatus::Running
                } else {
                    SessionStatus::Ready
                };
                self.session(status, Some(provider_thread_id), None).await;
            }
            // Marked when the turn was handed over.
            RuntimeEvent::TurnStarted => {}
            RuntimeEvent::TextDelta { item, text } => {
                if let Some(flush) = self.text.push(&item, &text, Instant::now()) {
                    self.write_text(flush).await;
                }
            }
            RuntimeEvent::TextDone { item, text } => {
                if let Some(flush) = self.text.finish(&item, text.as_deref()) {
                    let id = flush.message_id;
                    self.write_text(flush).await;
                    self.complete_message(id).await;
                }
            }
            RuntimeEvent::Activity {
                item,
                kind,
                summary,
                detail,
                status,
            } => {
                // A result keeps the kind and summary its start announced.
                let (activity_id, kind, summary) = match self.activities.get(&item) {
                    Some((id, k, s)) if summary.is_empty() => (*id, *k, s.clone()),
                    Some((id, _, _)) => (*id, kind, summary),
                    None => (ActivityId::new(), kind, summary),
                };
                self.activities
                    .insert(item, (activity_id, kind, summary.clone()));
                self.dispatch(InternalCommand::RecordActivity {
                    thread_id: self.thread_id,
                    activity_id,
                    kind,
                    summary: clip(summary, 500),
                    detail: detail.map(|d| clip(d, MAX_DETAIL)),
                    status,
                })
                .await;
            }
            RuntimeEvent::Usage {
                added,
                context_tokens,
                context_window,
                cost_micros,
            } => {
                if self.turn.is_some() {
                    self.dispatch(InternalCommand::RecordUsage {
                        thread_id: self.thread_id,
                        added,
                        context_tokens,
                        context_window,
                        cost_micros,
                    })
                    .await;
                }
            }
            RuntimeEvent::ApprovalRequested {
                request,
                kind,
                detail,
            } => {
                let approval_id = ApprovalId::new();
                self.approvals.insert(approval_id, request);
                self.dispatch(InternalCommand::RequestApproval {
                    thread_id: self.thread_id,
                    approval_id,
                    kind,
                    detail: clip(detail, MAX_DETAIL),
                })
                .await;
            }
            RuntimeEvent::TurnCompleted { outcome, error } => {
                self.end_turn(outcome, error).await;
                self.session(SessionStatus::Ready, None, None).await;
            }
            RuntimeEvent::Exited { error } => {
                // Already gone: nothing to stop, only to let go of.
                self.agent = None;
                self.fail(error.unwrap_or_else(|| "the agent stopped".to_string()))
                    .await;
            }
        }
    }

    async fn on_timer(&mut self) {
        let now = Instant::now();
        for flush in self.text.due(now) {
            self.write_text(flush).await;
        }
        if self
            .turn
            .as_ref()
            .and_then(|t| t.interrupt_deadline)
            .is_some_and(|d| d <= now)
        {
            self.kill_agent().await;
            self.end_turn(
                TurnOutcome::Interrupted,
                Some("the agent did not stop when asked, so peon ended it".to_string()),
            )
            .await;
            self.session(SessionStatus::Stopped, None, None).await;
        }
        if self.turn.is_none() && self.agent.is_some() && self.idle_since + self.idle_timeout <= now
        {
            self.kill_agent().await;
            self.session(SessionStatus::Stopped, None, None).await;
        }
    }

    async fn stop(&mut self, reason: &str) {
        let had_agent = self.agent.is_some();
        self.kill_agent().await;
        if self.turn.is_some() {
            self.end_turn(TurnOutcome::Interrupted, Some(reason.to_string()))
                .await;
        }
        if had_agent {
            self.session(SessionStatus::Stopped, None, None).await;
        }
    }

    /// Nothing may write in the folder while it is reverted: the agent
    /// stops first.
    async fn revert(&mut self, turn_count: u32, cwd: std::path::PathBuf) {
        self.stop("the thread was reverted").await;
        let limits = self.options.checkpoints.clone();
        crate::git::recorder::revert(&self.engine, self.thread_id, cwd, turn_count, &limits).await;
    }

    /// The conversation the agent was started to resume is gone (it said so
    /// at start or once running): a new conversation, told what the thread
    /// said so far, gets the same turn (keeping the agent slot). Whether
    /// the turn reached it.
    async fn restart_fresh(&mut self) -> bool {
        let Some(turn) = self.turn.as_mut() else {
            return false;
        };
        let number = turn.number;
        let Some((text, config)) = turn.resumed.take() else {
            return false;
        };
        let text = primer::primed(&self.pool, self.thread_id, number, &text, Why::Lost).await;
        tracing::warn!(thread = %self.thread_id, "the agent's conversation is gone; starting a new one");
        if let Some(mut agent) = self.agent.take() {
            agent.stop().await;
        }
        let settings = config.settings.clone();
        let fresh = SessionConfig {
            resume: None,
            ..config
        };
        let (tx, rx) = mpsc::channel(256);
        let started = match agent::start(self.provider, fresh, tx).await {
            Ok(mut agent) => {
                let sent = agent.send_turn(&text, &settings).await;
                self.agent = Some(agent);
                self.runtime = Some(rx);
                sent
            }
            Err(e) => Err(e),
        };
        match started {
            Ok(()) => true,
            Err(e) => {
                self.fail(e.to_string()).await;
                false
            }
        }
    }

    /// The agent cannot go on: it is stopped (if it runs), the turn fails
    /// with `message` and the session shows the error.
    async fn fail(&mut self, message: String) {
        self.kill_agent().await;
        self.end_turn(TurnOutcome::Failed, Some(message.clone()))
            .await;
        self.session(SessionStatus::Error, None, Some(message))
            .await;
    }

    async fn kill_agent(&mut self) {
        if let Some(mut agent) = self.agent.take() {
            agent.stop().await;
        }
        self.slot = None;
        self.runtime = None;
        self.approvals.clear();
    }

    /// Settles the running turn (no-op when none runs): closes its messages
    /// first so nothing streamed is left open.
    async fn end_turn(&mut self, outcome: TurnOutcome, error: Option<String>) {
        let Some(turn) = self.turn.take() else {
            return;
        };
        for flush in self.text.finish_all() {
            let id = flush.message_id;
            self.write_text(flush).await;
            self.complete_message(id).await;
        }
        self.activities.clear();
        self.approvals.clear();
        self.idle_since = Instant::now();
        let command = InternalCommand::CompleteTurn {
            thread_id: self.thread_id,
            turn_id: turn.id,
            status: outcome,
            error,
        };
        self.dispatch_caused(command, Some(turn.cause)).await;
        crate::git::recorder::after_turn(
            &self.engine,
            self.thread_id,
            turn.cwd,
            turn.id,
            turn.number,
            &self.options.checkpoints,
        )
        .await;
    }

    async fn write_text(&mut self, flush: Flush) {
        if flush.text.is_empty() {
            return;
        }
        self.dispatch(InternalCommand::MessageDelta {
            thread_id: self.thread_id,
            message_id: flush.message_id,
            text: flush.text,
        })
        .await;
    }

    async fn complete_message(&mut self, message_id: MessageId) {
        self.dispatch(InternalCommand::MessageComplete {
            thread_id: self.thread_id,
            message_id,
        })
        .await;
    }

    async fn session(
        &mut self,
        status: SessionStatus,
        provider_thread_id: Option<String>,
        last_error: Option<String>,
    ) {
        self.dispatch(InternalCommand::ChangeSession {
            thread_id: self.thread_id,
            status,
            provider_thread_id,
            last_error,
        })
        .await;
    }

    async fn dispatch(&self, command: InternalCommand) {
        let cause = self.turn.as_ref().map(|t| t.cause);
        self.dispatch_caused(command, cause).await;
    }

    /// Store failures are retried by the engine until the write lands;
    /// what comes back here is a refusal or a stopped engine.
    async fn dispatch_caused(&self, command: InternalCommand, cause: Option<EventId>) {
        match self
            .engine
            .dispatch_internal(command, Actor::Provider, cause)
            .await
        {
            Ok(_) => {}
            // E.g. the thread was deleted while its agent was still talking.
            Err(DispatchError::Rejected(e)) => {
                tracing::debug!(thread = %self.thread_id, "a command was refused: {e}");
            }
            Err(e) => tracing::error!(thread = %self.thread_id, "a command was not recorded: {e}"),
        }
    }
}

async fn next_runtime(rx: &mut Option<mpsc::Receiver<RuntimeEvent>>) -> Option<RuntimeEvent> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d.into()).await,
        None => std::future::pending().await,
    }
}
