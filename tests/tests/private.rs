//! On a shared machine only peon's own user may read what it keeps: the
//! data folder is 0700 and its files 0600 under a umask of 022, and an
//! older, looser data folder is tightened at start.
#![cfg(unix)]

use peon_tests::{Peon, new_id};
use serde_json::json;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{path:?}: {e}"))
        .permissions()
        .mode()
        & 0o777
}

/// The usual umask, which leaves new files readable by everyone: peon must
/// not rely on the user having a stricter one.
fn usual_umask() {
    // SAFETY: umask only changes this test process's file-creation mask;
    // this file's tests all want the same one.
    unsafe {
        libc::umask(0o022);
    }
}

#[tokio::test]
async fn the_data_folder_and_everything_in_it_are_private() {
    usual_umask();
    let dir = tempfile::tempdir().expect("dir");
    // A Host name of its own makes peon keep a generated token.
    let peon = Peon::start_with(dir.path(), &["--allowed-host", "peon.test"]);
    let data = &peon.data_dir;
    let token = std::fs::read_to_string(data.join("auth-token")).expect("token file");
    let client = reqwest::Client::new();
    let workspace = dir.path().join("ws");
    std::fs::create_dir(&workspace).expect("mkdir");
    let thread = new_id();
    for command in [
        json!({"type": "project.create", "project_id": new_id(), "title": "p",
               "workspace_root": workspace.display().to_string()}),
    ] {
        let r = client
            .post(format!("{}/api/dispatch", peon.url))
            .bearer_auth(token.trim())
            .json(&json!({"envelope": {"command_id": new_id(), "command": command}}))
            .send()
            .await
            .expect("dispatch");
        assert_eq!(r.status(), 200);
    }
    let snapshot: serde_json::Value = client
        .post(format!("{}/api/snapshot", peon.url))
        .bearer_auth(token.trim())
        .send()
        .await
        .expect("snapshot")
        .json()
        .await
        .expect("JSON");
    let project = snapshot["projects"][0]["id"].clone();
    let r = client
        .post(format!("{}/api/dispatch", peon.url))
        .bearer_auth(token.trim())
        .json(&json!({"envelope": {"command_id": new_id(), "command": {
            "type": "thread.create", "thread_id": thread, "project_id": project, "title": "t",
            "provider": "codex", "runtime_mode": "full-access", "interaction_mode": "default"}}}))
        .send()
        .await
        .expect("thread");
    assert_eq!(r.status(), 200);
    let r = client
        .post(format!("{}/api/terminals", peon.url))
        .bearer_auth(token.trim())
        .json(&json!({"thread_id": thread, "action": {"action": "open"}}))
        .send()
        .await
        .expect("terminal");
    assert_eq!(r.status(), 200);
    // The terminal's output is saved about once a second.
    let terminals = data.join("terminals");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::fs::read_dir(&terminals).map_or(0, |d| d.count()) == 0 {
        assert!(Instant::now() < deadline, "no terminal was saved");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(1_500)).await;

    assert_eq!(mode(data), 0o700, "the data folder");
    assert_eq!(mode(&terminals), 0o700, "the terminals folder");
    let mut files = vec![
        data.join("auth-token"),
        data.join("peon.sqlite3"),
        data.join("peon.sqlite3-wal"),
        data.join("peon.sqlite3-shm"),
    ];
    for entry in std::fs::read_dir(&terminals).expect("terminals") {
        files.push(entry.expect("entry").path());
    }
    for file in files {
        assert_eq!(mode(&file), 0o600, "{file:?}");
    }
}

#[tokio::test]
async fn a_looser_data_folder_is_tightened_at_start() {
    usual_umask();
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    std::fs::create_dir(&data).expect("mkdir");
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    // As an older peon left it: an empty database readable by everyone.
    let db = data.join("peon.sqlite3");
    std::fs::write(&db, b"").expect("db");
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let peon = Peon::start(dir.path());
    assert_eq!(peon.data_dir, data);
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&db), 0o600);
    let snapshot = peon_tests::snapshot(&reqwest::Client::new(), &peon.url).await;
    assert_eq!(snapshot["sequence"], 0, "the database still opens");
}
