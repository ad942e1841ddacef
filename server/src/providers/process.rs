//! A child process spoken to in newline-delimited JSON over stdio.

use super::agent::{AgentError, RuntimeEvent, RuntimeSender};
use super::replies::Replies;
use std::collections::VecDeque;
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

/// Lines of stderr kept to explain an unexpected exit.
const STDERR_TAIL: usize = 20;
/// A single stdout line larger than this is dropped, not buffered forever.
const MAX_LINE: usize = 16 * 1024 * 1024;

/// A handle on the process; clones share it (the reader task explains an
/// exit, the owner kills it).
#[derive(Clone)]
pub struct AgentProcess {
    agent: &'static str,
    child: Arc<tokio::sync::Mutex<Child>>,
    stdin: mpsc::UnboundedSender<String>,
    stderr: Arc<Mutex<VecDeque<String>>>,
    /// Turns true once stderr has been read to its end.
    stderr_done: tokio::sync::watch::Receiver<bool>,
    /// Set when peon ends it, so the exit is not reported as a failure.
    stopping: Arc<AtomicBool>,
}

impl AgentProcess {
    /// Starts `binary args…` in `cwd`; every stdout line arrives on the
    /// returned receiver, which closes when stdout does.
    pub fn spawn(
        agent: &'static str,
        binary: &Path,
        args: &[&str],
        cwd: &Path,
    ) -> Result<(Self, mpsc::UnboundedReceiver<String>), AgentError> {
        let mut command = Command::new(binary);
        // Its own process group, so stopping it also stops what it started
        // (npm wrappers, shells running the agent's commands).
        #[cfg(unix)]
        command.process_group(0);
        let mut child = command
            .args(args)
            .current_dir(cwd)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|source| AgentError::Spawn { agent, source })?;
        let gone = || AgentError::Gone { agent };
        let mut stdin = child.stdin.take().ok_or_else(gone)?;
        let stdout = child.stdout.take().ok_or_else(gone)?;
        let stderr = child.stderr.take().ok_or_else(gone)?;

        let (lines_tx, lines) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut reader = BufReader::new(stdout);
            let mut buf = Vec::new();
            loop {
                buf.clear();
                match reader.read_until(b'\n', &mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) if buf.len() > MAX_LINE => {
                        tracing::warn!(agent, "dropped an oversized line from the agent");
                    }
                    Ok(_) => {
                        let line = String::from_utf8_lossy(&buf).trim().to_string();
                        if !line.is_empty() && lines_tx.send(line).is_err() {
                            break;
                        }
                    }
                }
            }
        });

        let tail = Arc::new(Mutex::new(VecDeque::new()));
        let tail_w = tail.clone();
        let (done_tx, stderr_done) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                tracing::debug!(agent, "stderr: {line}");
                if let Ok(mut t) = tail_w.lock() {
                    if t.len() == STDERR_TAIL {
                        t.pop_front();
                    }
                    t.push_back(line);
                }
            }
            let _ = done_tx.send(true);
        });

        let (stdin_tx, mut stdin_rx) = mpsc::unbounded_channel::<String>();
        tokio::spawn(async move {
            while let Some(mut line) = stdin_rx.recv().await {
                line.push('\n');
                if stdin.write_all(line.as_bytes()).await.is_err() || stdin.flush().await.is_err() {
                    break;
                }
            }
        });

        Ok((
            Self {
                agent,
                child: Arc::new(tokio::sync::Mutex::new(child)),
                stdin: stdin_tx,
                stderr: tail,
                stderr_done,
                stopping: Arc::new(AtomicBool::new(false)),
            },
            lines,
        ))
    }

    pub fn send(&self, message: &serde_json::Value) -> Result<(), AgentError> {
        self.stdin
            .send(message.to_string())
            .map_err(|_| AgentError::Gone { agent: self.agent })
    }

    /// Whether the process has ended (waiting briefly for it to).
    pub async fn has_exited(&self) -> bool {
        let wait = async { self.child.lock().await.wait().await.is_ok() };
        tokio::time::timeout(std::time::Duration::from_secs(2), wait)
            .await
            .unwrap_or(false)
    }

    /// Explains a failed start: how the process ended, if it did.
    pub async fn explain(&self, error: AgentError) -> AgentError {
        if self.has_exited().await {
            AgentError::Exited {
                reason: self.exit_reason().await,
            }
        } else {
            error
        }
    }

    /// A one-line explanation of why the process ended.
    pub async fn exit_reason(&self) -> String {
        let mut child = self.child.lock().await;
        let status = tokio::time::timeout(std::time::Duration::from_secs(2), child.wait())
            .await
            .ok()
            .and_then(|r| r.ok());
        // Its last words may still be in the pipe.
        let mut done = self.stderr_done.clone();
        let _ =
            tokio::time::timeout(std::time::Duration::from_secs(1), done.wait_for(|d| *d)).await;
        let stderr: Vec<String> = self
            .stderr
            .lock()
            .map(|t| t.iter().rev().take(3).rev().cloned().collect())
            .unwrap_or_default();
        let status = match status {
            Some(s) => describe_status(s),
            None => "its output closed".to_string(),
        };
        if stderr.is_empty() {
            format!("{} exited unexpectedly ({status})", self.agent)
        } else {
            format!(
                "{} exited unexpectedly ({status}): {}",
                self.agent,
                stderr.join(" / ")
            )
        }
    }

    /// Ends it on purpose: no failure is reported for it.
    pub async fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        self.kill().await;
    }

    /// Once its output has closed: fails what still waits for an answer and
    /// reports the exit (with why, unless peon stopped it).
    pub async fn report_exit(&self, replies: &Replies, events: &RuntimeSender) {
        replies.fail_all();
        let error = if self.stopping.load(Ordering::SeqCst) {
            None
        } else {
            Some(self.exit_reason().await)
        };
        let _ = events.send(RuntimeEvent::Exited { error }).await;
    }

    async fn kill(&self) {
        let mut child = self.child.lock().await;
        #[cfg(unix)]
        if let Some(pid) = child.id() {
            // SAFETY: plain syscall on the group this process leads.
            unsafe {
                libc::killpg(pid as libc::pid_t, libc::SIGKILL);
            }
        }
        let _ = child.start_kill();
        let _ = tokio::time::timeout(std::time::Duration::from_secs(2), child.wait()).await;
    }
}

fn describe_status(status: std::process::ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return format!("killed by signal {signal}");
        }
    }
    match status.code() {
        Some(code) => format!("exit code {code}"),
        None => "no exit code".to_string(),
    }
}
