//! Folder completion for the add-project field: the subfolders of what the
//! user has typed so far, inside the allowed roots. Reads the file system
//! only; the answer is advice; adding the project checks the folder again.

use crate::orchestration::expand_home;
use peon_app::api::{FolderSuggestion, MAX_FOLDER_SUGGESTIONS};
use std::io::ErrorKind;
use std::path::{Component, Path, PathBuf};

/// Why nothing can be suggested for what was typed, said for the user.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FolderError {
    #[error("give the folder's full path, starting with / or ~")]
    Relative,
    #[error("{0} contains \"..\": give the folder's own path")]
    ParentStep(String),
    #[error("no such folder: {0}")]
    Missing(String),
    #[error("{0} is a file, not a folder")]
    File(String),
    #[error("cannot read {0}: permission denied")]
    Unreadable(String),
    #[error("{0} is outside the folders peon may open: {1} (allowed_roots)")]
    Outside(String, String),
    #[error("cannot read {0}: {1}")]
    Io(String, String),
}

/// Subfolders of the folder `typed` ends in whose names start with its last
/// part (`/home/me/co` → `/home/me/code`, …; `/home/me/` → all of them),
/// written the way the user wrote the prefix (`~` kept). Git repositories
/// are marked; hidden folders come last. With `allowed_roots`, only folders
/// inside a root or on the way to one.
pub fn suggest(
    typed: &str,
    allowed_roots: &[PathBuf],
) -> Result<Vec<FolderSuggestion>, FolderError> {
    let typed = typed.trim();
    let typed = if typed == "~" { "~/" } else { typed };
    if typed.is_empty() {
        return Ok(roots_as_suggestions(allowed_roots));
    }
    let expanded = expand_home(typed).ok_or(FolderError::Relative)?;
    if !expanded.is_absolute() {
        return Err(FolderError::Relative);
    }
    if expanded.components().any(|c| c == Component::ParentDir) {
        return Err(FolderError::ParentStep(typed.to_string()));
    }
    // "…/" lists the folder itself; "…/co" lists its parent, filtered.
    let (shown_dir, dir, partial) = if typed.ends_with('/') {
        (typed.to_string(), expanded.clone(), String::new())
    } else {
        let name = expanded
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let shown = &typed[..typed.len() - name.len()];
        let dir = expanded
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| "/".into());
        (shown.to_string(), dir, name)
    };
    if expanded.is_file() {
        return Err(FolderError::File(typed.to_string()));
    }
    let roots: Vec<PathBuf> = allowed_roots
        .iter()
        .filter_map(|r| std::fs::canonicalize(r).ok())
        .collect();
    let entries = std::fs::read_dir(&dir).map_err(|e| read_error(&shown_dir, &dir, e))?;
    if !roots.is_empty() {
        let real = std::fs::canonicalize(&dir).map_err(|e| read_error(&shown_dir, &dir, e))?;
        if !reachable(&real, &roots) {
            let names: Vec<String> = allowed_roots
                .iter()
                .map(|r| r.display().to_string())
                .collect();
            return Err(FolderError::Outside(shown_dir, names.join(", ")));
        }
    }
    let wanted = partial.to_lowercase();
    let mut found: Vec<FolderSuggestion> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.to_lowercase().starts_with(&wanted) {
                return None;
            }
            let path = entry.path();
            // Follows symlinks: a link to a folder is a folder.
            if !path.is_dir() {
                return None;
            }
            if !roots.is_empty() {
                let real = std::fs::canonicalize(&path).ok()?;
                if !reachable(&real, &roots) {
                    return None;
                }
            }
            Some(FolderSuggestion {
                path: format!("{shown_dir}{name}"),
                git: path.join(".git").exists(),
                hidden: name.starts_with('.'),
                name,
            })
        })
        .collect();
    found.sort_by(|a, b| {
        (
            a.hidden,
            !a.name.starts_with(&partial),
            a.name.to_lowercase(),
        )
            .cmp(&(
                b.hidden,
                !b.name.starts_with(&partial),
                b.name.to_lowercase(),
            ))
    });
    found.truncate(MAX_FOLDER_SUGGESTIONS);
    Ok(found)
}

/// Inside a root, or an ancestor of one (the way there).
fn reachable(real: &Path, roots: &[PathBuf]) -> bool {
    roots
        .iter()
        .any(|root| real.starts_with(root) || root.starts_with(real))
}

fn roots_as_suggestions(allowed_roots: &[PathBuf]) -> Vec<FolderSuggestion> {
    allowed_roots
        .iter()
        .filter(|r| r.is_dir())
        .map(|r| FolderSuggestion {
            path: r.display().to_string(),
            name: r.display().to_string(),
            git: r.join(".git").exists(),
            hidden: false,
        })
        .collect()
}

fn read_error(shown: &str, dir: &Path, e: std::io::Error) -> FolderError {
    let shown = if shown.is_empty() {
        dir.display().to_string()
    } else {
        shown.to_string()
    };
    match e.kind() {
        ErrorKind::NotFound => FolderError::Missing(shown),
        ErrorKind::NotADirectory => FolderError::File(shown.trim_end_matches('/').to_string()),
        ErrorKind::PermissionDenied => FolderError::Unreadable(shown),
        _ => FolderError::Io(shown, e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temp dir");
        for sub in ["alpha/.git", "Beta", "beta-two", ".hidden", "alpha/inner"] {
            std::fs::create_dir_all(dir.path().join(sub)).expect("mkdir");
        }
        std::fs::write(dir.path().join("notes.txt"), "x").expect("write");
        dir
    }

    fn names(found: &[FolderSuggestion]) -> Vec<&str> {
        found.iter().map(|f| f.name.as_str()).collect()
    }

    #[test]
    fn a_trailing_slash_lists_the_folder_git_marked_hidden_last_files_left_out() {
        let dir = tree();
        let typed = format!("{}/", dir.path().display());
        let found = suggest(&typed, &[]).expect("suggestions");
        assert_eq!(names(&found), ["alpha", "Beta", "beta-two", ".hidden"]);
        assert_eq!(found[0].path, format!("{typed}alpha"));
        assert!(found[0].git && !found[1].git);
        assert!(found[3].hidden && !found[0].hidden);
    }

    #[test]
    fn a_partial_name_filters_ignoring_case_exact_case_first() {
        let dir = tree();
        let found = suggest(&format!("{}/be", dir.path().display()), &[]).expect("suggestions");
        assert_eq!(names(&found), ["beta-two", "Beta"]);
        let found = suggest(&format!("{}/zz", dir.path().display()), &[]).expect("suggestions");
        assert!(found.is_empty());
    }

    #[test]
    fn a_tilde_is_the_home_folder_and_is_kept_in_the_suggestions() {
        let Some(home) = std::env::var_os("HOME") else {
            return;
        };
        let found = suggest("~/", &[]).expect("suggestions");
        let listed = std::fs::read_dir(&home)
            .expect("home")
            .filter_map(Result::ok)
            .filter(|e| e.path().is_dir())
            .count();
        assert_eq!(found.len(), listed.min(MAX_FOLDER_SUGGESTIONS));
        assert!(found.iter().all(|f| f.path.starts_with("~/")));
    }

    #[test]
    fn bad_input_is_named() {
        let dir = tree();
        let root = dir.path().display().to_string();
        assert_eq!(suggest("code/app", &[]), Err(FolderError::Relative));
        assert_eq!(
            suggest(&format!("{root}/notes.txt"), &[]),
            Err(FolderError::File(format!("{root}/notes.txt")))
        );
        assert_eq!(
            suggest(&format!("{root}/notes.txt/"), &[]),
            Err(FolderError::File(format!("{root}/notes.txt")))
        );
        assert_eq!(
            suggest(&format!("{root}/nope/x"), &[]),
            Err(FolderError::Missing(format!("{root}/nope/")))
        );
        assert!(matches!(
            suggest(&format!("{root}/alpha/../"), &[]),
            Err(FolderError::ParentStep(_))
        ));
        let message = FolderError::Missing(format!("{root}/nope/")).to_string();
        assert_eq!(message, format!("no such folder: {root}/nope/"));
    }

    #[test]
    fn allowed_roots_keep_the_way_there_and_what_is_inside() {
        let dir = tree();
        let root = dir.path().join("alpha");
        let roots = [root.clone()];
        // The root's parent: only the way to the root is offered.
        let found = suggest(&format!("{}/", dir.path().display()), &roots).expect("suggestions");
        assert_eq!(names(&found), ["alpha"]);
        let found = suggest(&format!("{}/", root.display()), &roots).expect("suggestions");
        assert_eq!(names(&found), ["inner", ".git"]);
        let outside = suggest(&format!("{}/Beta/", dir.path().display()), &roots);
        assert!(
            matches!(outside, Err(FolderError::Outside(..))),
            "{outside:?}"
        );
        // Nothing typed: the roots themselves.
        assert_eq!(
            suggest("", &roots).expect("roots")[0].path,
            root.display().to_string()
        );
    }

    #[test]
    fn at_most_the_limit_is_returned() {
        let dir = tempfile::tempdir().expect("temp dir");
        for i in 0..(MAX_FOLDER_SUGGESTIONS + 5) {
            std::fs::create_dir(dir.path().join(format!("d{i:03}"))).expect("mkdir");
        }
        let found = suggest(&format!("{}/", dir.path().display()), &[]).expect("suggestions");
        assert_eq!(found.len(), MAX_FOLDER_SUGGESTIONS);
        assert_eq!(found[0].name, "d000");
    }
}
