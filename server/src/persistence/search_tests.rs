//! The search index against the projections it follows: what it finds, in
//! which order, and that it stays true through any history and a rebuild.

use super::event_store::EventStore;
use super::projector::rebuild;
use super::search::search;
use crate::orchestration::Engine;
use crate::orchestration::simulate::Simulation;
use crate::persistence::Database;
use crate::testing::temp_db;
use peon_app::api::{HitSource, SearchHit};
use peon_app::contracts::*;

/// FTS5's own check that each index matches its content table exactly
/// (`rank = 1` also reads the content back).
async fn assert_index_intact(db: &Database, context: &str) {
    for table in ["search_messages", "search_activities"] {
        sqlx::query(&format!(
            "INSERT INTO {table} ({table}, rank) VALUES ('integrity-check', 1)"
        ))
        .execute(&db.pool)
        .await
        .unwrap_or_else(|e| panic!("{context}: {table} is out of step: {e}"));
    }
}

/// A finished turn: the user's message, the answer streamed in two
/// pieces, and optionally a command in the work log.
async fn turn(engine: &Engine, thread_id: ThreadId, ask: &str, answer: &str, ran: Option<&str>) {
    let turn_id = TurnId::new();
    let record = |command: InternalCommand| async move {
        engine
            .dispatch_internal(command, Actor::Server, None)
            .await
            .expect("internal command");
    };
    engine
        .dispatch_as(
            CommandEnvelope::new(Command::TurnStart {
                thread_id,
                turn_id,
                message_id: MessageId::new(),
                text: ask.to_string(),
                attachments: vec![],
            }),
            Actor::Server,
            None,
        )
        .await
        .expect("turn start");
    record(InternalCommand::MarkTurnStarted { thread_id, turn_id }).await;
    let message_id = MessageId::new();
    let (head, tail) = answer.split_at(answer.len() / 2);
    for text in [head, tail] {
        record(InternalCommand::MessageDelta {
            thread_id,
            message_id,
            text: text.to_string(),
        })
        .await;
    }
    record(InternalCommand::MessageComplete {
        thread_id,
        message_id,
    })
    .await;
    if let Some(command) = ran {
        record(InternalCommand::RecordActivity {
            thread_id,
            activity_id: ActivityId::new(),
            kind: ActivityKind::Command,
            summary: command.to_string(),
            detail: Some("exit 0".into()),
            status: ActivityStatus::Completed,
        })
        .await;
    }
    record(InternalCommand::CompleteTurn {
        thread_id,
        turn_id,
        status: TurnOutcome::Completed,
        error: None,
    })
    .await;
}

async fn thread(engine: &Engine, project_id: ProjectId, title: &str) -> ThreadId {
    let thread_id = ThreadId::new();
    engine
        .dispatch_as(
            CommandEnvelope::new(Command::new_thread(
                thread_id,
                project_id,
                title.to_string(),
                Provider::Codex,
            )),
            Actor::Server,
            None,
        )
        .await
        .expect("thread");
    thread_id
}

fn found(hits: &[SearchHit]) -> Vec<(ThreadId, u32, bool)> {
    hits.iter()
        .map(|h| (h.thread_id, h.turn, h.source == HitSource::Activity))
        .collect()
}

#[tokio::test]
async fn search_ranks_messages_and_work_by_relevance_and_lands_on_their_turn() {
    let (dir, db) = temp_db().await;
    let engine = Engine::start(&db).await.expect("engine");
    let project_id = ProjectId::new();
    engine
        .dispatch_as(
            CommandEnvelope::new(Command::ProjectCreate {
                project_id,
                title: "p".into(),
                workspace_root: dir.path().display().to_string(),
                default_model: None,
            }),
            Actor::Server,
            None,
        )
        .await
        .expect("project");
    let lifetimes = thread(&engine, project_id, "Lifetimes").await;
    turn(&engine, lifetimes, "hello", "hi there", None).await;
    turn(
        &engine,
        lifetimes,
        "How do lifetimes work?",
        "The borrow checker tracks each borrow: a borrow may not outlive its owner.",
        Some("cargo check --workspace"),
    )
    .await;
    let web = thread(&engine, project_id, "Web server").await;
    turn(
        &engine,
        web,
        "Set up axum with tokio and sqlx for the server, then add the routes, the \
         handlers, the templates, the logging and one borrow fix near the end.",
        "Done.",
        Some("cargo test -p server"),
    )
    .await;

    // Both threads say "borrow"; the short answer that says little else
    // ranks above the long request that mentions it once.
    let hits = search(&db.pool, "borrow", 20).await.expect("search");
    assert_eq!(
        found(&hits),
        [(lifetimes, 2, false), (web, 1, false)],
        "{hits:#?}"
    );
    assert_eq!(hits[0].thread_title, "Lifetimes");
    assert_eq!(hits[0].project_id, project_id);
    assert_eq!(
        hits[0].source,
        HitSource::Message {
            role: "assistant".into()
        }
    );
    let marked: Vec<&str> = hits[0]
        .snippet
        .iter()
        .filter(|p| p.hit)
        .map(|p| p.text.as_str())
        .collect();
    assert_eq!(marked, ["borrow"; 3], "the matched words are marked");
    let whole: String = hits[0].snippet.iter().map(|p| p.text.as_str()).collect();
    assert!(whole.contains("The borrow checker tracks"), "{whole}");

    // The last word is a prefix (results while typing); every word must
    // occur; any case; the work log is searched too.
    assert_eq!(
        found(&search(&db.pool, "BORR", 20).await.expect("prefix")),
        found(&hits)
    );
    assert_eq!(
        found(&search(&db.pool, "tokio borrow", 20).await.expect("and")),
        [(web, 1, false)]
    );
    assert_eq!(
        found(&search(&db.pool, "cargo", 20).await.expect("work log")),
        [(lifetimes, 2, true), (web, 1, true)]
    );
    // Query syntax is only words: `AND` is the word "and" (only the web
    // request says it), quotes and a lone bracket are no error.
    let quoted = search(&db.pool, "\"borrow\" AND (", 20)
        .await
        .expect("syntax is text");
    assert_eq!(found(&quoted), [(web, 1, false)]);
    assert!(search(&db.pool, "  ", 20).await.expect("blank").is_empty());
    assert_eq!(search(&db.pool, "borrow", 1).await.expect("limit").len(), 1);

    // A rebuild of the projections rebuilds the index: same answers.
    assert_index_intact(&db, "live").await;
    let mut conn = db.writer().await.expect("writer");
    rebuild(&EventStore::new(db.pool.clone()), &mut conn)
        .await
        .expect("rebuild");
    drop(conn);
    assert_index_intact(&db, "rebuilt").await;
    assert_eq!(search(&db.pool, "borrow", 20).await.expect("again"), hits);
}

/// Over long random histories (streamed messages, reverts, deletes), the
/// index matches the projections entry for entry, live and rebuilt.
#[tokio::test]
async fn the_index_follows_any_history_and_its_rebuild() {
    for seed in [1u64, 2] {
        let sim = Simulation::run(seed, 3_000);
        let (_dir, db) = temp_db().await;
        super::projection_tests::write_history(&db, &sim.events).await;
        assert_index_intact(&db, &format!("seed {seed}")).await;
        let indexed: i64 = sqlx::query_scalar("SELECT count(*) FROM search_messages")
            .fetch_one(&db.pool)
            .await
            .expect("count");
        let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM projection_messages")
            .fetch_one(&db.pool)
            .await
            .expect("count");
        assert!(
            rows > 0 && indexed == rows,
            "seed {seed}: {indexed} of {rows}"
        );
        let mut conn = db.writer().await.expect("writer");
        rebuild(&EventStore::new(db.pool.clone()), &mut conn)
            .await
            .expect("rebuild");
        drop(conn);
        assert_index_intact(&db, &format!("seed {seed}, rebuilt")).await;
    }
}
