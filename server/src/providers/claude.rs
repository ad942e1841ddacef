//! Claude Code through `claude` in two-way stream-json mode, with
//! permission prompts answered over stdio.

use super::agent::*;
use super::claude_events::Translator;
use super::process::AgentProcess;
use super::replies::Replies;
use futures::future::BoxFuture;
use peon_app::contracts::*;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

const AGENT: &str = "claude";

pub struct Claude {
    process: AgentProcess,
    replies: Arc<Replies>,
    next_id: AtomicU64,
    translator: Arc<Mutex<Translator>>,
    /// What the process was last told, so a change is sent only once.
    current: TurnSettings,
}

fn user_message(text: &str) -> Value {
    json!({
        "type": "user",
        "session_id": "",
        "parent_tool_use_id": null,
        "message": {"role": "user", "content": [{"type": "text", "text": text}]},
    })
}

fn permission_mode(settings: &TurnSettings) -> &'static str {
    match (settings.interaction_mode, settings.runtime_mode) {
        (InteractionMode::Plan, _) => "plan",
        (_, RuntimeMode::ApprovalRequired) => "default",
        (_, RuntimeMode::FullAccess) => "bypassPermissions",
    }
}

impl Claude {
    /// Starts claude, resuming its conversation when there is one. claude
    /// exits at once when it never saved that conversation (it was stopped
    /// before writing it); the session then starts a new one.
    pub async fn start(config: SessionConfig, events: RuntimeSender) -> Result<Self, AgentError> {
        let mode = permission_mode(&config.settings);
        let mut args = vec![
            "--input-format",
            "stream-json",
            "--output-format",
            "stream-json",
            "--verbose",
            "--include-partial-messages",
            // Each user message is echoed as claude takes it up, which
            // tells a steering message's own answer from the turn's end.
            "--replay-user-messages",
            "--permission-prompt-tool",
            "stdio",
            "--permission-mode",
            mode,
        ];
        if let Some(model) = &config.settings.model {
            args.extend(["--model", model]);
        }
        if let Some(session) = &config.resume {
            args.extend(["--resume", session]);
        }
        let (process, lines) = AgentProcess::spawn(AGENT, &config.binary, &args, &config.cwd)?;
        let replies = Arc::new(Replies::default());
        let translator = Arc::new(Mutex::new(Translator::default()));
        tokio::spawn(read_loop(
            lines,
            process.clone(),
            replies.clone(),
            translator.clone(),
            events,
        ));
        let mut claude = Self {
            process,
            replies,
            next_id: AtomicU64::new(1),
            translator,
            current: config.settings.clone(),
        };
        match claude
            .control(json!({"subtype": "initialize", "hooks": null}))
            .await
        {
            Ok(answer) => {
                let models = answer["models"]
                    .as_array()
                    .map(|m| {
                        m.iter()
                            .filter_map(|m| m["value"].as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                if let Ok(mut t) = claude.translator.lock() {
                    t.models = models;
                }
                Ok(claude)
            }
            Err(e) => {
                let e = claude.process.explain(e).await;
                claude.stop().await;
                Err(e)
            }
        }
    }

    async fn control(&self, request: Value) -> Result<Value, AgentError> {
        let id = format!("peon_{}", self.next_id.fetch_add(1, Ordering::Relaxed));
        let what = request["subtype"]
            .as_str()
            .unwrap_or("a request")
            .to_string();
        let rx = self.replies.expect(&id);
        self.process.send(&json!({
            "type": "control_request",
            "request_id": id,
            "request": request,
        }))?;
        Replies::wait(AGENT, &what, rx).await
    }
}

impl Agent for Claude {
    fn send_turn<'a>(
        &'a mut self,
        text: &'a str,
        settings: &'a TurnSettings,
    ) -> BoxFuture<'a, Result<(), AgentError>> {
        Box::pin(async move {
            if permission_mode(settings) != permission_mode(&self.current) {
                self.control(
                    json!({"subtype": "set_permission_mode", "mode": permission_mode(settings)}),
                )
                .await?;
            }
            if settings.model != self.current.model
                && let Some(model) = &settings.model
            {
                self.control(json!({"subtype": "set_model", "model": model}))
                    .await?;
            }
            self.current = settings.clone();
            self.process.send(&user_message(text))
        })
    }

    fn steer<'a>(&'a mut self, text: &'a str) -> BoxFuture<'a, Result<(), AgentError>> {
        // claude answers a message that arrives mid-turn after the running
        // answer, with a `result` of its own: the turn lasts until then.
        Box::pin(async move {
            if let Ok(mut t) = self.translator.lock() {
                t.steering.push_back(text.to_string());
            }
            self.process.send(&user_message(text))
        })
    }

    fn interrupt(&mut self) -> BoxFuture<'_, Result<(), AgentError>> {
        Box::pin(async move {
            if let Ok(mut t) = self.translator.lock() {
                t.interrupted = true;
            }
            self.control(json!({"subtype": "interrupt"}))
                .await
                .map(|_| ())
        })
    }

    fn respond<'a>(
        &'a mut self,
        request: &'a str,
        decision: ApprovalDecision,
    ) -> BoxFuture<'a, Result<(), AgentError>> {
        Box::pin(async move {
            let pending = self.translator.lock().ok().and_then(|mut t| {
                let p = t.permissions.remove(request);
                if let Some(id) = p.as_ref().and_then(|p| p.tool_use_id.clone())
                    && matches!(
                        decision,
                        ApprovalDecision::Decline | ApprovalDecision::Cancel
                    )
                {
                    t.declined.insert(id);
                }
                if decision == ApprovalDecision::Cancel {
                    t.interrupted = true;
                }
                p
            });
            let Some(pending) = pending else {
                return Err(AgentError::Refused {
                    agent: AGENT,
                    what: "an approval".into(),
                    message: format!("no permission request {request} is waiting"),
                });
            };
            let answer = match decision {
                ApprovalDecision::Accept => {
                    json!({"behavior": "allow", "updatedInput": pending.input})
                }
                ApprovalDecision::AcceptForSession => json!({
                    "behavior": "allow",
                    "updatedInput": pending.input,
                    "updatedPermissions": pending.suggestions,
                }),
                ApprovalDecision::Decline => json!({
                    "behavior": "deny",
                    "message": "The user declined this action.",
                }),
                ApprovalDecision::Cancel => json!({
                    "behavior": "deny",
                    "message": "The user declined this action and stopped the turn.",
                    "interrupt": true,
                }),
            };
            self.process.send(&json!({
                "type": "control_response",
                "response": {"subtype": "success", "request_id": request, "response": answer},
            }))
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
    translator: Arc<Mutex<Translator>>,
    events: RuntimeSender,
) {
    while let Some(line) = lines.recv().await {
        let Ok(msg) = serde_json::from_str::<Value>(&line) else {
            tracing::debug!("claude wrote a line that is not JSON: {line}");
            continue;
        };
        if msg["type"] == "control_response" {
            let r = &msg["response"];
            let answer = if r["subtype"] == "success" {
                Ok(r["response"].clone())
            } else {
                Err(r["error"].as_str().unwrap_or("unknown error").to_string())
            };
            replies.deliver(r["request_id"].as_str().unwrap_or_default(), answer);
            continue;
        }
        if msg["type"] == "control_request" && msg["request"]["subtype"] != "can_use_tool" {
            // Hooks and other callbacks peon never registered.
            let _ = process.send(&json!({
                "type": "control_response",
                "response": {"subtype": "error", "request_id": msg["request_id"],
                    "error": "peon does not handle this request"},
            }));
            continue;
        }
        let out = match translator.lock() {
            Ok(mut t) => t.message(&msg),
            Err(_) => Vec::new(),
        };
        for event in out {
            let _ = events.send(event).await;
        }
    }
    process.report_exit(&replies, &events).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(runtime_mode: RuntimeMode, interaction_mode: InteractionMode) -> TurnSettings {
        TurnSettings {
            model: None,
            runtime_mode,
            interaction_mode,
        }
    }

    #[test]
    fn modes_map_to_claude_permission_modes() {
        use InteractionMode::*;
        use RuntimeMode::*;
        assert_eq!(
            permission_mode(&settings(ApprovalRequired, Default)),
            "default"
        );
        assert_eq!(
            permission_mode(&settings(FullAccess, Default)),
            "bypassPermissions"
        );
        // Planning never acts, whatever the access.
        assert_eq!(permission_mode(&settings(FullAccess, Plan)), "plan");
        assert_eq!(permission_mode(&settings(ApprovalRequired, Plan)), "plan");
    }
}
