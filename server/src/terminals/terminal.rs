//! One terminal: a shell on a PTY, the reader that fans its output out to
//! attached sockets without ever waiting for them, and its scrollback.

use super::scrollback::Ring;
use portable_pty::{CommandBuilder, MasterPty, PtySize, native_pty_system};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc::{SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::mpsc;

/// Output chunks queued per attached socket; a socket further behind is
/// cut off (it reconnects and gets the scrollback) rather than letting the
/// queue, or the shell, wait for it.
pub const SOCKET_QUEUE: usize = 256;
const READ_CHUNK: usize = 16 * 1024;
/// Keystroke messages waiting for a shell that does not read them; beyond
/// this, typing is refused rather than queued without end.
const INPUT_QUEUE: usize = 256;
/// How long a shell and its jobs get to end on SIGHUP before SIGKILL.
const HANGUP_GRACE: Duration = Duration::from_millis(300);

#[derive(Debug, thiserror::Error)]
pub enum TerminalError {
    #[error("cannot start a shell: {0}")]
    Spawn(String),
    #[error("the terminal's shell has exited; restart it first")]
    NotRunning,
    #[error("the shell is not reading its input; wait, or press Ctrl+C")]
    InputBackedUp,
    #[error("cannot write to the terminal: {0}")]
    Io(#[from] std::io::Error),
}

/// What an attached socket receives.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    Bytes(Vec<u8>),
    /// The shell ended, with its exit code when it had one.
    Exited(Option<i32>),
}

/// How the shell ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Ended {
    Exited(Option<i32>),
    /// Its peon stopped: only the scrollback is left.
    PeonStopped,
}

pub struct Terminal {
    pub id: uuid::Uuid,
    pub thread_id: peon_app::contracts::ThreadId,
    pub cwd: PathBuf,
    pub title: String,
    /// When it was opened (Unix milliseconds): the order of the tabs.
    pub opened: u64,
    state: Mutex<State>,
    /// Locks are taken one at a time, never one inside the other, and never
    /// across a blocking call.
    pty: Mutex<Option<Pty>>,
    /// The running shell's pid (0: none), readable without a lock.
    pid: AtomicU32,
    /// Held while a shell starts, so two restarts cannot race.
    starting: Mutex<()>,
}

struct State {
    ring: Ring,
    subscribers: Vec<mpsc::Sender<Output>>,
    ended: Option<Ended>,
    /// Changed since the scrollback was last saved.
    dirty: bool,
    /// Bumped on each (re)start, so a stale reader cannot end a new shell.
    generation: u64,
}

struct Pty {
    master: Box<dyn MasterPty + Send>,
    /// To the writer thread, which alone may block on the shell's input.
    input: SyncSender<Vec<u8>>,
    generation: u64,
}

impl Terminal {
    pub fn new(
        id: uuid::Uuid,
        thread_id: peon_app::contracts::ThreadId,
        cwd: PathBuf,
        title: String,
        opened: u64,
        scrollback: usize,
    ) -> Self {
        Self {
            id,
            thread_id,
            cwd,
            title,
            opened,
            state: Mutex::new(State {
                ring: Ring::new(scrollback),
                subscribers: Vec::new(),
                ended: None,
                dirty: false,
                generation: 0,
            }),
            pty: Mutex::new(None),
            pid: AtomicU32::new(0),
            starting: Mutex::new(()),
        }
    }

    fn pty(&self) -> MutexGuard<'_, Option<Pty>> {
        self.pty.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts the user's shell in the terminal's folder.
    pub fn start(self: &Arc<Self>, cols: u16, rows: u16) -> Result<(), TerminalError> {
        let _one_at_a_time = self.starting.lock().unwrap_or_else(|e| e.into_inner());
        if self.running() {
            return Ok(());
        }
        let pair = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .map_err(|e| TerminalError::Spawn(e.to_string()))?;
        let mut command = CommandBuilder::new(shell());
        command.cwd(&self.cwd);
        command.env("TERM", "xterm-256color");
        command.env("COLORTERM", "truecolor");
        let mut child = pair
            .slave
            .spawn_command(command)
            .map_err(|e| TerminalError::Spawn(e.to_string()))?;
        drop(pair.slave);
        let reader = pair
            .master
            .try_clone_reader()
            .map_err(|e| TerminalError::Spawn(e.to_string()))?;
        let mut writer = pair
            .master
            .take_writer()
            .map_err(|e| TerminalError::Spawn(e.to_string()))?;
        let (input, keystrokes) = sync_channel::<Vec<u8>>(INPUT_QUEUE);
        std::thread::Builder::new()
            .name("peon-terminal-write".into())
            .spawn(move || {
                for bytes in keystrokes {
                    if writer
                        .write_all(&bytes)
                        .and_then(|()| writer.flush())
                        .is_err()
                    {
                        return;
                    }
                }
            })
            .map_err(|e| TerminalError::Spawn(e.to_string()))?;
        let generation = {
            let mut state = self.state();
            state.ended = None;
            state.generation += 1;
            state.generation
        };
        self.pid
            .store(child.process_id().unwrap_or(0), Ordering::SeqCst);
        *self.pty() = Some(Pty {
            master: pair.master,
            input,
            generation,
        });
        let me = self.clone();
        std::thread::Builder::new()
            .name("peon-terminal-read".into())
            .spawn(move || me.read_loop(reader))
            .map_err(|e| TerminalError::Spawn(e.to_string()))?;
        let me = self.clone();
        std::thread::Builder::new()
            .name("peon-terminal-wait".into())
            .spawn(move || {
                let code = child.wait().ok().map(|s| s.exit_code() as i32);
                me.exited(generation, code);
            })
            .map_err(|e| TerminalError::Spawn(e.to_string()))?;
        Ok(())
    }

    fn read_loop(&self, mut reader: Box<dyn Read + Send>) {
        let mut buffer = vec![0u8; READ_CHUNK];
        loop {
            match reader.read(&mut buffer) {
                Ok(0) | Err(_) => return,
                Ok(n) => self.output(&buffer[..n]),
            }
        }
    }

    /// Keeps `chunk` and hands it to every socket that keeps up; the others
    /// are dropped (their socket ends and they reattach).
    fn output(&self, chunk: &[u8]) {
        let mut state = self.state();
        state.ring.push(chunk);
        state.dirty = true;
        state
            .subscribers
            .retain(|s| s.try_send(Output::Bytes(chunk.to_vec())).is_ok());
    }

    fn exited(&self, generation: u64, code: Option<i32>) {
        {
            let mut pty = self.pty();
            if pty.as_ref().is_some_and(|p| p.generation == generation) {
                *pty = None;
                self.pid.store(0, Ordering::SeqCst);
            }
        }
        let mut state = self.state();
        if state.generation != generation {
            return;
        }
        state.ended = Some(Ended::Exited(code));
        state.dirty = true;
        for s in state.subscribers.drain(..) {
            let _ = s.try_send(Output::Exited(code));
        }
    }

    /// The scrollback to show first, how the shell ended (if it did), and
    /// the output from then on — taken together, so nothing falls between.
    pub fn attach(&self) -> (Vec<u8>, Option<Ended>, mpsc::Receiver<Output>) {
        let (tx, rx) = mpsc::channel(SOCKET_QUEUE);
        let mut state = self.state();
        let replay = state.ring.replay();
        let ended = state.ended.clone();
        if ended.is_none() {
            state.subscribers.push(tx);
        }
        (replay, ended, rx)
    }

    /// Types `bytes` into the shell; never blocks (the writer thread does).
    pub fn input(&self, bytes: &[u8]) -> Result<(), TerminalError> {
        let pty = self.pty();
        let pty = pty.as_ref().ok_or(TerminalError::NotRunning)?;
        match pty.input.try_send(bytes.to_vec()) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(_)) => Err(TerminalError::InputBackedUp),
            Err(TrySendError::Disconnected(_)) => Err(TerminalError::NotRunning),
        }
    }

    pub fn resize(&self, cols: u16, rows: u16) -> Result<(), TerminalError> {
        let pty = self.pty();
        let pty = pty.as_ref().ok_or(TerminalError::NotRunning)?;
        pty.master
            .resize(PtySize {
                rows: rows.max(1),
                cols: cols.max(1),
                pixel_width: 0,
                pixel_height: 0,
            })
            .map_err(|e| TerminalError::Io(std::io::Error::other(e.to_string())))
    }

    /// Ends the shell and everything it started in its session (its jobs
    /// included): SIGHUP, a moment to finish, then SIGKILL.
    pub fn kill(&self) {
        let pid = self.pid.load(Ordering::SeqCst);
        if pid == 0 {
            return;
        }
        let members = session_members(pid);
        signal_all(&members, libc::SIGHUP);
        std::thread::spawn(move || {
            std::thread::sleep(HANGUP_GRACE);
            signal_all(&session_members(pid), libc::SIGKILL);
        });
    }

    pub fn running(&self) -> bool {
        self.pid.load(Ordering::SeqCst) != 0 && self.state().ended.is_none()
    }

    pub fn ended(&self) -> Option<Ended> {
        self.state().ended.clone()
    }

    /// Marks a terminal restored from disk: its shell went with the peon
    /// that ran it.
    pub fn restore(&self, scrollback: &[u8], ended: Ended) {
        let mut state = self.state();
        state.ring.push(scrollback);
        state.ended = Some(ended);
    }

    /// Appends a line of peon's own to the scrollback (and live sockets).
    pub fn note(&self, text: &str) {
        self.output(format!("\r\n\x1b[2m[peon] {text}\x1b[0m\r\n").as_bytes());
    }

    /// The scrollback if it changed since the last call.
    pub fn take_dirty(&self) -> Option<(Vec<u8>, Option<Ended>)> {
        let mut state = self.state();
        if !state.dirty {
            return None;
        }
        state.dirty = false;
        Some((state.ring.replay(), state.ended.clone()))
    }

    /// Bytes held in the scrollback.
    pub fn scrollback_len(&self) -> usize {
        self.state().ring.len()
    }
}

/// `$SHELL`, else bash, else sh.
fn shell() -> String {
    std::env::var("SHELL")
        .ok()
        .filter(|s| !s.is_empty() && std::path::Path::new(s).exists())
        .unwrap_or_else(|| {
            if std::path::Path::new("/bin/bash").exists() {
                "/bin/bash".into()
            } else {
                "/bin/sh".into()
            }
        })
}

/// Processes in the session led by `sid` (the shell leads its own on the
/// PTY), the leader first.
fn session_members(sid: u32) -> Vec<i32> {
    let mut members = vec![sid as i32];
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return members;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        // Field 6 of /proc/PID/stat, after the parenthesised name.
        let session = std::fs::read_to_string(entry.path().join("stat"))
            .ok()
            .and_then(|stat| {
                let rest = stat.rsplit_once(')')?.1.to_string();
                rest.split_whitespace().nth(3)?.parse::<u32>().ok()
            });
        if session == Some(sid) && pid != sid as i32 {
            members.push(pid);
        }
    }
    members
}

fn signal_all(pids: &[i32], signal: i32) {
    for &pid in pids {
        // A pid that has already gone is fine.
        unsafe {
            libc::kill(pid, signal);
        }
    }
}
