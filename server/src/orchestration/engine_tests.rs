use super::decider::Rejection;
use super::engine::{DispatchError, Engine, RESTART_MESSAGE};
use crate::persistence::{Database, EventStore, projection_reader};
use crate::testing::temp_db;
use futures::TryStreamExt;
use peon_app::contracts::*;

async fn event_count(db: &Database) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM events")
        .fetch_one(&db.pool)
        .await
        .expect("count")
}

fn create_project(dir: &std::path::Path) -> (ProjectId, CommandEnvelope) {
    let project_id = ProjectId::new();
    (
        project_id,
        CommandEnvelope::new(Command::ProjectCreate {
            project_id,
            title: "demo".into(),
            workspace_root: dir.display().to_string(),
            default_model: None,
        }),
    )
}

fn create_thread(project_id: ProjectId) -> (ThreadId, CommandEnvelope) {
    let thread_id = ThreadId::new();
    (
        thread_id,
        CommandEnvelope::new(Command::new_thread(
            thread_id,
            project_id,
            "work",
            Provider::Claude,
        )),
    )
}

/// An engine on a fresh database with one project and one thread.
async fn engine_with_thread() -> (tempfile::TempDir, Database, Engine, ThreadId) {
    let (dir, db) = temp_db().await;
    let engine = Engine::start(&db).await.expect("start");
    let (project_id, envelope) = create_project(dir.path());
    engine.dispatch(envelope).await.expect("project");
    let (thread_id, envelope) = create_thread(project_id);
    engine.dispatch(envelope).await.expect("thread");
    (dir, db, engine, thread_id)
}

#[tokio::test]
async fn a_command_is_stored_projected_and_published_after_commit() {
    let (dir, db) = temp_db().await;
    let engine = Engine::start(&db).await.expect("start");
    let mut events = engine.subscribe();
    let (project_id, envelope) = create_project(dir.path());
    let outcome = engine.dispatch(envelope.clone()).await.expect("dispatch");
    assert_eq!((outcome.first_sequence, outcome.last_sequence), (1, 1));
    assert!(!outcome.duplicate);
    let published = events.recv().await.expect("published");
    assert_eq!(published.sequence, 1);
    assert_eq!(published.command_id, Some(envelope.command_id));
    assert_eq!(published.actor, Actor::Client);
    // Published only once committed: a fresh reader already sees it.
    let stored: Vec<StoredEvent> = EventStore::new(db.pool.clone())
        .replay_all()
        .try_collect()
        .await
        .expect("replay");
    assert_eq!(stored, vec![(*published).clone()]);
    let snapshot = projection_reader::load_summaries(&db.pool)
        .await
        .expect("load");
    let project = &snapshot.projects[&project_id];
    // The path was canonicalised before it was stored.
    assert_eq!(
        project.workspace_root,
        dir.path()
            .canonicalize()
            .expect("canonical")
            .display()
            .to_string()
    );
    assert_eq!(engine.last_sequence(), 1);
}

#[tokio::test]
async fn a_retried_command_returns_the_first_answer_and_acts_once() {
    let (dir, db) = temp_db().await;
    let engine = Engine::start(&db).await.expect("start");
    let (_, envelope) = create_project(dir.path());
    let first = engine.dispatch(envelope.clone()).await.expect("first");
    let again = engine.dispatch(envelope.clone()).await.expect("retry");
    assert!(again.duplicate);
    assert_eq!(
        (again.first_sequence, again.last_sequence),
        (first.first_sequence, first.last_sequence)
    );
    assert_eq!(event_count(&db).await, 1);

    // The same id for a different command is refused.
    let mut other = envelope.clone();
    other.command = Command::ProjectCreate {
        project_id: ProjectId::new(),
        title: "other".into(),
        workspace_root: dir.path().display().to_string(),
        default_model: None,
    };
    let err = engine.dispatch(other).await.expect_err("reused id");
    assert!(
        matches!(err, DispatchError::Rejected(Rejection::CommandIdReused(id)) if id == envelope.command_id),
        "{err}"
    );
    assert_eq!(event_count(&db).await, 1);

    // Receipts survive a restart.
    drop(engine);
    let engine = Engine::start(&db).await.expect("restart");
    assert!(engine.dispatch(envelope).await.expect("retry").duplicate);
    assert_eq!(event_count(&db).await, 1);
}

#[tokio::test]
async fn a_rejected_command_appends_nothing() {
    let (dir, db) = temp_db().await;
    let engine = Engine::start(&db).await.expect("start");
    let (project_id, envelope) = create_project(dir.path());
    engine.dispatch(envelope).await.expect("create");
    let before = event_count(&db).await;
    let err = engine
        .dispatch(CommandEnvelope::new(Command::TurnInterrupt {
            thread_id: ThreadId::new(),
        }))
        .await
        .expect_err("unknown thread");
    assert!(err.to_string().contains("not found"), "{err}");
    let err = engine
        .dispatch(CommandEnvelope::new(Command::ProjectCreate {
            project_id: ProjectId::new(),
            title: "x".into(),
            workspace_root: dir.path().join("missing").display().to_string(),
            default_model: None,
        }))
        .await
        .expect_err("missing folder");
    assert!(err.to_string().contains("does not exist"), "{err}");
    let (_, thread) = create_thread(project_id);
    engine.dispatch(thread).await.expect("thread");
    assert_eq!(event_count(&db).await, before + 1);
    let receipts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM command_receipts")
        .fetch_one(&db.pool)
        .await
        .expect("receipts");
    assert_eq!(receipts, 2, "only accepted commands leave receipts");
}

#[tokio::test]
async fn a_turn_left_running_by_a_crash_is_settled_as_interrupted() {
    let (_dir, db, engine, thread_id) = engine_with_thread().await;
    let turn_id = TurnId::new();
    engine
        .dispatch(CommandEnvelope::new(Command::TurnStart {
            thread_id,
            turn_id,
            message_id: MessageId::new(),
            text: "do the thing".into(),
            attachments: vec![],
        }))
        .await
        .expect("turn");
    engine
        .dispatch_internal(
            InternalCommand::ChangeSession {
                thread_id,
                status: SessionStatus::Running,
                provider_thread_id: Some("agent-1".into()),
                last_error: None,
            },
            Actor::Provider,
            None,
        )
        .await
        .expect("session");
    drop(engine);

    let engine = Engine::start(&db).await.expect("restart");
    let model = projection_reader::load_summaries(&db.pool)
        .await
        .expect("load");
    let thread = &model.threads[&thread_id];
    assert!(thread.active_turn.is_none(), "no turn left running");
    assert_eq!(thread.last_turn_status, Some(TurnStatus::Interrupted));
    assert_eq!(thread.last_error.as_deref(), Some(RESTART_MESSAGE));
    assert_eq!(thread.session_status, SessionStatus::Stopped);
    assert_eq!(thread.provider_thread_id.as_deref(), Some("agent-1"));
    let events = EventStore::new(db.pool.clone())
        .read_stream(StreamKind::Thread, &thread_id.to_string())
        .await
        .expect("stream");
    let completed = events
        .iter()
        .find(|e| e.event.event_type() == "turn.completed")
        .expect("a turn.completed event");
    assert_eq!(completed.actor, Actor::Server);
    // And the thread takes a new turn.
    engine
        .dispatch(CommandEnvelope::new(Command::TurnStart {
            thread_id,
            turn_id: TurnId::new(),
            message_id: MessageId::new(),
            text: "again".into(),
            attachments: vec![],
        }))
        .await
        .expect("new turn");
}

#[tokio::test]
async fn start_up_catches_projections_up_with_the_log() {
    let (dir, db) = temp_db().await;
    let engine = Engine::start(&db).await.expect("start");
    let (project_id, envelope) = create_project(dir.path());
    engine.dispatch(envelope).await.expect("project");
    drop(engine);
    for table in crate::persistence::projector::PROJECTION_TABLES {
        sqlx::query(&format!("DELETE FROM {table}"))
            .execute(&db.pool)
            .await
            .expect("clear");
    }
    let engine = Engine::start(&db).await.expect("restart");
    let model = projection_reader::load_summaries(&db.pool)
        .await
        .expect("load");
    assert!(model.projects.contains_key(&project_id));
    assert_eq!(engine.last_sequence(), 1);
}

/// A write the database refuses (here a trigger, as a full disk or a lock
/// would) is retried until it lands: a reactor's news is never dropped.
#[tokio::test]
async fn a_failed_internal_write_is_retried_until_it_lands() {
    let (_dir, db, engine, thread_id) = engine_with_thread().await;
    sqlx::query(
        "CREATE TRIGGER injected_failure BEFORE INSERT ON events \
         WHEN NEW.event_type = 'session.changed' \
         BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
    )
    .execute(&db.pool)
    .await
    .expect("trigger");
    let write = {
        let engine = engine.clone();
        tokio::spawn(async move {
            engine
                .dispatch_internal(
                    InternalCommand::ChangeSession {
                        thread_id,
                        status: SessionStatus::Ready,
                        provider_thread_id: None,
                        last_error: None,
                    },
                    Actor::Provider,
                    None,
                )
                .await
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(!write.is_finished(), "still trying while the write fails");
    assert_eq!(event_count(&db).await, 2, "nothing half-written");
    sqlx::query("DROP TRIGGER injected_failure")
        .execute(&db.pool)
        .await
        .expect("drop trigger");
    let outcome = tokio::time::timeout(std::time::Duration::from_secs(10), write)
        .await
        .expect("lands once the database takes it")
        .expect("task")
        .expect("dispatched");
    assert_eq!(outcome.first_sequence, 3);
    let summary = projection_reader::load_thread(&db.pool, thread_id)
        .await
        .expect("load")
        .expect("thread");
    assert_eq!(summary.session_status, SessionStatus::Ready);
}

/// A writer that panics is reported (peon's `main` exits with it) instead
/// of leaving a server that answers "the engine has stopped" forever.
#[tokio::test]
async fn a_writer_that_panics_is_reported_with_its_reason() {
    let (_dir, db) = temp_db().await;
    let engine = Engine::start(&db).await.expect("start");
    let refused = engine
        .dispatch(CommandEnvelope::new(Command::SettingsUpdate {
            key: super::engine::PANIC_ON_SETTING.into(),
            value: serde_json::json!(1),
        }))
        .await;
    assert!(
        matches!(refused, Err(DispatchError::Stopped)),
        "{refused:?}"
    );
    let reason = tokio::time::timeout(std::time::Duration::from_secs(5), engine.failed())
        .await
        .expect("reported");
    assert_eq!(
        reason,
        "the engine's writer panicked: injected writer failure"
    );
}
