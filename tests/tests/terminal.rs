//! Terminals over their WebSocket, against the real binary and a real
//! shell: commands and their output, resizes reaching the PTY, scrollback
//! after a reconnect and after a restart of peon, a flood that stays within
//! its memory bound, and the shell's exit.
#![cfg(unix)]

use futures::{SinkExt, StreamExt};
use peon_tests::{Peon, dispatch, new_id};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A project on `folder` and a thread in it; returns the thread id.
async fn thread_in(peon: &Peon, folder: &std::path::Path) -> String {
    let client = reqwest::Client::new();
    let (project, thread) = (new_id(), new_id());
    for command in [
        json!({"type": "project.create", "project_id": project, "title": "t",
               "workspace_root": folder.display().to_string()}),
        json!({"type": "thread.create", "thread_id": thread, "project_id": project,
               "title": "t", "provider": "codex", "runtime_mode": "full-access",
               "interaction_mode": "default"}),
    ] {
        let r = dispatch(&client, &peon.url, command).await;
        assert!(
            r.status().is_success(),
            "{}",
            r.text().await.unwrap_or_default()
        );
    }
    thread
}

/// `/api/terminals` with `action`; the thread's terminals after it.
async fn terminals(peon: &Peon, thread: &str, action: Value) -> Vec<Value> {
    let r = reqwest::Client::new()
        .post(format!("{}/api/terminals", peon.url))
        .json(&json!({"thread_id": thread, "action": action}))
        .send()
        .await
        .expect("terminals");
    assert!(r.status().is_success(), "{}", r.status());
    r.json::<Vec<Value>>().await.expect("JSON")
}

/// Opens a terminal in the thread; returns its id.
async fn open_terminal(peon: &Peon, thread: &str) -> String {
    let list = terminals(peon, thread, json!({"action": "open"})).await;
    let opened = list.last().expect("a terminal");
    assert_eq!(opened["running"], true, "{opened}");
    opened["id"].as_str().expect("id").to_string()
}

async fn connect(peon: &Peon, id: &str) -> Socket {
    connect_with(peon, id, "").await
}

/// `connect` with a query (`?ack=true` asks for flow control).
async fn connect_with(peon: &Peon, id: &str, query: &str) -> Socket {
    let url = format!(
        "{}/api/terminals/{id}/socket{query}",
        peon.url.replace("http://", "ws://")
    );
    let mut request = url.into_client_request().expect("request");
    request
        .headers_mut()
        .insert("origin", peon.url.parse().expect("origin"));
    tokio_tungstenite::connect_async(request)
        .await
        .expect("WebSocket")
        .0
}

async fn type_in(socket: &mut Socket, text: &str) {
    let control = json!({"type": "input", "data": text}).to_string();
    socket.send(Message::text(control)).await.expect("send");
}

/// Reads output until `want` appears in all of it; returns all of it.
async fn read_until(socket: &mut Socket, want: &str) -> String {
    match try_read_until(socket, want, Duration::from_secs(20)).await {
        Ok(seen) => seen,
        Err(seen) => panic!("no {want:?} in the terminal; it showed: {seen:?}"),
    }
}

/// Like `read_until`, but a socket that ends or stays silent `within` is an `Err`
/// with what it showed. Only the newest bytes are searched, so a flood of
/// output costs linear time.
async fn try_read_until(
    socket: &mut Socket,
    want: &str,
    within: Duration,
) -> Result<String, String> {
    let mut seen = String::new();
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let from = seen.len().saturating_sub(want.len());
        match tokio::time::timeout(left, socket.next()).await {
            Ok(Some(Ok(Message::Binary(b)))) => seen.push_str(&String::from_utf8_lossy(&b)),
            Ok(Some(Ok(Message::Text(t)))) => seen.push_str(&t),
            Ok(Some(Ok(_))) => continue,
            _ => return Err(seen),
        }
        let from = (0..=from)
            .rev()
            .find(|&i| seen.is_char_boundary(i))
            .unwrap_or(0);
        if seen[from..].contains(want) {
            return Ok(seen);
        }
    }
}

/// The first frame after connecting: the scrollback.
async fn scrollback(socket: &mut Socket) -> String {
    match tokio::time::timeout(Duration::from_secs(10), socket.next()).await {
        Ok(Some(Ok(Message::Binary(b)))) => String::from_utf8_lossy(&b).into_owned(),
        other => panic!("expected the scrollback, got {other:?}"),
    }
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

/// A shell in the thread's folder: a command runs and answers, a resize
/// reaches the PTY, a reconnect gets the scrollback (without the query
/// sequences), the exit code is shown and the terminal restarts.
#[tokio::test(flavor = "multi_thread")]
async fn a_shell_runs_commands_resizes_and_reconnects() {
    let dir = tempfile::tempdir().expect("dir");
    let folder = dir.path().join("work");
    std::fs::create_dir_all(&folder).expect("mkdir");
    let peon = Peon::start(dir.path());
    let thread = thread_in(&peon, &folder).await;
    let list = terminals(&peon, &thread, json!({"action": "open"})).await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["running"], true);
    let id = list[0]["id"].as_str().expect("id").to_string();

    let mut socket = connect(&peon, &id).await;
    type_in(&mut socket, "pwd; echo sum-$((40+2))\r").await;
    let out = read_until(&mut socket, "sum-42").await;
    let real = folder.canonicalize().expect("real path");
    assert!(
        out.contains(&real.display().to_string()),
        "started in the folder: {out:?}"
    );

    let resize = json!({"type": "resize", "cols": 123, "rows": 45}).to_string();
    socket.send(Message::text(resize)).await.expect("resize");
    type_in(&mut socket, "stty size\r").await;
    read_until(&mut socket, "45 123").await;

    // A query sequence reaches the live terminal but not the replay.
    type_in(&mut socket, "printf 'A\\033[6nB\\n'\r").await;
    let live = read_until(&mut socket, "B\r\n").await;
    assert!(live.contains("A\u{1b}[6nB"), "{live:?}");
    drop(socket);
    let mut again = connect(&peon, &id).await;
    let replay = scrollback(&mut again).await;
    assert!(replay.contains("sum-42"), "{replay:?}");
    assert!(replay.contains("AB"), "{replay:?}");
    assert!(
        !replay.contains("\u{1b}[6n"),
        "queries are stripped: {replay:?}"
    );

    type_in(&mut again, "exit 3\r").await;
    read_until(&mut again, "exited with code 3").await;
    // Said once: nothing more comes on that socket.
    let more = try_read_until(&mut again, "exited", Duration::from_secs(1)).await;
    assert!(more.is_err(), "the end was reported twice: {more:?}");
    let list = terminals(&peon, &thread, json!({"action": "list"})).await;
    assert_eq!(list[0]["running"], false);
    assert_eq!(list[0]["exit_code"], 3);
    let list = terminals(&peon, &thread, json!({"action": "restart", "id": id})).await;
    assert_eq!(list[0]["running"], true);
    let mut restarted = connect(&peon, &id).await;
    type_in(&mut restarted, "echo back-$((1+1))\r").await;
    read_until(&mut restarted, "back-2").await;

    let closed = terminals(&peon, &thread, json!({"action": "close", "id": id})).await;
    assert!(closed.is_empty());
    let unknown = reqwest::Client::new()
        .post(format!("{}/api/terminals", peon.url))
        .json(&json!({"thread_id": thread, "action": {"action": "close", "id": id}}))
        .send()
        .await
        .expect("close again");
    assert_eq!(unknown.status(), 404);
}

/// The scrollback survives a restart of peon: the terminal is listed as
/// ended, its screen comes back, and it can be started again.
#[tokio::test(flavor = "multi_thread")]
async fn scrollback_survives_a_restart_of_peon() {
    let dir = tempfile::tempdir().expect("dir");
    let peon = Peon::start(dir.path());
    let thread = thread_in(&peon, dir.path()).await;
    let id = open_terminal(&peon, &thread).await;
    let mut socket = connect(&peon, &id).await;
    type_in(&mut socket, "echo kept-$((6*7))\r").await;
    read_until(&mut socket, "kept-42").await;
    let second = open_terminal(&peon, &thread).await;
    // Saved about once a second.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    peon.stop();

    let peon = Peon::start(dir.path());
    let list = terminals(&peon, &thread, json!({"action": "list"})).await;
    let ids: Vec<&str> = list.iter().filter_map(|t| t["id"].as_str()).collect();
    assert_eq!(
        ids,
        [id.as_str(), second.as_str()],
        "in the order they were opened"
    );
    assert_eq!(list[0]["running"], false);
    assert!(
        list[0]["ended"]
            .as_str()
            .unwrap_or_default()
            .contains("peon stopped"),
        "{list:?}"
    );
    let mut socket = connect(&peon, &id).await;
    assert!(scrollback(&mut socket).await.contains("kept-42"));
    read_until(&mut socket, "restart it").await;
    terminals(&peon, &thread, json!({"action": "restart", "id": id})).await;
    let mut socket = connect(&peon, &id).await;
    type_in(&mut socket, "echo alive-$((2+3))\r").await;
    read_until(&mut socket, "alive-5").await;
}

/// `yes` floods the terminal while one socket never reads: peon's memory
/// stays bounded, it keeps answering, the stalled socket is cut off, and a
/// fresh one can stop the flood.
#[tokio::test(flavor = "multi_thread")]
async fn a_flood_stays_within_its_memory_bound() {
    let dir = tempfile::tempdir().expect("dir");
    let peon = Peon::start(dir.path());
    let thread = thread_in(&peon, dir.path()).await;
    let id = open_terminal(&peon, &thread).await;
    let mut stalled = connect(&peon, &id).await;
    let before = rss_kib(peon.pid());
    type_in(&mut stalled, "yes peon-flood-line-of-some-length\r").await;
    let client = reqwest::Client::new();
    let mut peak = before;
    for _ in 0..10 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        peak = peak.max(rss_kib(peon.pid()));
        let started = Instant::now();
        let r = client
            .post(format!("{}/api/snapshot", peon.url))
            .send()
            .await
            .expect("snapshot during the flood");
        assert_eq!(r.status(), 200);
        assert!(started.elapsed() < Duration::from_secs(5), "peon stalled");
    }
    // Scrollback (512 KiB) and one socket queue (256 × 16 KiB) at most,
    // with room for the allocator.
    assert!(
        peak.saturating_sub(before) < 64 * 1024,
        "memory grew from {before} KiB to {peak} KiB"
    );
    let mut fresh = connect(&peon, &id).await;
    let replay = scrollback(&mut fresh).await;
    assert!(
        replay.len() <= 512 * 1024,
        "scrollback is bounded: {}",
        replay.len()
    );
    // A reader slower than `yes` falls behind and is cut off by design (the
    // browser reconnects and replays), so keep reconnecting until the
    // shell answers; Ctrl-C at a prompt is harmless.
    drop(fresh);
    let mut answered = Err(String::new());
    for _ in 0..5 {
        let mut socket = connect(&peon, &id).await;
        scrollback(&mut socket).await;
        socket
            .send(Message::binary(vec![3u8]))
            .await
            .expect("ctrl-c");
        type_in(&mut socket, "echo stopped-$((9+9))\r").await;
        answered = try_read_until(&mut socket, "stopped-18", Duration::from_secs(20)).await;
        if answered.is_ok() {
            break;
        }
    }
    if let Err(seen) = answered {
        panic!(
            "the flood did not stop; the terminal ended with: {:?}",
            tail(&seen, 400)
        );
    }
    // The socket that never read was told it fell behind, or cut off.
    let mut told = String::new();
    while let Ok(Some(Ok(frame))) =
        tokio::time::timeout(Duration::from_secs(5), stalled.next()).await
    {
        if let Message::Text(t) = frame {
            told.push_str(&t);
        }
    }
    assert!(
        told.contains("behind"),
        "the stalled socket was not told: {told:?}"
    );
}

/// A terminal's socket is held to the same rules as every route: no
/// upgrade from another site's page.
#[tokio::test(flavor = "multi_thread")]
async fn a_foreign_page_cannot_open_a_terminal_socket() {
    let dir = tempfile::tempdir().expect("dir");
    let peon = Peon::start(dir.path());
    let thread = thread_in(&peon, dir.path()).await;
    let id = open_terminal(&peon, &thread).await;
    let url = format!(
        "{}/api/terminals/{id}/socket",
        peon.url.replace("http://", "ws://")
    );
    let mut request = url.into_client_request().expect("request");
    request
        .headers_mut()
        .insert("origin", "http://evil.example".parse().expect("origin"));
    let refused = tokio_tungstenite::connect_async(request).await;
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 403)
        }
        other => panic!("the upgrade was not refused: {other:?}"),
    }
}

/// Deleting a thread ends its shells.
#[tokio::test(flavor = "multi_thread")]
async fn deleting_the_thread_ends_its_shells() {
    let dir = tempfile::tempdir().expect("dir");
    let peon = Peon::start(dir.path());
    let thread = thread_in(&peon, dir.path()).await;
    let id = open_terminal(&peon, &thread).await;
    let mut socket = connect(&peon, &id).await;
    type_in(&mut socket, "echo pid-$$-$((1+1))end\r").await;
    let out = read_until(&mut socket, "-2end").await;
    let pid: u32 = out
        .rsplit("pid-")
        .next()
        .and_then(|s| s.split("-2end").next())
        .and_then(|s| s.parse().ok())
        .expect("the shell's pid");
    assert!(std::path::Path::new(&format!("/proc/{pid}")).exists());
    let r = dispatch(
        &reqwest::Client::new(),
        &peon.url,
        json!({"type": "thread.delete", "thread_id": thread}),
    )
    .await;
    assert!(r.status().is_success());
    let deadline = Instant::now() + Duration::from_secs(5);
    while std::path::Path::new(&format!("/proc/{pid}")).exists() {
        assert!(
            Instant::now() < deadline,
            "the shell {pid} outlived its thread"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A socket that acknowledges what it draws is never sent much more than
/// that: under `yes` the output stops at about a megabyte ahead, and once
/// all of it is acknowledged a resync brings the scrollback afresh and
/// live output follows.
#[tokio::test(flavor = "multi_thread")]
async fn an_acknowledging_socket_is_held_back_and_resynced() {
    let dir = tempfile::tempdir().expect("dir");
    let peon = Peon::start(dir.path());
    let thread = thread_in(&peon, dir.path()).await;
    let id = open_terminal(&peon, &thread).await;
    // Asking on connect: held back from the first byte.
    let mut socket = connect_with(&peon, &id, "?ack=true").await;
    let ack = |bytes: usize| Message::text(json!({"type": "ack", "bytes": bytes}).to_string());
    type_in(&mut socket, "yes peon-flow\r").await;
    // Read without acknowledging until nothing more comes.
    let mut received = 0;
    while let Ok(Some(Ok(frame))) =
        tokio::time::timeout(Duration::from_secs(2), socket.next()).await
    {
        match frame {
            Message::Binary(b) => received += b.len(),
            Message::Text(t) => panic!("unexpected control {t}"),
            _ => {}
        }
    }
    assert!(received > 0, "no output");
    // 1 MiB ahead at most, plus the chunk that crossed the mark.
    assert!(
        received <= 1024 * 1024 + 64 * 1024,
        "sent {received} bytes without acknowledgement"
    );
    socket.send(ack(received)).await.expect("ack");
    let resync = tokio::time::timeout(Duration::from_secs(10), socket.next()).await;
    match resync {
        Ok(Some(Ok(Message::Text(t)))) => assert!(t.contains("resync"), "{t}"),
        other => panic!("expected a resync, got {other:?}"),
    }
    let replay = scrollback(&mut socket).await;
    assert!(replay.contains("peon-flow") && replay.len() <= 512 * 1024);
    socket
        .send(ack(received + replay.len()))
        .await
        .expect("ack");
    socket
        .send(Message::binary(vec![3u8]))
        .await
        .expect("ctrl-c");
    type_in(&mut socket, "echo flowed-$((6+6))\r").await;
    // Acknowledge as we read, as the browser does.
    let mut drawn = received + replay.len();
    let mut seen = String::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !seen.contains("flowed-12") {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, socket.next()).await {
            Ok(Some(Ok(Message::Binary(b)))) => {
                drawn += b.len();
                let text = String::from_utf8_lossy(&b);
                seen = format!("{}{text}", tail(&seen, 64));
                socket.send(ack(drawn)).await.expect("ack");
            }
            Ok(Some(Ok(Message::Text(t)))) if t.contains("resync") => {
                let replay = scrollback(&mut socket).await;
                drawn += replay.len();
                seen = tail(&replay, 64).to_string();
                socket.send(ack(drawn)).await.expect("ack");
            }
            Ok(Some(Ok(_))) => {}
            other => panic!("the shell did not answer after the flood: {other:?}"),
        }
    }
}

/// The last `n` characters of `s` (fewer when it is shorter).
fn tail(s: &str, n: usize) -> &str {
    let from = s.char_indices().rev().nth(n).map_or(0, |(i, _)| i);
    &s[from..]
}
