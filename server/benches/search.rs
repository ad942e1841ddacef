//! The palette's full-text search over 100,000 messages in 100 threads:
//! how long one search takes (p50, p99 over mixed queries), and what the
//! index costs to build. `cargo bench -p peon-server --bench search`.
//!
//! The rows go straight into the projection tables (the triggers of
//! migration 0006 index them as the projector's writes would): the log is
//! not what is measured here, and 300,000 events through the engine would
//! take minutes.

mod common;

use common::{ms, percentile};
use peon_server::persistence::Database;
use peon_server::persistence::search::search;
use std::time::{Duration, Instant};

const THREADS: usize = 100;
const TURNS_PER_THREAD: usize = 500;
const VOCABULARY: usize = 4_000;
const QUERIES: usize = 400;

/// A small deterministic generator (xorshift), so every run searches the
/// same text.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A word index with a Zipf-like spread: a few words are everywhere,
    /// most are rare, as in real conversations about code.
    fn word(&mut self) -> usize {
        let u = (self.next() % 1_000_000) as f64 / 1_000_000.0;
        ((VOCABULARY as f64).powf(u) as usize).saturating_sub(1)
    }
}

fn words() -> Vec<String> {
    let syllables = [
        "ka", "ro", "mi", "tes", "lun", "var", "po", "ek", "sil", "dor",
    ];
    (0..VOCABULARY)
        .map(|i| {
            let mut w = String::new();
            let mut n = i + 10;
            while n > 0 {
                w.push_str(syllables[n % 10]);
                n /= 10;
            }
            w
        })
        .collect()
}

fn sentence(rng: &mut Rng, words: &[String], len: usize) -> String {
    (0..len)
        .map(|_| words[rng.word()].as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Writes the threads, turns and messages; returns how long it took and
/// the number of messages.
async fn fill(db: &Database, words: &[String], rng: &mut Rng) -> (Duration, usize) {
    let started = Instant::now();
    let mut conn = db.writer().await.expect("writer");
    let mut tx = sqlx::Connection::begin(&mut conn).await.expect("begin");
    sqlx::query(
        "INSERT INTO projection_projects (id, title, workspace_root, created_at, updated_at, \
         version) VALUES ('00000000-0000-0000-0000-000000000001', 'bench', '/tmp', '', '', 1)",
    )
    .execute(&mut *tx)
    .await
    .expect("project");
    let mut messages = 0usize;
    for t in 0..THREADS {
        let thread = format!("00000000-0000-0000-0001-{t:012}");
        sqlx::query(
            "INSERT INTO projection_threads (id, project_id, title, provider, runtime_mode, \
             interaction_mode, created_at, updated_at, version, turn_count) VALUES \
             (?, '00000000-0000-0000-0000-000000000001', ?, 'codex', 'full-access', 'default', \
             '', '', 1, ?)",
        )
        .bind(&thread)
        .bind(format!("thread {t}"))
        .bind(TURNS_PER_THREAD as i64)
        .execute(&mut *tx)
        .await
        .expect("thread");
        for n in 1..=TURNS_PER_THREAD {
            let turn = format!("00000000-0000-0000-0002-{:012}", t * TURNS_PER_THREAD + n);
            sqlx::query(
                "INSERT INTO projection_turns (id, thread_id, number, status, requested_at) \
                 VALUES (?, ?, ?, 'completed', '')",
            )
            .bind(&turn)
            .bind(&thread)
            .bind(n as i64)
            .execute(&mut *tx)
            .await
            .expect("turn");
            for (position, role, len) in [
                (0, "user", 12 + rng.word() % 30),
                (1, "assistant", 40 + rng.word() % 120),
            ] {
                messages += 1;
                sqlx::query(
                    "INSERT INTO projection_messages (id, thread_id, turn_id, position, role, \
                     text, streaming, created_at) VALUES (?, ?, ?, ?, ?, ?, 0, '')",
                )
                .bind(format!("00000000-0000-0000-0003-{messages:012}"))
                .bind(&thread)
                .bind(&turn)
                .bind(position)
                .bind(role)
                .bind(sentence(rng, words, len))
                .execute(&mut *tx)
                .await
                .expect("message");
            }
        }
    }
    tx.commit().await.expect("commit");
    drop(conn);
    (started.elapsed(), messages)
}

#[tokio::main]
async fn main() {
    let words = words();
    // The same rows without the index, to show what it adds to writing.
    let bare_dir = tempfile::tempdir().expect("temp dir");
    let bare = Database::open(&bare_dir.path().join("peon.sqlite3"))
        .await
        .expect("open");
    for trigger in ["insert", "update", "delete"] {
        sqlx::query(&format!("DROP TRIGGER search_messages_{trigger}"))
            .execute(&bare.pool)
            .await
            .expect("drop trigger");
    }
    let (unindexed, _) = fill(&bare, &words, &mut Rng(0x9e37_79b9_7f4a_7c15)).await;
    drop(bare);
    let dir = tempfile::tempdir().expect("temp dir");
    let db = Database::open(&dir.path().join("peon.sqlite3"))
        .await
        .expect("open");
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (built, messages) = fill(&db, &words, &mut rng).await;

    // Mixed queries as typed into the palette: a common word, a rare one,
    // two words, and a three-letter prefix.
    let mut times: Vec<Duration> = Vec::with_capacity(QUERIES);
    let mut total_hits = 0usize;
    for q in 0..QUERIES {
        let text = match q % 4 {
            0 => words[rng.next() as usize % 20].clone(),
            1 => words[VOCABULARY - 1 - rng.next() as usize % 1000].clone(),
            2 => format!("{} {}", words[rng.word()], words[rng.word()]),
            _ => words[rng.word()].chars().take(3).collect(),
        };
        let start = Instant::now();
        let hits = search(&db.pool, &text, 20).await.expect("search");
        times.push(start.elapsed());
        total_hits += hits.len();
    }
    times.sort();
    println!("| measure | value |");
    println!("| --- | --- |");
    println!("| messages indexed | {messages} |");
    println!(
        "| writing them (one transaction): without the index, with it | {:.1} s, {:.1} s |",
        unindexed.as_secs_f64(),
        built.as_secs_f64()
    );
    println!("| search p50 | {} |", ms(percentile(&times, 0.5)));
    println!("| search p99 | {} |", ms(percentile(&times, 0.99)));
    println!("| search max | {} |", ms(percentile(&times, 1.0)));
    println!(
        "| hits per search (mean, at most 20) | {:.1} |",
        total_hits as f64 / QUERIES as f64
    );
}
