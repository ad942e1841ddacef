//! The Anthropic Messages API (`POST /v1/messages?beta=true`,
//! `stream: true`), as `claude` uses it.

use super::{Input, Reply, Shared, Step, chunks, random_id, reply_for};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use std::time::Duration;

pub(super) fn router(shared: Shared) -> Router {
    // Routing ignores the query string, so `?beta=true` matches too.
    Router::new()
        .route("/v1/messages", post(messages).fallback(super::not_found))
        .with_state(shared)
}

async fn messages(State(shared): State<Shared>, body: Bytes) -> Response {
    let body = match shared.record(&body) {
        Ok(body) => body,
        Err(response) => return *response,
    };
    let model = body["model"].as_str().unwrap_or("claude-fake");
    let mut out = Events::new(model, super::input_tokens(&body));
    match reply_for(last_input(&body)) {
        Reply::Fail => {
            let error = json!({
                "type": "error",
                "error": { "type": "api_error", "message": "fake model failure" },
            });
            // The SDK and claude's own retry loop honour this header, so a
            // failure reaches the CLI at once instead of after retries.
            let no_retry = [(
                HeaderName::from_static("x-should-retry"),
                HeaderValue::from_static("false"),
            )];
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                no_retry,
                axum::Json(error),
            )
                .into_response();
        }
        Reply::Text {
            deltas,
            delay,
            hang,
        } => {
            out.text(&deltas, delay);
            if hang {
                return shared.sse(out.steps, true);
            }
            out.finish("end_turn", deltas.len());
        }
        Reply::Run(command) => {
            let input = json!({ "command": command, "description": "Run a command" });
            out.tool_use("Bash", &input);
            out.finish("tool_use", 10);
        }
        Reply::Write { path, content } => {
            let input = json!({ "file_path": path, "content": format!("{content}\n") });
            out.tool_use("Write", &input);
            out.finish("tool_use", 10);
        }
    }
    shared.sse(out.steps, false)
}

/// The tool result or text of the last `user` message. Newer claude
/// versions append a `system` message after it, which is skipped.
pub(super) fn last_input(body: &Value) -> Input {
    let messages = body["messages"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let Some(user) = messages.iter().rev().find(|m| m["role"] == "user") else {
        return Input::Text(String::new());
    };
    let blocks = match &user["content"] {
        Value::String(text) => return Input::Text(text.clone()),
        Value::Array(blocks) => blocks.as_slice(),
        _ => &[],
    };
    if let Some(result) = blocks.iter().find(|b| b["type"] == "tool_result") {
        return Input::ToolResult(result_text(&result["content"]));
    }
    let text = blocks
        .iter()
        .rev()
        .filter(|b| b["type"] == "text")
        .filter_map(|b| b["text"].as_str())
        // claude adds context as `<system-reminder>` text blocks.
        .find(|t| !t.trim_start().starts_with("<system-reminder>"))
        .unwrap_or("");
    Input::Text(text.to_string())
}

/// A tool result's content: a string or `{type: text, text}` blocks.
fn result_text(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(blocks) => blocks
            .iter()
            .filter(|b| b["type"] == "text")
            .filter_map(|b| b["text"].as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

/// Builds one message's SSE events, one content block at index 0.
struct Events {
    steps: Vec<Step>,
}

impl Events {
    /// `input_tokens` as the API counts them: the cached part apart.
    fn new(model: &str, input_tokens: u64) -> Events {
        let mut events = Events { steps: Vec::new() };
        events.push(
            Duration::ZERO,
            "message_start",
            json!({ "message": {
                "id": format!("msg_{}", random_id()),
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [],
                "stop_reason": null,
                "stop_sequence": null,
                "usage": {
                    "input_tokens": input_tokens - super::CACHED_TOKENS,
                    "output_tokens": 1,
                    "cache_creation_input_tokens": 0,
                    "cache_read_input_tokens": super::CACHED_TOKENS,
                },
            }}),
        );
        events
    }

    fn push(&mut self, delay: Duration, kind: &str, mut data: Value) {
        data["type"] = json!(kind);
        self.steps.push(Step::new(delay, kind, &data));
    }

    /// A text block streamed as `deltas`, left open (see `finish`).
    fn text(&mut self, deltas: &[String], delay: Duration) {
        let block = json!({ "index": 0, "content_block": { "type": "text", "text": "" } });
        self.push(Duration::ZERO, "content_block_start", block);
        for (i, text) in deltas.iter().enumerate() {
            let wait = if i == 0 { Duration::ZERO } else { delay };
            let delta = json!({ "index": 0, "delta": { "type": "text_delta", "text": text } });
            self.push(wait, "content_block_delta", delta);
        }
    }

    /// A `tool_use` block whose input arrives as partial JSON, as it does
    /// from the real API (claude parses it once the block stops).
    fn tool_use(&mut self, name: &str, input: &Value) {
        let block = json!({ "index": 0, "content_block": {
            "type": "tool_use",
            "id": format!("toolu_{}", random_id()),
            "name": name,
            "input": {},
        }});
        self.push(Duration::ZERO, "content_block_start", block);
        for part in chunks(&input.to_string(), 32) {
            let delta = json!({ "index": 0, "delta": { "type": "input_json_delta", "partial_json": part } });
            self.push(Duration::ZERO, "content_block_delta", delta);
        }
    }

    /// Closes the block and the message.
    fn finish(&mut self, stop_reason: &str, output_tokens: usize) {
        self.push(Duration::ZERO, "content_block_stop", json!({ "index": 0 }));
        let delta = json!({
            "delta": { "stop_reason": stop_reason, "stop_sequence": null },
            "usage": { "output_tokens": output_tokens },
        });
        self.push(Duration::ZERO, "message_delta", delta);
        self.push(Duration::ZERO, "message_stop", json!({}));
    }
}
