//! Helpers for integration tests that run the real `peon` binary.

pub mod agents;
pub mod fake_model;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The `peon` binary under test: `PEON_BIN` (the test script points it at
/// the release build), else the debug build beside this test executable.
pub fn peon_bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("PEON_BIN") {
        return PathBuf::from(bin);
    }
    let exe = std::env::current_exe().expect("test executable path");
    let debug_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps");
    let bin = debug_dir.join("peon");
    assert!(
        bin.is_file(),
        "{} is missing: build it first (cargo build -p peon-server) or set PEON_BIN",
        bin.display()
    );
    bin
}

/// A running peon on a free port with its own data folder; killed on drop.
pub struct Peon {
    pub url: String,
    pub data_dir: PathBuf,
    child: Child,
    /// Every line peon printed on stdout so far.
    printed: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

/// Arguments or environment that ask for a token, or that expose peon
/// (which then always has one).
fn wants_token(extra: &[&str], env: &[(String, String)]) -> bool {
    extra
        .iter()
        .any(|a| matches!(*a, "--auth-token" | "--host" | "--allowed-host"))
        || env.iter().any(|(k, _)| k == "PEON_AUTH_TOKEN")
}

impl Peon {
    /// Starts peon with a data folder inside `dir`, without a token
    /// (`--no-auth`): these tests are about what peon does once in. Tests
    /// of the way in use `start_guarded`, or name a token.
    pub fn start(dir: &Path) -> Peon {
        Self::start_with(dir, &[])
    }

    pub fn start_with(dir: &Path, extra: &[&str]) -> Peon {
        Self::start_with_env(dir, extra, &[])
    }

    /// Starts peon with extra arguments and environment variables (which
    /// the agents it starts inherit); `--no-auth` unless they ask for a
    /// token or expose peon.
    pub fn start_with_env(dir: &Path, extra: &[&str], env: &[(String, String)]) -> Peon {
        let mut args = extra.to_vec();
        if !wants_token(extra, env) {
            args.push("--no-auth");
        }
        Self::spawn(dir, &args, env)
    }

    /// Starts peon as a user would: it makes a token and prints a login link.
    pub fn start_guarded(dir: &Path, extra: &[&str]) -> Peon {
        Self::spawn(dir, extra, &[])
    }

    fn spawn(dir: &Path, extra: &[&str], env: &[(String, String)]) -> Peon {
        let data_dir = dir.join("data");
        let mut child = Command::new(peon_bin())
            .arg("--data-dir")
            .arg(&data_dir)
            .args(["--port", "0"])
            .args(extra)
            .env("PEON_LOG", "warn")
            // Terminals run a shell that reads no rc file: a user's
            // .bashrc (a version manager's rehash, a slow prompt) must not
            // decide whether a test passes, nor be left locked by a shell
            // that ends with its test.
            .env("SHELL", "/bin/sh")
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn peon");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let deadline = Instant::now() + Duration::from_secs(30);
        let printed = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let url = loop {
            assert!(
                Instant::now() < deadline,
                "peon did not print its URL in time"
            );
            match lines.next() {
                Some(Ok(line)) => {
                    let url = line.split("running at ").nth(1).map(|rest| {
                        let url = rest.split_whitespace().next().unwrap_or_default();
                        url.trim_end_matches('/').to_string()
                    });
                    printed.lock().expect("printed").push(line);
                    if let Some(url) = url {
                        break url;
                    }
                }
                _ => panic!("peon exited before printing its URL"),
            }
        };
        // Keep reading, so peon never blocks on a full pipe and later
        // lines (the login link) can be looked at.
        let sink = printed.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                if let Ok(mut all) = sink.lock() {
                    all.push(line);
                }
            }
        });
        Peon {
            url,
            data_dir,
            child,
            printed,
        }
    }

    /// The first printed line containing `needle` (waits up to 10 s).
    pub fn printed_line(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(line) = self
                .printed
                .lock()
                .expect("printed")
                .iter()
                .find(|l| l.contains(needle))
            {
                return line.clone();
            }
            assert!(
                Instant::now() < deadline,
                "peon never printed a line with {needle:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The one-time login link peon printed at start.
    pub fn login_link(&self) -> String {
        let line = self.printed_line("log in at ");
        let rest = line.split("log in at ").nth(1).unwrap_or_default();
        rest.split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string()
    }

    /// The token peon made and keeps in its data folder.
    pub fn token(&self) -> String {
        std::fs::read_to_string(self.data_dir.join("auth-token"))
            .expect("the auth-token file")
            .trim()
            .to_string()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stops peon the way a user would (SIGTERM) and waits for it.
    pub fn stop(mut self) {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

impl Drop for Peon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `peon` with arguments to completion; returns (success, stdout+stderr).
pub fn run_peon(args: &[&str]) -> (bool, String) {
    let out = Command::new(peon_bin())
        .args(args)
        .output()
        .expect("run peon");
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// A client that shows redirects instead of following them.
pub fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

/// The whole `Set-Cookie` header that sets `peon_session`, if any.
pub fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.trim_start().starts_with("peon_session="))
        .map(str::to_string)
}

/// The status of `/api/snapshot` read with a `name=value` login cookie.
pub async fn snapshot_status(client: &reqwest::Client, url: &str, cookie: &str) -> u16 {
    client
        .post(format!("{url}/api/snapshot"))
        .header("cookie", cookie)
        .send()
        .await
        .expect("snapshot")
        .status()
        .as_u16()
}

/// A distinct UUID-shaped id per call within a test process.
pub fn new_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(1);
    let n = (N.fetch_add(1, Ordering::Relaxed) as u128) | ((std::process::id() as u128) << 64);
    let hex = format!("{n:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Sends a command to `/api/dispatch`.
pub async fn dispatch(
    client: &reqwest::Client,
    url: &str,
    command: serde_json::Value,
) -> reqwest::Response {
    client
        .post(format!("{url}/api/dispatch"))
        .json(&serde_json::json!({"envelope": {"command_id": new_id(), "command": command}}))
        .send()
        .await
        .expect("dispatch request")
}

/// One Server-Sent Events frame.
#[derive(Debug, Default, Clone)]
pub struct SseFrame {
    pub event: String,
    pub id: Option<u64>,
    pub data: String,
}

/// Splits complete frames off the front of `buffer`.
pub fn take_frames(buffer: &mut String) -> Vec<SseFrame> {
    let mut frames = Vec::new();
    while let Some(end) = buffer.find("\n\n") {
        let raw: String = buffer.drain(..end + 2).collect();
        let mut frame = SseFrame::default();
        for line in raw.lines() {
            if let Some(v) = line.strip_prefix("event:") {
                frame.event = v.trim().to_string();
            } else if let Some(v) = line.strip_prefix("id:") {
                frame.id = v.trim().parse().ok();
            } else if let Some(v) = line.strip_prefix("data:") {
                frame.data.push_str(v.trim_start());
            }
        }
        if !frame.event.is_empty() || frame.id.is_some() {
            frames.push(frame);
        }
    }
    frames
}

/// The server's snapshot (`/api/snapshot`) as JSON.
pub async fn snapshot(client: &reqwest::Client, url: &str) -> serde_json::Value {
    client
        .post(format!("{url}/api/snapshot"))
        .send()
        .await
        .expect("snapshot request")
        .json()
        .await
        .expect("snapshot JSON")
}
