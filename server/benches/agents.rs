//! Benchmarks of the agent pipeline, printed as a Markdown table: the
//! latency an agent's streamed text takes from its stdout line to an SSE
//! client, and how many events one streamed answer costs in the log.
//!
//! `cargo bench -p peon-server --bench agents`
//!
//! The binary doubles as a stub `codex app-server` (started with the argument
//! `app-server`): peon runs it through `PEON_CODEX_BIN` exactly as it runs the
//! real CLI, so the whole path is measured — process pipe, codex adapter,
//! session and coalescer, engine commit, broadcast, HTTP — while the stub
//! writes into every delta the time it wrote the line.

use peon_app::contracts::*;
use peon_server::orchestration::Engine;
use peon_server::persistence::Database;
use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

mod common;
use common::{ms, percentile};

fn main() {
    // Before anything else: when peon starts this binary as its codex, it
    // is the stub, not the benchmark.
    if std::env::args().nth(1).as_deref() == Some("app-server") {
        stub::run();
        return;
    }
    let exe = std::env::current_exe().expect("current exe");
    // SAFETY: no other thread exists yet (the runtime is built below).
    unsafe { std::env::set_var("PEON_CODEX_BIN", exe) };
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(bench());
}

/// Unix time in microseconds.
fn unix_micros(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH).expect("clock").as_micros() as i64
}

/// A stand-in for `codex app-server`, used instead of the real CLI only
/// because the benchmark must know exactly when each line was written (and
/// must not depend on a model). It speaks the same newline-delimited JSON-RPC
/// (see `shared/reference/agent-protocols`), with just the messages peon's
/// codex adapter needs. A turn whose text is `BENCH <n> <rate>` streams `n`
/// deltas at `rate` a second, each one `"<unix micros when written>|"`.
mod stub {
    use serde_json::{Value, json};
    use std::io::{BufRead, Write};
    use std::time::{Duration, Instant, SystemTime};

    const THREAD: &str = "stub-thread";
    const TURN: &str = "stub-turn";

    pub fn run() {
        let stdin = std::io::stdin();
        let mut out = std::io::stdout().lock();
        let mut turns = 0u64;
        for line in stdin.lock().lines() {
            let Ok(line) = line else { break };
            let Ok(msg) = serde_json::from_str::<Value>(&line) else {
                continue;
            };
            // Answers from peon (to requests this stub never makes) and
            // anything without a method are ignored.
            let Some(method) = msg["method"].as_str() else {
                continue;
            };
            let id = msg["id"].clone();
            let result = match method {
                "initialize" => json!({"userAgent": "peon-bench-stub"}),
                "thread/start" | "thread/resume" => json!({"thread": {"id": THREAD}}),
                "model/list" => json!({"data": []}),
                "turn/start" => {
                    let text = msg["params"]["input"][0]["text"].as_str().unwrap_or("");
                    let (n, rate) = parse_turn(text);
                    turns += 1;
                    send(
                        &mut out,
                        &json!({"id": id, "result": {"turn": {"id": TURN, "status": "inProgress"}}}),
                    );
                    stream_turn(&mut out, &format!("stub-msg-{turns}"), n, rate);
                    continue;
                }
                // `turn/interrupt` has nothing to stop: a turn streams to
                // its end before the next request is read.
                "turn/interrupt" => json!({}),
                // Notifications (`initialized`) need no answer.
                _ if id.is_null() => continue,
                _ => {
                    send(
                        &mut out,
                        &json!({"id": id, "error": {"code": -32601, "message": "not in the stub"}}),
                    );
                    continue;
                }
            };
            send(&mut out, &json!({"id": id, "result": result}));
        }
    }

    /// `BENCH <n> <rate>`; anything else is a short answer at 200 a second.
    fn parse_turn(text: &str) -> (u64, u64) {
        let mut words = text.split_whitespace();
        if words.next() != Some("BENCH") {
            return (10, 200);
        }
        let n = words.next().and_then(|w| w.parse().ok()).unwrap_or(10);
        let rate = words.next().and_then(|w| w.parse().ok()).unwrap_or(200);
        (n, rate)
    }

    fn notify(out: &mut dyn Write, method: &str, params: Value) {
        send(out, &json!({"method": method, "params": params}));
    }

    fn stream_turn(out: &mut dyn Write, item: &str, n: u64, rate: u64) {
        notify(
            out,
            "turn/started",
            json!({"threadId": THREAD, "turn": {"id": TURN, "status": "inProgress"}}),
        );
        notify(
            out,
            "item/started",
            json!({"threadId": THREAD, "turnId": TURN,
                   "item": {"type": "agentMessage", "id": item, "text": ""}}),
        );
        let interval = Duration::from_secs(1).checked_div(rate as u32);
        let start = Instant::now();
        let mut full = String::new();
        for i in 0..n {
            // Fixed rate: each delta is due at its own time from the start,
            // so a late one does not delay the rest.
            if let Some(interval) = interval {
                let due = start + interval * i as u32;
                let now = Instant::now();
                if due > now {
                    std::thread::sleep(due - now);
                }
            }
            let delta = format!("{}|", super::unix_micros(SystemTime::now()));
            full.push_str(&delta);
            let line = format!(
                r#"{{"method":"item/agentMessage/delta","params":{{"threadId":"{THREAD}","turnId":"{TURN}","itemId":"{item}","delta":"{delta}"}}}}"#
            );
            write_line(out, &line);
        }
        notify(
            out,
            "item/completed",
            json!({"threadId": THREAD, "turnId": TURN,
                   "item": {"type": "agentMessage", "id": item, "text": full}}),
        );
        notify(
            out,
            "turn/completed",
            json!({"threadId": THREAD,
                   "turn": {"id": TURN, "status": "completed", "error": null}}),
        );
    }

    fn send(out: &mut dyn Write, msg: &Value) {
        write_line(out, &msg.to_string());
    }

    /// Writes and flushes one line; peon gone means the stub is done.
    fn write_line(out: &mut dyn Write, line: &str) {
        let written = out
            .write_all(line.as_bytes())
            .and_then(|()| out.write_all(b"\n"))
            .and_then(|()| out.flush());
        if written.is_err() {
            std::process::exit(0);
        }
    }
}

/// One SSE frame (`event:`, `id:`, `data:` lines ended by a blank line).
#[derive(Default)]
struct Frame {
    event: String,
    data: String,
}

/// Splits complete frames off the front of `buffer`.
fn take_frames(buffer: &mut Vec<u8>) -> Vec<Frame> {
    let mut frames = Vec::new();
    while let Some(end) = buffer.windows(2).position(|w| w == b"\n\n") {
        let raw: Vec<u8> = buffer.drain(..end + 2).collect();
        let mut frame = Frame::default();
        for line in String::from_utf8_lossy(&raw).lines() {
            if let Some(v) = line.strip_prefix("event:") {
                frame.event = v.trim().to_string();
            } else if let Some(v) = line.strip_prefix("data:") {
                frame.data.push_str(v.trim_start());
            }
        }
        frames.push(frame);
    }
    frames
}

/// The newest time written into a run of `<micros>|` pieces, and how many
/// pieces there are.
fn newest_piece(text: &str) -> (Option<i64>, usize) {
    let pieces: Vec<i64> = text
        .split('|')
        .filter(|p| !p.is_empty())
        .map(|p| p.parse().expect("a streamed piece is a time"))
        .collect();
    (pieces.iter().copied().max(), pieces.len())
}

struct Run {
    /// Arrival at the SSE client − newest time in the event's text, one per
    /// `message.added` / `message.delta`.
    latencies: Vec<Duration>,
    /// `message.*` events of the answer.
    message_events: usize,
}

/// One turn of `n` deltas at `rate` a second on a fresh thread, followed
/// from `/api/events` until `turn.completed`.
async fn run(engine: &Engine, addr: SocketAddr, project_id: ProjectId, n: u64, rate: u64) -> Run {
    let thread_id = ThreadId::new();
    engine
        .dispatch(CommandEnvelope::new(Command::new_thread(
            thread_id,
            project_id,
            format!("{n} at {rate}/s"),
            Provider::Codex,
        )))
        .await
        .expect("thread");
    let after = engine.last_sequence();
    let mut response = reqwest::Client::new()
        .get(format!("http://{addr}/api/events?after={after}"))
        .send()
        .await
        .expect("events");
    assert!(response.status().is_success(), "{}", response.status());
    // The server subscribed before answering, and `after` covers the rest.
    engine
        .dispatch(CommandEnvelope::new(Command::TurnStart {
            thread_id,
            turn_id: TurnId::new(),
            message_id: MessageId::new(),
            text: format!("BENCH {n} {rate}"),
            attachments: vec![],
        }))
        .await
        .expect("turn");

    let mut latencies = Vec::new();
    let mut message_events = 0;
    let mut pieces = 0;
    let mut answer = None;
    let mut buffer = Vec::new();
    loop {
        let chunk = tokio::time::timeout(Duration::from_secs(60), response.chunk())
            .await
            .expect("no event for 60 s")
            .expect("read the stream")
            .expect("the stream ended");
        let arrived = unix_micros(SystemTime::now());
        buffer.extend_from_slice(&chunk);
        for frame in take_frames(&mut buffer) {
            if frame.event != "event" {
                continue;
            }
            let stored: StoredEvent = serde_json::from_str(&frame.data).expect("event JSON");
            if stored.event.thread_id() != Some(thread_id) {
                continue;
            }
            use OrchestrationEvent as E;
            let text = match &stored.event {
                E::MessageAdded(e) if e.role == Role::Assistant => {
                    answer = Some(e.message_id);
                    &e.text
                }
                E::MessageDelta(e) if Some(e.message_id) == answer => &e.text,
                E::MessageCompleted(e) if Some(e.message_id) == answer => {
                    message_events += 1;
                    continue;
                }
                E::MessageAdded(_) | E::MessageDelta(_) | E::MessageCompleted(_) => {
                    assert!(
                        matches!(&stored.event, E::MessageAdded(e) if e.role == Role::User),
                        "a message.* event of another message: {:?}",
                        stored.event
                    );
                    continue;
                }
                E::TurnCompleted(e) => {
                    assert_eq!(e.status, TurnOutcome::Completed, "{:?}", e.error);
                    assert_eq!(pieces, n as usize, "every delta reached the client");
                    return Run {
                        latencies,
                        message_events,
                    };
                }
                _ => continue,
            };
            message_events += 1;
            let (newest, count) = newest_piece(text);
            pieces += count;
            if let Some(newest) = newest {
                latencies.push(Duration::from_micros(
                    arrived.saturating_sub(newest).max(0) as u64
                ));
            }
        }
    }
}

async fn bench() {
    let dir = tempfile::tempdir().expect("dir");
    let db = Database::open(&dir.path().join("agents.sqlite3"))
        .await
        .expect("db");
    let engine = Engine::start(&db).await.expect("engine");
    let project_id = common::project(&engine, dir.path()).await;

    let addr = common::serve(&engine, &db, dir.path()).await;

    // A short turn first, so process start-up and first-use costs are not
    // in the numbers.
    run(&engine, addr, project_id, 50, 200).await;

    let mut rows: Vec<(String, String)> = Vec::new();
    let fast = run(&engine, addr, project_id, 2_000, 200).await;
    let mut latencies = fast.latencies;
    latencies.sort();
    let samples = latencies.len();
    rows.push((
        format!("agent stdout line → SSE client, 2,000 deltas at 200/s, p50 ({samples} events)"),
        ms(percentile(&latencies, 0.5)),
    ));
    rows.push(("same, p99".to_string(), ms(percentile(&latencies, 0.99))));
    rows.push((
        "same, max".to_string(),
        ms(*latencies.last().expect("samples")),
    ));
    for rate in [50, 200] {
        let n = 1_000;
        let r = run(&engine, addr, project_id, n, rate).await;
        rows.push((
            format!("message.* events per 1,000 deltas at {rate}/s"),
            format!("{}", r.message_events as u64 * 1_000 / n),
        ));
    }

    println!("\n| measure | result |");
    println!("| --- | --- |");
    for (k, v) in rows {
        println!("| {k} | {v} |");
    }
}
