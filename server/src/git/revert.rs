//! Restoring the folder to a checkpoint, file by file.
//!
//! The current state is captured first (same rules as a checkpoint, kept as
//! a `pre-revert` ref so nothing is lost), then only the differences between
//! it and the target are written: files created since are removed, deleted
//! ones restored, changed ones reset. Ignored and skipped files are in
//! neither snapshot, so they are never touched; the index and HEAD neither.

use super::capture::{Limits, snapshot_tree};
use super::{GitError, checkpoint_ref, open, thread_refs, tree_of};
use peon_app::contracts::ThreadId;
use std::path::Path;

/// Makes `workdir` exactly checkpoint `turn_count` and drops the thread's
/// later checkpoints.
pub fn revert(
    workdir: &Path,
    thread: ThreadId,
    turn_count: u32,
    limits: &Limits,
) -> Result<(), GitError> {
    let repo = open(workdir)?;
    let target = tree_of(&repo, thread, turn_count)?;
    let (current, _) = snapshot_tree(&repo, limits)?;
    let current = repo.find_tree(current)?;
    keep_pre_revert(&repo, thread, &current)?;
    let diff = repo.diff_tree_to_tree(Some(&current), Some(&target), None)?;
    // All removals first: a path whose kind changed (file ↔ symlink) comes
    // as a removal and an addition, in either order.
    let mut writes = Vec::new();
    for delta in diff.deltas() {
        let (old, new) = (delta.old_file(), delta.new_file());
        let present = |f: &git2::DiffFile| f.id() != git2::Oid::zero() && is_file_mode(f.mode());
        if let Some(path) = old.path().filter(|_| present(&old)) {
            let rewritten = present(&new) && new.path() == Some(path);
            if !rewritten {
                remove(workdir, path)?;
            }
        }
        if let Some(path) = new.path().filter(|_| present(&new)) {
            writes.push((path.to_path_buf(), new.id(), new.mode()));
        }
    }
    for (path, id, mode) in writes {
        let blob = repo.find_blob(id)?;
        write(workdir, &path, blob.content(), mode)?;
    }
    drop_later(&repo, thread, turn_count)?;
    Ok(())
}

/// Submodules (commit entries) are left as they are.
fn is_file_mode(mode: git2::FileMode) -> bool {
    matches!(
        mode,
        git2::FileMode::Blob | git2::FileMode::BlobExecutable | git2::FileMode::Link
    )
}

fn keep_pre_revert(
    repo: &git2::Repository,
    thread: ThreadId,
    tree: &git2::Tree,
) -> Result<(), GitError> {
    let signature = git2::Signature::now("peon", "peon@localhost")?;
    let message = format!("peon: the folder before a revert of thread {thread}");
    let commit = repo.commit(None, &signature, &signature, &message, tree, &[])?;
    repo.reference(
        &format!("{}pre-revert", thread_refs(thread)),
        commit,
        true,
        &message,
    )?;
    Ok(())
}

fn drop_later(repo: &git2::Repository, thread: ThreadId, turn_count: u32) -> Result<(), GitError> {
    let prefix = thread_refs(thread);
    let names: Vec<String> = repo
        .references_glob(&format!("{prefix}*"))?
        .filter_map(|r| r.ok().and_then(|r| r.name().map(str::to_string)))
        .collect();
    for name in names {
        let later = name
            .strip_prefix(&prefix)
            .and_then(|n| n.parse::<u32>().ok())
            .is_some_and(|n| n > turn_count);
        if later {
            repo.find_reference(&name)?.delete()?;
        }
    }
    debug_assert!(
        repo.find_reference(&checkpoint_ref(thread, turn_count))
            .is_ok()
    );
    Ok(())
}

fn restore_error(path: &Path) -> impl FnOnce(std::io::Error) -> GitError + '_ {
    move |source| GitError::Restore {
        path: path.display().to_string(),
        source,
    }
}

fn remove(workdir: &Path, path: &Path) -> Result<(), GitError> {
    let full = workdir.join(path);
    match std::fs::remove_file(&full) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(restore_error(path)(e)),
    }
    // Folders the removal emptied go too, up to the root.
    let mut dir = full.parent();
    while let Some(d) = dir {
        if d == workdir || std::fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
    Ok(())
}

fn write(
    workdir: &Path,
    path: &Path,
    content: &[u8],
    mode: git2::FileMode,
) -> Result<(), GitError> {
    let full = workdir.join(path);
    if let Some(parent) = full.parent() {
        std::fs::create_dir_all(parent).map_err(restore_error(path))?;
    }
    // A symlink or a file of another kind in the way is replaced.
    if std::fs::symlink_metadata(&full).is_ok_and(|m| m.file_type().is_symlink() || m.is_dir()) {
        let _ = std::fs::remove_file(&full);
    }
    #[cfg(unix)]
    if mode == git2::FileMode::Link {
        use std::os::unix::ffi::OsStrExt;
        let target = std::ffi::OsStr::from_bytes(content);
        let _ = std::fs::remove_file(&full);
        return std::os::unix::fs::symlink(Path::new(target), &full).map_err(restore_error(path));
    }
    std::fs::write(&full, content).map_err(restore_error(path))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let bits = if mode == git2::FileMode::BlobExecutable {
            0o755
        } else {
            0o644
        };
        std::fs::set_permissions(&full, std::fs::Permissions::from_mode(bits))
            .map_err(restore_error(path))?;
    }
    Ok(())
}
