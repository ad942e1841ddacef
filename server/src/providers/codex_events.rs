//! Codex app-server notifications and requests, in peon's terms. Each
//! message is decoded into its type from `codex_protocol`; one peon cannot
//! read is logged and shown in the work log, and a turn's end that cannot
//! be read still ends the turn (as failed, saying why).

use super::agent::RuntimeEvent;
use super::codex_protocol as wire;
use super::codex_requests::{self, Answer, Reply};
use super::wire::first_line;
use peon_app::contracts::*;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::HashMap;

#[derive(Default)]
pub struct Translator {
    pub turn_id: Option<String>,
    /// File changes announced by `item/started`, shown when codex asks to
    /// apply them.
    changes: HashMap<String, String>,
    /// The thread's token total at codex's last report: the next report's
    /// difference from it is what was used since.
    usage_total: Option<TokenUsage>,
}

/// `params` as `T`, or a message saying what could not be read.
fn decode<T: DeserializeOwned>(method: &str, params: &Value) -> Result<T, String> {
    T::deserialize(params).map_err(|e| {
        let message = format!("codex sent a {method} that peon cannot read: {e}");
        tracing::error!("{message}");
        message
    })
}

impl Translator {
    /// Tokens since the last report: the difference of the totals, or, for
    /// the first report of this process (a resumed thread's total holds
    /// turns already counted), the latest request's.
    fn usage(&mut self, u: wire::ThreadTokenUsage) -> RuntimeEvent {
        let total = u.total.tokens();
        let added = match self.usage_total.replace(total) {
            Some(before) => total.since(&before),
            None => u.last.tokens(),
        };
        RuntimeEvent::Usage {
            added,
            context_tokens: Some(u.last.total_tokens),
            context_window: u.model_context_window,
            cost_micros: None,
        }
    }

    pub fn notification(&mut self, method: &str, p: &Value) -> Vec<RuntimeEvent> {
        let events = match method {
            "turn/started" => decode::<wire::TurnStarted>(method, p).map(|t| {
                self.turn_id = Some(t.turn.id);
                vec![RuntimeEvent::TurnStarted]
            }),
            "item/agentMessage/delta" => decode::<wire::AgentMessageDelta>(method, p).map(|d| {
                vec![RuntimeEvent::TextDelta {
                    item: d.item_id,
                    text: d.delta,
                }]
            }),
            "item/started" | "item/completed" => {
                decode::<wire::ItemNotification>(method, p).map(|n| {
                    self.item(n.item, method == "item/completed")
                        .into_iter()
                        .collect()
                })
            }
            "turn/completed" => {
                self.turn_id = None;
                self.changes.clear();
                return vec![turn_completed(decode::<wire::TurnCompleted>(method, p))];
            }
            "thread/tokenUsage/updated" => decode::<wire::TokenUsageUpdated>(method, p)
                .map(|u| vec![self.usage(u.token_usage)]),
            "error" => decode::<wire::ErrorNotification>(method, p).map(|e| {
                vec![if e.will_retry {
                    note(
                        ActivityKind::Warning,
                        &e.error.message,
                        ActivityStatus::Completed,
                    )
                } else {
                    note(
                        ActivityKind::Error,
                        &e.error.message,
                        ActivityStatus::Failed,
                    )
                }]
            }),
            "warning" => decode::<wire::WarningNotification>(method, p).map(|w| {
                vec![note(
                    ActivityKind::Warning,
                    &w.message,
                    ActivityStatus::Completed,
                )]
            }),
            _ => Ok(Vec::new()),
        };
        events.unwrap_or_else(|message| {
            vec![note(ActivityKind::Error, &message, ActivityStatus::Failed)]
        })
    }

    /// A request codex makes of peon; `None` for kinds peon cannot answer.
    /// What peon does with a request codex makes of it (see
    /// `codex_requests`); commands and file changes are cards whose detail
    /// this turn's items tell.
    pub fn request(&mut self, method: &str, p: &Value) -> Reply {
        let (kind, detail) = match method {
            "item/commandExecution/requestApproval" => {
                let detail = match decode::<wire::CommandApprovalParams>(method, p) {
                    Ok(a) => {
                        let command = a
                            .command_actions
                            .as_ref()
                            .and_then(|c| c.first())
                            .map(|c| c.command.clone())
                            .or(a.command)
                            .unwrap_or_else(|| "command".to_string());
                        let mut detail = format!("$ {command}");
                        if let Some(cwd) = a.cwd {
                            detail.push_str(&format!("\n(in {cwd})"));
                        }
                        if let Some(reason) = a.reason {
                            detail.push_str(&format!("\n{reason}"));
                        }
                        detail
                    }
                    Err(message) => message,
                };
                (ApprovalKind::Command, detail)
            }
            "item/fileChange/requestApproval" => {
                let detail = match decode::<wire::FileChangeApprovalParams>(method, p) {
                    Ok(a) => self
                        .changes
                        .get(&a.item_id)
                        .cloned()
                        .or(a.reason)
                        .unwrap_or_else(|| "codex wants to change files".to_string()),
                    Err(message) => message,
                };
                (ApprovalKind::FileChange, detail)
            }
            _ => return codex_requests::other(method, p),
        };
        Reply::Ask {
            kind,
            detail,
            answer: Answer::Decision,
        }
    }

    fn item(&mut self, item: wire::ThreadItem, done: bool) -> Option<RuntimeEvent> {
        use wire::ThreadItem as I;
        match item {
            I::AgentMessage { id, text } if done => Some(RuntimeEvent::TextDone {
                item: id,
                text: Some(text),
            }),
            I::AgentMessage { .. } => None,
            I::CommandExecution {
                id,
                command,
                command_actions,
                status,
                aggregated_output,
                exit_code,
            } => {
                let detail = done.then(|| {
                    let mut out = aggregated_output.unwrap_or_default();
                    if let Some(code) = exit_code {
                        if !out.is_empty() && !out.ends_with('\n') {
                            out.push('\n');
                        }
                        out.push_str(&format!("exit code {code}"));
                    }
                    out
                });
                // The command as the user would type it (codex wraps it
                // in a shell).
                let summary = command_actions
                    .into_iter()
                    .next()
                    .map(|a| a.command)
                    .unwrap_or(command);
                Some(RuntimeEvent::Activity {
                    item: id,
                    kind: ActivityKind::Command,
                    summary,
                    detail,
                    status: item_status(status, done),
                })
            }
            I::FileChange {
                id,
                changes,
                status,
            } => {
                let summary = changes
                    .iter()
                    .map(wire::FileUpdateChange::describe)
                    .collect::<Vec<_>>()
                    .join(", ");
                let detail = changes
                    .iter()
                    .map(|c| format!("{}\n{}", c.path, c.diff))
                    .collect::<Vec<_>>()
                    .join("\n");
                self.changes.insert(id.clone(), detail.clone());
                Some(RuntimeEvent::Activity {
                    item: id,
                    kind: ActivityKind::FileChange,
                    summary,
                    detail: Some(detail),
                    status: item_status(status, done),
                })
            }
            I::Reasoning { id, summary } if done => {
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
            I::Reasoning { .. } => None,
            I::McpToolCall {
                id,
                server,
                tool,
                status,
            } => Some(tool_activity(
                id,
                format!("{server}: {tool}"),
                item_status(status, done),
            )),
            I::DynamicToolCall { id, tool, status } => {
                Some(tool_activity(id, tool, item_status(status, done)))
            }
            I::WebSearch { id, query } => Some(tool_activity(
                id,
                format!("web search: {query}"),
                done_or_running(done),
            )),
            I::ImageView { id, path } => Some(tool_activity(
                id,
                format!("view image {path}"),
                done_or_running(done),
            )),
            I::Other => None,
        }
    }
}

/// The turn's end, whatever codex said: an end peon cannot read, or one
/// that claims the turn is still in progress, fails the turn saying so.
fn turn_completed(decoded: Result<wire::TurnCompleted, String>) -> RuntimeEvent {
    use wire::TurnStatus as S;
    match decoded {
        Ok(done) => {
            let error = done.turn.error.map(|e| e.message);
            let outcome = match done.turn.status {
                S::Completed => TurnOutcome::Completed,
                S::Interrupted => TurnOutcome::Interrupted,
                S::Failed => TurnOutcome::Failed,
                S::InProgress => {
                    let message = "codex ended the turn while reporting it still in progress";
                    tracing::error!("{message}");
                    return RuntimeEvent::TurnCompleted {
                        outcome: TurnOutcome::Failed,
                        error: Some(message.to_string()),
                    };
                }
            };
            RuntimeEvent::TurnCompleted { outcome, error }
        }
        Err(message) => RuntimeEvent::TurnCompleted {
            outcome: TurnOutcome::Failed,
            error: Some(message),
        },
    }
}

fn item_status(status: wire::ItemStatus, done: bool) -> ActivityStatus {
    match status {
        wire::ItemStatus::Failed => ActivityStatus::Failed,
        wire::ItemStatus::Declined => ActivityStatus::Declined,
        wire::ItemStatus::Completed => ActivityStatus::Completed,
        wire::ItemStatus::InProgress => done_or_running(done),
    }
}

fn done_or_running(done: bool) -> ActivityStatus {
    if done {
        ActivityStatus::Completed
    } else {
        ActivityStatus::Running
    }
}

fn tool_activity(item: String, summary: String, status: ActivityStatus) -> RuntimeEvent {
    RuntimeEvent::Activity {
        item,
        kind: ActivityKind::Tool,
        summary,
        detail: None,
        status,
    }
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

    fn tokens(input: u64, output: u64) -> Value {
        serde_json::json!({"inputTokens": input, "cachedInputTokens": 2, "outputTokens": output,
            "reasoningOutputTokens": 0, "totalTokens": input + output})
    }

    fn report(total: Value, last: Value) -> Value {
        serde_json::json!({"threadId": "t", "turnId": "u",
            "tokenUsage": {"total": total, "last": last, "modelContextWindow": 1000}})
    }

    fn added(events: Vec<RuntimeEvent>) -> (TokenUsage, Option<u64>) {
        match events.as_slice() {
            [
                RuntimeEvent::Usage {
                    added,
                    context_tokens,
                    context_window: Some(1000),
                    cost_micros: None,
                },
            ] => (*added, *context_tokens),
            other => panic!("{other:?}"),
        }
    }

    /// codex reports the thread's total: what is new is the difference
    /// from the last report (a repeated report adds nothing); the first
    /// report of a process counts only the latest request, since a resumed
    /// thread's total holds turns already counted.
    #[test]
    fn token_reports_become_the_tokens_used_since_the_last() {
        let mut t = Translator::default();
        let method = "thread/tokenUsage/updated";
        let first = added(t.notification(method, &report(tokens(500, 40), tokens(110, 5))));
        assert_eq!(
            (first.0.input, first.0.output, first.0.cached_input),
            (110, 5, 2)
        );
        assert_eq!(first.1, Some(115), "the context is the latest request's");
        let next = added(t.notification(method, &report(tokens(620, 48), tokens(120, 8))));
        assert_eq!(
            (next.0.input, next.0.output, next.0.cached_input),
            (120, 8, 0)
        );
        let again = added(t.notification(method, &report(tokens(620, 48), tokens(120, 8))));
        assert!(again.0.is_empty());
    }

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
                (Some(m), Some(id)) => out.push(t.request(m, &msg["params"]).event(id)),
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

    #[test]
    fn a_turn_end_peon_cannot_read_fails_the_turn_never_completes_it() {
        let mut t = Translator::default();
        let unknown = t.notification(
            "turn/completed",
            &serde_json::json!({"turn": {"id": "x", "status": "paused"}}),
        );
        match &unknown[..] {
            [
                RuntimeEvent::TurnCompleted {
                    outcome: TurnOutcome::Failed,
                    error: Some(e),
                },
            ] => {
                assert!(e.contains("turn/completed") && e.contains("paused"), "{e}");
            }
            other => panic!("{other:?}"),
        }
        let in_progress = t.notification(
            "turn/completed",
            &serde_json::json!({"turn": {"id": "x", "status": "inProgress"}}),
        );
        assert!(matches!(
            &in_progress[..],
            [RuntimeEvent::TurnCompleted {
                outcome: TurnOutcome::Failed,
                error: Some(_)
            }]
        ));
    }

    #[test]
    fn an_error_codex_retries_is_a_warning() {
        let mut t = Translator::default();
        let error = |will_retry: bool| {
            serde_json::json!({"error": {"message": "stream disconnected"}, "threadId": "t",
                               "turnId": "u", "willRetry": will_retry})
        };
        let retried = t.notification("error", &error(true));
        assert!(matches!(&retried[..],
            [RuntimeEvent::Activity { kind: ActivityKind::Warning, summary, .. }] if summary == "stream disconnected"));
        let fatal = t.notification("error", &error(false));
        assert!(matches!(
            &fatal[..],
            [RuntimeEvent::Activity {
                kind: ActivityKind::Error,
                status: ActivityStatus::Failed,
                ..
            }]
        ));
        let unreadable = t.notification(
            "item/started",
            &serde_json::json!({"item": {"type": "commandExecution"}}),
        );
        assert!(matches!(&unreadable[..],
            [RuntimeEvent::Activity { kind: ActivityKind::Error, summary, .. }] if summary.contains("cannot read")));
    }
}
