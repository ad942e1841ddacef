//! Benchmarks of the orchestration core, printed as a Markdown table:
//! batched append against plain inserts into a bare table, one command
//! through the engine, replay and projection rebuild over a long log.
//!
//! `cargo bench -p peon-server --bench core`; `PEON_BENCH_EVENTS` sets the
//! log length (default 1,000,000).

use chrono::Utc;
use futures::StreamExt;
use peon_app::contracts::*;
use peon_server::orchestration::Engine;
use peon_server::orchestration::simulate::Simulation;
use peon_server::persistence::{Database, EventStore, NewEvent, projector};
use std::time::Instant;

mod common;
use common::percentile;

const BATCH: usize = 1_000;
const APPEND_BATCHES: usize = 50;

/// Peak resident memory since the last reset, in MiB (Linux).
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

async fn fresh_db(dir: &std::path::Path, name: &str) -> Database {
    Database::open(&dir.join(name))
        .await
        .expect("open database")
}

#[tokio::main]
async fn main() {
    let total: usize = std::env::var("PEON_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let mut rows: Vec<(String, String)> = Vec::new();

    // ---- batched append vs. a bare table ----
    let sim = Simulation::run(7, BATCH * APPEND_BATCHES * 2);
    let events: Vec<NewEvent> = sim
        .events
        .iter()
        .take(BATCH * APPEND_BATCHES)
        .map(NewEvent::from_stored)
        .collect();
    let db = fresh_db(dir.path(), "append.sqlite3").await;
    let store = EventStore::new(db.pool.clone());
    let started = Instant::now();
    for chunk in events.chunks(BATCH) {
        store.append_all(chunk).await.expect("append");
    }
    let append_rate = events.len() as f64 / started.elapsed().as_secs_f64();

    sqlx::query(
        "CREATE TABLE bare (sequence INTEGER PRIMARY KEY, event_id TEXT, stream_kind TEXT, \
         stream_id TEXT, stream_version INTEGER, event_type TEXT, occurred_at TEXT, command_id TEXT, \
         causation_event_id TEXT, correlation_id TEXT, actor TEXT, payload TEXT)",
    )
    .execute(&db.pool)
    .await
    .expect("bare table");
    let prepared: Vec<_> = events
        .iter()
        .map(|e| {
            let (kind, id) = e.event.stream();
            (
                e.event_id.to_string(),
                kind.as_str(),
                id,
                e.expected_version as i64 + 1,
                e.event.event_type(),
                e.occurred_at.to_rfc3339(),
                e.command_id.map(|c| c.to_string()),
                e.actor.as_str(),
                serde_json::to_string(&e.event).expect("json"),
            )
        })
        .collect();
    let started = Instant::now();
    for chunk in prepared.chunks(BATCH) {
        let mut tx = db.pool.begin().await.expect("begin");
        for r in chunk {
            sqlx::query(
                "INSERT INTO bare (event_id, stream_kind, stream_id, stream_version, event_type, \
                 occurred_at, command_id, causation_event_id, correlation_id, actor, payload) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)",
            )
            .bind(&r.0)
            .bind(r.1)
            .bind(&r.2)
            .bind(r.3)
            .bind(r.4)
            .bind(&r.5)
            .bind(&r.6)
            .bind(&r.6)
            .bind(r.7)
            .bind(&r.8)
            .execute(&mut *tx)
            .await
            .expect("insert");
        }
        tx.commit().await.expect("commit");
    }
    let bare_rate = prepared.len() as f64 / started.elapsed().as_secs_f64();
    rows.push((
        format!("batched append ({BATCH} events per transaction)"),
        format!("{append_rate:.0} events/s"),
    ));
    rows.push((
        "plain inserts into a bare table (baseline, same run)".into(),
        format!("{bare_rate:.0} rows/s"),
    ));
    rows.push((
        "append / baseline".into(),
        format!("{:.2}", append_rate / bare_rate),
    ));
    drop(store);
    db.pool.close().await;

    // ---- one command through the engine ----
    let db = fresh_db(dir.path(), "engine.sqlite3").await;
    let engine = Engine::start(&db).await.expect("engine");
    let project_id = common::project(&engine, dir.path()).await;
    let thread_id = ThreadId::new();
    engine
        .dispatch(CommandEnvelope::new(Command::new_thread(
            thread_id,
            project_id,
            "bench",
            Provider::Codex,
        )))
        .await
        .expect("thread");
    let mut latencies = Vec::with_capacity(5_000);
    for i in 0..5_000 {
        let envelope = CommandEnvelope::new(Command::ThreadUpdate {
            thread_id,
            title: Some(format!("title {i}")),
            model: None,
            branch: None,
            provider: None,
        });
        let started = Instant::now();
        engine.dispatch(envelope).await.expect("dispatch");
        latencies.push(started.elapsed());
    }
    latencies.sort();
    rows.push((
        "one command through the engine, p50".into(),
        format!("{:.3} ms", percentile(&latencies, 0.50).as_secs_f64() * 1e3),
    ));
    rows.push((
        "one command through the engine, p99".into(),
        format!("{:.3} ms", percentile(&latencies, 0.99).as_secs_f64() * 1e3),
    ));
    drop(engine);
    db.pool.close().await;

    // ---- a long log: replay and rebuild ----
    let db = fresh_db(dir.path(), "long.sqlite3").await;
    let store = EventStore::new(db.pool.clone());
    let mut written = 0usize;
    let mut seed = 100;
    let fill_started = Instant::now();
    while written < total {
        // Fresh simulations keep the generator's own model small.
        let sim = Simulation::run(seed, 20_000);
        seed += 1;
        // Every simulation has its own settings stream; one log has one.
        let events: Vec<&StoredEvent> = sim
            .events
            .iter()
            .filter(|e| e.stream_kind != StreamKind::Settings)
            .collect();
        let mut conn = db.writer().await.expect("writer");
        for chunk in events.chunks(5_000) {
            let new: Vec<NewEvent> = chunk
                .iter()
                .take(total - written)
                .map(|e| NewEvent::from_stored(e))
                .collect();
            if new.is_empty() {
                break;
            }
            let mut tx = sqlx::Connection::begin(&mut conn).await.expect("begin");
            let stored = peon_server::persistence::event_store::append_in(&mut tx, &new)
                .await
                .expect("append");
            tx.commit().await.expect("commit");
            written += stored.len();
        }
    }
    eprintln!("wrote {written} events in {:.1?}", fill_started.elapsed());

    reset_peak_rss();
    let before = peak_rss_mib();
    let started = Instant::now();
    let mut count = 0usize;
    let mut last = 0u64;
    let mut replay = std::pin::pin!(store.replay_all());
    while let Some(event) = replay.next().await {
        let event = event.expect("event");
        last = event.sequence;
        count += 1;
    }
    let replay_time = started.elapsed();

    let peak = peak_rss_mib();
    assert_eq!(count, written);
    assert_eq!(last as usize, written);
    rows.push((
        format!("replay of {written} events"),
        format!(
            "{:.2} s ({:.0} events/s)",
            replay_time.as_secs_f64(),
            written as f64 / replay_time.as_secs_f64()
        ),
    ));
    rows.push((
        "replay peak memory above the start".into(),
        format!(
            "{:.1} MiB (from {before:.1} to {peak:.1} MiB)",
            peak - before
        ),
    ));

    let mut conn = db.writer().await.expect("writer");
    let started = Instant::now();
    let rebuilt = projector::rebuild(&store, &mut conn)
        .await
        .expect("rebuild");
    let rebuild_time = started.elapsed();
    assert_eq!(rebuilt as usize, written);
    rows.push((
        format!("rebuild-projections over {written} events"),
        format!(
            "{:.1} s ({:.0} events/s)",
            rebuild_time.as_secs_f64(),
            written as f64 / rebuild_time.as_secs_f64()
        ),
    ));

    println!("\n| measure ({}) | result |", Utc::now().format("%Y-%m-%d"));
    println!("| --- | --- |");
    for (k, v) in rows {
        println!("| {k} | {v} |");
    }
}
