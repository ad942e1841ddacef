//! The fake model servers over plain HTTP (no CLI involved): each directive
//! gives the answer the CLI tests rely on.

use futures::StreamExt;
use peon_tests::fake_model::{CACHED_TOKENS, FakeModel};
use peon_tests::{SseFrame, take_frames};
use serde_json::{Value, json};
use std::time::Duration;

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

fn openai_body(text: &str) -> Value {
    json!({"model": "gpt-5.5", "stream": true, "input": [
        {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "be brief"}]},
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]},
    ]})
}

fn anthropic_body(text: &str) -> Value {
    json!({"model": "claude-test", "stream": true, "messages": [
        {"role": "user", "content": [
            {"type": "text", "text": "<system-reminder>\nignore me</system-reminder>"},
            {"type": "text", "text": text},
        ]},
        {"role": "system", "content": "# Environment"},
    ]})
}

async fn post(url: String, body: &Value) -> (u16, Vec<SseFrame>) {
    let response = client().post(url).json(body).send().await.unwrap();
    let status = response.status().as_u16();
    let mut text = response.text().await.unwrap();
    (status, take_frames(&mut text))
}

async fn openai(fake: &FakeModel, body: &Value) -> (u16, Vec<SseFrame>) {
    post(format!("{}/v1/responses", fake.base_url()), body).await
}

async fn anthropic(fake: &FakeModel, body: &Value) -> (u16, Vec<SseFrame>) {
    post(format!("{}/v1/messages?beta=true", fake.base_url()), body).await
}

fn data(frame: &SseFrame) -> Value {
    serde_json::from_str(&frame.data).unwrap()
}

fn openai_deltas(frames: &[SseFrame]) -> Vec<String> {
    frames
        .iter()
        .filter(|f| f.event == "response.output_text.delta")
        .map(|f| data(f)["delta"].as_str().unwrap().to_string())
        .collect()
}

fn anthropic_deltas(frames: &[SseFrame]) -> Vec<String> {
    frames
        .iter()
        .filter(|f| f.event == "content_block_delta")
        .filter_map(|f| data(f)["delta"]["text"].as_str().map(String::from))
        .collect()
}

#[tokio::test]
async fn plain_answers_echo_the_text() {
    let fake = FakeModel::openai().await;
    let (status, frames) = openai(&fake, &openai_body("hi")).await;
    assert_eq!(status, 200);
    assert_eq!(openai_deltas(&frames).concat(), "You said: hi");
    assert_eq!(frames.first().unwrap().event, "response.created");
    let completed = data(frames.last().unwrap());
    assert_eq!(completed["type"], "response.completed");
    // 100 and one per input item (two here), and 5 out.
    let usage = &completed["response"]["usage"];
    assert_eq!(usage["input_tokens"], 102);
    assert_eq!(
        usage["input_tokens_details"]["cached_tokens"],
        CACHED_TOKENS
    );
    assert_eq!(usage["total_tokens"], 107);

    let fake = FakeModel::anthropic().await;
    let (status, frames) = anthropic(&fake, &anthropic_body("hi")).await;
    assert_eq!(status, 200);
    assert_eq!(anthropic_deltas(&frames).concat(), "You said: hi");
    let start = data(&frames[0]);
    assert_eq!(start["message"]["model"], "claude-test");
    assert!(start["message"]["id"].as_str().unwrap().starts_with("msg_"));
    // The same count, the cached part apart, as the Messages API says it.
    let usage = &start["message"]["usage"];
    assert_eq!(usage["cache_read_input_tokens"], CACHED_TOKENS);
    assert_eq!(usage["input_tokens"].as_u64(), Some(102 - CACHED_TOKENS));
    assert_eq!(frames.last().unwrap().event, "message_stop");
}

#[tokio::test]
async fn stream_gives_exactly_n_deltas() {
    let fake = FakeModel::openai().await;
    let (_, frames) = openai(&fake, &openai_body("STREAM 5 0")).await;
    assert_eq!(openai_deltas(&frames), ["t0 ", "t1 ", "t2 ", "t3 ", "t4 "]);

    let fake = FakeModel::anthropic().await;
    let (_, frames) = anthropic(&fake, &anthropic_body("STREAM 5 10")).await;
    assert_eq!(anthropic_deltas(&frames).concat(), "t0 t1 t2 t3 t4 ");
}

#[tokio::test]
async fn fail_gives_500_in_the_provider_format() {
    let fake = FakeModel::openai().await;
    let response = client()
        .post(format!("{}/v1/responses", fake.base_url()))
        .json(&openai_body("FAIL"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 500);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"]["type"], "server_error");

    let fake = FakeModel::anthropic().await;
    let response = client()
        .post(format!("{}/v1/messages?beta=true", fake.base_url()))
        .json(&anthropic_body("FAIL"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 500);
    // Without it claude retries for minutes.
    assert_eq!(response.headers()["x-should-retry"], "false");
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"]["type"], "api_error");
}

#[tokio::test]
async fn run_and_write_give_tool_calls() {
    let fake = FakeModel::openai().await;
    let (_, frames) = openai(&fake, &openai_body("RUN echo hi")).await;
    let done = frames
        .iter()
        .map(data)
        .find(|d| d["type"] == "response.output_item.done")
        .unwrap();
    assert_eq!(done["item"]["type"], "function_call");
    assert_eq!(done["item"]["name"], "exec_command");
    let args: Value = serde_json::from_str(done["item"]["arguments"].as_str().unwrap()).unwrap();
    assert_eq!(args, json!({"cmd": "echo hi"}));

    let (_, frames) = openai(&fake, &openai_body("WRITE /x/y.txt hello there")).await;
    let done = frames
        .iter()
        .map(data)
        .find(|d| d["type"] == "response.output_item.done")
        .unwrap();
    assert_eq!(done["item"]["type"], "custom_tool_call");
    assert_eq!(
        done["item"]["input"],
        "*** Begin Patch\n*** Add File: /x/y.txt\n+hello there\n*** End Patch\n"
    );

    let fake = FakeModel::anthropic().await;
    let (_, frames) = anthropic(&fake, &anthropic_body("RUN echo hi")).await;
    let start = data(&frames[1]);
    assert_eq!(start["content_block"]["type"], "tool_use");
    assert_eq!(start["content_block"]["name"], "Bash");
    let json: String = frames
        .iter()
        .map(data)
        .filter_map(|d| d["delta"]["partial_json"].as_str().map(String::from))
        .collect();
    let input: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(input["command"], "echo hi");
    let stop = frames
        .iter()
        .map(data)
        .find(|d| d["type"] == "message_delta");
    assert_eq!(stop.unwrap()["delta"]["stop_reason"], "tool_use");
}

#[tokio::test]
async fn tool_results_are_echoed() {
    let fake = FakeModel::openai().await;
    let mut body = openai_body("RUN echo hi");
    let input = body["input"].as_array_mut().unwrap();
    input.push(json!({"type": "function_call", "call_id": "c1", "name": "exec_command", "arguments": "{}"}));
    input.push(json!({"type": "function_call_output", "call_id": "c1", "output": "hi\n"}));
    let (_, frames) = openai(&fake, &body).await;
    assert_eq!(openai_deltas(&frames).concat(), "Tool said: hi\n");

    let fake = FakeModel::anthropic().await;
    let body = json!({"model": "m", "messages": [
        {"role": "user", "content": "RUN echo hi"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "t", "name": "Bash", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t",
            "content": [{"type": "text", "text": "hi"}]}]},
    ]});
    let (_, frames) = anthropic(&fake, &body).await;
    assert_eq!(anthropic_deltas(&frames).concat(), "Tool said: hi");
}

#[tokio::test]
async fn requests_are_recorded_and_other_paths_are_404() {
    let fake = FakeModel::anthropic().await;
    anthropic(&fake, &anthropic_body("one")).await;
    anthropic(&fake, &anthropic_body("FAIL")).await;
    let url = fake.base_url();
    let get = client()
        .get(format!("{url}/v1/messages"))
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), 404);
    let other = client()
        .post(format!("{url}/v1/responses"))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 404);
    assert_eq!(fake.request_count(), 2);
    let texts: Vec<Value> = fake
        .requests()
        .iter()
        .map(|r| r["messages"][0]["content"][1]["text"].clone())
        .collect();
    assert_eq!(texts, [json!("one"), json!("FAIL")]);
}

#[tokio::test]
async fn hang_stays_open_until_the_fake_is_dropped() {
    let fake = FakeModel::openai().await;
    let response = client()
        .post(format!("{}/v1/responses", fake.base_url()))
        .json(&openai_body("HANG"))
        .send()
        .await
        .unwrap();
    let mut body = response.bytes_stream();
    let mut text = String::new();
    while !text.contains("Working") {
        text.push_str(&String::from_utf8_lossy(
            &body.next().await.unwrap().unwrap(),
        ));
    }
    let more = tokio::time::timeout(Duration::from_millis(300), body.next()).await;
    assert!(more.is_err(), "a hanging answer sent more: {more:?}");
    drop(fake);
    let end = tokio::time::timeout(Duration::from_secs(5), body.next()).await;
    assert!(matches!(end, Ok(None)), "the stream did not end: {end:?}");
}
