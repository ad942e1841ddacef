//! Git checkpoints: the whole working tree of a thread's folder captured as
//! commit objects under hidden refs, diffs between them, and reverting the
//! folder to one of them. Nothing here touches the user's index, HEAD,
//! branch, stash or any file it was not asked to restore.

mod capture;
mod diff;
mod diffs;
pub mod recorder;
mod remote;
mod revert;
mod status;
pub mod worktree;

pub use capture::{Capture, Limits, capture};
pub use diff::{CheckpointDiff, commits, diff};
pub use diffs::{DiffError, Diffs};
pub use revert::revert;
pub use status::{run, status};

use peon_app::contracts::ThreadId;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error(
        "{0} is not a git repository, so peon cannot take checkpoints there; run `git init` in it to turn them on"
    )]
    NotARepository(String),
    #[error("{0} is a bare repository: there is no working tree to checkpoint")]
    Bare(String),
    #[error("no checkpoint {turn_count} for this thread")]
    NoCheckpoint { turn_count: u32 },
    #[error("git: {0}")]
    Git(#[from] git2::Error),
    /// A request that cannot be carried out as asked; the message says why.
    #[error("{0}")]
    Invalid(String),
    #[error("cannot restore {path}: {source}")]
    Restore {
        path: String,
        source: std::io::Error,
    },
}

/// The hidden ref of a thread's checkpoint after `turn_count` turns (0 is
/// the baseline before the first).
pub fn checkpoint_ref(thread: ThreadId, turn_count: u32) -> String {
    format!("{}{turn_count}", thread_refs(thread))
}

/// The prefix of all of a thread's checkpoint refs.
pub fn thread_refs(thread: ThreadId) -> String {
    format!("refs/peon/checkpoints/{thread}/")
}

/// Opens the repository whose working tree is exactly `workdir`.
fn open(workdir: &Path) -> Result<git2::Repository, GitError> {
    let shown = || workdir.display().to_string();
    let repo = git2::Repository::open(workdir).map_err(|e| match e.code() {
        git2::ErrorCode::NotFound => GitError::NotARepository(shown()),
        _ => GitError::Git(e),
    })?;
    if repo.is_bare() {
        return Err(GitError::Bare(shown()));
    }
    Ok(repo)
}

fn tree_of<'r>(
    repo: &'r git2::Repository,
    thread: ThreadId,
    turn_count: u32,
) -> Result<git2::Tree<'r>, GitError> {
    let reference = repo
        .find_reference(&checkpoint_ref(thread, turn_count))
        .map_err(|_| GitError::NoCheckpoint { turn_count })?;
    Ok(reference.peel_to_tree()?)
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod worktree_tests;
