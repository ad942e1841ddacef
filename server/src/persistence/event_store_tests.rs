use super::event_store::{EventStore, NewEvent, StoreError};
use crate::testing::temp_db;
use chrono::DateTime;
use futures::TryStreamExt;
use peon_app::contracts::event as ev;
use peon_app::contracts::*;

fn project_event(n: u128, expected_version: u64) -> NewEvent {
    let project_id = ProjectId::from_u128(n);
    let event: OrchestrationEvent = if expected_version == 0 {
        ev::ProjectCreated {
            project_id,
            title: format!("project {n}"),
            workspace_root: "/tmp".into(),
            default_model: None,
        }
        .into()
    } else {
        ev::ProjectUpdated {
            project_id,
            title: Some(format!("v{expected_version}")),
            default_model: None,
        }
        .into()
    };
    NewEvent {
        event_id: EventId::new(),
        expected_version,
        occurred_at: DateTime::from_timestamp_micros(1_790_000_000_123_456).unwrap_or_default(),
        command_id: Some(CommandId::from_u128(n)),
        causation_event_id: None,
        correlation_id: None,
        actor: Actor::Client,
        event,
    }
}

async fn count(db: &crate::persistence::Database) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM events")
        .fetch_one(&db.pool)
        .await
        .expect("count")
}

#[tokio::test]
async fn replay_of_an_empty_database_is_empty() {
    let (_dir, db) = temp_db().await;
    let store = EventStore::new(db.pool.clone());
    let all: Vec<StoredEvent> = store.replay_all().try_collect().await.expect("replay");
    assert!(all.is_empty());
    assert_eq!(store.last_sequence().await.expect("seq"), 0);
}

#[tokio::test]
async fn one_append_replays_with_its_sequence_and_payload() {
    let (_dir, db) = temp_db().await;
    let store = EventStore::new(db.pool.clone());
    let new = project_event(1, 0);
    let stored = store
        .append_all(std::slice::from_ref(&new))
        .await
        .expect("append");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].sequence, 1);
    assert_eq!(stored[0].stream_version, 1);
    let all: Vec<StoredEvent> = store.replay_all().try_collect().await.expect("replay");
    assert_eq!(all, stored);
    assert_eq!(all[0].event, new.event);
    assert_eq!(all[0].occurred_at, new.occurred_at);
    let event_type: String = sqlx::query_scalar("SELECT event_type FROM events")
        .fetch_one(&db.pool)
        .await
        .expect("type");
    assert_eq!(event_type, "project.created");
}

#[tokio::test]
async fn a_batch_gets_contiguous_sequences() {
    let (_dir, db) = temp_db().await;
    let store = EventStore::new(db.pool.clone());
    store
        .append_all(&[project_event(1, 0)])
        .await
        .expect("first");
    let batch: Vec<NewEvent> = (0..5).map(|v| project_event(2, v)).collect();
    let stored = store.append_all(&batch).await.expect("batch");
    let sequences: Vec<u64> = stored.iter().map(|e| e.sequence).collect();
    assert_eq!(sequences, vec![2, 3, 4, 5, 6]);
    let versions: Vec<u64> = stored.iter().map(|e| e.stream_version).collect();
    assert_eq!(versions, vec![1, 2, 3, 4, 5]);
}

#[tokio::test]
async fn replay_from_returns_exactly_the_events_after_a_sequence() {
    let (_dir, db) = temp_db().await;
    let store = EventStore::new(db.pool.clone());
    // More than one replay page, so paging seams are crossed.
    let total = super::event_store::REPLAY_PAGE as u64 * 2 + 17;
    let batch: Vec<NewEvent> = (0..total).map(|v| project_event(7, v)).collect();
    store.append_all(&batch).await.expect("append");
    for after in [0, 1, 1_999, 2_000, 2_001, total - 1, total] {
        let events: Vec<StoredEvent> = store
            .replay_from(after)
            .try_collect()
            .await
            .expect("replay");
        let expected: Vec<u64> = (after + 1..=total).collect();
        let got: Vec<u64> = events.iter().map(|e| e.sequence).collect();
        assert_eq!(got, expected, "after {after}");
    }
    let stream = store
        .read_stream(StreamKind::Project, &ProjectId::from_u128(7).to_string())
        .await
        .expect("stream");
    assert_eq!(stream.len() as u64, total);
}

#[tokio::test]
async fn a_batch_that_fails_half_way_leaves_no_row() {
    let (_dir, db) = temp_db().await;
    let store = EventStore::new(db.pool.clone());
    store
        .append_all(&[project_event(1, 0)])
        .await
        .expect("first");
    // The third event claims a version the stream already has.
    let batch = vec![
        project_event(2, 0),
        project_event(3, 0),
        project_event(1, 0),
    ];
    let err = store.append_all(&batch).await.expect_err("conflict");
    assert!(
        matches!(err, StoreError::Conflict { expected: 0, .. }),
        "{err}"
    );
    assert_eq!(count(&db).await, 1);
    // The sequence continues without a gap afterwards.
    let next = store
        .append_all(&[project_event(2, 0)])
        .await
        .expect("next");
    assert_eq!(next[0].sequence, 2);
}

#[tokio::test]
async fn two_writers_on_the_same_stream_version_give_one_conflict() {
    let (_dir, db) = temp_db().await;
    let store = EventStore::new(db.pool.clone());
    store
        .append_all(&[project_event(1, 0)])
        .await
        .expect("create");
    let (first, second) = ([project_event(1, 1)], [project_event(1, 1)]);
    let (a, b) = tokio::join!(store.append_all(&first), store.append_all(&second));
    let conflicts = [&a, &b]
        .iter()
        .filter(|r| matches!(r, Err(StoreError::Conflict { .. })))
        .count();
    assert_eq!(conflicts, 1, "{a:?} {b:?}");
    assert!(a.is_ok() || b.is_ok());
    assert_eq!(count(&db).await, 2);
}

#[tokio::test]
async fn the_database_refuses_update_and_delete_of_events() {
    let (_dir, db) = temp_db().await;
    let store = EventStore::new(db.pool.clone());
    store
        .append_all(&[project_event(1, 0)])
        .await
        .expect("append");
    let update = sqlx::query("UPDATE events SET payload = '{}'")
        .execute(&db.pool)
        .await
        .expect_err("update refused");
    assert!(update.to_string().contains("append-only"), "{update}");
    let delete = sqlx::query("DELETE FROM events")
        .execute(&db.pool)
        .await
        .expect_err("delete refused");
    assert!(delete.to_string().contains("append-only"), "{delete}");
    assert_eq!(count(&db).await, 1);
}
