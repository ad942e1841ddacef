//! The change between two checkpoints: per-file stats and a unified patch.

use super::{GitError, open, tree_of};
use peon_app::contracts::git::FileDiff;
use peon_app::contracts::{FileChangeKind, FileStat, ThreadId};
use std::path::Path;

/// The change between two checkpoints, file by file.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckpointDiff {
    pub files: Vec<FileDiff>,
}

impl CheckpointDiff {
    pub fn stats(&self) -> Vec<FileStat> {
        self.files.iter().map(|f| f.stat.clone()).collect()
    }
}

/// From checkpoint `from` to checkpoint `to` of a thread (a turn's own
/// change is `n - 1 → n`; the whole thread's is `0 → n`).
pub fn diff(
    workdir: &Path,
    thread: ThreadId,
    from: u32,
    to: u32,
) -> Result<CheckpointDiff, GitError> {
    let repo = open(workdir)?;
    let old = tree_of(&repo, thread, from)?;
    let new = tree_of(&repo, thread, to)?;
    trees(&repo, &old, &new)
}

/// The commits two checkpoints point at: a diff between them never changes,
/// so they key a cache.
pub fn commits(
    workdir: &Path,
    thread: ThreadId,
    from: u32,
    to: u32,
) -> Result<(String, String), GitError> {
    let repo = open(workdir)?;
    let id = |n: u32| -> Result<String, GitError> {
        Ok(repo
            .find_reference(&super::checkpoint_ref(thread, n))
            .map_err(|_| GitError::NoCheckpoint { turn_count: n })?
            .peel_to_commit()?
            .id()
            .to_string())
    };
    Ok((id(from)?, id(to)?))
}

pub(super) fn trees(
    repo: &git2::Repository,
    old: &git2::Tree,
    new: &git2::Tree,
) -> Result<CheckpointDiff, GitError> {
    let mut options = git2::DiffOptions::new();
    options.include_typechange(true);
    let mut diff = repo.diff_tree_to_tree(Some(old), Some(new), Some(&mut options))?;
    let mut find = git2::DiffFindOptions::new();
    find.renames(true);
    diff.find_similar(Some(&mut find))?;
    let files = (0..diff.deltas().len())
        .map(|index| {
            let (stat, patch, binary) = file_change(&diff, index, true)?;
            Ok(FileDiff {
                stat,
                patch,
                binary,
            })
        })
        .collect::<Result<Vec<_>, GitError>>()?;
    Ok(CheckpointDiff { files })
}

/// The `index`th file of `diff`: its stat, its patch (when asked for) and
/// whether it is binary.
pub(super) fn file_change(
    diff: &git2::Diff,
    index: usize,
    with_patch: bool,
) -> Result<(FileStat, String, bool), GitError> {
    let delta = diff
        .get_delta(index)
        .ok_or_else(|| GitError::Invalid(format!("no change number {index}")))?;
    let kind = match delta.status() {
        git2::Delta::Added | git2::Delta::Copied | git2::Delta::Untracked => FileChangeKind::Added,
        git2::Delta::Deleted => FileChangeKind::Deleted,
        git2::Delta::Renamed => FileChangeKind::Renamed,
        _ => FileChangeKind::Modified,
    };
    let path = delta
        .new_file()
        .path()
        .or_else(|| delta.old_file().path())
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let binary = delta.flags().is_binary();
    let (additions, deletions, patch) = match git2::Patch::from_diff(diff, index)? {
        Some(mut patch) => {
            let (_, add, del) = patch.line_stats()?;
            let text = if with_patch {
                String::from_utf8_lossy(&patch.to_buf()?).into_owned()
            } else {
                String::new()
            };
            (add as u32, del as u32, text)
        }
        None => (0, 0, String::new()),
    };
    let stat = FileStat {
        path,
        kind,
        additions,
        deletions,
    };
    Ok((stat, patch, binary))
}
