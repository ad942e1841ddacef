//! Running the real agent CLIs under peon against the fake model servers:
//! their home folders, the settings that keep them off the network, and
//! helpers to drive a thread over HTTP.

use crate::fake_model::FakeModel;
use crate::{Peon, dispatch, new_id};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Agent {
    Codex,
    Claude,
}

impl Agent {
    pub fn provider(self) -> &'static str {
        match self {
            Agent::Codex => "codex",
            Agent::Claude => "claude",
        }
    }

    /// The CLI as `scripts/setup` installs it (npm, pinned versions).
    pub fn binary(self) -> PathBuf {
        let bin = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../scripts/agents/node_modules/.bin")
            .join(self.provider());
        assert!(
            bin.exists(),
            "{} is missing: run scripts/setup --test to install the agent CLIs",
            bin.display()
        );
        bin
    }
}

/// A temp folder holding the agent's home and a workspace, plus its fake
/// model server.
pub struct AgentWorld {
    pub agent: Agent,
    pub fake: FakeModel,
    pub dir: tempfile::TempDir,
}

impl AgentWorld {
    pub async fn new(agent: Agent) -> Self {
        let fake = match agent {
            Agent::Codex => FakeModel::openai().await,
            Agent::Claude => FakeModel::anthropic().await,
        };
        // Not under /tmp: codex warns about helper binaries there.
        let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/agent-tests");
        std::fs::create_dir_all(&base).expect("agent test folder");
        let dir = tempfile::tempdir_in(base).expect("temp dir");
        std::fs::create_dir_all(dir.path().join("work")).expect("workspace");
        std::fs::create_dir_all(dir.path().join("home")).expect("home");
        if agent == Agent::Codex {
            let config = format!(
                "model_provider = \"mock\"\nmodel = \"gpt-5.5\"\ncheck_for_update_on_startup = false\n\n\
                 [model_providers.mock]\nname = \"mock\"\nbase_url = \"{}/v1\"\nwire_api = \"responses\"\n\
                 env_key = \"MOCK_API_KEY\"\nrequest_max_retries = 0\nstream_max_retries = 0\n\n\
                 [analytics]\nenabled = false\n\n[features]\nplugins = false\n",
                fake.base_url()
            );
            std::fs::write(dir.path().join("home/config.toml"), config).expect("codex config");
        }
        Self { agent, fake, dir }
    }

    pub fn workspace(&self) -> PathBuf {
        self.dir
            .path()
            .join("work")
            .canonicalize()
            .expect("workspace path")
    }

    /// The environment peon (and so the agent) runs with.
    pub fn env(&self) -> Vec<(String, String)> {
        let home = self.dir.path().join("home").display().to_string();
        let mut env = vec![("PEON_LOG".to_string(), "warn".to_string())];
        match self.agent {
            Agent::Codex => {
                env.push(("CODEX_HOME".into(), home));
                env.push(("MOCK_API_KEY".into(), "dummy".into()));
                env.push((
                    "PEON_CODEX_BIN".into(),
                    self.agent.binary().display().to_string(),
                ));
            }
            Agent::Claude => {
                env.push(("HOME".into(), home));
                env.push(("ANTHROPIC_BASE_URL".into(), self.fake.base_url()));
                env.push(("ANTHROPIC_API_KEY".into(), "dummy".into()));
                env.push((
                    "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC".into(),
                    "1".into(),
                ));
                // claude refuses to skip permission prompts (full access)
                // as root unless told it runs in a sandbox; tests may run
                // as root in a container.
                env.push(("IS_SANDBOX".into(), "1".into()));
                env.push((
                    "PEON_CLAUDE_BIN".into(),
                    self.agent.binary().display().to_string(),
                ));
            }
        }
        env
    }

    pub fn start_peon(&self) -> Peon {
        self.start_peon_with(&[])
    }

    pub fn start_peon_with(&self, args: &[&str]) -> Peon {
        Peon::start_with_env(self.dir.path(), args, &self.env())
    }
}

/// A thread in a fresh project, driven over HTTP.
pub struct Thread {
    pub client: reqwest::Client,
    pub url: String,
    pub id: String,
}

impl Thread {
    pub async fn create(peon: &Peon, world: &AgentWorld, runtime_mode: &str) -> Thread {
        let client = reqwest::Client::new();
        let project = new_id();
        let r = dispatch(
            &client,
            &peon.url,
            json!({
                "type": "project.create", "project_id": project, "title": "work",
                "workspace_root": world.workspace().display().to_string(),
            }),
        )
        .await;
        assert!(
            r.status().is_success(),
            "project: {}",
            r.text().await.unwrap_or_default()
        );
        Self::create_in(peon, &project, world.agent, runtime_mode).await
    }

    pub async fn create_in(peon: &Peon, project: &str, agent: Agent, runtime_mode: &str) -> Thread {
        let client = reqwest::Client::new();
        let id = new_id();
        let r = dispatch(
            &client,
            &peon.url,
            json!({
                "type": "thread.create", "thread_id": id, "project_id": project, "title": "t",
                "provider": agent.provider(), "runtime_mode": runtime_mode,
                "interaction_mode": "default",
            }),
        )
        .await;
        assert!(
            r.status().is_success(),
            "thread: {}",
            r.text().await.unwrap_or_default()
        );
        Thread {
            client,
            url: peon.url.clone(),
            id,
        }
    }

    pub fn reconnect(&self, peon: &Peon) -> Thread {
        Thread {
            client: reqwest::Client::new(),
            url: peon.url.clone(),
            id: self.id.clone(),
        }
    }

    /// Sends a message (starts a turn); returns the turn id.
    pub async fn send(&self, text: &str) -> String {
        let turn = new_id();
        let r = self
            .command(json!({
                "type": "turn.start", "thread_id": self.id, "turn_id": turn,
                "message_id": new_id(), "text": text,
            }))
            .await;
        assert!(
            r.status().is_success(),
            "turn.start: {}",
            r.text().await.unwrap_or_default()
        );
        turn
    }

    /// Queues a message behind the running turn; returns the turn it will
    /// start.
    pub async fn queue(&self, text: &str) -> String {
        let turn = new_id();
        let r = self
            .command(json!({
                "type": "turn.queue", "thread_id": self.id, "turn_id": turn,
                "message_id": new_id(), "text": text,
            }))
            .await;
        assert!(
            r.status().is_success(),
            "turn.queue: {}",
            r.text().await.unwrap_or_default()
        );
        turn
    }

    /// Sends a message into the running turn.
    pub async fn steer(&self, text: &str) {
        let r = self
            .command(json!({
                "type": "turn.steer", "thread_id": self.id,
                "message_id": new_id(), "text": text,
            }))
            .await;
        assert!(
            r.status().is_success(),
            "turn.steer: {}",
            r.text().await.unwrap_or_default()
        );
    }

    pub async fn command(&self, command: Value) -> reqwest::Response {
        dispatch(&self.client, &self.url, command).await
    }

    /// The thread's latest page: `{sequence, thread, page}`.
    pub async fn page(&self) -> Value {
        self.client
            .post(format!("{}/api/thread_page", self.url))
            .form(&[("thread_id", self.id.as_str()), ("limit", "50")])
            .send()
            .await
            .expect("thread page")
            .json()
            .await
            .expect("thread page JSON")
    }

    /// Polls the page until `check` finds what it looks for.
    pub async fn wait_for<T>(&self, what: &str, check: impl Fn(&Value) -> Option<T>) -> T {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let page = self.page().await;
            if let Some(found) = check(&page) {
                return found;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; last page: {page:#}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the turn has ended; returns it.
    pub async fn settled(&self, turn: &str) -> Value {
        self.wait_for("the turn to end", |p| {
            turn_of(p, turn)
                .filter(|t| !matches!(t["status"].as_str(), Some("requested" | "running")))
        })
        .await
    }

    /// Waits for a pending approval in the turn; returns it.
    pub async fn approval(&self, turn: &str) -> Value {
        self.wait_for("an approval request", |p| {
            items(p, turn, "approval")
                .into_iter()
                .find(|a| a["decision"].is_null())
        })
        .await
    }

    pub async fn decide(&self, approval: &Value, decision: &str) {
        let r = self
            .command(json!({
                "type": "approval.respond", "thread_id": self.id,
                "approval_id": approval["id"], "decision": decision,
            }))
            .await;
        assert!(
            r.status().is_success(),
            "approval.respond: {}",
            r.text().await.unwrap_or_default()
        );
    }

    /// The thread's server-rendered page.
    pub async fn html(&self) -> String {
        reqwest::get(format!("{}/threads/{}", self.url, self.id))
            .await
            .expect("page")
            .text()
            .await
            .expect("html")
    }

    /// Waits until the thread's agent session has `status`.
    pub async fn wait_session(&self, status: &str) {
        self.wait_for(&format!("the session to be {status}"), |p| {
            (p["thread"]["session_status"] == status).then_some(())
        })
        .await;
    }

    pub async fn interrupt(&self) {
        let r = self
            .command(json!({"type": "turn.interrupt", "thread_id": self.id}))
            .await;
        assert!(
            r.status().is_success(),
            "turn.interrupt: {}",
            r.text().await.unwrap_or_default()
        );
    }
}

pub fn turn_of(page: &Value, turn: &str) -> Option<Value> {
    page["page"]["turns"]
        .as_array()?
        .iter()
        .find(|t| t["id"] == turn)
        .cloned()
}

/// Timeline items of one kind ("message", "activity", "approval").
pub fn items(page: &Value, turn: &str, kind: &str) -> Vec<Value> {
    turn_of(page, turn)
        .and_then(|t| t["items"].as_array().cloned())
        .unwrap_or_default()
        .into_iter()
        .filter(|i| i["item"] == kind)
        .collect()
}

/// The assistant's text in a turn, all messages joined.
pub fn answer(page: &Value, turn: &str) -> String {
    items(page, turn, "message")
        .iter()
        .filter(|m| m["role"] == "assistant")
        .filter_map(|m| m["text"].as_str())
        .collect::<Vec<_>>()
        .join("")
}

/// Processes peon started (the agents).
pub fn agent_pids(peon: &Peon) -> Vec<String> {
    let out = std::process::Command::new("pgrep")
        .args(["-P", &peon.pid().to_string()])
        .output()
        .expect("pgrep");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

/// Kills every agent process peon started (their whole process groups), as
/// a crash would.
pub fn kill_agents(peon: &Peon) {
    for pid in agent_pids(peon) {
        let _ = std::process::Command::new("kill")
            .args(["-s", "KILL", "--", &format!("-{pid}")])
            .status();
    }
}

/// Asserts how a turn ended and that its error says `because`.
pub fn assert_ended(turn: &Value, status: &str, because: &str) {
    assert_eq!(turn["status"], status, "{turn:#}");
    let error = turn["error"].as_str().unwrap_or_default();
    assert!(error.contains(because), "{turn:#}");
}
