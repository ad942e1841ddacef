//! Capturing the working tree as a commit object, from an in-memory index.

use super::{GitError, checkpoint_ref, open};
use peon_app::contracts::ThreadId;
use std::path::Path;

/// What a capture leaves out so it never slows a turn.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Untracked files larger than this are skipped.
    pub max_file_bytes: u64,
    /// Untracked folders holding more files than this are skipped whole
    /// (a forgotten `node_modules` or data dump).
    pub max_dir_files: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_file_bytes: 20 * 1024 * 1024,
            max_dir_files: 10_000,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Capture {
    pub git_ref: String,
    pub commit: String,
    /// Untracked files left out for their size, relative to the folder.
    pub skipped: Vec<String>,
}

/// Captures `workdir` (tracked and untracked files, not ignored ones) as the
/// checkpoint of `thread` after `turn_count` turns.
pub fn capture(
    workdir: &Path,
    thread: ThreadId,
    turn_count: u32,
    limits: &Limits,
) -> Result<Capture, GitError> {
    let repo = open(workdir)?;
    let (tree, skipped) = snapshot_tree(&repo, limits)?;
    let tree = repo.find_tree(tree)?;
    let signature = git2::Signature::now("peon", "peon@localhost")?;
    let parent = repo
        .find_reference(&checkpoint_ref(thread, turn_count.saturating_sub(1)))
        .ok()
        .filter(|_| turn_count > 0)
        .and_then(|r| r.peel_to_commit().ok());
    let parents: Vec<&git2::Commit> = parent.iter().collect();
    let message = format!("peon checkpoint: thread {thread}, turn {turn_count}");
    // No ref is moved by the commit itself: it is only an object.
    let commit = repo.commit(None, &signature, &signature, &message, &tree, &parents)?;
    let git_ref = checkpoint_ref(thread, turn_count);
    repo.reference(&git_ref, commit, true, &message)?;
    Ok(Capture {
        git_ref,
        commit: commit.to_string(),
        skipped,
    })
}

/// The working tree as a tree object. The repository's index is read into
/// memory and changed there only: it is never written back.
pub(super) fn snapshot_tree(
    repo: &git2::Repository,
    limits: &Limits,
) -> Result<(git2::Oid, Vec<String>), GitError> {
    let mut index = repo.index()?;
    let workdir = repo
        .workdir()
        .ok_or_else(|| GitError::Bare(repo.path().display().to_string()))?
        .to_path_buf();
    let tracked: std::collections::HashSet<Vec<u8>> =
        index.iter().map(|entry| entry.path).collect();
    let big_dirs = huge_untracked_dirs(repo, &workdir, limits.max_dir_files)?;
    let mut skipped: Vec<String> = big_dirs.clone();
    {
        let mut filter = |path: &Path, _spec: &[u8]| -> i32 {
            let shown = path.display().to_string();
            if big_dirs.iter().any(|d| shown.starts_with(d.as_str())) {
                return 1;
            }
            let tracked = tracked.contains(path.as_os_str().as_encoded_bytes());
            let size = std::fs::symlink_metadata(workdir.join(path))
                .map(|m| m.len())
                .unwrap_or(0);
            if !tracked && size > limits.max_file_bytes {
                skipped.push(path.display().to_string());
                1
            } else {
                0
            }
        };
        index.add_all(["*"], git2::IndexAddOption::DEFAULT, Some(&mut filter))?;
    }
    // Tracked files deleted from the folder leave the snapshot too.
    index.update_all(["*"], None)?;
    let tree = index.write_tree()?;
    Ok((tree, skipped))
}

/// Untracked folders (as `dir/`) holding more than `max` files.
fn huge_untracked_dirs(
    repo: &git2::Repository,
    workdir: &Path,
    max: usize,
) -> Result<Vec<String>, GitError> {
    let mut options = git2::StatusOptions::new();
    options
        .include_untracked(true)
        .recurse_untracked_dirs(false)
        .include_ignored(false);
    let statuses = repo.statuses(Some(&mut options))?;
    let mut huge = Vec::new();
    for entry in statuses.iter() {
        let Some(path) = entry.path() else { continue };
        if entry.status().is_wt_new()
            && path.ends_with('/')
            && more_files_than(&workdir.join(path), max)
        {
            huge.push(path.to_string());
        }
    }
    Ok(huge)
}

/// Whether `dir` holds more than `max` files, counting no further than that.
fn more_files_than(dir: &Path, max: usize) -> bool {
    let mut count = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            match entry.file_type() {
                Ok(t) if t.is_dir() => stack.push(entry.path()),
                Ok(_) => {
                    count += 1;
                    if count > max {
                        return true;
                    }
                }
                Err(_) => {}
            }
        }
    }
    false
}
