//! The event stream under churn: many clients that drop and resume their
//! connections while the log grows all end with exactly the server's
//! sequence, with no gap and no duplicate.

use futures::StreamExt;
use peon_tests::{Peon, dispatch, take_frames};
use serde_json::json;
use std::time::{Duration, Instant};

const CLIENTS: usize = 50;
const EVENTS: u64 = 10_000;
const WRITERS: u64 = 8;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Follows the stream, dropping the connection at random points and
/// resuming with `Last-Event-ID`, until it has seen `EVENTS` events.
/// Returns how many times it reconnected.
async fn follow(url: String, seed: u64) -> u32 {
    let client = reqwest::Client::new();
    let mut rng = Rng(seed | 1);
    let mut last = 0u64;
    let mut reconnects = 0;
    let deadline = Instant::now() + Duration::from_secs(240);
    while last < EVENTS {
        assert!(Instant::now() < deadline, "client {seed} stuck at {last}");
        let response = client
            .get(format!("{url}/api/events?after=0"))
            .header("Last-Event-ID", last.to_string())
            .send()
            .await
            .expect("connect");
        assert_eq!(response.status(), 200);
        let mut body = response.bytes_stream();
        let mut buffer = String::new();
        let mut budget = 1 + rng.next() % 700;
        'read: while let Ok(Some(chunk)) =
            tokio::time::timeout(Duration::from_secs(20), body.next()).await
        {
            buffer.push_str(&String::from_utf8_lossy(&chunk.expect("chunk")));
            for frame in take_frames(&mut buffer) {
                if frame.event != "event" {
                    continue;
                }
                let id = frame.id.expect("data events carry their sequence as id");
                assert_eq!(id, last + 1, "client {seed}: gap or duplicate after {last}");
                let payload: serde_json::Value =
                    serde_json::from_str(&frame.data).expect("event JSON");
                assert_eq!(payload["sequence"], id);
                last = id;
                budget -= 1;
                if budget == 0 || last == EVENTS {
                    break 'read;
                }
            }
        }
        reconnects += 1;
        tokio::time::sleep(Duration::from_millis(rng.next() % 30)).await;
    }
    assert_eq!(last, EVENTS);
    reconnects
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_churning_clients_each_see_the_exact_sequence() {
    let dir = tempfile::tempdir().expect("dir");
    let peon = Peon::start(dir.path());
    let followers: Vec<_> = (0..CLIENTS as u64)
        .map(|i| tokio::spawn(follow(peon.url.clone(), 0x9E37_79B9 * (i + 1))))
        .collect();
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let url = peon.url.clone();
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                for i in 0..EVENTS / WRITERS {
                    let response = dispatch(
                        &client,
                        &url,
                        json!({"type": "settings.update", "key": format!("w{w}"), "value": i}),
                    )
                    .await;
                    assert_eq!(
                        response.status(),
                        200,
                        "{}",
                        response.text().await.unwrap_or_default()
                    );
                }
            })
        })
        .collect();
    for w in writers {
        w.await.expect("writer");
    }
    let mut reconnects = 0;
    for f in followers {
        reconnects += f.await.expect("follower");
    }
    assert!(
        reconnects as usize > CLIENTS,
        "clients really did reconnect ({reconnects})"
    );
    let snapshot = peon_tests::snapshot(&reqwest::Client::new(), &peon.url).await;
    assert_eq!(snapshot["sequence"], EVENTS);
}

#[tokio::test]
async fn a_client_resumes_from_after_and_gets_only_newer_events() {
    let dir = tempfile::tempdir().expect("dir");
    let peon = Peon::start(dir.path());
    let client = reqwest::Client::new();
    for i in 0..5 {
        dispatch(
            &client,
            &peon.url,
            json!({"type": "settings.update", "key": "k", "value": i}),
        )
        .await;
    }
    let response = client
        .get(format!("{}/api/events?after=3", peon.url))
        .send()
        .await
        .expect("connect");
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("text/event-stream")
    );
    let mut body = response.bytes_stream();
    let mut buffer = String::new();
    let mut ids = Vec::new();
    while ids.len() < 3 {
        let chunk = tokio::time::timeout(Duration::from_secs(10), body.next())
            .await
            .expect("events arrive")
            .expect("open")
            .expect("chunk");
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        for frame in take_frames(&mut buffer) {
            if frame.event == "event" {
                ids.push(frame.id.expect("id"));
            }
        }
        if ids.len() == 2 {
            // A live event after the catch-up follows on the same stream.
            dispatch(
                &client,
                &peon.url,
                json!({"type": "settings.update", "key": "k", "value": 9}),
            )
            .await;
        }
    }
    assert_eq!(ids, vec![4, 5, 6]);
}

/// A client that names another log than the server's (its copy came from
/// another data folder), or is ahead of this one (a backup restored), is
/// told so, once, instead of being resumed by sequence numbers that mean
/// something else here; naming this log resumes.
#[tokio::test]
async fn a_client_of_another_log_is_told_to_start_again() {
    let dir = tempfile::tempdir().expect("dir");
    let peon = Peon::start(dir.path());
    let client = reqwest::Client::new();
    for i in 0..3 {
        dispatch(
            &client,
            &peon.url,
            json!({"type": "settings.update", "key": "k", "value": i}),
        )
        .await;
    }
    let ours = peon_tests::snapshot(&client, &peon.url).await["log_id"]
        .as_str()
        .expect("a log id")
        .to_string();
    let frames = |log: String, after: u64| {
        let request = client
            .get(format!("{}/api/events?after={after}&log={log}", peon.url))
            .send();
        async move {
            let mut body = request.await.expect("connect").bytes_stream();
            let mut buffer = String::new();
            let mut frames = Vec::new();
            while frames.len() < 2 {
                match tokio::time::timeout(Duration::from_secs(5), body.next()).await {
                    Ok(Some(Ok(chunk))) => buffer.push_str(&String::from_utf8_lossy(&chunk)),
                    _ => break,
                }
                frames.extend(take_frames(&mut buffer));
            }
            frames
        }
    };
    let other = frames("00000000-0000-0000-0000-000000000001".into(), 1).await;
    assert_eq!(other.len(), 1, "one frame, then the stream ends");
    assert_eq!(other[0].event, "log-changed");
    assert_eq!(other[0].data, ours, "naming this server's log");
    // Ahead of this log: a backup of it was restored since.
    let ahead = frames(ours.clone(), 9).await;
    assert_eq!(
        ahead.iter().map(|f| f.event.as_str()).collect::<Vec<_>>(),
        ["log-changed"]
    );
    let same = frames(ours, 1).await;
    assert_eq!(
        same.iter().map(|f| f.id).collect::<Vec<_>>(),
        [Some(2), Some(3)]
    );
}

/// Reads SSE `event` frames from `response` until sequence `until`,
/// asserting each is the one after the last; returns the last seen.
async fn read_until(response: reqwest::Response, mut last: u64, until: u64) -> u64 {
    let mut body = response.bytes_stream();
    let mut buffer = String::new();
    while last < until {
        let chunk = tokio::time::timeout(Duration::from_secs(30), body.next())
            .await
            .unwrap_or_else(|_| panic!("events stopped coming at {last}"))
            .expect("stream open")
            .expect("chunk");
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        for frame in take_frames(&mut buffer) {
            if let (Some(id), "event") = (frame.id, frame.event.as_str()) {
                assert_eq!(id, last + 1, "no gap, no duplicate");
                last = id;
            }
        }
    }
    last
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_consumer_too_slow_to_keep_up_still_gets_every_event_in_order() {
    // More events than the server's broadcast holds for one subscriber
    // (4,096), each big enough that socket buffers cannot absorb them all:
    // the stalled stream falls behind the broadcast and must read the log.
    const TOTAL: u64 = 6_000;
    let dir = tempfile::tempdir().expect("dir");
    let peon = Peon::start(dir.path());
    let client = reqwest::Client::new();
    let stalled = client
        .get(format!("{}/api/events?after=0", peon.url))
        .send()
        .await
        .expect("connect");
    let big = "x".repeat(8 * 1024);
    let writers: Vec<_> = (0..4u64)
        .map(|w| {
            let url = peon.url.clone();
            let big = big.clone();
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                for i in 0..TOTAL / 4 {
                    let response = dispatch(
                        &client,
                        &url,
                        json!({"type": "settings.update", "key": format!("w{w}"), "value": format!("{i}{big}")}),
                    )
                    .await;
                    assert_eq!(response.status(), 200);
                }
            })
        })
        .collect();
    for w in writers {
        w.await.expect("writer");
    }
    assert_eq!(read_until(stalled, 0, TOTAL).await, TOTAL);

    // Resuming from a sequence seen delivers exactly the rest.
    let resumed = client
        .get(format!("{}/api/events", peon.url))
        .header("Last-Event-ID", (TOTAL - 700).to_string())
        .send()
        .await
        .expect("resume");
    assert_eq!(read_until(resumed, TOTAL - 700, TOTAL).await, TOTAL);
}
