//! Git with a real agent under peon: checkpoints around turns, diffs over
//! HTTP, reverting folder and conversation, and the git panel's requests.

use peon_tests::agents::*;
use peon_tests::{dispatch, new_id, snapshot};
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

/// A peon with a project on a fresh git repository (for codex threads).
async fn repo_project() -> (AgentWorld, peon_tests::Peon, reqwest::Client, String) {
    let world = AgentWorld::new(Agent::Codex).await;
    git_repo(&world.workspace());
    let peon = world.start_peon();
    let client = reqwest::Client::new();
    let project = new_id();
    let r = dispatch(
        &client,
        &peon.url,
        serde_json::json!({"type": "project.create", "project_id": project, "title": "work",
            "workspace_root": world.workspace().display().to_string()}),
    )
    .await;
    assert!(r.status().is_success());
    (world, peon, client, project)
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

/// A thread asked to have its own worktree gets one on a new branch; its
/// agent works there, not in the project folder; deleting the thread
/// refuses while the worktree holds uncommitted work, then removes it when
/// told to discard, keeping the branch.
#[tokio::test(flavor = "multi_thread")]
async fn a_thread_in_its_own_worktree() {
    let (world, peon, client, project) = repo_project().await;
    let work = world.workspace();
    let create = |thread: &str, extra: Value| {
        let mut command = serde_json::json!({"type": "thread.create", "thread_id": thread,
            "project_id": project, "title": "t", "provider": "codex",
            "runtime_mode": "full-access", "interaction_mode": "default"});
        for (k, v) in extra.as_object().cloned().unwrap_or_default() {
            command[k] = v;
        }
        dispatch(&client, &peon.url, command)
    };

    // A client may not pick the folder itself.
    let before = snapshot(&client, &peon.url).await["sequence"].clone();
    let chosen = create(&new_id(), serde_json::json!({"worktree_path": "/etc"})).await;
    assert_eq!(chosen.status(), 422);
    assert!(
        chosen
            .text()
            .await
            .unwrap_or_default()
            .contains("chosen by peon")
    );
    let taken = create(
        &new_id(),
        serde_json::json!({"worktree": true, "branch": "main"}),
    )
    .await;
    assert_eq!(taken.status(), 422);
    assert!(
        taken
            .text()
            .await
            .unwrap_or_default()
            .contains("already checked out")
    );
    assert_eq!(snapshot(&client, &peon.url).await["sequence"], before);

    let id = new_id();
    let r = create(&id, serde_json::json!({"worktree": true})).await;
    assert!(
        r.status().is_success(),
        "{}",
        r.text().await.unwrap_or_default()
    );
    let snap = snapshot(&client, &peon.url).await;
    let summary = snap["threads"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["id"] == id.as_str()).cloned())
        .expect("thread");
    let folder = std::path::PathBuf::from(summary["worktree_path"].as_str().expect("path"));
    let branch = summary["branch"].as_str().expect("branch").to_string();
    assert!(branch.starts_with("peon/"), "{branch}");
    assert!(
        folder.starts_with(peon.data_dir.join("worktrees")),
        "{folder:?}"
    );
    assert_eq!(
        std::fs::read_to_string(folder.join("README.md")).expect("readme"),
        "hello\n"
    );
    assert!(git_in(&work, &["worktree", "list"]).contains(&branch));

    // The agent writes in the worktree; the project folder stays clean.
    let thread = Thread {
        client: client.clone(),
        url: peon.url.clone(),
        id: id.clone(),
    };
    let turn = thread
        .send(&format!(
            "WRITE {} from the agent",
            folder.join("agent.txt").display()
        ))
        .await;
    assert_eq!(thread.settled(&turn).await["status"], "completed");
    assert!(folder.join("agent.txt").exists());
    assert_eq!(git_in(&work, &["status", "--porcelain"]), "");
    let html = thread.html().await;
    assert!(
        html.contains(&format!("on {branch}")),
        "the header names the branch"
    );

    // Uncommitted work: the delete is refused, naming the file.
    let delete = |discard: bool| {
        dispatch(
            &client,
            &peon.url,
            serde_json::json!({"type": "thread.delete", "thread_id": id, "discard_changes": discard}),
        )
    };
    // The delete is asked for; the worktree reactor finds the work and
    // records why the thread stays.
    let asked = delete(false).await;
    assert!(
        asked.status().is_success(),
        "{}",
        asked.text().await.unwrap_or_default()
    );
    let error = thread
        .wait_for("the refused delete", |p| {
            let t = &p["thread"];
            (t["delete_requested"] == false)
                .then(|| t["last_error"].as_str().map(str::to_string))
                .flatten()
        })
        .await;
    assert!(error.contains("uncommitted changes (agent.txt)"), "{error}");
    assert!(folder.exists());
    assert_eq!(thread.page().await["thread"]["id"], id.as_str());

    git_in(&folder, &["add", "."]);
    git_in(&folder, &["commit", "-q", "-m", "agent work"]);
    std::fs::write(folder.join("scratch.txt"), "throwaway\n").expect("write");
    let r = delete(true).await;
    assert!(
        r.status().is_success(),
        "{}",
        r.text().await.unwrap_or_default()
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while snapshot(&client, &peon.url).await["threads"]
        .as_array()
        .is_some_and(|t| t.iter().any(|t| t["id"] == id.as_str()))
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the thread was never deleted"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(!folder.exists(), "the worktree folder is removed");
    assert!(!git_in(&work, &["worktree", "list"]).contains(&branch));
    assert_eq!(
        git_in(&work, &["show", &format!("{branch}:agent.txt")]),
        "from the agent\n",
        "the branch keeps its commits"
    );
    assert!(agent_pids(&peon).is_empty(), "the agent was stopped");
}

/// A turn cut short by a restart still gets its checkpoint: the next run
/// takes it at start and attaches it to that turn.
#[tokio::test(flavor = "multi_thread")]
async fn a_turn_settled_by_a_restart_gets_its_checkpoint() {
    let world = AgentWorld::new(Agent::Codex).await;
    let work = world.workspace();
    git_repo(&work);
    let peon = world.start_peon();
    let thread = Thread::create(&peon, &world, "full-access").await;
    let turn = thread.send("HANG").await;
    thread
        .wait_for("streaming text", |p| {
            answer(p, &turn).contains("Working").then_some(())
        })
        .await;
    // What the agent changed before peon went down.
    std::fs::write(work.join("half-done.txt"), "partial\n").expect("write");
    peon.stop();

    let peon = world.start_peon();
    let thread = thread.reconnect(&peon);
    let checkpoint = thread
        .wait_for("the interrupted turn's checkpoint", |p| {
            turn_of(p, &turn)
                .filter(|t| t["status"] == "interrupted")
                .and_then(|t| (!t["checkpoint"].is_null()).then(|| t["checkpoint"].clone()))
        })
        .await;
    assert_eq!(
        checkpoint["files"][0]["path"], "half-done.txt",
        "{checkpoint:#}"
    );
    assert_eq!(checkpoint["files"][0]["kind"], "added");
}

/// Sends `command` under the command id `id`.
async fn dispatch_as_id(client: &reqwest::Client, url: &str, id: &str, command: Value) -> Value {
    let r = client
        .post(format!("{url}/api/dispatch"))
        .json(&serde_json::json!({"envelope": {"command_id": id, "command": command}}))
        .send()
        .await
        .expect("dispatch");
    let status = r.status().as_u16();
    let mut body: Value = r.json().await.expect("JSON");
    body["status"] = status.into();
    body
}

/// A worktree command the engine refuses touches nothing: no branch, no
/// folder, no closed terminal. A retried one gets the first answer and
/// makes nothing twice.
#[tokio::test(flavor = "multi_thread")]
async fn refused_worktree_commands_change_nothing() {
    let (world, peon, client, project) = repo_project().await;
    let work = world.workspace();
    let create = |thread: &str, title: &str| {
        serde_json::json!({"type": "thread.create", "thread_id": thread, "project_id": project,
            "title": title, "provider": "codex", "runtime_mode": "full-access",
            "interaction_mode": "default", "worktree": true})
    };
    let branches = || git_in(&work, &["branch", "--list", "peon/*"]);
    let worktrees = peon.data_dir.join("worktrees");
    let folders = || {
        std::fs::read_dir(&worktrees)
            .map(|d| d.count())
            .unwrap_or(0)
    };

    let empty_title = dispatch_as_id(&client, &peon.url, &new_id(), create(&new_id(), " ")).await;
    assert_eq!(empty_title["status"], 422, "{empty_title}");
    assert_eq!(empty_title["rejection"], "empty_title");
    let used = new_id();
    let setting = serde_json::json!({"type": "settings.update", "key": "k", "value": 1});
    assert_eq!(
        dispatch_as_id(&client, &peon.url, &used, setting).await["status"],
        200
    );
    let reused = dispatch_as_id(&client, &peon.url, &used, create(&new_id(), "t")).await;
    assert_eq!(reused["rejection"], "command_id_reused", "{reused}");
    assert_eq!(branches(), "", "no branch was left by a refused create");
    assert_eq!(folders(), 0, "no folder was left by a refused create");

    // The same request twice: one worktree, the first answer again.
    let (id, thread) = (new_id(), new_id());
    let first = dispatch_as_id(&client, &peon.url, &id, create(&thread, "t")).await;
    assert_eq!(first["status"], 200, "{first}");
    let again = dispatch_as_id(&client, &peon.url, &id, create(&thread, "t")).await;
    assert_eq!(again["status"], 200, "{again}");
    assert_eq!(again["duplicate"], true);
    assert_eq!(again["last_sequence"], first["last_sequence"]);
    assert_eq!(branches().lines().count(), 1, "{}", branches());
    assert_eq!(folders(), 1);

    // A delete refused for its reused id leaves the thread's shell running.
    let opened: Value = client
        .post(format!("{}/api/terminals", peon.url))
        .json(&serde_json::json!({"thread_id": thread, "action": {"action": "open"}}))
        .send()
        .await
        .expect("open")
        .json()
        .await
        .expect("terminals");
    assert_eq!(opened[0]["running"], true, "{opened}");
    let delete = serde_json::json!({"type": "thread.delete", "thread_id": thread,
        "discard_changes": true});
    let refused = dispatch_as_id(&client, &peon.url, &used, delete).await;
    assert_eq!(refused["rejection"], "command_id_reused", "{refused}");
    let listed: Value = client
        .post(format!("{}/api/terminals", peon.url))
        .json(&serde_json::json!({"thread_id": thread, "action": {"action": "list"}}))
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("terminals");
    assert_eq!(listed[0]["running"], true, "the shell still runs: {listed}");
    assert_eq!(folders(), 1, "the worktree is still there");
}

/// Deleting a project with worktree threads goes through the worktree
/// reactor: every worktree is checked first (uncommitted work in one
/// refuses the delete, recorded on the project, and stops or removes
/// nothing), then the worktrees go and the project with its threads.
#[tokio::test(flavor = "multi_thread")]
async fn a_project_delete_checks_then_removes_its_worktrees() {
    let (world, peon, client, project) = repo_project().await;
    let thread = new_id();
    let created = dispatch_as_id(
        &client,
        &peon.url,
        &new_id(),
        serde_json::json!({"type": "thread.create", "thread_id": thread, "project_id": project,
            "title": "t", "provider": "codex", "runtime_mode": "full-access",
            "interaction_mode": "default", "worktree": true}),
    )
    .await;
    assert_eq!(created["status"], 200, "{created}");
    let snap = snapshot(&client, &peon.url).await;
    let folder = std::path::PathBuf::from(
        snap["threads"][0]["worktree_path"]
            .as_str()
            .expect("worktree path"),
    );
    std::fs::write(folder.join("draft.txt"), "not committed\n").expect("write");
    let delete = serde_json::json!({"type": "project.delete", "project_id": project});
    let asked = dispatch_as_id(&client, &peon.url, &new_id(), delete.clone()).await;
    assert_eq!(asked["status"], 200, "the delete is asked for: {asked}");
    let error = until(&client, &peon.url, "the refused delete", |snap| {
        let p = &snap["projects"][0];
        (p["delete_requested"] == false)
            .then(|| p["delete_error"].as_str().map(str::to_string))
            .flatten()
    })
    .await;
    assert!(error.contains("draft.txt"), "{error}");
    assert!(error.contains("of thread \"t\""), "{error}");
    assert!(folder.exists(), "nothing was removed");
    let snap = snapshot(&client, &peon.url).await;
    assert_eq!(snap["projects"][0]["id"], project.as_str());
    assert_eq!(
        snap["threads"][0]["id"],
        thread.as_str(),
        "the thread stays"
    );

    std::fs::remove_file(folder.join("draft.txt")).expect("remove");
    let done = dispatch_as_id(&client, &peon.url, &new_id(), delete).await;
    assert_eq!(done["status"], 200, "{done}");
    until(&client, &peon.url, "the project to go", |snap| {
        (snap["projects"].as_array().is_some_and(Vec::is_empty)
            && snap["threads"].as_array().is_some_and(Vec::is_empty))
        .then_some(())
    })
    .await;
    assert!(!folder.exists(), "the worktree went with the project");
    assert!(
        !git_in(&world.workspace(), &["worktree", "list"]).contains(&folder.display().to_string())
    );
}

/// Polls the snapshot until `check` finds what it looks for.
async fn until<T>(
    client: &reqwest::Client,
    url: &str,
    what: &str,
    check: impl Fn(&Value) -> Option<T>,
) -> T {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let snap = snapshot(client, url).await;
        if let Some(found) = check(&snap) {
            return found;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}; last snapshot: {snap:#}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
