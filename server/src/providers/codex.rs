//! Codex through `codex app-server`: JSON-RPC (without the "jsonrpc" field)
//! over stdio, one app-server process per peon thread.

use super::agent::*;
use super::codex_events::Translator;
use super::process::AgentProcess;
use super::replies::Replies;
use futures::future::BoxFuture;
use peon_app::contracts::*;
use serde_json::{Value, json};
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
}

/// Codex's approval policy and sandbox for a runtime mode. Asking before
/// anything not known to be safe is codex's "untrusted" policy.
fn policy(mode: RuntimeMode) -> (&'static str, &'static str) {
    match mode {
        RuntimeMode::ApprovalRequired => ("untrusted", "workspace-write"),
        RuntimeMode::FullAccess => ("never", "danger-full-access"),
    }
}

impl Codex {
    pub async fn start(config: SessionConfig, events: RuntimeSender) -> Result<Self, AgentError> {
        let (process, lines) =
            AgentProcess::spawn(AGENT, &config.binary, &["app-server"], &config.cwd)?;
        let replies = Arc::new(Replies::default());
        let turn = Arc::new(Mutex::new(None));
        tokio::spawn(read_loop(
            lines,
            process.clone(),
            replies.clone(),
            turn.clone(),
            events.clone(),
        ));
        let mut codex = Self {
            process,
            replies,
            next_id: AtomicU64::new(1),
            thread_id: String::new(),
            turn,
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
        self.request(
            "initialize",
            json!({"clientInfo": {"name": "peon", "title": "peon", "version": env!("CARGO_PKG_VERSION")}}),
        )
        .await?;
        self.process.send(&json!({"method": "initialized"}))?;
        let (approval, sandbox) = policy(config.settings.runtime_mode);
        let mut params = json!({
            "cwd": config.cwd.display().to_string(),
            "approvalPolicy": approval,
            "sandbox": sandbox,
        });
        if let Some(model) = &config.settings.model {
            params["model"] = json!(model);
        }
        let mut thread = None;
        if let Some(id) = &config.resume {
            let mut resume = params.clone();
            resume["threadId"] = json!(id);
            match self.request("thread/resume", resume).await {
                Ok(r) => thread = Some(r),
                // A conversation codex no longer has starts afresh.
                Err(e) => tracing::warn!("codex could not resume thread {id}: {e}"),
            }
        }
        let thread = match thread {
            Some(t) => t,
            None => self.request("thread/start", params).await?,
        };
        self.thread_id = thread["thread"]["id"]
            .as_str()
            .ok_or_else(|| AgentError::Refused {
                agent: AGENT,
                what: "thread/start".into(),
                message: "no thread id in its answer".into(),
            })?
            .to_string();
        let models = match self.request("model/list", json!({"limit": 50})).await {
            Ok(list) => list["data"]
                .as_array()
                .map(|models| {
                    models
                        .iter()
                        .filter_map(|m| m["model"].as_str().or(m["id"].as_str()))
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
            Err(_) => Vec::new(),
        };
        Ok(models)
    }

    async fn request(&self, method: &str, params: Value) -> Result<Value, AgentError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let rx = self.replies.expect(&id.to_string());
        self.process
            .send(&json!({"id": id, "method": method, "params": params}))?;
        Replies::wait(AGENT, method, rx).await
    }
}

impl Agent for Codex {
    fn send_turn<'a>(
        &'a mut self,
        text: &'a str,
        settings: &'a TurnSettings,
    ) -> BoxFuture<'a, Result<(), AgentError>> {
        Box::pin(async move {
            let (approval, _) = policy(settings.runtime_mode);
            let mut params = json!({
                "threadId": self.thread_id,
                "input": [{"type": "text", "text": text}],
                "approvalPolicy": approval,
            });
            if settings.runtime_mode == RuntimeMode::FullAccess {
                params["sandboxPolicy"] = json!({"type": "dangerFullAccess"});
            }
            if let Some(model) = &settings.model {
                params["model"] = json!(model);
            }
            let answer = self.request("turn/start", params).await?;
            if let Some(id) = answer["turn"]["id"].as_str()
                && let Ok(mut t) = self.turn.lock()
            {
                *t = Some(id.to_string());
            }
            Ok(())
        })
    }

    fn interrupt(&mut self) -> BoxFuture<'_, Result<(), AgentError>> {
        Box::pin(async move {
            let turn = self.turn.lock().ok().and_then(|t| t.clone());
            if let Some(turn_id) = turn {
                self.request(
                    "turn/interrupt",
                    json!({"threadId": self.thread_id, "turnId": turn_id}),
                )
                .await?;
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
            let decision = match decision {
                ApprovalDecision::Accept => "accept",
                ApprovalDecision::AcceptForSession => "acceptForSession",
                ApprovalDecision::Decline => "decline",
                ApprovalDecision::Cancel => "cancel",
            };
            self.process
                .send(&json!({"id": id, "result": {"decision": decision}}))
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
            (Some(method), Some(id)) => match translator.request(method, id, &msg["params"]) {
                Some(event) => {
                    let _ = events.send(event).await;
                }
                None => {
                    let _ = process.send(&json!({"id": id, "error": {
                        "code": -32601,
                        "message": format!("peon does not support {method}"),
                    }}));
                }
            },
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_map_to_codex_approval_and_sandbox() {
        assert_eq!(
            policy(RuntimeMode::ApprovalRequired),
            ("untrusted", "workspace-write")
        );
        assert_eq!(
            policy(RuntimeMode::FullAccess),
            ("never", "danger-full-access")
        );
    }
}
