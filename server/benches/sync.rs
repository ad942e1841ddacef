//! Benchmarks of sync with the browser, printed as a Markdown table: SSR of
//! a long thread against a short one, and commit → SSE client latency on
//! loopback through the real HTTP stack.
//!
//! `cargo bench -p peon-server --bench sync`

use peon_app::contracts::*;
use peon_server::orchestration::Engine;
use peon_server::persistence::Database;
use std::time::Instant;

mod common;
use common::{ms, percentile};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn seed_thread(engine: &Engine, project_id: ProjectId, turns: u32) -> ThreadId {
    let thread_id = ThreadId::new();
    let send = |c: Command| engine.dispatch_as(CommandEnvelope::new(c), Actor::Server, None);
    let record = |c: InternalCommand| engine.dispatch_internal(c, Actor::Server, None);
    send(Command::new_thread(
        thread_id,
        project_id,
        format!("{turns} turns"),
        Provider::Codex,
    ))
    .await
    .expect("thread");
    for n in 0..turns {
        let turn_id = TurnId::new();
        send(Command::TurnStart {
            thread_id,
            turn_id,
            message_id: MessageId::new(),
            text: format!("question {n}"),
            attachments: vec![],
        })
        .await
        .expect("turn");
        record(InternalCommand::MessageDelta {
            thread_id,
            message_id: MessageId::new(),
            text: "an answer of a few words, as agents give".into(),
        })
        .await
        .expect("answer");
        record(InternalCommand::CompleteTurn {
            thread_id,
            turn_id,
            status: TurnOutcome::Completed,
            error: None,
        })
        .await
        .expect("complete");
    }
    thread_id
}

async fn get(addr: std::net::SocketAddr, path: &str) -> usize {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut body = Vec::new();
    stream.read_to_end(&mut body).await.expect("read");
    assert!(
        body.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&body[..80.min(body.len())])
    );
    body.len()
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("dir");
    let db = Database::open(&dir.path().join("sync.sqlite3"))
        .await
        .expect("db");
    let engine = Engine::start(&db).await.expect("engine");
    let project_id = common::project(&engine, dir.path()).await;
    let short = seed_thread(&engine, project_id, 5).await;
    let page_sized = seed_thread(&engine, project_id, 50).await;
    let long = seed_thread(&engine, project_id, 5_000).await;

    let addr = common::serve(&engine, &db, dir.path()).await;

    let mut rows = Vec::new();
    let median = |thread: ThreadId| {
        let path = format!("/threads/{thread}");
        async move {
            let mut times = Vec::new();
            let mut size = 0;
            for _ in 0..60 {
                let started = Instant::now();
                size = get(addr, &path).await;
                times.push(started.elapsed());
            }
            times.sort();
            (percentile(&times, 0.5), size)
        }
    };
    let (short_time, short_size) = median(short).await;
    let (page_time, page_size) = median(page_sized).await;
    let (long_time, long_size) = median(long).await;
    rows.push((
        "SSR of a 5-turn thread, median".to_string(),
        format!("{} ({short_size} bytes)", ms(short_time)),
    ));
    rows.push((
        "SSR of a 50-turn thread, median".to_string(),
        format!("{} ({page_size} bytes)", ms(page_time)),
    ));
    rows.push((
        "SSR of a 5,000-turn thread, median".to_string(),
        format!("{} ({long_size} bytes)", ms(long_time)),
    ));
    rows.push((
        "5,000-turn / 5-turn".to_string(),
        format!("{:.2}", long_time.as_secs_f64() / short_time.as_secs_f64()),
    ));
    rows.push((
        "5,000-turn / 50-turn (same page size: cost of thread length alone)".to_string(),
        format!("{:.2}", long_time.as_secs_f64() / page_time.as_secs_f64()),
    ));

    // Commit → SSE client: a raw HTTP client on loopback reads the stream.
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request =
        format!("GET /api/events HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut buffer = vec![0u8; 64 * 1024];
    let n = stream.read(&mut buffer).await.expect("headers");
    assert!(buffer[..n].starts_with(b"HTTP/1.1 200"));
    let mut latencies = Vec::new();
    for i in 0..2_000 {
        let started = Instant::now();
        let outcome = engine
            .dispatch(CommandEnvelope::new(Command::SettingsUpdate {
                key: "bench".into(),
                value: serde_json::json!(i),
            }))
            .await
            .expect("dispatch");
        let committed = started.elapsed();
        let needle = format!("id: {}\n", outcome.last_sequence);
        let mut seen = String::new();
        while !seen.contains(&needle) {
            let n = stream.read(&mut buffer).await.expect("event");
            seen.push_str(&String::from_utf8_lossy(&buffer[..n]));
        }
        latencies.push(started.elapsed().saturating_sub(committed));
    }
    latencies.sort();
    rows.push((
        "commit → SSE client on loopback, p50".to_string(),
        ms(percentile(&latencies, 0.5)),
    ));
    rows.push((
        "commit → SSE client on loopback, p99".to_string(),
        ms(percentile(&latencies, 0.99)),
    ));

    println!("\n| measure | result |");
    println!("| --- | --- |");
    for (k, v) in rows {
        println!("| {k} | {v} |");
    }
}
