//! Claude Code stream-json messages, in peon's terms.

use super::agent::RuntimeEvent;
use super::wire::{first_line, text};
use peon_app::contracts::*;
use serde_json::Value;
use std::collections::{HashMap, HashSet, VecDeque};

/// A permission request waiting for the user, kept to build the answer.
#[derive(Clone, Debug)]
pub struct PendingPermission {
    pub tool_use_id: Option<String>,
    pub input: Value,
    pub suggestions: Value,
}

#[derive(Default)]
pub struct Translator {
    pub session_id: Option<String>,
    pub models: Vec<String>,
    /// Block types of the message streaming now, by index.
    blocks: HashMap<u64, String>,
    message_id: String,
    /// Messages whose text arrived as deltas (their full copy is skipped).
    streamed: HashSet<String>,
    pub interrupted: bool,
    /// Messages sent into the running turn that claude has not taken up
    /// yet (it echoes each as it does): the turn's end waits for them.
    pub steering: VecDeque<String>,
    /// The latest request's input tokens and its answer's output tokens:
    /// what the context holds now.
    context: u64,
    context_output: u64,
    /// claude's cost so far in this process (`total_cost_usd` counts up).
    cost_so_far: f64,
    pub declined: HashSet<String>,
    pub permissions: HashMap<String, PendingPermission>,
}

impl Translator {
    pub fn message(&mut self, msg: &Value) -> Vec<RuntimeEvent> {
        match msg["type"].as_str().unwrap_or_default() {
            "system" if msg["subtype"] == "init" => {
                let id = msg["session_id"].as_str().map(str::to_string);
                if id.is_none() || id == self.session_id {
                    return Vec::new();
                }
                self.session_id = id.clone();
                vec![RuntimeEvent::Ready {
                    provider_thread_id: id.unwrap_or_default(),
                    models: self.models.clone(),
                }]
            }
            "stream_event" => self.stream_event(&msg["event"]),
            "assistant" => self.assistant(&msg["message"]),
            "user" => {
                if msg["isReplay"] == true {
                    let said = text(&msg["message"]["content"][0]["text"]);
                    if self.steering.front() == Some(&said) {
                        self.steering.pop_front();
                    }
                }
                self.tool_results(&msg["message"])
            }
            "control_request" => self.control_request(msg).into_iter().collect(),
            // A steering message still to be answered: this answer is not
            // the turn's last (unless the turn was stopped).
            "result" if !self.steering.is_empty() && !self.interrupted => {
                self.usage(msg).into_iter().collect()
            }
            "result" => {
                let mut events: Vec<RuntimeEvent> = self.usage(msg).into_iter().collect();
                events.push(self.result(msg));
                events
            }
            _ => Vec::new(),
        }
    }

    fn stream_event(&mut self, e: &Value) -> Vec<RuntimeEvent> {
        let index = e["index"].as_u64().unwrap_or(0);
        match e["type"].as_str().unwrap_or_default() {
            "message_start" => {
                self.message_id = text(&e["message"]["id"]);
                self.blocks.clear();
                // What this request sent: the context, before the answer.
                let u = &e["message"]["usage"];
                self.context = [
                    "input_tokens",
                    "cache_read_input_tokens",
                    "cache_creation_input_tokens",
                ]
                .iter()
                .filter_map(|k| u[*k].as_u64())
                .sum();
                Vec::new()
            }
            "message_delta" => {
                self.context_output = e["usage"]["output_tokens"].as_u64().unwrap_or(0);
                Vec::new()
            }
            "content_block_start" => {
                let kind = text(&e["content_block"]["type"]);
                self.blocks.insert(index, kind);
                Vec::new()
            }
            "content_block_delta" if e["delta"]["type"] == "text_delta" => {
                self.streamed.insert(self.message_id.clone());
                vec![RuntimeEvent::TextDelta {
                    item: self.item(index),
                    text: text(&e["delta"]["text"]),
                }]
            }
            "content_block_stop" if self.blocks.get(&index).is_some_and(|k| k == "text") => {
                vec![RuntimeEvent::TextDone {
                    item: self.item(index),
                    text: None,
                }]
            }
            _ => Vec::new(),
        }
    }

    fn item(&self, index: u64) -> String {
        format!("{}:{index}", self.message_id)
    }

    fn assistant(&mut self, message: &Value) -> Vec<RuntimeEvent> {
        let id = text(&message["id"]);
        let blocks = message["content"].as_array().cloned().unwrap_or_default();
        let mut out = Vec::new();
        for (i, block) in blocks.iter().enumerate() {
            match block["type"].as_str().unwrap_or_default() {
                "tool_use" => {
                    let name = text(&block["name"]);
                    let (kind, summary, detail) = describe_tool(&name, &block["input"]);
                    out.push(RuntimeEvent::Activity {
                        item: text(&block["id"]),
                        kind: activity_kind(kind),
                        summary,
                        detail: Some(detail),
                        status: ActivityStatus::Running,
                    });
                }
                "thinking" => {
                    let thought = text(&block["thinking"]);
                    if !thought.trim().is_empty() {
                        out.push(RuntimeEvent::Activity {
                            item: format!("{id}:thinking:{i}"),
                            kind: ActivityKind::Reasoning,
                            summary: first_line(&thought),
                            detail: Some(thought),
                            status: ActivityStatus::Completed,
                        });
                    }
                }
                // Text not seen as deltas (partial messages off or lost).
                "text" if !self.streamed.contains(&id) => out.push(RuntimeEvent::TextDone {
                    item: format!("{id}:full:{i}"),
                    text: Some(text(&block["text"])),
                }),
                _ => {}
            }
        }
        out
    }

    fn tool_results(&mut self, message: &Value) -> Vec<RuntimeEvent> {
        let Some(blocks) = message["content"].as_array() else {
            return Vec::new();
        };
        blocks
            .iter()
            .filter(|b| b["type"] == "tool_result")
            .map(|b| {
                let id = text(&b["tool_use_id"]);
                let status = if self.declined.contains(&id) {
                    ActivityStatus::Declined
                } else if b["is_error"].as_bool().unwrap_or(false) {
                    ActivityStatus::Failed
                } else {
                    ActivityStatus::Completed
                };
                RuntimeEvent::Activity {
                    item: id,
                    // The session keeps the kind and summary of the start.
                    kind: ActivityKind::Tool,
                    summary: String::new(),
                    detail: Some(result_text(&b["content"])),
                    status,
                }
            })
            .collect()
    }

    fn control_request(&mut self, msg: &Value) -> Option<RuntimeEvent> {
        let request = &msg["request"];
        if request["subtype"] != "can_use_tool" {
            return None;
        }
        let request_id = text(&msg["request_id"]);
        let name = text(&request["tool_name"]);
        let (kind, _, detail) = describe_tool(&name, &request["input"]);
        self.permissions.insert(
            request_id.clone(),
            PendingPermission {
                tool_use_id: request["tool_use_id"].as_str().map(str::to_string),
                input: request["input"].clone(),
                suggestions: request["permission_suggestions"].clone(),
            },
        );
        Some(RuntimeEvent::ApprovalRequested {
            request: request_id,
            kind,
            detail,
        })
    }

    /// A result's tokens (its `usage` counts that answer's requests), its
    /// model's context window, and the cost since the last result.
    fn usage(&mut self, msg: &Value) -> Option<RuntimeEvent> {
        let u = msg.get("usage").filter(|u| u.is_object())?;
        let n = |k: &str| u[k].as_u64().unwrap_or(0);
        let cached = n("cache_read_input_tokens");
        let window = msg["modelUsage"]
            .as_object()
            .and_then(|m| m.values().find_map(|v| v["contextWindow"].as_u64()));
        let cost = msg["total_cost_usd"].as_f64().map(|total| {
            let since = (total - self.cost_so_far).max(0.0);
            self.cost_so_far = total;
            (since * 1_000_000.0).round() as u64
        });
        Some(RuntimeEvent::Usage {
            added: TokenUsage {
                input: n("input_tokens") + cached + n("cache_creation_input_tokens"),
                cached_input: cached,
                output: n("output_tokens"),
                reasoning_output: u["output_tokens_details"]["thinking_tokens"]
                    .as_u64()
                    .unwrap_or(0),
            },
            context_tokens: (self.context > 0).then_some(self.context + self.context_output),
            context_window: window,
            cost_micros: cost,
        })
    }

    fn result(&mut self, msg: &Value) -> RuntimeEvent {
        let interrupted = std::mem::take(&mut self.interrupted);
        // A stopped turn answers nothing more.
        self.steering.clear();
        let failed = msg["is_error"].as_bool().unwrap_or(false) || msg["subtype"] != "success";
        let (outcome, error) = if interrupted {
            (TurnOutcome::Interrupted, None)
        } else if failed {
            let detail = msg["result"]
                .as_str()
                .filter(|r| !r.is_empty())
                .map(str::to_string)
                .or_else(|| msg["errors"][0].as_str().map(str::to_string))
                .unwrap_or_else(|| format!("claude ended the turn with {}", text(&msg["subtype"])));
            (TurnOutcome::Failed, Some(detail))
        } else {
            (TurnOutcome::Completed, None)
        };
        RuntimeEvent::TurnCompleted { outcome, error }
    }
}

/// (approval kind, one-line summary, detail) for a tool call.
fn describe_tool(name: &str, input: &Value) -> (ApprovalKind, String, String) {
    let path = text(&input["file_path"]);
    match name {
        "Bash" => {
            let command = text(&input["command"]);
            let mut detail = format!("$ {command}");
            if let Some(d) = input["description"].as_str() {
                detail.push_str(&format!("\n{d}"));
            }
            (ApprovalKind::Command, command, detail)
        }
        "Write" => {
            let body = prefixed(&text(&input["content"]), '+');
            (
                ApprovalKind::FileChange,
                format!("write {path}"),
                format!("{path}\n{body}"),
            )
        }
        "Edit" | "MultiEdit" => {
            let old = prefixed(&text(&input["old_string"]), '-');
            let new = prefixed(&text(&input["new_string"]), '+');
            (
                ApprovalKind::FileChange,
                format!("edit {path}"),
                format!("{path}\n{old}{new}"),
            )
        }
        _ => {
            let pretty = serde_json::to_string_pretty(input).unwrap_or_default();
            (
                ApprovalKind::Other,
                name.to_string(),
                format!("{name}\n{pretty}"),
            )
        }
    }
}

fn activity_kind(kind: ApprovalKind) -> ActivityKind {
    match kind {
        ApprovalKind::Command => ActivityKind::Command,
        ApprovalKind::FileChange => ActivityKind::FileChange,
        ApprovalKind::Other => ActivityKind::Tool,
    }
}

fn prefixed(body: &str, mark: char) -> String {
    body.lines().map(|l| format!("{mark}{l}\n")).collect()
}

fn result_text(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p["text"].as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replay(said: &str) -> Value {
        serde_json::json!({"type": "user", "isReplay": true,
            "message": {"role": "user", "content": [{"type": "text", "text": said}]}})
    }

    fn result() -> Value {
        serde_json::json!({"type": "result", "subtype": "success", "is_error": false})
    }

    fn ends(events: &[RuntimeEvent]) -> bool {
        events
            .iter()
            .any(|e| matches!(e, RuntimeEvent::TurnCompleted { .. }))
    }

    /// A result's usage (cache reads count as input, and as cached), its
    /// model's context window, and the cost since the last result (claude's
    /// `total_cost_usd` counts up over the process).
    #[test]
    fn results_carry_tokens_and_the_cost_since_the_last() {
        let mut t = Translator::default();
        t.message(
            &serde_json::json!({"type": "stream_event", "event": {"type": "message_start",
            "message": {"id": "m", "usage": {"input_tokens": 7, "cache_read_input_tokens": 3}}}}),
        );
        t.message(
            &serde_json::json!({"type": "stream_event", "event": {"type": "message_delta",
            "usage": {"output_tokens": 4}}}),
        );
        let result = |cost: f64| {
            serde_json::json!({"type": "result", "subtype": "success",
            "is_error": false, "total_cost_usd": cost,
            "usage": {"input_tokens": 7, "cache_read_input_tokens": 3, "output_tokens": 4},
            "modelUsage": {"claude-x": {"contextWindow": 200000}}})
        };
        let usage = |events: Vec<RuntimeEvent>| match events.first() {
            Some(RuntimeEvent::Usage {
                added,
                context_tokens,
                context_window,
                cost_micros,
            }) => (*added, *context_tokens, *context_window, *cost_micros),
            other => panic!("{other:?}"),
        };
        let (added, context, window, cost) = usage(t.message(&result(0.001)));
        assert_eq!((added.input, added.cached_input, added.output), (10, 3, 4));
        assert_eq!(
            (context, window, cost),
            (Some(14), Some(200_000), Some(1000))
        );
        let (_, _, _, cost) = usage(t.message(&result(0.0015)));
        assert_eq!(cost, Some(500));
    }

    /// claude answers a steering message after the answer it was writing,
    /// with a result of its own (as the pinned CLI does): the turn ends
    /// with the last of them, or at once when it was stopped.
    #[test]
    fn a_turn_with_a_steering_message_ends_with_its_answer() {
        let mut t = Translator::default();
        assert!(t.message(&replay("first")).is_empty());
        t.steering.push_back("and this".into());
        assert!(
            !ends(&t.message(&result())),
            "the steering message is still to come"
        );
        t.message(&replay("and this"));
        assert!(ends(&t.message(&result())));
        // Taken up before the running answer ended: one result for both.
        t.steering.push_back("more".into());
        t.message(&replay("more"));
        assert!(ends(&t.message(&result())));
        // Stopped: the turn ends, and nothing is waited for any more.
        t.steering.push_back("late".into());
        t.interrupted = true;
        assert!(ends(&t.message(&result())));
        assert!(t.steering.is_empty());
    }

    #[test]
    fn a_recorded_session_becomes_text_an_approval_and_results() {
        let path = format!(
            "{}/fixtures/claude-transcript.jsonl",
            env!("CARGO_MANIFEST_DIR")
        );
        let body = std::fs::read_to_string(path).unwrap();
        let mut t = Translator::default();
        let mut events = Vec::new();
        for line in body.lines() {
            let v: Value = serde_json::from_str(line).unwrap();
            if v["dir"] == "<-" {
                events.extend(t.message(&v["msg"]));
            }
        }
        let ready = events
            .iter()
            .filter(|e| matches!(e, RuntimeEvent::Ready { .. }))
            .count();
        assert_eq!(ready, 1, "one session, announced once");
        let first_text: String = events
            .iter()
            .take_while(|e| !matches!(e, RuntimeEvent::TurnCompleted { .. }))
            .filter_map(|e| match e {
                RuntimeEvent::TextDelta { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(first_text, "Hello from the fake Anthropic server!");
        assert!(events.iter().any(|e| matches!(e,
            RuntimeEvent::ApprovalRequested { kind: ApprovalKind::Command, detail, .. }
                if detail.starts_with("$ touch claude_was_here.txt"))));
        assert!(events.iter().any(|e| matches!(e,
            RuntimeEvent::Activity { status: ActivityStatus::Completed, detail: Some(d), .. } if d == "created")));
        let completed = events
            .iter()
            .filter(|e| {
                matches!(
                    e,
                    RuntimeEvent::TurnCompleted {
                        outcome: TurnOutcome::Completed,
                        ..
                    }
                )
            })
            .count();
        assert_eq!(completed, 2);
    }

    #[test]
    fn thinking_becomes_reasoning_and_tools_become_activities() {
        let mut t = Translator::default();
        let events = t.message(&serde_json::json!({
            "type": "assistant",
            "message": {"id": "m1", "content": [
                {"type": "thinking", "thinking": "Check the config\nthen edit"},
                {"type": "tool_use", "id": "tu1", "name": "Edit",
                 "input": {"file_path": "/w/a.rs", "old_string": "a", "new_string": "b"}},
            ]}
        }));
        assert!(
            matches!(&events[0], RuntimeEvent::Activity { kind: ActivityKind::Reasoning, summary, .. } if summary == "Check the config")
        );
        assert!(
            matches!(&events[1], RuntimeEvent::Activity { kind: ActivityKind::FileChange, summary, detail: Some(d), .. }
            if summary == "edit /w/a.rs" && d == "/w/a.rs\n-a\n+b\n")
        );
        // Its result keeps the id, so the session updates the same entry.
        let result = t.message(&serde_json::json!({
            "type": "user",
            "message": {"content": [{"type": "tool_result", "tool_use_id": "tu1", "content": "ok", "is_error": false}]}
        }));
        assert!(
            matches!(&result[..], [RuntimeEvent::Activity { item, status: ActivityStatus::Completed, .. }] if item == "tu1")
        );
    }

    #[test]
    fn an_error_result_fails_the_turn_with_its_message() {
        let mut t = Translator::default();
        let events = t.message(&serde_json::json!({
            "type": "result", "subtype": "success", "is_error": true,
            "result": "API Error: 500 fake model failure"
        }));
        assert_eq!(
            events,
            vec![RuntimeEvent::TurnCompleted {
                outcome: TurnOutcome::Failed,
                error: Some("API Error: 500 fake model failure".into())
            }]
        );
    }
}
