//! `Engine::follow`: the log then live events, with no gap and no
//! duplicate, whether the follower starts behind, reads while commands
//! commit, or lags past the broadcast's capacity.

use super::engine::{BROADCAST_CAPACITY, Engine};
use crate::testing::temp_db;
use peon_app::contracts::*;
use std::time::Duration;

fn setting(n: usize) -> CommandEnvelope {
    CommandEnvelope::new(Command::SettingsUpdate {
        key: format!("k{}", n % 7),
        value: serde_json::json!(n),
    })
}

async fn dispatch_settings(engine: &Engine, range: std::ops::Range<usize>) {
    for n in range {
        engine.dispatch(setting(n)).await.expect("dispatch");
    }
}

/// Reads `count` events, asserting they are exactly `after+1..=after+count`.
async fn expect_contiguous(follower: &mut super::Follower, after: u64, count: u64) {
    for expected in after + 1..=after + count {
        let event = tokio::time::timeout(Duration::from_secs(20), follower.next())
            .await
            .unwrap_or_else(|_| panic!("event {expected} never came"))
            .expect("engine running")
            .expect("log readable");
        assert_eq!(event.sequence, expected, "no gap, no duplicate");
        assert_eq!(follower.last(), expected);
    }
}

#[tokio::test]
async fn a_follower_catches_up_from_the_log_then_goes_live() {
    let (_dir, db) = temp_db().await;
    let engine = Engine::start(&db).await.expect("start");
    dispatch_settings(&engine, 0..1_200).await;
    // Starts behind (more than one page of the log), from the middle.
    let mut follower = engine.follow(100);
    let writer = {
        let engine = engine.clone();
        tokio::spawn(async move { dispatch_settings(&engine, 1_200..1_500).await })
    };
    // Catch-up and live events meet while commands keep committing.
    expect_contiguous(&mut follower, 100, 1_400).await;
    writer.await.expect("writer");
    assert!(
        tokio::time::timeout(Duration::from_millis(200), follower.next())
            .await
            .is_err(),
        "nothing more than was committed"
    );
}

#[tokio::test]
async fn a_follower_that_lags_past_the_broadcast_reads_the_log_instead() {
    let (_dir, db) = temp_db().await;
    let engine = Engine::start(&db).await.expect("start");
    let mut follower = engine.follow(0);
    // Not reading while more than the broadcast holds is committed: the
    // broadcast drops the oldest for this follower.
    let count = BROADCAST_CAPACITY + 300;
    dispatch_settings(&engine, 0..count).await;
    expect_contiguous(&mut follower, 0, count as u64).await;
    engine.dispatch(setting(0)).await.expect("one more");
    expect_contiguous(&mut follower, count as u64, 1).await;
}
