//! Codex through `codex app-server`: JSON-RPC (without the "jsonrpc" field)
//! over stdio, one app-server process per peon thread.

use super::agent::*;
use super::codex_events::Translator;
use super::codex_protocol as wire;
use super::codex_requests::{Answer, Reply};
use super::process::AgentProcess;
use super::replies::Replies;
use futures::future::BoxFuture;
use peon_app::contracts::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

const AGENT: &str = "codex";

pub struct Codex {
    process: AgentProcess,
    replies: Arc<Replies>,
    next_id: AtomicU64,
    thread_id: String,
    /// The codex turn running now, for `turn/interrupt`.
    turn: Arc<Mutex<Option<String>>>,
    /// How to answer each card codex is waiting on, by request id.
    answers: Answers,
}

type Answers = Arc<Mutex<HashMap<String, Answer>>>;

/// Codex's approval policy, thread sandbox and turn sandbox for a runtime
/// mode. Asking before anything not known to be safe is codex's
/// "untrusted" policy.
pub(super) fn policy(
    mode: RuntimeMode,
) -> (wire::AskForApproval, wire::SandboxMode, wire::SandboxPolicy) {
    use wire::{AskForApproval as A, SandboxMode as M, SandboxPolicy as P};
    match mode {
        RuntimeMode::ApprovalRequired => (A::Untrusted, M::WorkspaceWrite, P::WorkspaceWrite),
        RuntimeMode::FullAccess => (A::Never, M::DangerFullAccess, P::DangerFullAccess),
    }
}

/// What `thread/start` (and `thread/resume`) is sent.
pub(super) fn thread_params(config: &SessionConfig) -> wire::ThreadStartParams {
    let (approval_policy, sandbox, _) = policy(config.settings.runtime_mode);
    wire::ThreadStartParams {
        cwd: config.cwd.display().to_string(),
        approval_policy,
        sandbox,
        model: config.settings.model.clone(),
    }
}

/// What `turn/start` is sent. The sandbox goes with every turn: codex keeps
/// a turn's sandbox for the turns after it.
pub(super) fn turn_params(
    thread_id: &str,
    text: &str,
    settings: &TurnSettings,
) -> wire::TurnStartParams {
    let (approval_policy, _, sandbox_policy) = policy(settings.runtime_mode);
    wire::TurnStartParams {
        thread_id: thread_id.to_string(),
        input: vec![wire::UserInput::Text {
            text: text.to_string(),
        }],
        approval_policy,
        sandbox_policy,
        model: settings.model.clone(),
    }
}

/// peon's decision in codex's words.
pub(super) fn decision(decision: ApprovalDecision) -> wire::ApprovalResponse {
    let decision = match decision {
        ApprovalDecision::Accept => wire::Decision::Accept,
        ApprovalDecision::AcceptForSession => wire::Decision::AcceptForSession,
        ApprovalDecision::Decline => wire::Decision::Decline,
        ApprovalDecision::Cancel => wire::Decision::Cancel,
    };
    wire::ApprovalResponse { decision }
}

/// What `initialize` is sent.
pub(super) fn initialize_params() -> wire::InitializeParams {
    wire::InitializeParams {
        client_info: wire::ClientInfo {
            name: "peon",
            title: "peon",
            version: env!("CARGO_PKG_VERSION"),
        },
    }
}

impl Codex {
    pub async fn start(config: SessionConfig, events: RuntimeSender) -> Result<Self, AgentError> {
        let (process, lines) =
            AgentProcess::spawn(AGENT, &config.binary, &["app-server"], &config.cwd)?;
        let replies = Arc::new(Replies::default());
        let turn = Arc::new(Mutex::new(None));
        let answers = Answers::default();
        tokio::spawn(read_loop(
            lines,
            process.clone(),
            replies.clone(),
            turn.clone(),
            answers.clone(),
            events.clone(),
        ));
        let mut codex = Self {
            process,
            replies,
            next_id: AtomicU64::new(1),
            thread_id: String::new(),
            turn,
            answers,
        };
        let started = codex.handshake(&config).await;
        match started {
            Ok(models) => {
                let _ = events
                    .send(RuntimeEvent::Ready {
                        provider_thread_id: codex.thread_id.clone(),
                        models,
                    })
                    .await;
                Ok(codex)
            }
            Err(e) => {
                let e = codex.process.explain(e).await;
                codex.stop().await;
                Err(e)
            }
        }
    }

    async fn handshake(&mut self, config: &SessionConfig) -> Result<Vec<String>, AgentError> {
        self.request::<_, Value>("initialize", &initialize_params())
            .await?;
        self.process.send(&json!({"method": "initialized"}))?;
        let mut thread = None;
        if let Some(id) = &config.resume {
            let resume = wire::ThreadResumeParams {
                thread_id: id.clone(),
                settings: thread_params(config),
            };
            match self
                .request::<_, wire::ThreadResponse>("thread/resume", &resume)
                .await
            {
                Ok(r) => thread = Some(r),
                // A conversation codex no longer has starts afresh.
                Err(e) => tracing::warn!("codex could not resume thread {id}: {e}"),
            }
        }
        let thread = match thread {
            Some(t) => t,
            None => {
                self.request::<_, wire::ThreadResponse>("thread/start", &thread_params(config))
                    .await?
            }
        };
        self.thread_id = thread.thread.id;
        let models = self
            .request::<_, wire::ModelListResponse>(
                "model/list",
                &wire::ModelListParams { limit: 50 },
            )
            .await
            .map(|list| list.data.into_iter().map(|m| m.model).collect())
            .unwrap_or_default();
        Ok(models)
    }

    /// Sends a request and decodes its answer; an answer of another shape
    /// is an error naming the method.
    async fn request<P: Serialize, R: DeserializeOwned>(
        &self,
        method: &str,
        params: &P,
    ) -> Result<R, AgentError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let rx = self.replies.expect(&id.to_string());
        self.process
            .send(&json!({"id": id, "method": method, "params": params}))?;
        let answer = Replies::wait(AGENT, method, rx).await?;
        R::deserialize(&answer).map_err(|e| AgentError::Refused {
            agent: AGENT,
            what: method.to_string(),
            message: format!("an answer peon cannot read: {e}"),
        })
    }
}

impl Agent for Codex {
    fn send_turn<'a>(
        &'a mut self,
        text: &'a str,
        settings: &'a TurnSettings,
    ) -> BoxFuture<'a, Result<(), AgentError>> {
        Box::pin(async move {
            let params = turn_params(&self.thread_id, text, settings);
            let answer: wire::TurnResponse = self.request("turn/start", &params).await?;
            if let Ok(mut t) = self.turn.lock() {
                *t = Some(answer.turn.id);
            }
            Ok(())
        })
    }

    fn steer<'a>(&'a mut self, text: &'a str) -> BoxFuture<'a, Result<(), AgentError>> {
        Box::pin(async move {
            let turn = self.turn.lock().ok().and_then(|t| t.clone());
            let Some(expected_turn_id) = turn else {
                return Err(AgentError::Refused {
                    agent: AGENT,
                    what: "turn/steer".to_string(),
                    message: "no turn is running".to_string(),
                });
            };
            let params = wire::TurnSteerParams {
                thread_id: self.thread_id.clone(),
                expected_turn_id: expected_turn_id.clone(),
                input: vec![wire::UserInput::Text {
                    text: text.to_string(),
                }],
            };
            let answer: wire::TurnSteerResponse = self.request("turn/steer", &params).await?;
            if answer.turn_id != expected_turn_id {
                return Err(AgentError::Refused {
                    agent: AGENT,
                    what: "turn/steer".to_string(),
                    message: format!("it went to turn {}", answer.turn_id),
                });
            }
            Ok(())
        })
    }

    fn interrupt(&mut self) -> BoxFuture<'_, Result<(), AgentError>> {
        Box::pin(async move {
            let turn = self.turn.lock().ok().and_then(|t| t.clone());
            if let Some(turn_id) = turn {
                let params = wire::TurnInterruptParams {
                    thread_id: self.thread_id.clone(),
                    turn_id,
                };
                self.request::<_, Value>("turn/interrupt", &params).await?;
            }
            Ok(())
        })
    }

    fn respond<'a>(
        &'a mut self,
        request: &'a str,
        decision: ApprovalDecision,
    ) -> BoxFuture<'a, Result<(), AgentError>> {
        Box::pin(async move {
            let id: Value = serde_json::from_str(request).unwrap_or(json!(request));
            let answer = self
                .answers
                .lock()
                .ok()
                .and_then(|mut a| a.remove(request))
                .unwrap_or(Answer::Decision);
            self.process
                .send(&json!({"id": id, "result": answer.result(decision)}))
        })
    }

    fn stop(&mut self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            self.process.stop().await;
        })
    }
}

async fn read_loop(
    mut lines: tokio::sync::mpsc::UnboundedReceiver<String>,
    process: AgentProcess,
    replies: Arc<Replies>,
    turn: Arc<Mutex<Option<String>>>,
    answers: Answers,
    events: RuntimeSender,
) {
    let mut translator = Translator::default();
    while let Some(line) = lines.recv().await {
        let Ok(msg) = serde_json::from_str::<Value>(&line) else {
            tracing::debug!("codex wrote a line that is not JSON: {line}");
            continue;
        };
        let method = msg["method"].as_str();
        let id = msg.get("id").filter(|v| !v.is_null());
        match (method, id) {
            // An answer to one of peon's requests.
            (None, Some(id)) => {
                let answer = match msg.get("error") {
                    Some(err) => Err(err["message"]
                        .as_str()
                        .unwrap_or("unknown error")
                        .to_string()),
                    None => Ok(msg["result"].clone()),
                };
                replies.deliver(&id.to_string(), answer);
            }
            // A request codex makes of peon.
            (Some(method), Some(id)) => {
                let reply = translator.request(method, &msg["params"]);
                match &reply {
                    Reply::Ask { answer, .. } => {
                        if let Ok(mut a) = answers.lock() {
                            a.insert(id.to_string(), answer.clone());
                        }
                    }
                    Reply::Now { result, .. } => {
                        let _ = process.send(&json!({"id": id, "result": result}));
                    }
                    Reply::Refuse { message, .. } => {
                        let _ = process.send(&json!({"id": id, "error": {
                            "code": -32601,
                            "message": message,
                        }}));
                    }
                }
                let _ = events.send(reply.event(id)).await;
            }
            (Some(method), None) => {
                for event in translator.notification(method, &msg["params"]) {
                    if let Ok(mut t) = turn.lock() {
                        match &event {
                            RuntimeEvent::TurnStarted => *t = translator.turn_id.clone(),
                            RuntimeEvent::TurnCompleted { .. } => *t = None,
                            _ => {}
                        }
                    }
                    let _ = events.send(event).await;
                }
            }
            (None, None) => {}
        }
    }
    process.report_exit(&replies, &events).await;
}
