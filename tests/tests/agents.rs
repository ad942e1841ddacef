//! The real `codex` and `claude` CLIs under peon, against fake model servers
//! on 127.0.0.1. Every way a turn can end is driven here and must leave the
//! thread settled, idle and ready for the next turn.

use peon_tests::agents::*;
use peon_tests::fake_model::{CACHED_TOKENS, input_tokens, last_user_text};
use peon_tests::take_frames;
use serde_json::Value;

/// The same scenario for both agents.
macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod codex { $(#[tokio::test(flavor = "multi_thread")] async fn $name() { super::$name(super::Agent::Codex).await } )* }
        mod claude { $(#[tokio::test(flavor = "multi_thread")] async fn $name() { super::$name(super::Agent::Claude).await } )* }
    };
}

both!(
    plain_answer,
    command_accepted,
    command_declined,
    file_change_accepted,
    interrupt_mid_stream,
    model_server_error,
    agent_killed_mid_turn,
    two_threads_stream_at_once,
    restart_mid_turn_then_resume,
    streamed_text_is_coalesced,
    missing_binary,
    full_access_runs_without_asking,
    idle_agent_stops_and_resumes,
    archiving_stops_a_running_turn,
    pending_approval_across_restart,
    a_refused_write_still_settles_the_turn,
    queued_messages_follow_in_order_and_survive_a_restart,
    steering_reaches_the_running_turn,
    token_usage_adds_up,
);

/// Starts a turn the model never finishes; returns once its text streams.
async fn hang(thread: &Thread) -> String {
    let turn = thread.send("HANG").await;
    thread
        .wait_for("streaming text", |p| {
            answer(p, &turn).contains("Working").then_some(())
        })
        .await;
    turn
}

/// The newest request the fake model received, as JSON text.
fn last_request(world: &AgentWorld) -> String {
    world
        .fake
        .requests()
        .last()
        .map(ToString::to_string)
        .expect("a model request")
}

/// The agent went on with its own conversation: the model saw `words` from
/// an earlier turn, and the conversation id did not change.
async fn assert_resumed(world: &AgentWorld, thread: &Thread, words: &str, conversation: &Value) {
    assert!(
        last_request(world).contains(words),
        "the conversation did not resume"
    );
    assert_eq!(
        &thread.page().await["thread"]["provider_thread_id"],
        conversation
    );
}

async fn assert_takes_a_new_turn(thread: &Thread) {
    let turn = thread.send("are you there").await;
    let done = thread.settled(&turn).await;
    assert_eq!(done["status"], "completed", "{done:#}");
    let page = thread.page().await;
    // A conversation the agent lost is replaced by a new one told the
    // thread's history first, so the text may be preceded by it.
    let said = answer(&page, &turn);
    assert!(
        said.starts_with("You said: ") && said.ends_with("are you there"),
        "{said:?}"
    );
}

async fn idle(thread: &Thread) {
    let page = thread.page().await;
    assert!(page["thread"]["active_turn"].is_null(), "{page:#}");
    assert!(
        page["thread"]["pending_approvals"]
            .as_object()
            .is_none_or(|m| m.is_empty())
    );
}

async fn plain_answer(agent: Agent) {
    let world = AgentWorld::new(agent).await;
    let peon = world.start_peon();
    let thread = Thread::create(&peon, &world, "approval-required").await;
    let turn = thread.send("hello there").await;
    let done = thread.settled(&turn).await;
    assert_eq!(done["status"], "completed", "{done:#}");
    let page = thread.page().await;
    assert_eq!(answer(&page, &turn), "You said: hello there");
    assert!(page["thread"]["provider_thread_id"].is_string(), "{page:#}");
    let messages = items(&page, &turn, "message");
    assert!(messages.iter().all(|m| m["streaming"] == false));
    idle(&thread).await;
    assert_takes_a_new_turn(&thread).await;
}

async fn command_accepted(agent: Agent) {
    let world = AgentWorld::new(agent).await;
    let peon = world.start_peon();
    let thread = Thread::create(&peon, &world, "approval-required").await;
    let turn = thread
        .send("RUN touch made_by_agent.txt && echo made")
        .await;
    let approval = thread.approval(&turn).await;
    assert_eq!(approval["kind"], "command");
    assert!(
        approval["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("touch made_by_agent.txt"),
        "{approval:#}"
    );
    assert!(
        !world.workspace().join("made_by_agent.txt").exists(),
        "ran before it was approved"
    );
    thread.decide(&approval, "accept").await;
    let done = thread.settled(&turn).await;
    assert_eq!(done["status"], "completed", "{done:#}");
    assert!(world.workspace().join("made_by_agent.txt").exists());
    let page = thread.page().await;
    assert!(answer(&page, &turn).starts_with("Tool said:"), "{page:#}");
    assert!(answer(&page, &turn).contains("made"), "{page:#}");
    let commands: Vec<Value> = items(&page, &turn, "activity")
        .into_iter()
        .filter(|a| a["kind"] == "command")
        .collect();
    assert_eq!(commands.len(), 1, "{page:#}");
    assert_eq!(commands[0]["status"], "completed");
    assert!(
        commands[0]["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("made"),
        "{page:#}"
    );
    idle(&thread).await;
}

async fn command_declined(agent: Agent) {
    let world = AgentWorld::new(agent).await;
    let peon = world.start_peon();
    let thread = Thread::create(&peon, &world, "approval-required").await;
    let turn = thread.send("RUN touch never_made.txt").await;
    let approval = thread.approval(&turn).await;
    thread.decide(&approval, "decline").await;
    let done = thread.settled(&turn).await;
    assert!(
        matches!(done["status"].as_str(), Some("completed" | "interrupted")),
        "{done:#}"
    );
    assert!(!world.workspace().join("never_made.txt").exists());
    let page = thread.page().await;
    let approvals = items(&page, &turn, "approval");
    assert_eq!(approvals[0]["decision"], "decline");
    idle(&thread).await;
    assert_takes_a_new_turn(&thread).await;
}

async fn file_change_accepted(agent: Agent) {
    let world = AgentWorld::new(agent).await;
    let peon = world.start_peon();
    let thread = Thread::create(&peon, &world, "approval-required").await;
    let path = world.workspace().join("notes.txt");
    let turn = thread
        .send(&format!("WRITE {} hello from the agent", path.display()))
        .await;
    let approval = thread.approval(&turn).await;
    assert_eq!(approval["kind"], "file_change", "{approval:#}");
    let detail = approval["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("notes.txt") && detail.contains("hello from the agent"),
        "{approval:#}"
    );
    assert!(!path.exists());
    thread.decide(&approval, "accept").await;
    let done = thread.settled(&turn).await;
    assert_eq!(done["status"], "completed", "{done:#}");
    let written = std::fs::read_to_string(&path).expect("the file was written");
    assert_eq!(written.trim_end(), "hello from the agent");
    let page = thread.page().await;
    assert!(
        items(&page, &turn, "activity")
            .iter()
            .any(|a| a["kind"] == "file_change"),
        "{page:#}"
    );
}

async fn interrupt_mid_stream(agent: Agent) {
    let world = AgentWorld::new(agent).await;
    let peon = world.start_peon();
    let thread = Thread::create(&peon, &world, "approval-required").await;
    let turn = hang(&thread).await;
    thread.interrupt().await;
    let done = thread.settled(&turn).await;
    assert_eq!(done["status"], "interrupted", "{done:#}");
    let page = thread.page().await;
    assert!(
        answer(&page, &turn).starts_with("Working"),
        "what streamed is kept: {page:#}"
    );
    assert!(
        items(&page, &turn, "message")
            .iter()
            .all(|m| m["streaming"] == false)
    );
    idle(&thread).await;
    assert_takes_a_new_turn(&thread).await;
}

async fn model_server_error(agent: Agent) {
    let world = AgentWorld::new(agent).await;
    let peon = world.start_peon();
    let thread = Thread::create(&peon, &world, "approval-required").await;
    let turn = thread.send("FAIL").await;
    let done = thread.settled(&turn).await;
    assert_eq!(done["status"], "failed", "{done:#}");
    let error = done["error"].as_str().unwrap_or_default().to_lowercase();
    assert!(
        error.contains("500") || error.contains("fake model failure") || error.contains("error"),
        "{done:#}"
    );
    idle(&thread).await;
    assert_takes_a_new_turn(&thread).await;
}

async fn agent_killed_mid_turn(agent: Agent) {
    let world = AgentWorld::new(agent).await;
    let peon = world.start_peon();
    let thread = Thread::create(&peon, &world, "approval-required").await;
    let turn = hang(&thread).await;
    kill_agents(&peon);
    let done = thread.settled(&turn).await;
    assert_ended(&done, "failed", "exited unexpectedly");
    // The session's state follows the turn's end.
    thread.wait_session("error").await;
    idle(&thread).await;
    assert_takes_a_new_turn(&thread).await;
}

async fn two_threads_stream_at_once(agent: Agent) {
    let world = AgentWorld::new(agent).await;
    let peon = world.start_peon();
    let a = Thread::create(&peon, &world, "approval-required").await;
    let project = a.page().await["thread"]["project_id"]
        .as_str()
        .unwrap()
        .to_string();
    let b = Thread::create_in(&peon, &project, agent, "approval-required").await;
    let (ta, tb) = (a.send("STREAM 40 20").await, b.send("STREAM 40 20").await);
    // Both stream at the same time: each shows text before either ends.
    a.wait_for("text in a", |p| (!answer(p, &ta).is_empty()).then_some(()))
        .await;
    b.wait_for("text in b", |p| (!answer(p, &tb).is_empty()).then_some(()))
        .await;
    let expected: String = (0..40).map(|i| format!("t{i} ")).collect();
    for (thread, turn) in [(&a, &ta), (&b, &tb)] {
        let done = thread.settled(turn).await;
        assert_eq!(done["status"], "completed", "{done:#}");
        assert_eq!(answer(&thread.page().await, turn), expected);
    }
}

async fn restart_mid_turn_then_resume(agent: Agent) {
    let world = AgentWorld::new(agent).await;
    let peon = world.start_peon();
    let thread = Thread::create(&peon, &world, "approval-required").await;
    let first = thread.send("remember the word pineapple").await;
    thread.settled(&first).await;
    let provider_thread = thread.page().await["thread"]["provider_thread_id"].clone();
    let turn = hang(&thread).await;
    peon.stop();

    let peon = world.start_peon();
    let thread = thread.reconnect(&peon);
    let page = thread.page().await;
    let settled = turn_of(&page, &turn).expect("turn");
    assert_eq!(settled["status"], "interrupted", "{page:#}");
    assert!(
        settled["error"]
            .as_str()
            .unwrap_or_default()
            .contains("peon stopped"),
        "{page:#}"
    );
    idle(&thread).await;
    assert_takes_a_new_turn(&thread).await;
    // The agent resumed its own conversation: the model saw the first turn.
    assert_resumed(
        &world,
        &thread,
        "remember the word pineapple",
        &provider_thread,
    )
    .await;
}

async fn streamed_text_is_coalesced(agent: Agent) {
    let world = AgentWorld::new(agent).await;
    let peon = world.start_peon();
    let thread = Thread::create(&peon, &world, "approval-required").await;
    let before = thread.page().await["sequence"].as_u64().unwrap_or(0);
    let turn = thread.send("STREAM 2000 0").await;
    let done = thread.settled(&turn).await;
    assert_eq!(done["status"], "completed", "{done:#}");
    let expected: String = (0..2000).map(|i| format!("t{i} ")).collect();
    assert_eq!(answer(&thread.page().await, &turn), expected);
    // Count what the log holds for the answer.
    let body = reqwest::Client::new()
        .get(format!("{}/api/events?after={before}", thread.url))
        .send()
        .await
        .expect("events");
    let mut stream = body.bytes_stream();
    let mut buffer = String::new();
    let mut message_events = 0;
    use futures::StreamExt;
    'read: while let Some(chunk) = stream.next().await {
        buffer.push_str(&String::from_utf8_lossy(&chunk.expect("chunk")));
        for frame in take_frames(&mut buffer) {
            if frame.event != "event" {
                continue;
            }
            let event: Value = serde_json::from_str(&frame.data).expect("event JSON");
            let kind = event["event"]["type"].as_str().unwrap_or_default();
            if kind.starts_with("message.") {
                message_events += 1;
            }
            if kind == "turn.completed" {
                break 'read;
            }
        }
    }
    // The user's message, the start, the end, and ~10 per second between.
    assert!(
        (3..=40).contains(&message_events),
        "{message_events} message events for 2,000 deltas"
    );
}

async fn missing_binary(agent: Agent) {
    let world = AgentWorld::new(agent).await;
    let mut env = world.env();
    let var = match agent {
        Agent::Codex => "PEON_CODEX_BIN",
        Agent::Claude => "PEON_CLAUDE_BIN",
    };
    env.retain(|(k, _)| k != var);
    env.push((var.to_string(), "/nonexistent/agent".to_string()));
    let peon = peon_tests::Peon::start_with_env(world.dir.path(), &[], &env);
    let thread = Thread::create(&peon, &world, "approval-required").await;
    let turn = thread.send("hello").await;
    let done = thread.settled(&turn).await;
    assert_eq!(done["status"], "failed");
    let error = done["error"].as_str().unwrap_or_default();
    let package = match agent {
        Agent::Codex => "npm install -g @openai/codex",
        Agent::Claude => "npm install -g @anthropic-ai/claude-code",
    };
    assert!(error.contains(package) && error.contains(var), "{error}");
    idle(&thread).await;
}

async fn full_access_runs_without_asking(agent: Agent) {
    let world = AgentWorld::new(agent).await;
    let peon = world.start_peon();
    let thread = Thread::create(&peon, &world, "full-access").await;
    let turn = thread.send("RUN touch unasked.txt && echo done").await;
    let done = thread.settled(&turn).await;
    assert_eq!(done["status"], "completed", "{done:#}");
    assert!(world.workspace().join("unasked.txt").exists());
    let page = thread.page().await;
    assert!(
        items(&page, &turn, "approval").is_empty(),
        "full access asked: {page:#}"
    );
    assert!(answer(&page, &turn).starts_with("Tool said:"), "{page:#}");
}

async fn idle_agent_stops_and_resumes(agent: Agent) {
    let world = AgentWorld::new(agent).await;
    let peon = world.start_peon_with(&["--agent-idle-secs", "1"]);
    let thread = Thread::create(&peon, &world, "approval-required").await;
    let first = thread.send("remember the word mango").await;
    thread.settled(&first).await;
    let conversation = thread.page().await["thread"]["provider_thread_id"].clone();
    assert!(conversation.is_string());
    thread.wait_session("stopped").await;
    assert!(
        peon_tests::agents::agent_pids(&peon).is_empty(),
        "the agent process is still running"
    );
    assert_takes_a_new_turn(&thread).await;
    assert_resumed(&world, &thread, "remember the word mango", &conversation).await;
}

async fn archiving_stops_a_running_turn(agent: Agent) {
    let world = AgentWorld::new(agent).await;
    let peon = world.start_peon();
    let thread = Thread::create(&peon, &world, "approval-required").await;
    let turn = hang(&thread).await;
    let r = thread
        .command(serde_json::json!({"type": "thread.archive", "thread_id": thread.id}))
        .await;
    assert!(r.status().is_success());
    let done = thread.settled(&turn).await;
    assert_ended(&done, "interrupted", "archived");
    thread.wait_session("stopped").await;
    assert!(
        peon_tests::agents::agent_pids(&peon).is_empty(),
        "the agent process is still running"
    );
}

async fn pending_approval_across_restart(agent: Agent) {
    let world = AgentWorld::new(agent).await;
    let peon = world.start_peon();
    let thread = Thread::create(&peon, &world, "approval-required").await;
    let turn = thread.send("RUN touch after_restart.txt").await;
    let approval = thread.approval(&turn).await;
    // A reload shows it, waiting.
    assert!(thread.reconnect(&peon).approval(&turn).await["id"] == approval["id"]);
    peon.stop();

    let peon = world.start_peon();
    let thread = thread.reconnect(&peon);
    let page = thread.page().await;
    // The request is still on record; the agent that asked is gone, so the
    // turn is settled and a late answer is refused with a reason.
    let kept = items(&page, &turn, "approval");
    assert_eq!(kept.len(), 1, "{page:#}");
    assert_eq!(kept[0]["detail"], approval["detail"]);
    assert_eq!(
        turn_of(&page, &turn).expect("turn")["status"],
        "interrupted"
    );
    let r = thread
        .command(
            serde_json::json!({"type": "approval.respond", "thread_id": thread.id,
            "approval_id": approval["id"], "decision": "accept"}),
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap_or_default()
            .contains("already answered")
    );
    assert!(!world.workspace().join("after_restart.txt").exists());
    idle(&thread).await;
    assert_takes_a_new_turn(&thread).await;
}

/// The settings page's facts about each agent.
#[tokio::test(flavor = "multi_thread")]
async fn agent_status_names_versions_and_install_commands() {
    let world = AgentWorld::new(Agent::Codex).await;
    let mut env = world.env();
    env.push(("PEON_CLAUDE_BIN".into(), "/nonexistent/claude".into()));
    let peon = peon_tests::Peon::start_with_env(world.dir.path(), &[], &env);
    let agents: Value = reqwest::Client::new()
        .post(format!("{}/api/agents", peon.url))
        .send()
        .await
        .expect("agents")
        .json()
        .await
        .expect("agents JSON");
    let codex = &agents[0];
    assert_eq!(codex["provider"], "codex");
    assert_eq!(codex["found"], true);
    assert_eq!(codex["version"], "codex-cli 0.171.0");
    let claude = &agents[1];
    assert_eq!(claude["found"], false);
    assert!(
        claude["install"]
            .as_str()
            .unwrap_or_default()
            .contains("@anthropic-ai/claude-code@2.1.332")
    );
    assert!(
        claude["problem"]
            .as_str()
            .unwrap_or_default()
            .contains("/nonexistent/claude"),
        "{claude:#}"
    );
}

/// An agent that dies while starting: the turn fails with how it died.
#[tokio::test(flavor = "multi_thread")]
async fn an_agent_that_dies_at_start_says_why() {
    let world = AgentWorld::new(Agent::Codex).await;
    let script = world.dir.path().join("broken-codex");
    std::fs::write(
        &script,
        "#!/bin/sh\necho 'boom: no config here' >&2\nexit 3\n",
    )
    .expect("script");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let mut env = world.env();
    env.retain(|(k, _)| k != "PEON_CODEX_BIN");
    env.push(("PEON_CODEX_BIN".into(), script.display().to_string()));
    let peon = peon_tests::Peon::start_with_env(world.dir.path(), &[], &env);
    let thread = Thread::create(&peon, &world, "approval-required").await;
    let turn = thread.send("hello").await;
    let done = thread.settled(&turn).await;
    assert_eq!(done["status"], "failed");
    let error = done["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("exit code 3") && error.contains("boom: no config here"),
        "{error}"
    );
    let error = error.to_string();
    thread
        .wait_for("the session to show the error", |p| {
            (p["thread"]["session_status"] == "error"
                && p["thread"]["last_error"] == error.as_str())
            .then_some(())
        })
        .await;
}

/// Answers are Markdown on the server-rendered page; HTML in them is text.
#[tokio::test(flavor = "multi_thread")]
async fn answers_render_as_markdown_without_raw_html() {
    let world = AgentWorld::new(Agent::Codex).await;
    let peon = world.start_peon();
    let thread = Thread::create(&peon, &world, "approval-required").await;
    let text = "hi\n\n## Plan\n\n- first step\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```rust\nfn main() {}\n```\n\n<script>alert(1)</script> [x](javascript:alert(1))";
    let turn = thread.send(text).await;
    thread.settled(&turn).await;
    let html = thread.html().await;
    for expected in [
        "<h2>Plan</h2>",
        "<li>first step</li>",
        "<td>1</td>",
        "hl-kw",
        "&lt;script&gt;alert(1)&lt;/script&gt;",
    ] {
        assert!(html.contains(expected), "missing {expected}");
    }
    assert!(
        !html.contains("<script>alert(1)"),
        "raw HTML from the model reached the page"
    );
    assert!(
        !html.contains("href=\"javascript:"),
        "a javascript: link reached the page"
    );
}

/// Stopping the session or deleting the thread ends the agent process.
#[tokio::test(flavor = "multi_thread")]
async fn stop_and_delete_end_the_agent_process() {
    let world = AgentWorld::new(Agent::Codex).await;
    let peon = world.start_peon();
    let thread = Thread::create(&peon, &world, "approval-required").await;
    let turn = thread.send("hello").await;
    thread.settled(&turn).await;
    assert_eq!(agent_pids(&peon).len(), 1, "one agent for the thread");
    let r = thread
        .command(serde_json::json!({"type": "session.stop", "thread_id": thread.id}))
        .await;
    assert!(r.status().is_success());
    thread.wait_session("stopped").await;
    assert!(agent_pids(&peon).is_empty());

    hang(&thread).await;
    assert_eq!(agent_pids(&peon).len(), 1);
    let r = thread
        .command(serde_json::json!({"type": "thread.delete", "thread_id": thread.id}))
        .await;
    assert!(r.status().is_success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !agent_pids(&peon).is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the deleted thread's agent is still running"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// With `--max-agents 1`, a second thread's turn is refused with the limit
/// named while the first agent runs, and goes through once it is stopped.
#[tokio::test(flavor = "multi_thread")]
async fn the_agent_limit_is_kept_and_explained() {
    let world = AgentWorld::new(Agent::Codex).await;
    let peon = world.start_peon_with(&["--max-agents", "1"]);
    let a = Thread::create(&peon, &world, "approval-required").await;
    let project = a.page().await["thread"]["project_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let b = Thread::create_in(&peon, &project, Agent::Codex, "approval-required").await;
    let running = hang(&a).await;
    let refused = b.send("hello").await;
    let done = b.settled(&refused).await;
    assert_eq!(done["status"], "failed", "{done:#}");
    assert!(
        done["error"]
            .as_str()
            .unwrap_or_default()
            .contains("already running 1 agents"),
        "{done:#}"
    );
    assert_eq!(agent_pids(&peon).len(), 1, "no second agent started");
    a.interrupt().await;
    assert_eq!(a.settled(&running).await["status"], "interrupted");
    let r = a
        .command(serde_json::json!({"type": "session.stop", "thread_id": a.id}))
        .await;
    assert!(r.status().is_success());
    a.wait_session("stopped").await;
    let next = b.send("hello again").await;
    assert_eq!(b.settled(&next).await["status"], "completed");
}

/// claude's saved conversation disappears (it was never written, or was
/// removed): the next turn still gets an answer, from a new conversation.
#[tokio::test(flavor = "multi_thread")]
async fn claude_goes_on_when_its_conversation_is_gone() {
    let world = AgentWorld::new(Agent::Claude).await;
    let peon = world.start_peon();
    let thread = Thread::create(&peon, &world, "approval-required").await;
    let first = thread.send("remember the word mango").await;
    assert_eq!(thread.settled(&first).await["status"], "completed");
    let old = thread.page().await["thread"]["provider_thread_id"].clone();
    assert!(old.is_string(), "claude reported its conversation");
    let r = thread
        .command(serde_json::json!({"type": "session.stop", "thread_id": thread.id}))
        .await;
    assert!(r.status().is_success());
    thread.wait_session("stopped").await;
    let projects = world.dir.path().join("home/.claude/projects");
    let mut removed = 0;
    for dir in std::fs::read_dir(&projects)
        .expect("claude's projects")
        .flatten()
    {
        for file in std::fs::read_dir(dir.path()).expect("project").flatten() {
            if file.path().extension().is_some_and(|e| e == "jsonl") {
                std::fs::remove_file(file.path()).expect("remove");
                removed += 1;
            }
        }
    }
    assert!(
        removed > 0,
        "no saved conversation found under {projects:?}"
    );
    let next = thread.send("are you there").await;
    let done = thread.settled(&next).await;
    assert_eq!(done["status"], "completed", "{done:#}");
    assert!(answer(&thread.page().await, &next).contains("are you there"));
    let new = thread.page().await["thread"]["provider_thread_id"].clone();
    assert_ne!(new, old, "a new conversation");
    // The new conversation was told what the lost one held.
    let request = last_request(&world);
    assert!(
        request.contains("could not be resumed") && request.contains("mango"),
        "the new conversation was not primed: {request}"
    );
}

/// The database refuses to record the turn's end for a while (a trigger in
/// peon's own SQLite file, as a full disk or a lock would): the turn shows
/// as running, never as lost, and settles once the write goes through.
async fn a_refused_write_still_settles_the_turn(agent: Agent) {
    let world = AgentWorld::new(agent).await;
    let peon = world.start_peon();
    let thread = Thread::create(&peon, &world, "approval-required").await;
    let url = format!("sqlite://{}", peon.data_dir.join("peon.sqlite3").display());
    let db = sqlx::SqlitePool::connect(&url)
        .await
        .expect("open peon's database");
    sqlx::query(
        "CREATE TRIGGER injected_failure BEFORE INSERT ON events \
         WHEN NEW.event_type = 'turn.completed' \
         BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
    )
    .execute(&db)
    .await
    .expect("trigger");
    let turn = thread.send("hello there").await;
    thread
        .wait_for("the answer", |p| {
            (answer(p, &turn) == "You said: hello there").then_some(())
        })
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    let page = thread.page().await;
    let running = turn_of(&page, &turn).expect("turn");
    assert_ne!(running["status"], "completed", "{running:#}");
    assert!(running["completed_at"].is_null(), "{running:#}");
    sqlx::query("DROP TRIGGER injected_failure")
        .execute(&db)
        .await
        .expect("drop trigger");
    let done = thread.settled(&turn).await;
    assert_eq!(done["status"], "completed", "{done:#}");
}

/// Messages queued behind a turn wait in the log; a restart that cuts the
/// turn short sends the next one when the agents are up again, and each
/// goes to the agent exactly once, in order.
async fn queued_messages_follow_in_order_and_survive_a_restart(agent: Agent) {
    let world = AgentWorld::new(agent).await;
    let peon = world.start_peon();
    let thread = Thread::create(&peon, &world, "approval-required").await;
    let running = hang(&thread).await;
    let first = thread.queue("queued number one").await;
    let second = thread.queue("queued number two").await;
    let page = thread.page().await;
    let queue: Vec<&str> = page["thread"]["queue"]
        .as_array()
        .expect("a queue")
        .iter()
        .filter_map(|q| q["text"].as_str())
        .collect();
    assert_eq!(queue, ["queued number one", "queued number two"]);
    assert!(turn_of(&page, &first).is_none(), "queued, not sent");
    peon.stop();

    let peon = world.start_peon();
    let thread = thread.reconnect(&peon);
    let done = thread.settled(&first).await;
    assert_eq!(done["status"], "completed", "{done:#}");
    let done = thread.settled(&second).await;
    assert_eq!(done["status"], "completed", "{done:#}");
    let page = thread.page().await;
    assert_eq!(
        turn_of(&page, &running).expect("turn")["status"],
        "interrupted"
    );
    assert!(answer(&page, &first).ends_with("queued number one"));
    assert!(answer(&page, &second).ends_with("queued number two"));
    assert_eq!(page["thread"]["turn_count"], 3, "{page:#}");
    assert!(
        page["thread"]["queue"]
            .as_array()
            .is_none_or(|q| q.is_empty())
    );
    idle(&thread).await;
    // The model was asked about each queued message once: as the newest
    // input of exactly one request each.
    for words in ["queued number one", "queued number two"] {
        let asked = world
            .fake
            .requests()
            .iter()
            .filter(|r| last_user_text(r).is_some_and(|t| t.ends_with(words)))
            .count();
        assert_eq!(asked, 1, "{words}");
    }
}

/// A message sent into a running turn reaches the agent within that turn:
/// the model is asked about it before the turn ends, and the turn is one.
async fn steering_reaches_the_running_turn(agent: Agent) {
    let world = AgentWorld::new(agent).await;
    let peon = world.start_peon();
    let thread = Thread::create(&peon, &world, "approval-required").await;
    let turn = thread.send("STREAM 60 50").await;
    thread
        .wait_for("streaming text", |p| {
            answer(p, &turn).contains("t1").then_some(())
        })
        .await;
    thread.steer("also mention bananas").await;
    let done = thread.settled(&turn).await;
    assert_eq!(done["status"], "completed", "{done:#}");
    let page = thread.page().await;
    let asked = world
        .fake
        .requests()
        .iter()
        .filter(|r| last_user_text(r).is_some_and(|t| t.contains("also mention bananas")))
        .count();
    assert_eq!(
        asked, 1,
        "the model was asked about the steering message once"
    );
    let users: Vec<Value> = items(&page, &turn, "message")
        .into_iter()
        .filter(|m| m["role"] == "user")
        .collect();
    assert_eq!(users.len(), 2, "{page:#}");
    assert!(
        answer(&page, &turn).contains("You said: also mention bananas"),
        "{page:#}"
    );
    assert_eq!(page["thread"]["turn_count"], 1);
    idle(&thread).await;
    assert_takes_a_new_turn(&thread).await;
}

/// The tokens the model reported reach each turn and the thread, exactly:
/// the thread's input is what the fake said for every request it answered.
async fn token_usage_adds_up(agent: Agent) {
    let world = AgentWorld::new(agent).await;
    let peon = world.start_peon();
    let thread = Thread::create(&peon, &world, "approval-required").await;
    let first = thread.send("hello there").await;
    thread.settled(&first).await;
    let second = thread.send("STREAM 7 0").await;
    thread.settled(&second).await;
    let page = thread.page().await;
    let requests = world.fake.requests();
    let input: u64 = requests.iter().map(input_tokens).sum();
    let usage = &page["thread"]["usage"];
    assert_eq!(usage["input"], input, "{page:#}");
    assert_eq!(usage["cached_input"], CACHED_TOKENS * requests.len() as u64);
    let of = |turn: &str, field: &str| {
        turn_of(&page, turn).expect("turn")["usage"][field]
            .as_u64()
            .unwrap_or(0)
    };
    for turn in [&first, &second] {
        assert!(
            of(turn, "input") > 100 && of(turn, "output") > 0,
            "{page:#}"
        );
    }
    assert_eq!(of(&first, "input") + of(&second, "input"), input);
    assert_eq!(
        usage["output"].as_u64(),
        Some(of(&first, "output") + of(&second, "output"))
    );
    if agent == Agent::Codex {
        // The fake says 5 output tokens per answer.
        assert_eq!(usage["output"], 5 * requests.len() as u64);
    }
    let context = page["thread"]["context_tokens"].as_u64().unwrap_or(0);
    let window = page["thread"]["context_window"].as_u64().unwrap_or(0);
    assert!(context > 100 && window > context, "{page:#}");
}
