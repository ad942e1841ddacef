//! The OpenAI Responses API (`POST /v1/responses`, `stream: true`), as
//! `codex` uses it.

use super::{Input, Reply, Shared, Step, random_id, reply_for};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use std::time::Duration;

pub(super) fn router(shared: Shared) -> Router {
    Router::new()
        .route("/v1/responses", post(responses).fallback(super::not_found))
        .with_state(shared)
}

async fn responses(State(shared): State<Shared>, body: Bytes) -> Response {
    let body = match shared.record(&body) {
        Ok(body) => body,
        Err(response) => return *response,
    };
    let model = body["model"].as_str().unwrap_or("fake-model");
    let mut out = Events::new(model, super::input_tokens(&body));
    match reply_for(last_input(&body)) {
        Reply::Fail => {
            let error = json!({"error": {"message": "fake model failure", "type": "server_error"}});
            return (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(error)).into_response();
        }
        Reply::Text {
            deltas,
            delay,
            hang,
        } => {
            out.message(&deltas, delay, hang);
            return shared.sse(out.steps, hang);
        }
        Reply::Run(cmd) => {
            // codex's exec_command takes its arguments as a JSON string.
            let arguments = json!({ "cmd": cmd }).to_string();
            out.function_call("exec_command", &arguments);
        }
        Reply::Write { path, content } => {
            let patch =
                format!("*** Begin Patch\n*** Add File: {path}\n+{content}\n*** End Patch\n");
            out.custom_tool_call("apply_patch", &patch);
        }
    }
    shared.sse(out.steps, false)
}

/// The tool result or the user's text that the last input item holds.
pub(super) fn last_input(body: &Value) -> Input {
    let items = body["input"].as_array().map(Vec::as_slice).unwrap_or(&[]);
    if let Some(last) = items.last() {
        let kind = last["type"].as_str().unwrap_or("");
        if kind == "function_call_output" || kind == "custom_tool_call_output" {
            return Input::ToolResult(output_text(&last["output"]));
        }
    }
    let user = items
        .iter()
        .rev()
        .find(|i| i["type"] == "message" && i["role"] == "user");
    let text = user
        .and_then(|m| m["content"].as_array())
        .and_then(|parts| parts.iter().rev().find(|p| p["type"] == "input_text"))
        .and_then(|p| p["text"].as_str())
        .unwrap_or("");
    Input::Text(text.to_string())
}

/// A tool output is usually a string; content-item arrays are joined.
fn output_text(output: &Value) -> String {
    match output {
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .filter_map(|i| i["text"].as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        other => other.to_string(),
    }
}

/// Builds one response's SSE events, numbering them like the real API.
struct Events {
    steps: Vec<Step>,
    response: Value,
    input_tokens: u64,
}

impl Events {
    fn new(model: &str, input_tokens: u64) -> Events {
        let created_at = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let response = json!({
            "id": format!("resp_{}", random_id()),
            "object": "response",
            "created_at": created_at,
            "status": "in_progress",
            "model": model,
            "output": [],
        });
        let mut events = Events {
            steps: Vec::new(),
            response,
            input_tokens,
        };
        let created = json!({ "response": events.response });
        events.push(Duration::ZERO, "response.created", created);
        events
    }

    fn push(&mut self, delay: Duration, kind: &str, mut data: Value) {
        data["type"] = json!(kind);
        data["sequence_number"] = json!(self.steps.len());
        self.steps.push(Step::new(delay, kind, &data));
    }

    /// An assistant message streamed as `deltas`; unfinished with `hang`.
    fn message(&mut self, deltas: &[String], delay: Duration, hang: bool) {
        let id = format!("msg_{}", random_id());
        let text = Reply::full_text(deltas);
        let at = json!({ "item_id": id, "output_index": 0, "content_index": 0 });
        let with = |extra: Value| merge(&at, extra);
        self.push(
            Duration::ZERO,
            "response.output_item.added",
            json!({ "output_index": 0, "item": {
                "id": id, "type": "message", "status": "in_progress",
                "role": "assistant", "content": [],
            }}),
        );
        let empty_part = json!({ "type": "output_text", "text": "", "annotations": [] });
        self.push(
            Duration::ZERO,
            "response.content_part.added",
            with(json!({ "part": empty_part })),
        );
        for (i, delta) in deltas.iter().enumerate() {
            let wait = if i == 0 { Duration::ZERO } else { delay };
            let data = with(json!({ "delta": delta, "logprobs": [] }));
            self.push(wait, "response.output_text.delta", data);
        }
        if hang {
            return;
        }
        let part = json!({ "type": "output_text", "text": text, "annotations": [] });
        let data = with(json!({ "text": text, "logprobs": [] }));
        self.push(Duration::ZERO, "response.output_text.done", data);
        let data = with(json!({ "part": part }));
        self.push(Duration::ZERO, "response.content_part.done", data);
        self.item_done(json!({
            "id": id, "type": "message", "status": "completed",
            "role": "assistant", "content": [part],
        }));
    }

    /// A `function_call` item; `arguments` is a JSON string.
    fn function_call(&mut self, name: &str, arguments: &str) {
        let id = format!("fc_{}", random_id());
        let item = json!({
            "id": id, "type": "function_call", "status": "in_progress",
            "call_id": format!("call_{}", random_id()), "name": name, "arguments": "",
        });
        self.tool_call(
            item,
            "arguments",
            "response.function_call_arguments",
            arguments,
        );
    }

    /// A `custom_tool_call` item (freeform input, e.g. `apply_patch`).
    fn custom_tool_call(&mut self, name: &str, input: &str) {
        let id = format!("ctc_{}", random_id());
        let item = json!({
            "id": id, "type": "custom_tool_call", "status": "in_progress",
            "call_id": format!("call_{}", random_id()), "name": name, "input": "",
        });
        self.tool_call(item, "input", "response.custom_tool_call_input", input);
    }

    /// Streams a tool call item whose `field` fills in with `value`.
    fn tool_call(&mut self, mut item: Value, field: &str, events: &str, value: &str) {
        let at = json!({ "item_id": item["id"], "output_index": 0 });
        let added = json!({ "output_index": 0, "item": item });
        self.push(Duration::ZERO, "response.output_item.added", added);
        let delta = merge(&at, json!({ "delta": value }));
        self.push(Duration::ZERO, &format!("{events}.delta"), delta);
        let done = merge(&at, json!({ field: value }));
        self.push(Duration::ZERO, &format!("{events}.done"), done);
        item[field] = json!(value);
        item["status"] = json!("completed");
        self.item_done(item);
    }

    /// Closes the (only) output item and the response.
    fn item_done(&mut self, item: Value) {
        let done = json!({ "output_index": 0, "item": item });
        self.push(Duration::ZERO, "response.output_item.done", done);
        let mut response = self.response.clone();
        response["status"] = json!("completed");
        response["output"] = json!([item]);
        response["usage"] = json!({
            "input_tokens": self.input_tokens,
            "input_tokens_details": { "cached_tokens": super::CACHED_TOKENS },
            "output_tokens": 5,
            "output_tokens_details": { "reasoning_tokens": 0 },
            "total_tokens": self.input_tokens + 5,
        });
        let completed = json!({ "response": response });
        self.push(Duration::ZERO, "response.completed", completed);
    }
}

/// `base` with the fields of `extra` added.
fn merge(base: &Value, extra: Value) -> Value {
    let mut merged = base.clone();
    if let (Some(to), Value::Object(from)) = (merged.as_object_mut(), extra) {
        to.extend(from);
    }
    merged
}
