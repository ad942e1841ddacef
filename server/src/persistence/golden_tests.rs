//! The log must read forever. `fixtures/events/golden.jsonl` holds rows of
//! the `events` table exactly as peon wrote them, at least one per event
//! type, envelope included. Every build decodes them through the store's
//! own read path; a change to an event that an existing database could not
//! survive (a renamed wire name or field, a field made required, a changed
//! meaning of a value) fails here.
//!
//! Never edit or delete a line of the fixture. A new event type or a new
//! field adds lines (`PEON_WRITE_GOLDEN=1 cargo test -p peon-server
//! golden -- --ignored` appends rows for the types it lacks). The rule is
//! in ARCHITECTURE.md ("The log reads forever").

use super::event_store::{EventStore, NewEvent, append_in};
use super::projection_reader::load_summaries;
use super::projector::project_all;
use crate::orchestration::simulate::Simulation;
use crate::testing::temp_db;
use futures::TryStreamExt;
use peon_app::contracts::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;

const GOLDEN: &str = include_str!("../../fixtures/events/golden.jsonl");
const GOLDEN_PATH: &str = "fixtures/events/golden.jsonl";

/// One row of the `events` table, every column as SQLite holds it.
#[derive(Debug, Serialize, Deserialize, sqlx::FromRow)]
struct Row {
    sequence: i64,
    event_id: String,
    stream_kind: String,
    stream_id: String,
    stream_version: i64,
    event_type: String,
    occurred_at: String,
    command_id: Option<String>,
    causation_event_id: Option<String>,
    correlation_id: Option<String>,
    actor: String,
    payload: String,
}

fn golden_rows() -> Vec<Row> {
    GOLDEN
        .lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| serde_json::from_str(l).unwrap_or_else(|e| panic!("line {}: {e}", i + 1)))
        .collect()
}

/// Every key of `old` is in `new` with the same value (`new` may have more:
/// fields added later with defaults).
fn assert_keeps(old: &Value, new: &Value, path: &str) {
    match (old, new) {
        (Value::Object(o), Value::Object(n)) => {
            for (key, value) in o {
                let Some(now) = n.get(key) else {
                    panic!("{path}.{key} is no longer read back (renamed or dropped?)");
                };
                assert_keeps(value, now, &format!("{path}.{key}"));
            }
        }
        _ => assert_eq!(old, new, "{path} reads back differently"),
    }
}

#[tokio::test]
async fn events_written_by_earlier_versions_still_decode() {
    let rows = golden_rows();
    let (_dir, db) = temp_db().await;
    // Written with plain SQL, as an old peon left them: not through today's
    // encoder.
    for row in &rows {
        sqlx::query(
            "INSERT INTO events (sequence, event_id, stream_kind, stream_id, stream_version, \
             event_type, occurred_at, command_id, causation_event_id, correlation_id, actor, \
             payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(row.sequence)
        .bind(&row.event_id)
        .bind(&row.stream_kind)
        .bind(&row.stream_id)
        .bind(row.stream_version)
        .bind(&row.event_type)
        .bind(&row.occurred_at)
        .bind(&row.command_id)
        .bind(&row.causation_event_id)
        .bind(&row.correlation_id)
        .bind(&row.actor)
        .bind(&row.payload)
        .execute(&db.pool)
        .await
        .expect("insert a golden row");
    }
    let store = EventStore::new(db.pool.clone());
    let decoded: Vec<StoredEvent> = store
        .replay_from(0)
        .try_collect()
        .await
        .expect("every golden row decodes");
    assert_eq!(decoded.len(), rows.len());
    for (row, event) in rows.iter().zip(&decoded) {
        let at = format!("row {} ({})", row.sequence, row.event_type);
        assert_eq!(event.event.event_type(), row.event_type, "{at}");
        assert_eq!(event.sequence as i64, row.sequence, "{at}");
        assert_eq!(event.event_id.to_string(), row.event_id, "{at}");
        assert_eq!(event.stream_kind.as_str(), row.stream_kind, "{at}");
        assert_eq!(event.stream_id, row.stream_id, "{at}");
        assert_eq!(event.actor.as_str(), row.actor, "{at}");
        assert_eq!(
            super::rows::time_text(event.occurred_at),
            row.occurred_at,
            "{at}"
        );
        let old: Value = serde_json::from_str(&row.payload).expect("payload JSON");
        let now = serde_json::to_value(&event.event).expect("encode");
        assert_keeps(&old, &now, &at);
    }
    let missing: Vec<_> = OrchestrationEvent::TYPES
        .iter()
        .filter(|t| !rows.iter().any(|r| r.event_type == **t))
        .collect();
    assert!(
        missing.is_empty(),
        "event types without a golden row (add them, see the top of this file): {missing:?}"
    );
    // And they still project: a database of old events opens.
    let mut conn = db.writer().await.expect("writer");
    let mut tx = sqlx::Connection::begin(&mut conn).await.expect("begin");
    project_all(&mut tx, &decoded).await.expect("project");
    tx.commit().await.expect("commit");
    let mut folded = ReadModel::default();
    for event in &decoded {
        folded.apply(event);
    }
    let loaded = load_summaries(&db.pool).await.expect("summaries");
    assert_eq!(loaded.projects, folded.projects);
    assert_eq!(loaded.threads, folded.threads);
}

/// A history that reaches every event type, written through the store.
fn covering_history() -> Simulation {
    let mut sim = Simulation::new(7);
    let p = ProjectId::from_u128(0x11);
    let t = ThreadId::from_u128(0x22);
    let turn = TurnId::from_u128(0x33);
    let turn2 = TurnId::from_u128(0x34);
    let msg = MessageId::from_u128(0x44);
    let reply = MessageId::from_u128(0x45);
    let approval = ApprovalId::from_u128(0x55);
    let checkpoint = |turn_id, n| InternalCommand::RecordCheckpoint {
        thread_id: t,
        turn_id,
        turn_count: n,
        git_ref: format!("refs/peon/checkpoints/{t}/{n}"),
        files: vec![FileStat {
            path: "src/lib.rs".into(),
            kind: FileChangeKind::Modified,
            additions: 3,
            deletions: 1,
        }],
        skipped: vec!["big.bin".into()],
    };
    let commands: Vec<AnyCommand> = vec![
        Command::ProjectCreate {
            project_id: p,
            title: "golden".into(),
            workspace_root: "/work/golden".into(),
            default_model: Some("gpt-5".into()),
        }
        .into(),
        Command::ProjectUpdate {
            project_id: p,
            title: Some("golden 2".into()),
            default_model: None,
        }
        .into(),
        Command::ThreadCreate {
            thread_id: t,
            project_id: p,
            title: "a thread".into(),
            provider: Provider::Claude,
            model: Some("sonnet".into()),
            runtime_mode: RuntimeMode::ApprovalRequired,
            interaction_mode: InteractionMode::Default,
            branch: Some("peon/22".into()),
            worktree: true,
            worktree_path: Some("/data/worktrees/golden-22".into()),
        }
        .into(),
        Command::ThreadUpdate {
            thread_id: t,
            title: Some("renamed".into()),
            model: None,
            branch: None,
            provider: Some(Provider::Codex),
        }
        .into(),
        Command::ThreadSetRuntimeMode {
            thread_id: t,
            runtime_mode: RuntimeMode::FullAccess,
        }
        .into(),
        Command::ThreadArchive { thread_id: t }.into(),
        Command::ThreadUnarchive { thread_id: t }.into(),
        checkpoint(None, 0).into(),
        Command::TurnStart {
            thread_id: t,
            turn_id: turn,
            message_id: msg,
            text: "fix the parser".into(),
            attachments: vec![Attachment {
                name: "shot.png".into(),
                mime_type: "image/png".into(),
                size_bytes: 1234,
            }],
        }
        .into(),
        InternalCommand::MarkTurnStarted {
            thread_id: t,
            turn_id: turn,
        }
        .into(),
        InternalCommand::ChangeSession {
            thread_id: t,
            status: SessionStatus::Running,
            provider_thread_id: Some("prov-1".into()),
            last_error: None,
        }
        .into(),
        InternalCommand::MessageDelta {
            thread_id: t,
            message_id: reply,
            text: "Looking".into(),
        }
        .into(),
        InternalCommand::MessageDelta {
            thread_id: t,
            message_id: reply,
            text: " at it.".into(),
        }
        .into(),
        InternalCommand::MessageComplete {
            thread_id: t,
            message_id: reply,
        }
        .into(),
        InternalCommand::RecordActivity {
            thread_id: t,
            activity_id: ActivityId::from_u128(0x66),
            kind: ActivityKind::Command,
            summary: "cargo test".into(),
            detail: Some("ok".into()),
            status: ActivityStatus::Completed,
        }
        .into(),
        InternalCommand::RequestApproval {
            thread_id: t,
            approval_id: approval,
            kind: ApprovalKind::Command,
            detail: "rm -rf target".into(),
        }
        .into(),
        Command::ApprovalRespond {
            thread_id: t,
            approval_id: approval,
            decision: ApprovalDecision::AcceptForSession,
        }
        .into(),
        Command::TurnInterrupt { thread_id: t }.into(),
        checkpoint(Some(turn), 1).into(),
        InternalCommand::CompleteTurn {
            thread_id: t,
            turn_id: turn,
            status: TurnOutcome::Interrupted,
            error: Some("stopped".into()),
        }
        .into(),
        Command::SessionStop { thread_id: t }.into(),
        Command::CheckpointRevert {
            thread_id: t,
            turn_count: 0,
        }
        .into(),
        InternalCommand::FailRevert {
            thread_id: t,
            turn_count: 0,
            error: "a file is locked".into(),
        }
        .into(),
        Command::CheckpointRevert {
            thread_id: t,
            turn_count: 0,
        }
        .into(),
        InternalCommand::CompleteRevert {
            thread_id: t,
            turn_count: 0,
        }
        .into(),
        Command::TurnStart {
            thread_id: t,
            turn_id: turn2,
            message_id: MessageId::from_u128(0x46),
            text: "again".into(),
            attachments: vec![],
        }
        .into(),
        Command::TurnQueue {
            thread_id: t,
            turn_id: TurnId::from_u128(0x47),
            message_id: MessageId::from_u128(0x48),
            text: "then this".into(),
            attachments: vec![],
        }
        .into(),
        Command::TurnQueue {
            thread_id: t,
            turn_id: TurnId::from_u128(0x49),
            message_id: MessageId::from_u128(0x4a),
            text: "and this first".into(),
            attachments: vec![],
        }
        .into(),
        Command::QueueMove {
            thread_id: t,
            message_id: MessageId::from_u128(0x4a),
            to: 0,
        }
        .into(),
        Command::QueueCancel {
            thread_id: t,
            message_id: MessageId::from_u128(0x48),
        }
        .into(),
        InternalCommand::RecordUsage {
            thread_id: t,
            added: TokenUsage {
                input: 1200,
                cached_input: 200,
                output: 300,
                reasoning_output: 40,
            },
            context_tokens: Some(1500),
            context_window: Some(258_400),
            cost_micros: Some(1240),
        }
        .into(),
        InternalCommand::CompleteTurn {
            thread_id: t,
            turn_id: turn2,
            status: TurnOutcome::Failed,
            error: Some("model API returned 500".into()),
        }
        .into(),
        Command::SettingsUpdate {
            key: "theme".into(),
            value: serde_json::json!({"dark": true}),
        }
        .into(),
        Command::ProjectDelete { project_id: p }.into(),
        InternalCommand::FailProjectDelete {
            project_id: p,
            error: "the worktree of thread \"renamed\" has uncommitted changes (a.txt)".into(),
        }
        .into(),
        Command::ThreadDelete {
            thread_id: t,
            discard_changes: false,
        }
        .into(),
        InternalCommand::FailDelete {
            thread_id: t,
            error: "the worktree has uncommitted changes (a.txt)".into(),
        }
        .into(),
        Command::ThreadDelete {
            thread_id: t,
            discard_changes: true,
        }
        .into(),
        InternalCommand::CompleteDelete { thread_id: t }.into(),
        Command::ProjectDelete { project_id: p }.into(),
    ];
    for command in commands {
        assert!(sim.submit(command.clone()), "accepted: {command:?}");
    }
    sim
}

/// Appends rows for the event types the fixture lacks, written by today's
/// code. Run by hand when adding an event type (see the top of this file).
#[tokio::test]
#[ignore]
async fn golden_write_missing_types() {
    if std::env::var_os("PEON_WRITE_GOLDEN").is_none() {
        return;
    }
    let sim = covering_history();
    let (_dir, db) = temp_db().await;
    let mut conn = db.writer().await.expect("writer");
    let mut tx = sqlx::Connection::begin(&mut conn).await.expect("begin");
    let new: Vec<NewEvent> = sim.events.iter().map(NewEvent::from_stored).collect();
    append_in(&mut tx, &new).await.expect("append");
    tx.commit().await.expect("commit");
    let rows: Vec<Row> = sqlx::query_as("SELECT * FROM events ORDER BY sequence")
        .fetch_all(&db.pool)
        .await
        .expect("rows");
    let existing = golden_rows();
    let mut next = existing.last().map_or(0, |r| r.sequence);
    let mut versions: std::collections::HashMap<(String, String), i64> = Default::default();
    for r in &existing {
        let v = versions
            .entry((r.stream_kind.clone(), r.stream_id.clone()))
            .or_insert(0);
        *v = (*v).max(r.stream_version);
    }
    let mut out = String::from(GOLDEN);
    let mut have: std::collections::HashSet<String> =
        existing.iter().map(|r| r.event_type.clone()).collect();
    let ids: std::collections::HashSet<String> =
        existing.iter().map(|r| r.event_id.clone()).collect();
    for mut row in rows {
        // An empty fixture takes the whole history; later runs one row of
        // each type it lacks, numbered on from what is there.
        if !existing.is_empty() && !have.insert(row.event_type.clone()) {
            continue;
        }
        next += 1;
        row.sequence = next;
        if ids.contains(&row.event_id) {
            row.event_id = format!("00000000-0000-4000-8000-{next:012x}");
        }
        if !existing.is_empty() {
            let v = versions
                .entry((row.stream_kind.clone(), row.stream_id.clone()))
                .or_insert(0);
            *v += 1;
            row.stream_version = *v;
        }
        out.push_str(&serde_json::to_string(&row).expect("row JSON"));
        out.push('\n');
    }
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(GOLDEN_PATH);
    std::fs::write(path, out).expect("write the fixture");
}
