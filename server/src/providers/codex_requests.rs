//! The requests codex makes of peon, and what peon does with each. The
//! approvals (a command, a file change, more permissions) become cards the
//! user answers; every other request is answered at once in a form codex
//! reads (or refused with an error saying why), and said in the work log,
//! so codex never waits on, or goes on past, a request nobody saw.

use super::agent::RuntimeEvent;
use super::codex_protocol as wire;
use super::wire::first_line;
use peon_app::contracts::*;
use serde_json::{Value, json};

/// What peon does with one request.
pub enum Reply {
    /// A card for the user; `answer` turns the decision into codex's reply.
    Ask {
        kind: ApprovalKind,
        detail: String,
        answer: Answer,
    },
    /// Answered now with `result`; `note` goes into the work log.
    Now { result: Value, note: RuntimeEvent },
    /// Refused with a JSON-RPC error carrying `message`.
    Refuse { message: String, note: RuntimeEvent },
}

impl Reply {
    /// What the session is told: the card, or the note.
    pub fn event(self, id: &Value) -> RuntimeEvent {
        match self {
            Reply::Ask { kind, detail, .. } => RuntimeEvent::ApprovalRequested {
                request: id.to_string(),
                kind,
                detail,
            },
            Reply::Now { note, .. } | Reply::Refuse { note, .. } => note,
        }
    }
}

/// How the user's decision on a card is put to codex.
#[derive(Clone, Debug)]
pub enum Answer {
    /// `{decision}`: commands and file changes.
    Decision,
    /// The permissions asked for, for the turn or the whole session, or
    /// none when declined.
    Permissions(Value),
}

impl Answer {
    pub fn result(&self, decision: ApprovalDecision) -> Value {
        match self {
            Answer::Decision => json!(super::codex::decision(decision)),
            Answer::Permissions(asked) => {
                let (permissions, scope) = match decision {
                    ApprovalDecision::Accept => (asked.clone(), "turn"),
                    ApprovalDecision::AcceptForSession => (asked.clone(), "session"),
                    ApprovalDecision::Decline | ApprovalDecision::Cancel => (json!({}), "turn"),
                };
                json!({"permissions": permissions, "scope": scope})
            }
        }
    }
}

/// The requests that are not commands or file changes (the translator
/// builds those cards, from what the turn showed before).
pub fn other(method: &str, params: &Value) -> Reply {
    match method {
        "item/permissions/requestApproval" => {
            let reason = params["reason"].as_str().unwrap_or_default();
            let mut detail = format!(
                "codex asks for more access than its sandbox gives:\n{}",
                serde_json::to_string_pretty(&params["permissions"]).unwrap_or_default()
            );
            if !reason.is_empty() {
                detail.push_str(&format!("\n{reason}"));
            }
            Reply::Ask {
                kind: ApprovalKind::Other,
                detail,
                answer: Answer::Permissions(params["permissions"].clone()),
            }
        }
        "item/tool/requestUserInput" => {
            let asked = decode::<wire::UserInputParams>(params)
                .map(|p| {
                    p.questions
                        .iter()
                        .map(|q| {
                            let options: Vec<&str> = q
                                .options
                                .iter()
                                .flatten()
                                .map(|o| o.label.as_str())
                                .collect();
                            if options.is_empty() {
                                format!("{}: {}", q.header, q.question)
                            } else {
                                format!("{}: {} ({})", q.header, q.question, options.join(" / "))
                            }
                        })
                        .collect::<Vec<_>>()
                        .join("\n")
                })
                .unwrap_or_else(|e| e);
            Reply::Now {
                result: json!({"answers": {}}),
                note: warning(&format!(
                    "codex asked a question peon cannot show yet; it was told there is no answer\n{asked}"
                )),
            }
        }
        "mcpServer/elicitation/request" => {
            let server = params["serverName"].as_str().unwrap_or("an MCP server");
            let message = params["message"].as_str().unwrap_or_default();
            Reply::Now {
                result: json!({"action": "decline"}),
                note: warning(&format!(
                    "{server} asked for input, which peon cannot show yet: declined\n{message}"
                )),
            }
        }
        "item/tool/call" => {
            let tool = params["tool"].as_str().unwrap_or("?");
            let text = format!("peon offers no tool named {tool}");
            Reply::Now {
                result: json!({"contentItems": [{"type": "inputText", "text": text}], "success": false}),
                note: warning(&format!("codex called a tool peon does not offer ({tool})")),
            }
        }
        // The older forms of the approvals, sent to clients of codex's
        // first protocol only: declined rather than left waiting.
        "applyPatchApproval" | "execCommandApproval" => Reply::Now {
            result: json!({"decision": {"denied": {
                "rejection": "peon answers approvals in codex's second protocol only"
            }}}),
            note: warning(&format!(
                "codex asked in a form peon does not use ({method}): declined"
            )),
        },
        "account/chatgptAuthTokens/refresh" => refuse(
            "peon does not hold ChatGPT logins: sign codex in on the server with `codex login`",
        ),
        "attestation/generate" => refuse("peon cannot attest to codex's servers"),
        other => refuse(&format!("peon does not support {other}")),
    }
}

fn refuse(message: &str) -> Reply {
    Reply::Refuse {
        message: message.to_string(),
        note: RuntimeEvent::Activity {
            item: format!("note-{}", uuid::Uuid::new_v4()),
            kind: ActivityKind::Error,
            summary: format!("codex asked for something peon cannot do: {message}"),
            detail: None,
            status: ActivityStatus::Failed,
        },
    }
}

fn warning(message: &str) -> RuntimeEvent {
    RuntimeEvent::Activity {
        item: format!("note-{}", uuid::Uuid::new_v4()),
        kind: ActivityKind::Warning,
        summary: first_line(message),
        detail: Some(message.to_string()).filter(|m| m.contains('\n')),
        status: ActivityStatus::Completed,
    }
}

fn decode<T: serde::de::DeserializeOwned>(params: &Value) -> Result<T, String> {
    T::deserialize(params).map_err(|e| format!("(peon could not read the question: {e})"))
}
