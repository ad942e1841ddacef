//! Checks that need the file system, done before `decide` (which does no
//! I/O): a project's folder must exist and be a directory.

use super::decider::Rejection;
use peon_app::contracts::Command;
use std::borrow::Cow;
use std::path::{Path, PathBuf};

/// Returns the command with its workspace path canonicalised (and a title
/// taken from the folder name when none was given), or why it cannot be used.
pub fn prepare(command: &Command) -> Result<Cow<'_, Command>, Rejection> {
    let Command::ProjectCreate {
        project_id,
        title,
        workspace_root,
        default_model,
    } = command
    else {
        return Ok(Cow::Borrowed(command));
    };
    let path = canonical_dir(workspace_root)?;
    let title = if title.trim().is_empty() {
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string())
    } else {
        title.clone()
    };
    Ok(Cow::Owned(Command::ProjectCreate {
        project_id: *project_id,
        title,
        workspace_root: path.display().to_string(),
        default_model: default_model.clone(),
    }))
}

fn canonical_dir(raw: &str) -> Result<PathBuf, Rejection> {
    let invalid = |reason: &str| Rejection::InvalidWorkspace {
        path: raw.to_string(),
        reason: reason.to_string(),
    };
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(invalid("no folder was given"));
    }
    let expanded = expand_home(trimmed)
        .ok_or_else(|| invalid("~ cannot be expanded because HOME is not set"))?;
    if !expanded.is_absolute() {
        return Err(invalid("the path must be absolute (start with / or ~/)"));
    }
    let canonical = std::fs::canonicalize(&expanded).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => invalid("it does not exist"),
        std::io::ErrorKind::PermissionDenied => invalid("permission denied"),
        _ => invalid(&e.to_string()),
    })?;
    if !canonical.is_dir() {
        return Err(invalid("it is not a folder"));
    }
    Ok(canonical)
}

/// `raw` with a leading `~/` replaced by the home folder; `None` when it
/// has one and `HOME` is not set.
pub fn expand_home(raw: &str) -> Option<PathBuf> {
    match raw.strip_prefix("~/") {
        Some(rest) => std::env::var_os("HOME").map(|home| Path::new(&home).join(rest)),
        None => Some(PathBuf::from(raw)),
    }
}
