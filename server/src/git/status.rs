//! The git panel's operations on a thread's folder: status, `git init`,
//! branches, and committing chosen files. Unlike checkpoints these act on
//! the user's repository, because the user asked them to.

use super::{GitError, open};
use peon_app::contracts::FileStat;
use peon_app::contracts::git::{GitAction, GitStatus};
use std::path::Path;

/// Carries out `action` in `workdir` and returns the status after it.
pub fn run(workdir: &Path, action: &GitAction) -> Result<GitStatus, GitError> {
    match action {
        GitAction::Status => {}
        GitAction::StatusWithIgnored => {
            let ignored = ignored(workdir)?;
            return status(workdir).map(|s| GitStatus { ignored, ..s });
        }
        GitAction::Init => {
            if open(workdir).is_err() {
                git2::Repository::init(workdir)?;
            }
        }
        GitAction::CreateBranch { name } => create_branch(workdir, name)?,
        GitAction::Checkout { name } => checkout(workdir, name)?,
        GitAction::Commit { paths, message } => commit(workdir, paths, message)?,
        GitAction::Push => {
            let said = super::remote::push(workdir)?;
            return status(workdir).map(|s| GitStatus {
                said: Some(said),
                ..s
            });
        }
        GitAction::PullRequest => {
            let said = super::remote::pull_request(workdir)?;
            return status(workdir).map(|s| GitStatus {
                said: Some(said),
                ..s
            });
        }
    }
    status(workdir)
}

pub fn status(workdir: &Path) -> Result<GitStatus, GitError> {
    let folder = workdir.display().to_string();
    let repo = match open(workdir) {
        Ok(repo) => repo,
        Err(GitError::NotARepository(_)) => {
            return Ok(GitStatus {
                repository: false,
                folder,
                ..GitStatus::default()
            });
        }
        Err(e) => return Err(e),
    };
    let head = repo.head().ok();
    let branch = head
        .as_ref()
        .filter(|h| h.is_branch())
        .and_then(|h| h.shorthand().map(str::to_string))
        .or_else(|| unborn_branch(&repo));
    let detached = repo.head_detached().unwrap_or(false);
    let (mut upstream, mut ahead, mut behind) = (None, 0, 0);
    if let Some(name) = branch.as_deref()
        && let Ok(local) = repo.find_branch(name, git2::BranchType::Local)
        && let Ok(up) = local.upstream()
    {
        upstream = up.name().ok().flatten().map(str::to_string);
        if let (Some(l), Some(u)) = (local.get().target(), up.get().target()) {
            (ahead, behind) = repo.graph_ahead_behind(l, u)?;
        }
    }
    let mut branches: Vec<String> = repo
        .branches(Some(git2::BranchType::Local))?
        .filter_map(|b| {
            b.ok()
                .and_then(|(b, _)| b.name().ok().flatten().map(str::to_string))
        })
        .collect();
    branches.sort();
    Ok(GitStatus {
        repository: true,
        folder,
        branch,
        detached,
        upstream,
        ahead,
        behind,
        files: changed_files(&repo)?,
        branches,
        said: None,
        ignored: Vec::new(),
    })
}

/// What git ignores in `workdir`, an ignored folder as one entry.
fn ignored(workdir: &Path) -> Result<Vec<String>, GitError> {
    let repo = match open(workdir) {
        Ok(repo) => repo,
        Err(GitError::NotARepository(_)) => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut options = git2::StatusOptions::new();
    options
        .include_ignored(true)
        .recurse_ignored_dirs(false)
        .include_untracked(false);
    let statuses = repo.statuses(Some(&mut options))?;
    let mut found: Vec<String> = statuses
        .iter()
        .filter(|s| s.status().is_ignored())
        .filter_map(|s| s.path().map(str::to_string))
        .collect();
    found.sort();
    Ok(found)
}

/// The branch HEAD names in a repository without commits.
fn unborn_branch(repo: &git2::Repository) -> Option<String> {
    let head = repo.find_reference("HEAD").ok()?;
    head.symbolic_target()
        .and_then(|t| t.strip_prefix("refs/heads/"))
        .map(str::to_string)
}

/// Files that differ from HEAD (staged or not, untracked included).
fn changed_files(repo: &git2::Repository) -> Result<Vec<FileStat>, GitError> {
    let head = repo.head().ok().and_then(|h| h.peel_to_tree().ok());
    let mut options = git2::DiffOptions::new();
    options
        .include_untracked(true)
        .recurse_untracked_dirs(true)
        .show_untracked_content(true);
    let diff = repo.diff_tree_to_workdir_with_index(head.as_ref(), Some(&mut options))?;
    (0..diff.deltas().len())
        .map(|index| super::diff::file_change(&diff, index, false).map(|(stat, _, _)| stat))
        .collect()
}

fn create_branch(workdir: &Path, name: &str) -> Result<(), GitError> {
    let name = name.trim();
    if !git2::Branch::name_is_valid(name)? {
        return Err(GitError::Invalid(format!(
            "`{name}` is not a valid branch name"
        )));
    }
    let repo = open(workdir)?;
    let head = repo
        .head()
        .and_then(|h| h.peel_to_commit())
        .map_err(|_| GitError::Invalid("a branch needs a first commit to start from".into()))?;
    repo.branch(name, &head, false)
        .map_err(|e| match e.code() {
            git2::ErrorCode::Exists => {
                GitError::Invalid(format!("a branch `{name}` already exists"))
            }
            _ => GitError::Git(e),
        })?;
    Ok(())
}

/// Switches branch the safe way: refuses when local changes would be lost.
fn checkout(workdir: &Path, name: &str) -> Result<(), GitError> {
    let repo = open(workdir)?;
    let branch = repo
        .find_branch(name, git2::BranchType::Local)
        .map_err(|_| GitError::Invalid(format!("there is no branch `{name}`")))?;
    let target = branch.get().peel_to_tree()?;
    let mut options = git2::build::CheckoutBuilder::new();
    options.safe();
    repo.checkout_tree(target.as_object(), Some(&mut options))
        .map_err(|e| match e.code() {
            git2::ErrorCode::Conflict => GitError::Invalid(format!(
                "switching to `{name}` would overwrite uncommitted changes; commit or stash them first"
            )),
            _ => GitError::Git(e),
        })?;
    let reference = branch
        .get()
        .name()
        .ok_or_else(|| GitError::Invalid("the branch name is not UTF-8".into()))?
        .to_string();
    repo.set_head(&reference)?;
    Ok(())
}

/// Commits exactly `paths` (as they are in the folder) on the current
/// branch; other staged changes stay staged and out of the commit.
fn commit(workdir: &Path, paths: &[String], message: &str) -> Result<(), GitError> {
    if message.trim().is_empty() {
        return Err(GitError::Invalid("a commit needs a message".into()));
    }
    if paths.is_empty() {
        return Err(GitError::Invalid(
            "choose at least one file to commit".into(),
        ));
    }
    let repo = open(workdir)?;
    for p in paths {
        let path = Path::new(p);
        if path.is_absolute()
            || path
                .components()
                .any(|c| matches!(c, std::path::Component::ParentDir))
        {
            return Err(GitError::Invalid(format!(
                "{p} is not a path inside the repository"
            )));
        }
    }
    let signature = repo.signature().map_err(|_| {
        GitError::Invalid("git does not know who you are: set user.name and user.email".into())
    })?;
    let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
    // The commit's tree: HEAD's tree with only the chosen files updated.
    let mut index = git2::Index::new()?;
    if let Some(tree) = parent.as_ref().map(|c| c.tree()).transpose()? {
        index.read_tree(&tree)?;
    }
    let mut staged = repo.index()?;
    for p in paths {
        let path = Path::new(p);
        if workdir.join(path).symlink_metadata().is_ok() {
            staged.add_path(path)?;
            let entry = staged
                .get_path(path, 0)
                .ok_or_else(|| GitError::Invalid(format!("{p} could not be staged")))?;
            index.add(&entry)?;
        } else {
            let _ = staged.remove_path(path);
            let _ = index.remove_path(path);
        }
    }
    staged.write()?;
    let tree = repo.find_tree(index.write_tree_to(&repo)?)?;
    let parents: Vec<&git2::Commit> = parent.iter().collect();
    repo.commit(
        Some("HEAD"),
        &signature,
        &signature,
        message.trim(),
        &tree,
        &parents,
    )?;
    Ok(())
}
