//! What the git panel and the diff viewer exchange with the server: plain
//! data, shared by the server's git code and the browser.

use super::types::FileStat;
use serde::{Deserialize, Serialize};

/// The git panel's view of a thread's folder.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GitStatus {
    /// False when the folder is not a git repository (checkpoints are off).
    pub repository: bool,
    pub folder: String,
    pub branch: Option<String>,
    pub detached: bool,
    pub upstream: Option<String>,
    pub ahead: usize,
    pub behind: usize,
    /// Files that differ from HEAD, untracked ones included.
    pub files: Vec<FileStat>,
    pub branches: Vec<String>,
    /// What `git push` or `gh` printed, after one of them.
    #[serde(default)]
    pub said: Option<String>,
    /// Entries git ignores (folders end with `/`, not listed inside), after
    /// `StatusWithIgnored`; empty otherwise.
    #[serde(default)]
    pub ignored: Vec<String>,
}

/// What the git panel asks of a thread's folder.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum GitAction {
    Status,
    /// Status with `ignored` filled: what deleting a worktree would also
    /// remove (asked before a delete; the walk costs too much for every
    /// status).
    StatusWithIgnored,
    Init,
    CreateBranch {
        name: String,
    },
    Checkout {
        name: String,
    },
    Commit {
        paths: Vec<String>,
        message: String,
    },
    Push,
    PullRequest,
}

/// One file's change between two checkpoints.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FileDiff {
    pub stat: FileStat,
    /// Its unified patch (headers and hunks); empty for binary files.
    pub patch: String,
    pub binary: bool,
}

/// The change from checkpoint `from` to checkpoint `to` of a thread.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DiffResponse {
    pub from: u32,
    pub to: u32,
    pub files: Vec<FileDiff>,
}
