//! Codex app-server notifications and requests, in peon's terms.

use super::agent::RuntimeEvent;
use super::wire::{first_line, text};
use peon_app::contracts::*;
use serde_json::Value;
use std::collections::HashMap;

#[derive(Default)]
pub struct Translator {
    pub turn_id: Option<String>,
    /// File changes announced by `item/started`, shown when codex asks to
    /// apply them.
    changes: HashMap<String, String>,
}

impl Translator {
    pub fn notification(&mut self, method: &str, p: &Value) -> Vec<RuntimeEvent> {
        match method {
            "turn/started" => {
                self.turn_id = p["turn"]["id"].as_str().map(str::to_string);
                vec![RuntimeEvent::TurnStarted]
            }
            "item/agentMessage/delta" => vec![RuntimeEvent::TextDelta {
                item: text(&p["itemId"]),
                text: text(&p["delta"]),
            }],
            "item/started" => self.item(&p["item"], false).into_iter().collect(),
            "item/completed" => self.item(&p["item"], true).into_iter().collect(),
            "turn/completed" => {
                self.turn_id = None;
                self.changes.clear();
                let turn = &p["turn"];
                let outcome = match turn["status"].as_str() {
                    Some("interrupted") => TurnOutcome::Interrupted,
                    Some("failed") => TurnOutcome::Failed,
                    _ => TurnOutcome::Completed,
                };
                let error = turn["error"]["message"].as_str().map(str::to_string);
                vec![RuntimeEvent::TurnCompleted { outcome, error }]
            }
            "error" => {
                let message = p["error"]["message"]
                    .as_str()
                    .or(p["message"].as_str())
                    .unwrap_or("codex reported an error");
                vec![note(ActivityKind::Error, message, ActivityStatus::Failed)]
            }
            "warning" => vec![note(
                ActivityKind::Warning,
                p["message"].as_str().unwrap_or("warning"),
                ActivityStatus::Completed,
            )],
            _ => Vec::new(),
        }
    }

    /// A request codex makes of peon; `None` for kinds peon cannot answer.
    pub fn request(&mut self, method: &str, id: &Value, p: &Value) -> Option<RuntimeEvent> {
        let (kind, detail) = match method {
            "item/commandExecution/requestApproval" => {
                let mut detail = format!("$ {}", command_of(p));
                if let Some(cwd) = p["cwd"].as_str() {
                    detail.push_str(&format!("\n(in {cwd})"));
                }
                if let Some(reason) = p["reason"].as_str() {
                    detail.push_str(&format!("\n{reason}"));
                }
                (ApprovalKind::Command, detail)
            }
            "item/fileChange/requestApproval" => {
                let item = text(&p["itemId"]);
                let detail = self
                    .changes
                    .get(&item)
                    .cloned()
                    .or_else(|| p["reason"].as_str().map(str::to_string))
                    .unwrap_or_else(|| "codex wants to change files".to_string());
                (ApprovalKind::FileChange, detail)
            }
            _ => return None,
        };
        Some(RuntimeEvent::ApprovalRequested {
            request: id.to_string(),
            kind,
            detail,
        })
    }

    fn item(&mut self, item: &Value, done: bool) -> Option<RuntimeEvent> {
        let id = text(&item["id"]);
        let status = item_status(item, done);
        match item["type"].as_str()? {
            "agentMessage" if done => Some(RuntimeEvent::TextDone {
                item: id,
                text: item["text"].as_str().map(str::to_string),
            }),
            "commandExecution" => {
                let detail = done.then(|| {
                    let mut out = text(&item["aggregatedOutput"]);
                    if let Some(code) = item["exitCode"].as_i64() {
                        if !out.is_empty() && !out.ends_with('\n') {
                            out.push('\n');
                        }
                        out.push_str(&format!("exit code {code}"));
                    }
                    out
                });
                Some(RuntimeEvent::Activity {
                    item: id,
                    kind: ActivityKind::Command,
                    summary: command_of(item),
                    detail,
                    status,
                })
            }
            "fileChange" => {
                let changes = item["changes"].as_array().cloned().unwrap_or_default();
                let summary = changes
                    .iter()
                    .map(|c| {
                        let kind = c["kind"]["type"].as_str().unwrap_or("update");
                        format!("{kind} {}", text(&c["path"]))
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                let detail = changes
                    .iter()
                    .map(|c| format!("{}\n{}", text(&c["path"]), text(&c["diff"])))
                    .collect::<Vec<_>>()
                    .join("\n");
                self.changes.insert(id.clone(), detail.clone());
                Some(RuntimeEvent::Activity {
                    item: id,
                    kind: ActivityKind::FileChange,
                    summary,
                    detail: Some(detail),
                    status,
                })
            }
            "reasoning" if done => {
                let summary: Vec<String> = item["summary"]
                    .as_array()
                    .map(|parts| {
                        parts
                            .iter()
                            .filter_map(|s| s.as_str().or(s["text"].as_str()))
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default();
                let full = summary.join("\n");
                if full.trim().is_empty() {
                    return None;
                }
                Some(RuntimeEvent::Activity {
                    item: id,
                    kind: ActivityKind::Reasoning,
                    summary: first_line(&full),
                    detail: Some(full),
                    status: ActivityStatus::Completed,
                })
            }
            "mcpToolCall" | "dynamicToolCall" | "webSearch" | "imageView" => {
                let name = item["tool"]
                    .as_str()
                    .or(item["query"].as_str())
                    .unwrap_or(item["type"].as_str().unwrap_or("tool"));
                Some(RuntimeEvent::Activity {
                    item: id,
                    kind: ActivityKind::Tool,
                    summary: name.to_string(),
                    detail: None,
                    status,
                })
            }
            _ => None,
        }
    }
}

fn item_status(item: &Value, done: bool) -> ActivityStatus {
    match item["status"].as_str() {
        Some("failed") => ActivityStatus::Failed,
        Some("declined") => ActivityStatus::Declined,
        _ if done => ActivityStatus::Completed,
        _ => ActivityStatus::Running,
    }
}

/// The command as the user would type it (codex wraps it in a shell).
fn command_of(v: &Value) -> String {
    v["commandActions"][0]["command"]
        .as_str()
        .or(v["command"].as_str())
        .unwrap_or("command")
        .to_string()
}

fn note(kind: ActivityKind, message: &str, status: ActivityStatus) -> RuntimeEvent {
    RuntimeEvent::Activity {
        item: format!("note-{}", uuid::Uuid::new_v4()),
        kind,
        summary: first_line(message),
        detail: Some(message.to_string()).filter(|m| m.contains('\n')),
        status,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds a session recorded from the real CLI through the translator.
    fn replay(file: &str) -> Vec<RuntimeEvent> {
        let path = format!("{}/fixtures/{file}", env!("CARGO_MANIFEST_DIR"));
        let body = std::fs::read_to_string(&path).unwrap();
        let mut t = Translator::default();
        let mut out = Vec::new();
        for line in body.lines() {
            let v: Value = serde_json::from_str(line).unwrap();
            if v["dir"] != "<-" {
                continue;
            }
            let msg = &v["msg"];
            match (msg["method"].as_str(), msg.get("id")) {
                (Some(m), Some(id)) => out.extend(t.request(m, id, &msg["params"])),
                (Some(m), None) => out.extend(t.notification(m, &msg["params"])),
                _ => {}
            }
        }
        out
    }

    #[test]
    fn a_recorded_session_becomes_text_commands_and_an_approval() {
        let events = replay("codex-transcript.jsonl");
        let text: String = events
            .iter()
            .filter_map(|e| match e {
                RuntimeEvent::TextDelta { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect();
        assert!(text.starts_with("Hello from the fake Responses server!"));
        assert!(events.iter().any(|e| matches!(e,
            RuntimeEvent::ApprovalRequested { kind: ApprovalKind::Command, detail, request }
                if detail.starts_with("$ touch fake_server_was_here.txt") && request == "0")));
        assert!(events.iter().any(|e| matches!(e,
            RuntimeEvent::Activity { kind: ActivityKind::Command, status: ActivityStatus::Completed, detail: Some(d), .. }
                if d == "created\nexit code 0")));
        let completions = events
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
        assert_eq!(completions, 2);
    }

    #[test]
    fn a_file_change_approval_shows_the_diff() {
        let events = replay("codex-transcript-apply-patch.jsonl");
        assert!(events.iter().any(|e| matches!(e,
            RuntimeEvent::ApprovalRequested { kind: ApprovalKind::FileChange, detail, .. }
                if detail.contains("patched_by_fake.txt") && detail.contains("hello from apply_patch"))));
        // The answer came without deltas: its full text arrives at the end.
        assert!(events.iter().any(|e| matches!(e,
            RuntimeEvent::TextDone { text: Some(t), .. } if t.contains("Success. Updated"))));
    }

    #[test]
    fn reasoning_summaries_and_warnings_join_the_work_log() {
        let mut t = Translator::default();
        let reasoning = t.notification(
            "item/completed",
            &serde_json::json!({"item": {"type": "reasoning", "id": "r1",
                "summary": ["Look at the parser first", "then the tests"]}}),
        );
        assert_eq!(
            reasoning,
            vec![RuntimeEvent::Activity {
                item: "r1".into(),
                kind: ActivityKind::Reasoning,
                summary: "Look at the parser first".into(),
                detail: Some("Look at the parser first\nthen the tests".into()),
                status: ActivityStatus::Completed,
            }]
        );
        let empty = t.notification(
            "item/completed",
            &serde_json::json!({"item": {"type": "reasoning", "id": "r2", "summary": []}}),
        );
        assert!(
            empty.is_empty(),
            "no activity for reasoning without a summary"
        );
        let warning = t.notification("warning", &serde_json::json!({"message": "low disk"}));
        assert!(
            matches!(&warning[..], [RuntimeEvent::Activity { kind: ActivityKind::Warning, summary, .. }] if summary == "low disk")
        );
    }

    #[test]
    fn a_failed_turn_carries_codex_error_message() {
        let mut t = Translator::default();
        let events = t.notification(
            "turn/completed",
            &serde_json::json!({"turn": {"id": "x", "status": "failed", "error": {"message": "boom"}}}),
        );
        assert_eq!(
            events,
            vec![RuntimeEvent::TurnCompleted {
                outcome: TurnOutcome::Failed,
                error: Some("boom".into())
            }]
        );
    }
}
