//! Network operations, which shell out to `git` and `gh` (they carry the
//! user's credentials and configuration): push the current branch, open a
//! pull request. Each says clearly when the tool is missing or fails.

use super::{GitError, open};
use std::path::Path;
use std::process::Command;

/// Pushes the current branch, setting its upstream on `origin` the first
/// time.
pub fn push(workdir: &Path) -> Result<String, GitError> {
    let repo = open(workdir)?;
    let head = repo.head().map_err(|_| {
        GitError::Invalid("there is nothing to push yet: make a first commit".into())
    })?;
    let branch = head
        .shorthand()
        .filter(|_| head.is_branch())
        .ok_or_else(|| GitError::Invalid("HEAD is detached: check out a branch to push".into()))?
        .to_string();
    let has_upstream = repo
        .find_branch(&branch, git2::BranchType::Local)
        .and_then(|b| b.upstream())
        .is_ok();
    let args: Vec<&str> = if has_upstream {
        vec!["push"]
    } else {
        vec!["push", "--set-upstream", "origin", &branch]
    };
    tool(
        workdir,
        "git",
        &args,
        "install git from your system's packages",
    )
}

/// Opens a pull request for the current branch with `gh pr create --fill`.
pub fn pull_request(workdir: &Path) -> Result<String, GitError> {
    open(workdir)?;
    tool(
        workdir,
        "gh",
        &["pr", "create", "--fill"],
        "install the GitHub CLI (`gh`) and run `gh auth login`",
    )
}

/// Runs `program args` in `workdir`; its output on success, its error
/// output (or how to install it) on failure.
fn tool(workdir: &Path, program: &str, args: &[&str], install: &str) -> Result<String, GitError> {
    let out = Command::new(program)
        .args(args)
        .current_dir(workdir)
        // Never wait for a password prompt nobody can answer.
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => {
                GitError::Invalid(format!("`{program}` was not found: {install}"))
            }
            _ => GitError::Invalid(format!("could not run `{program}`: {e}")),
        })?;
    let text = |b: &[u8]| String::from_utf8_lossy(b).trim().to_string();
    if out.status.success() {
        let mut said = text(&out.stdout);
        if said.is_empty() {
            said = text(&out.stderr);
        }
        Ok(said)
    } else {
        Err(GitError::Invalid(format!(
            "`{program} {}` failed: {}",
            args.join(" "),
            text(&out.stderr)
        )))
    }
}
