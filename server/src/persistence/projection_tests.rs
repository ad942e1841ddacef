//! The projections against the reducer: tables written incrementally equal
//! tables rebuilt from the log, and reading them back gives the same model
//! the reducer folds from the events.

use super::event_store::{EventStore, NewEvent, append_in};
use super::projection_reader::{load_summaries, load_thread_page};
use super::projector::{PROJECTION_TABLES, project_all, rebuild};
use crate::orchestration::simulate::Simulation;
use crate::persistence::Database;
use crate::testing::temp_db;
use peon_app::contracts::*;
use sqlx::{Column, Row};

/// Writes a simulated history the way the engine does: append and project
/// in one transaction per command-sized batch.
pub(super) async fn write_history(db: &Database, events: &[StoredEvent]) {
    let mut conn = db.writer().await.expect("writer");
    for chunk in events.chunks(3) {
        let new: Vec<NewEvent> = chunk.iter().map(NewEvent::from_stored).collect();
        let mut tx = sqlx::Connection::begin(&mut conn).await.expect("begin");
        let stored = append_in(&mut tx, &new).await.expect("append");
        assert_eq!(stored, chunk, "the store keeps exactly what it was given");
        project_all(&mut tx, &stored).await.expect("project");
        tx.commit().await.expect("commit");
    }
}

/// Every row of every projection table, as text, in a stable order.
async fn dump(db: &Database) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for table in PROJECTION_TABLES {
        let rows = sqlx::query(&format!("SELECT * FROM {table} ORDER BY 1, 2"))
            .fetch_all(&db.pool)
            .await
            .expect("dump");
        let rendered = rows
            .iter()
            .map(|row| {
                (0..row.columns().len())
                    .map(|i| {
                        let name = row.columns()[i].name().to_string();
                        let value = row
                            .try_get::<Option<String>, _>(i)
                            .map(|v| format!("{v:?}"))
                            .or_else(|_| row.try_get::<Option<i64>, _>(i).map(|v| format!("{v:?}")))
                            .unwrap_or_else(|e| format!("<{e}>"));
                        format!("{name}={value}")
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        out.push((table.to_string(), rendered));
    }
    out
}

fn summaries(model: &ReadModel) -> ReadModel {
    ReadModel {
        pages: Default::default(),
        keep_all_pages: false,
        ..model.clone()
    }
}

#[tokio::test]
async fn rebuilt_projections_equal_incremental_ones_row_for_row() {
    for seed in [1u64, 2, 3] {
        let sim = Simulation::run(seed, 4_000);
        assert!(
            sim.events.len() > 2_000,
            "a long history: {}",
            sim.events.len()
        );
        let (_dir, db) = temp_db().await;
        write_history(&db, &sim.events).await;
        let incremental = dump(&db).await;
        for table in [
            "projection_turns",
            "projection_messages",
            "projection_activities",
        ] {
            let rows = &incremental
                .iter()
                .find(|(t, _)| t == table)
                .expect("table")
                .1;
            assert!(!rows.is_empty(), "seed {seed}: the history fills {table}");
        }
        let mut conn = db.writer().await.expect("writer");
        let replayed = rebuild(&EventStore::new(db.pool.clone()), &mut conn)
            .await
            .expect("rebuild");
        assert_eq!(replayed as usize, sim.events.len());
        let rebuilt = dump(&db).await;
        for ((table, a), (_, b)) in incremental.iter().zip(&rebuilt) {
            assert_eq!(a.len(), b.len(), "seed {seed}: row count of {table}");
            assert_eq!(a, b, "seed {seed}: rows of {table}");
        }
    }
}

/// Turns in a page a client opens (the thread page's first request).
const OPEN_PAGE: u32 = 20;

/// The newest `limit` turns of a full page, as `load_thread_page` reads them.
fn latest(page: &ThreadPage, limit: u32) -> ThreadPage {
    let keep = page.turns.len().saturating_sub(limit as usize);
    let turns = page.turns[keep..].to_vec();
    ThreadPage {
        first_turn: turns.first().map_or(1, |t| t.number),
        turns,
    }
}

/// Reads the snapshot and `threads`' open pages back from SQL and compares
/// them with the reducer's model.
async fn assert_tables_equal_model(
    db: &Database,
    model: &ReadModel,
    threads: impl IntoIterator<Item = ThreadId>,
    context: &str,
) {
    let loaded = load_summaries(&db.pool).await.expect("load");
    assert_eq!(loaded, summaries(model), "{context}: summaries");
    for thread_id in threads {
        let read = load_thread_page(&db.pool, thread_id, None, OPEN_PAGE)
            .await
            .expect("page");
        let Some(page) = model.pages.get(&thread_id) else {
            assert!(
                read.is_none(),
                "{context}: {thread_id} is gone from SQL too"
            );
            continue;
        };
        let (sequence, summary, loaded_page) = read.expect("thread exists in SQL");
        assert_eq!(sequence, model.sequence, "{context}");
        assert_eq!(&summary, &model.threads[&thread_id], "{context}");
        assert_eq!(
            loaded_page,
            latest(page, OPEN_PAGE),
            "{context}: open page of {thread_id}"
        );
    }
}

/// The SQL projector is a second fold beside `ReadModel::apply`: after
/// every accepted command (reverts, a turn racing a revert, archive and
/// delete mid-turn, worktree threads) the tables read back exactly as the
/// reducer's model, snapshot and open pages alike.
#[tokio::test]
async fn projections_equal_the_reducer_after_every_command() {
    let mut seen = std::collections::BTreeSet::new();
    for seed in [11u64, 12, 13] {
        let mut sim = Simulation::new(seed);
        let (_dir, db) = temp_db().await;
        let mut conn = db.writer().await.expect("writer");
        let mut written = 0;
        for step in 0..700 {
            let command = sim.propose();
            if !sim.submit(command.clone()) {
                continue;
            }
            // One transaction per command, as the engine writes.
            let batch = &sim.events[written..];
            written = sim.events.len();
            let new: Vec<NewEvent> = batch.iter().map(NewEvent::from_stored).collect();
            let mut tx = sqlx::Connection::begin(&mut conn).await.expect("begin");
            let stored = append_in(&mut tx, &new).await.expect("append");
            project_all(&mut tx, &stored).await.expect("project");
            tx.commit().await.expect("commit");
            let touched: std::collections::BTreeSet<ThreadId> =
                batch.iter().filter_map(|e| e.event.thread_id()).collect();
            seen.extend(batch.iter().map(|e| e.event.event_type()));
            let context = format!("seed {seed} step {step} after {command:?}");
            assert_tables_equal_model(&db, &sim.model, touched, &context).await;
        }
        // And every page in full at the end, not only the open part.
        for (thread_id, page) in &sim.model.pages {
            let (_, _, loaded) = load_thread_page(&db.pool, *thread_id, None, u32::MAX)
                .await
                .expect("page")
                .expect("thread");
            assert_eq!(&loaded, page, "seed {seed}: whole page of {thread_id}");
        }
    }
    for kind in [
        "thread.reverted",
        "thread.revert-failed",
        "thread.deleted",
        "thread.delete-requested",
        "thread.delete-failed",
        "project.delete-requested",
        "project.delete-failed",
        "project.deleted",
        "message.queued",
        "message.unqueued",
        "queue.moved",
        "turn.usage",
    ] {
        assert!(seen.contains(kind), "the histories include {kind}");
    }
}

#[tokio::test]
async fn thread_pages_hold_the_latest_turns_and_page_backwards() {
    let mut sim = Simulation::new(5);
    let project_id = ProjectId::from_u128(1);
    let thread_id = ThreadId::from_u128(2);
    assert!(sim.submit(&Command::ProjectCreate {
        project_id,
        title: "p".into(),
        workspace_root: "/w".into(),
        default_model: None,
    }));
    assert!(sim.submit(&Command::ThreadCreate {
        thread_id,
        project_id,
        title: "t".into(),
        provider: Provider::Codex,
        model: None,
        runtime_mode: RuntimeMode::FullAccess,
        interaction_mode: InteractionMode::Default,
        branch: None,
        worktree: false,
        worktree_path: None,
    }));
    for n in 0..120u128 {
        let turn_id = TurnId::from_u128(1000 + n);
        assert!(sim.submit(&Command::TurnStart {
            thread_id,
            turn_id,
            message_id: MessageId::from_u128(5000 + n),
            text: format!("question {n}"),
            attachments: vec![],
        }));
        assert!(sim.submit(&InternalCommand::CompleteTurn {
            thread_id,
            turn_id,
            status: TurnOutcome::Completed,
            error: None,
        }));
    }
    let (_dir, db) = temp_db().await;
    write_history(&db, &sim.events).await;
    let (_, _, latest) = load_thread_page(&db.pool, thread_id, None, 50)
        .await
        .expect("page")
        .expect("thread");
    assert_eq!(latest.first_turn, 71);
    assert_eq!(latest.turns.len(), 50);
    assert_eq!(latest.turns.last().map(|t| t.number), Some(120));
    let (_, _, older) = load_thread_page(&db.pool, thread_id, Some(latest.first_turn), 50)
        .await
        .expect("page")
        .expect("thread");
    assert_eq!(older.turns.first().map(|t| t.number), Some(21));
    assert_eq!(older.turns.last().map(|t| t.number), Some(70));
    let (_, _, first) = load_thread_page(&db.pool, thread_id, Some(older.first_turn), 50)
        .await
        .expect("page")
        .expect("thread");
    assert_eq!(first.first_turn, 1);
    assert!(!first.has_older());
    assert_eq!(first.turns.len(), 20);
    assert!(
        load_thread_page(&db.pool, ThreadId::from_u128(99), None, 50)
            .await
            .expect("query")
            .is_none()
    );
}
