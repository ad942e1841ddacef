//! Terminals: real shells on PTYs, several per thread, started in the
//! thread's folder. They outlive browser disconnects; their scrollback is
//! bounded, saved to the data folder (queries stripped) about once a
//! second, and shown again after a reconnect or a peon restart.

mod flow;
mod scrollback;
mod terminal;

pub use flow::{Flow, Pass};
pub use scrollback::{Ring, strip_queries};
pub use terminal::{Ended, Output, SOCKET_QUEUE, Terminal, TerminalError};

use peon_app::api::TerminalInfo;
use peon_app::contracts::ThreadId;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Scrollback kept per terminal.
pub const SCROLLBACK_BYTES: usize = 512 * 1024;
/// Terminals one thread may have open.
pub const MAX_PER_THREAD: usize = 8;
/// How often changed scrollback is written to disk.
const SAVE_EVERY: Duration = Duration::from_secs(1);
/// Size a terminal starts at, before the browser says its own.
const START_COLS: u16 = 100;
const START_ROWS: u16 = 30;

#[derive(Debug, thiserror::Error)]
pub enum TerminalsError {
    #[error("no terminal {0}")]
    Unknown(String),
    #[error("this thread already has {MAX_PER_THREAD} terminals, the most it may; close one first")]
    TooMany,
    #[error("the folder {0} does not exist, so no shell can start in it")]
    NoFolder(String),
    #[error(transparent)]
    Terminal(#[from] TerminalError),
}

/// What is saved of a terminal besides its scrollback.
#[derive(Debug, Serialize, Deserialize)]
struct Saved {
    id: uuid::Uuid,
    thread_id: ThreadId,
    cwd: PathBuf,
    title: String,
    #[serde(default)]
    opened: u64,
    exit_code: Option<i32>,
    exited: bool,
}

#[derive(Clone)]
pub struct Terminals {
    dir: PathBuf,
    open: Arc<Mutex<BTreeMap<uuid::Uuid, Arc<Terminal>>>>,
}

impl Terminals {
    /// Loads what an earlier run left in `dir` and starts saving changes.
    pub fn start(dir: PathBuf) -> Self {
        let terminals = Self {
            dir,
            open: Arc::default(),
        };
        terminals.load();
        let saver = terminals.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(SAVE_EVERY);
            loop {
                tick.tick().await;
                let saver = saver.clone();
                let _ = tokio::task::spawn_blocking(move || saver.save_changed()).await;
            }
        });
        terminals
    }

    fn map(&self) -> std::sync::MutexGuard<'_, BTreeMap<uuid::Uuid, Arc<Terminal>>> {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn get(&self, id: &str) -> Result<Arc<Terminal>, TerminalsError> {
        id.parse::<uuid::Uuid>()
            .ok()
            .and_then(|id| self.map().get(&id).cloned())
            .ok_or_else(|| TerminalsError::Unknown(id.to_string()))
    }

    /// The thread's terminals, oldest first.
    pub fn list(&self, thread: ThreadId) -> Vec<TerminalInfo> {
        let mut own: Vec<Arc<Terminal>> = self
            .map()
            .values()
            .filter(|t| t.thread_id == thread)
            .cloned()
            .collect();
        own.sort_by_key(|t| (t.opened, t.id));
        own.iter().map(|t| info(t)).collect()
    }

    /// Opens a new terminal for `thread` in `cwd`.
    pub fn open(&self, thread: ThreadId, cwd: &Path) -> Result<TerminalInfo, TerminalsError> {
        if !cwd.is_dir() {
            return Err(TerminalsError::NoFolder(cwd.display().to_string()));
        }
        let count = self
            .map()
            .values()
            .filter(|t| t.thread_id == thread)
            .count();
        if count >= MAX_PER_THREAD {
            return Err(TerminalsError::TooMany);
        }
        let id = uuid::Uuid::new_v4();
        let title = format!("Terminal {}", count + 1);
        let terminal = Arc::new(Terminal::new(
            id,
            thread,
            cwd.to_path_buf(),
            title,
            now_millis(),
            SCROLLBACK_BYTES,
        ));
        terminal.start(START_COLS, START_ROWS)?;
        self.map().insert(id, terminal.clone());
        self.save(&terminal);
        Ok(info(&terminal))
    }

    /// Starts a new shell in a terminal whose shell ended; the scrollback
    /// stays.
    pub fn restart(&self, id: &str) -> Result<TerminalInfo, TerminalsError> {
        let terminal = self.get(id)?;
        if terminal.running() {
            terminal.kill();
            // The new shell starts once the old one is gone.
            let deadline = std::time::Instant::now() + Duration::from_secs(3);
            while terminal.running() && std::time::Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        terminal.note("restarted");
        terminal.start(START_COLS, START_ROWS)?;
        Ok(info(&terminal))
    }

    /// Ends the terminal's shell and forgets the terminal.
    pub fn close(&self, id: &str) -> Result<(), TerminalsError> {
        let terminal = self.get(id)?;
        terminal.kill();
        self.map().remove(&terminal.id);
        let _ = std::fs::remove_file(self.meta_path(terminal.id));
        let _ = std::fs::remove_file(self.scrollback_path(terminal.id));
        Ok(())
    }

    /// Closes every terminal of a thread (it was deleted).
    pub fn close_thread(&self, thread: ThreadId) {
        let ids: Vec<String> = self
            .map()
            .values()
            .filter(|t| t.thread_id == thread)
            .map(|t| t.id.to_string())
            .collect();
        for id in ids {
            let _ = self.close(&id);
        }
    }

    fn meta_path(&self, id: uuid::Uuid) -> PathBuf {
        self.dir.join(format!("{id}.json"))
    }

    fn scrollback_path(&self, id: uuid::Uuid) -> PathBuf {
        self.dir.join(format!("{id}.scrollback"))
    }

    fn save_changed(&self) {
        let terminals: Vec<Arc<Terminal>> = self.map().values().cloned().collect();
        for terminal in terminals {
            self.save(&terminal);
        }
    }

    fn save(&self, terminal: &Terminal) {
        // Closed meanwhile: its files are gone and must stay gone.
        if !self.map().contains_key(&terminal.id) {
            return;
        }
        let Some((scrollback, ended)) = terminal.take_dirty().or_else(|| {
            (!self.meta_path(terminal.id).exists()).then(|| (Vec::new(), terminal.ended()))
        }) else {
            return;
        };
        let saved = Saved {
            id: terminal.id,
            thread_id: terminal.thread_id,
            cwd: terminal.cwd.clone(),
            title: terminal.title.clone(),
            opened: terminal.opened,
            exit_code: match ended {
                Some(Ended::Exited(code)) => code,
                _ => None,
            },
            exited: matches!(ended, Some(Ended::Exited(_))),
        };
        let written = private_dir(&self.dir)
            .and_then(|()| write_atomically(&self.scrollback_path(terminal.id), &scrollback))
            .and_then(|()| {
                let json = serde_json::to_vec(&saved).map_err(std::io::Error::other)?;
                write_atomically(&self.meta_path(terminal.id), &json)
            });
        if let Err(e) = written {
            tracing::warn!("could not save terminal {}: {e}", terminal.id);
        }
    }

    fn load(&self) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let Some(saved) = std::fs::read(&path)
                .ok()
                .and_then(|b| serde_json::from_slice::<Saved>(&b).ok())
            else {
                continue;
            };
            let scrollback = std::fs::read(self.scrollback_path(saved.id)).unwrap_or_default();
            let terminal = Terminal::new(
                saved.id,
                saved.thread_id,
                saved.cwd,
                saved.title,
                saved.opened,
                SCROLLBACK_BYTES,
            );
            let ended = if saved.exited {
                Ended::Exited(saved.exit_code)
            } else {
                Ended::PeonStopped
            };
            terminal.restore(&scrollback, ended);
            self.map().insert(saved.id, Arc::new(terminal));
        }
    }
}

fn info(terminal: &Terminal) -> TerminalInfo {
    let ended = terminal.ended();
    TerminalInfo {
        id: terminal.id.to_string(),
        thread_id: terminal.thread_id,
        title: terminal.title.clone(),
        cwd: terminal.cwd.display().to_string(),
        running: ended.is_none(),
        exit_code: match ended {
            Some(Ended::Exited(code)) => code,
            _ => None,
        },
        ended: ended.map(|e| match e {
            Ended::Exited(Some(code)) => format!("exited with code {code}"),
            Ended::Exited(None) => "ended by a signal".to_string(),
            Ended::PeonStopped => "ended when peon stopped".to_string(),
        }),
    }
}

/// Unix milliseconds, strictly increasing within this process so two
/// terminals opened at once still have an order.
fn now_millis() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static LAST: AtomicU64 = AtomicU64::new(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let previous = LAST
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |last| {
            Some(now.max(last + 1))
        })
        .unwrap_or(now);
    now.max(previous + 1)
}

/// The folder, readable by its owner only: scrollback can hold secrets.
fn private_dir(dir: &Path) -> std::io::Result<()> {
    crate::private::folder(dir).map(|_| ())
}

/// Writes via a temporary file and a rename, so a crash never leaves half
/// a file.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    crate::private::write(&tmp, bytes)?;
    std::fs::rename(tmp, path)
}
