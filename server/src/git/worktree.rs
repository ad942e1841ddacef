//! A git worktree per thread: a separate checkout of the project's
//! repository on its own branch, so threads can work side by side without
//! touching each other's files. Removal never discards uncommitted work
//! unless asked to; the branch (and every commit on it) is always kept.

use super::{GitError, open};
use std::path::{Path, PathBuf};

/// A worktree peon made for a thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Worktree {
    pub path: PathBuf,
    pub branch: String,
    /// The branch was made for this worktree (undoing it deletes it).
    pub created_branch: bool,
}

/// Creates a worktree of the repository at `project_root` in `path`, on
/// `branch` — a new branch from the project's current commit, or an
/// existing one that is not checked out anywhere else.
pub fn create(project_root: &Path, path: &Path, branch: &str) -> Result<Worktree, GitError> {
    if !git2::Branch::name_is_valid(branch)? {
        return Err(GitError::Invalid(format!(
            "\"{branch}\" is not a valid branch name"
        )));
    }
    let repo = open(project_root)?;
    if path.exists() {
        return Err(GitError::Invalid(format!(
            "cannot create a worktree at {}: something is already there",
            path.display()
        )));
    }
    let name = worktree_name(path)?;
    let checked_out = || {
        GitError::Invalid(format!(
            "branch {branch} is already checked out in another worktree; choose another branch"
        ))
    };
    let mut created_branch = false;
    let branch_ref = match repo.find_branch(branch, git2::BranchType::Local) {
        Ok(existing) if existing.is_head() || checked_out_in_a_worktree(&repo, branch) => {
            return Err(checked_out());
        }
        Ok(existing) => existing.into_reference(),
        Err(e) if e.code() == git2::ErrorCode::NotFound => {
            let head = repo.head().and_then(|h| h.peel_to_commit()).map_err(|_| {
                GitError::Invalid(format!(
                    "{} has no commit yet: make a first commit before starting a thread in a \
                     worktree",
                    project_root.display()
                ))
            })?;
            created_branch = true;
            repo.branch(branch, &head, false)?.into_reference()
        }
        Err(e) => return Err(e.into()),
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|source| GitError::Restore {
            path: parent.display().to_string(),
            source,
        })?;
    }
    let mut options = git2::WorktreeAddOptions::new();
    options.reference(Some(&branch_ref));
    repo.worktree(&name, path, Some(&options))
        .map_err(|e| match e.code() {
            git2::ErrorCode::Locked | git2::ErrorCode::Exists => checked_out(),
            _ => GitError::Git(e),
        })?;
    Ok(Worktree {
        path: path.to_path_buf(),
        branch: branch.to_string(),
        created_branch,
    })
}

/// Undoes `create` for a worktree nothing was recorded for: the folder
/// goes, and so does its branch when `create` made it (from the project's
/// commit, so it holds nothing of its own).
pub fn undo(project_root: &Path, made: &Worktree) -> Result<(), GitError> {
    remove(&made.path)?;
    if made.created_branch {
        let repo = open(project_root)?;
        repo.find_branch(&made.branch, git2::BranchType::Local)?
            .delete()?;
    }
    Ok(())
}

/// Whether one of the repository's linked worktrees has `branch` checked
/// out (git refuses a second checkout of it).
fn checked_out_in_a_worktree(repo: &git2::Repository, branch: &str) -> bool {
    let wanted = format!("refs/heads/{branch}");
    let Ok(names) = repo.worktrees() else {
        return false;
    };
    names.iter().flatten().any(|name| {
        repo.find_worktree(name)
            .and_then(|w| git2::Repository::open_from_worktree(&w))
            .and_then(|r| r.head().map(|h| h.name() == Some(wanted.as_str())))
            .unwrap_or(false)
    })
}

/// Files in the worktree at `path` that differ from its last commit:
/// changed, staged, deleted or untracked (ignored files do not count).
pub fn uncommitted(path: &Path) -> Result<Vec<String>, GitError> {
    let repo = open(path)?;
    let mut options = git2::StatusOptions::new();
    options
        .include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(false)
        .exclude_submodules(false);
    let statuses = repo.statuses(Some(&mut options))?;
    Ok(statuses
        .iter()
        .filter(|s| s.status() != git2::Status::CURRENT)
        .filter_map(|s| s.path().map(str::to_string))
        .collect())
}

/// Removes the worktree at `path`: its folder and git's record of it. The
/// branch stays. Callers check `uncommitted` first; this does not.
pub fn remove(path: &Path) -> Result<(), GitError> {
    let name = worktree_name(path)?;
    let repo = open(path)?;
    // The worktree's own repository points at the shared one, which holds
    // the record of every worktree.
    let main = git2::Repository::open(repo.commondir())?;
    let worktree = main.find_worktree(&name)?;
    let mut options = git2::WorktreePruneOptions::new();
    options.valid(true).working_tree(true).locked(false);
    worktree.prune(Some(&mut options))?;
    // libgit2 leaves the folder when it holds files git never tracked.
    if path.exists() {
        std::fs::remove_dir_all(path).map_err(|source| GitError::Restore {
            path: path.display().to_string(),
            source,
        })?;
    }
    Ok(())
}

/// Git's name for the worktree: its folder's name.
fn worktree_name(path: &Path) -> Result<String, GitError> {
    path.file_name()
        .and_then(|n| n.to_str())
        .map(str::to_string)
        .ok_or_else(|| GitError::Invalid(format!("{} cannot be a worktree folder", path.display())))
}
