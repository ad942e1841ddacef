//! What every agent adapter offers peon, and what it reports back. An
//! adapter translates one agent's wire protocol into `RuntimeEvent`s; it
//! never touches the log. The session turns those events into commands.

use futures::future::BoxFuture;
use peon_app::contracts::*;
use std::path::PathBuf;
use tokio::sync::mpsc;

/// How to start an agent process for one thread.
#[derive(Clone, Debug)]
pub struct SessionConfig {
    pub binary: PathBuf,
    /// The project folder the agent works in.
    pub cwd: PathBuf,
    /// The agent's own conversation id, to resume after a restart.
    pub resume: Option<String>,
    pub settings: TurnSettings,
}

/// The thread's choices at the moment a turn is sent.
#[derive(Clone, Debug, PartialEq)]
pub struct TurnSettings {
    pub model: Option<String>,
    pub runtime_mode: RuntimeMode,
    pub interaction_mode: InteractionMode,
}

/// Something the agent did, in peon's terms. `item` keys are the agent's own
/// ids; the session maps them to peon ids.
#[derive(Clone, Debug, PartialEq)]
pub enum RuntimeEvent {
    /// The agent is up; `provider_thread_id` resumes its conversation later.
    Ready {
        provider_thread_id: String,
        models: Vec<String>,
    },
    TurnStarted,
    TextDelta {
        item: String,
        text: String,
    },
    /// A text item ended; `text` is its full text when the agent says it.
    TextDone {
        item: String,
        text: Option<String>,
    },
    Activity {
        item: String,
        kind: ActivityKind,
        summary: String,
        detail: Option<String>,
        status: ActivityStatus,
    },
    /// The agent waits for a decision; `request` is the agent's key for it.
    ApprovalRequested {
        request: String,
        kind: ApprovalKind,
        detail: String,
    },
    /// Tokens used since the agent's last report, and its context now.
    Usage {
        added: TokenUsage,
        context_tokens: Option<u64>,
        context_window: Option<u64>,
        cost_micros: Option<u64>,
    },
    TurnCompleted {
        outcome: TurnOutcome,
        error: Option<String>,
    },
    /// The process ended (or its output closed); `error` says why when it
    /// was not asked to stop.
    Exited {
        error: Option<String>,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error(
        "{agent} was not found ({detail}). Install it with `{install}`, or set {env_var} to its path"
    )]
    Missing {
        agent: &'static str,
        detail: String,
        install: &'static str,
        env_var: &'static str,
    },
    #[error("could not start {agent}: {source}")]
    Spawn {
        agent: &'static str,
        source: std::io::Error,
    },
    #[error("{agent} did not answer {what} in time")]
    Timeout { agent: &'static str, what: String },
    #[error("{agent} refused {what}: {message}")]
    Refused {
        agent: &'static str,
        what: String,
        message: String,
    },
    #[error("{agent} has exited")]
    Gone { agent: &'static str },
    /// It exited while starting; `reason` says how, with its last words.
    #[error("{reason}")]
    Exited { reason: String },
}

/// One running agent process, owned by one thread's session.
pub trait Agent: Send + Sync {
    fn send_turn<'a>(
        &'a mut self,
        text: &'a str,
        settings: &'a TurnSettings,
    ) -> BoxFuture<'a, Result<(), AgentError>>;
    /// More input for the running turn, read by the agent as it works.
    fn steer<'a>(&'a mut self, text: &'a str) -> BoxFuture<'a, Result<(), AgentError>>;
    fn interrupt(&mut self) -> BoxFuture<'_, Result<(), AgentError>>;
    fn respond<'a>(
        &'a mut self,
        request: &'a str,
        decision: ApprovalDecision,
    ) -> BoxFuture<'a, Result<(), AgentError>>;
    /// Ends the process; no `Exited` error follows.
    fn stop(&mut self) -> BoxFuture<'_, ()>;
}

pub type RuntimeSender = mpsc::Sender<RuntimeEvent>;

/// Starts the agent for `provider`; its events arrive on `events`.
pub async fn start(
    provider: Provider,
    config: SessionConfig,
    events: RuntimeSender,
) -> Result<Box<dyn Agent>, AgentError> {
    match provider {
        Provider::Codex => Ok(Box::new(super::codex::Codex::start(config, events).await?)),
        Provider::Claude => Ok(Box::new(
            super::claude::Claude::start(config, events).await?,
        )),
    }
}

/// Whether an agent's exit message says the conversation it was asked to
/// resume does not exist (claude, when it was stopped before saving it).
pub fn lost_conversation(error: &str) -> bool {
    error.contains("No conversation found with session ID")
}
