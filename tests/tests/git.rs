//! Git with a real agent under peon: checkpoints around turns, diffs over
//! HTTP, reverting folder and conversation, and the git panel's requests.

use peon_tests::agents::*;
use serde_json::Value;

/// In a git repository each turn leaves a checkpoint with its changes; the
/// user's index and branch are left alone.
#[tokio::test(flavor = "multi_thread")]
async fn turns_in_a_git_repository_leave_checkpoints() {
    let world = AgentWorld::new(Agent::Codex).await;
    let work = world.workspace();
    let git = |args: &[&str]| git_in(&work, args);
    git_repo(&work);
    let head = git(&["rev-parse", "HEAD"]);
    let peon = world.start_peon();
    let thread = Thread::create(&peon, &world, "full-access").await;
    let path = work.join("notes.txt");
    let turn = thread
        .send(&format!("WRITE {} one line", path.display()))
        .await;
    let done = thread.settled(&turn).await;
    assert_eq!(done["status"], "completed", "{done:#}");
    let checkpoint = thread
        .wait_for("the turn's checkpoint", |p| {
            turn_of(p, &turn)
                .and_then(|t| (!t["checkpoint"].is_null()).then(|| t["checkpoint"].clone()))
        })
        .await;
    let files = checkpoint["files"].as_array().cloned().unwrap_or_default();
    assert_eq!(files.len(), 1, "{checkpoint:#}");
    assert_eq!(files[0]["path"], "notes.txt");
    assert_eq!(files[0]["kind"], "added");
    assert_eq!(files[0]["additions"], 1);
    let refs = git(&["for-each-ref", "--format=%(refname)", "refs/peon"]);
    assert!(
        refs.contains(&format!("refs/peon/checkpoints/{}/0", thread.id)),
        "{refs}"
    );
    assert!(
        refs.contains(&format!("refs/peon/checkpoints/{}/1", thread.id)),
        "{refs}"
    );
    assert_eq!(git(&["rev-parse", "HEAD"]), head, "HEAD moved");
    assert_eq!(
        git(&["status", "--porcelain"]),
        "?? notes.txt\n",
        "the index changed"
    );
    let html = thread.html().await;
    let diff = |from: u32, to: u32| {
        let client = reqwest::Client::new();
        let url = format!("{}/api/diff", peon.url);
        let form = [
            ("thread_id", thread.id.clone()),
            ("from", from.to_string()),
            ("to", to.to_string()),
        ];
        async move { client.post(url).form(&form).send().await.expect("diff") }
    };
    let d: Value = diff(0, 1).await.json().await.expect("diff JSON");
    assert_eq!(d["files"][0]["stat"]["path"], "notes.txt", "{d:#}");
    assert!(
        d["files"][0]["patch"]
            .as_str()
            .unwrap_or_default()
            .contains("+one line"),
        "{d:#}"
    );
    let missing = diff(0, 9).await;
    assert_eq!(missing.status(), 404);
    assert!(
        missing
            .text()
            .await
            .unwrap_or_default()
            .contains("no checkpoint 9")
    );
    assert!(
        html.contains("1 file changed, +1 −0"),
        "the turn does not show its change"
    );
}

fn git_in(dir: &std::path::Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@t"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git");
    assert!(out.status.success(), "git {args:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A repository with one commit.
fn git_repo(dir: &std::path::Path) {
    git_in(dir, &["init", "-q", "-b", "main"]);
    std::fs::write(dir.join("README.md"), "hello\n").expect("write");
    git_in(dir, &["add", "."]);
    git_in(dir, &["commit", "-q", "-m", "first"]);
}

/// Reverting to turn 1 restores the folder, drops turn 2 from the thread,
/// and the next turn starts a new conversation told what remains.
#[tokio::test(flavor = "multi_thread")]
async fn revert_restores_the_folder_and_the_conversation() {
    let world = AgentWorld::new(Agent::Codex).await;
    let work = world.workspace();
    git_repo(&work);
    let peon = world.start_peon();
    let thread = Thread::create(&peon, &world, "full-access").await;
    let mut turns = Vec::new();
    for file in ["first.txt", "second.txt"] {
        let turn = thread
            .send(&format!("WRITE {} from {file}", work.join(file).display()))
            .await;
        assert_eq!(thread.settled(&turn).await["status"], "completed");
        thread
            .wait_for("the checkpoint", |p| {
                turn_of(p, &turn).and_then(|t| (!t["checkpoint"].is_null()).then_some(()))
            })
            .await;
        turns.push(turn);
    }
    assert!(work.join("second.txt").exists());
    let r = thread
        .command(serde_json::json!({"type": "checkpoint.revert", "thread_id": thread.id, "turn_count": 1}))
        .await;
    assert!(
        r.status().is_success(),
        "{}",
        r.text().await.unwrap_or_default()
    );
    let page = thread
        .wait_for("the revert", |p| {
            (p["thread"]["turn_count"] == 1 && p["thread"]["revert_requested"].is_null())
                .then(|| p.clone())
        })
        .await;
    assert_eq!(
        page["page"]["turns"].as_array().map(Vec::len),
        Some(1),
        "{page:#}"
    );
    assert!(page["thread"]["provider_thread_id"].is_null());
    assert!(work.join("first.txt").exists());
    assert!(
        !work.join("second.txt").exists(),
        "turn 2's file is still there"
    );

    let next = thread.send("what is left").await;
    assert_eq!(thread.settled(&next).await["status"], "completed");
    let request = world
        .fake
        .requests()
        .last()
        .cloned()
        .expect("request")
        .to_string();
    assert!(
        request.contains("rolled back"),
        "the new conversation was not primed"
    );
    assert!(
        request.contains("first.txt") && !request.contains("second.txt"),
        "{request}"
    );

    // A revert that cannot be done says why and changes nothing.
    git_in(
        &work,
        &[
            "update-ref",
            "-d",
            &format!("refs/peon/checkpoints/{}/1", thread.id),
        ],
    );
    let r = thread
        .command(serde_json::json!({"type": "checkpoint.revert", "thread_id": thread.id, "turn_count": 1}))
        .await;
    assert!(r.status().is_success());
    let page = thread
        .wait_for("the failed revert", |p| {
            p["thread"]["revert_requested"].is_null().then(|| p.clone())
        })
        .await;
    let error = page["thread"]["last_error"].as_str().unwrap_or_default();
    assert!(
        error.contains("could not revert to turn 1") && error.contains("no checkpoint 1"),
        "{page:#}"
    );
    assert_eq!(page["thread"]["turn_count"], 2);
    assert!(work.join("first.txt").exists());
}

/// The git panel over HTTP: a plain folder is offered `git init`; bad
/// requests are refused with a reason.
#[tokio::test(flavor = "multi_thread")]
async fn git_panel_inits_and_refuses_bad_requests() {
    let world = AgentWorld::new(Agent::Codex).await;
    let peon = world.start_peon();
    let thread = Thread::create(&peon, &world, "approval-required").await;
    let client = reqwest::Client::new();
    let git = |action: Value| {
        let (client, url, id) = (
            client.clone(),
            format!("{}/api/git", peon.url),
            thread.id.clone(),
        );
        async move {
            client
                .post(url)
                .json(&serde_json::json!({"thread_id": id, "action": action}))
                .send()
                .await
                .expect("git request")
        }
    };
    let plain: Value = git(serde_json::json!({"action": "status"}))
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(plain["repository"], false);
    let refused = git(serde_json::json!({"action": "create_branch", "name": "x"})).await;
    assert_eq!(refused.status(), 422);
    assert!(
        refused
            .text()
            .await
            .unwrap_or_default()
            .contains("git init")
    );
    let made: Value = git(serde_json::json!({"action": "init"}))
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(made["repository"], true);
    assert!(world.workspace().join(".git").is_dir());
    let empty = git(serde_json::json!({"action": "commit", "paths": ["a"], "message": ""})).await;
    assert_eq!(empty.status(), 422);
    assert!(
        empty
            .text()
            .await
            .unwrap_or_default()
            .contains("needs a message")
    );
}
