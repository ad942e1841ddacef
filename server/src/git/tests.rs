//! Checkpoints on real temporary repositories (set up with the `git` CLI).

use super::*;
use peon_app::contracts::ThreadId;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

pub(super) fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

pub(super) fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    git(dir.path(), &["init", "-q", "-b", "main"]);
    dir
}

pub(super) fn write(dir: &Path, path: &str, content: &[u8]) {
    let full = dir.join(path);
    std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
    std::fs::write(full, content).expect("write");
}

/// Every file and symlink below `dir` (but `.git`), with its content.
pub(super) fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read_dir") {
            let path = entry.expect("entry").path();
            let rel = path.strip_prefix(dir).expect("relative").to_path_buf();
            if rel.starts_with(".git") {
                continue;
            }
            let meta = std::fs::symlink_metadata(&path).expect("meta");
            if meta.file_type().is_symlink() {
                let target = std::fs::read_link(&path).expect("link");
                out.insert(
                    rel,
                    [b"link:".as_slice(), target.as_os_str().as_encoded_bytes()].concat(),
                );
            } else if meta.is_dir() {
                stack.push(path);
            } else {
                out.insert(rel, std::fs::read(&path).expect("read"));
            }
        }
    }
    out
}

/// What the user's git state is: index file, HEAD, branches, stash.
pub(super) fn user_state(dir: &Path) -> Vec<Vec<u8>> {
    let read = |p: &str| std::fs::read(dir.join(".git").join(p)).unwrap_or_default();
    let heads = Command::new("git")
        .args(["for-each-ref", "refs/heads", "refs/stash", "refs/tags"])
        .current_dir(dir)
        .output()
        .expect("git")
        .stdout;
    vec![read("index"), read("HEAD"), heads]
}

pub(super) fn thread() -> ThreadId {
    ThreadId::from_u128(42)
}

/// A repository with a commit, a staged change, an unstaged change, an
/// untracked file and an ignored one.
pub(super) fn busy_repo() -> tempfile::TempDir {
    let dir = repo();
    let d = dir.path();
    write(d, ".gitignore", b"*.log\nbuild/\n");
    write(d, "src/main.rs", b"fn main() {}\n");
    write(d, "README.md", b"hello\n");
    git(d, &["add", "."]);
    git(d, &["commit", "-q", "-m", "first"]);
    write(d, "README.md", b"hello\nstaged\n");
    git(d, &["add", "README.md"]);
    write(d, "README.md", b"hello\nstaged\nunstaged\n");
    write(d, "notes.txt", b"untracked\n");
    write(d, "debug.log", b"ignored\n");
    write(d, "build/out.bin", b"\x00\x01ignored");
    dir
}

#[test]
fn capture_changes_nothing_the_user_owns() {
    let dir = busy_repo();
    let (before_files, before_git) = (files(dir.path()), user_state(dir.path()));
    let capture = capture(dir.path(), thread(), 0, &Limits::default()).expect("capture");
    assert_eq!(files(dir.path()), before_files, "the files changed");
    assert_eq!(
        user_state(dir.path()),
        before_git,
        "index, HEAD or branches changed"
    );
    assert_eq!(
        capture.git_ref,
        format!("refs/peon/checkpoints/{}/0", thread())
    );

    let repo = git2::Repository::open(dir.path()).expect("open");
    let tree = tree_of(&repo, thread(), 0).expect("tree");
    let blob = |p: &str| {
        tree.get_path(Path::new(p))
            .ok()
            .and_then(|e| repo.find_blob(e.id()).ok())
            .map(|b| b.content().to_vec())
    };
    assert_eq!(
        blob("README.md").as_deref(),
        Some(b"hello\nstaged\nunstaged\n".as_slice())
    );
    assert_eq!(
        blob("notes.txt").as_deref(),
        Some(b"untracked\n".as_slice())
    );
    assert_eq!(
        blob("src/main.rs").as_deref(),
        Some(b"fn main() {}\n".as_slice())
    );
    assert_eq!(blob("debug.log"), None, "ignored files are not captured");
    assert_eq!(blob("build/out.bin"), None);
}

#[test]
fn a_folder_without_git_says_how_to_turn_checkpoints_on() {
    let dir = tempfile::tempdir().expect("temp dir");
    let e = capture(dir.path(), thread(), 0, &Limits::default()).expect_err("no repo");
    assert!(matches!(e, GitError::NotARepository(_)));
    assert!(e.to_string().contains("git init"), "{e}");
}

#[test]
fn huge_untracked_files_are_skipped_and_named() {
    let dir = busy_repo();
    write(dir.path(), "data/dump.bin", &vec![7u8; 4096]);
    let limits = Limits {
        max_file_bytes: 1024,
        ..Limits::default()
    };
    let c = capture(dir.path(), thread(), 0, &limits).expect("capture");
    assert_eq!(c.skipped, vec!["data/dump.bin".to_string()]);
    // Still there after a revert: it was never in a snapshot.
    write(dir.path(), "notes.txt", b"changed\n");
    revert(dir.path(), thread(), 0, &limits).expect("revert");
    assert_eq!(
        std::fs::read(dir.path().join("data/dump.bin"))
            .expect("kept")
            .len(),
        4096
    );
    assert_eq!(
        std::fs::read(dir.path().join("notes.txt")).expect("notes"),
        b"untracked\n"
    );
}

#[test]
fn huge_untracked_folders_are_skipped_whole() {
    let dir = busy_repo();
    for i in 0..30 {
        write(dir.path(), &format!("vendor/pkg{}/f{i}.js", i % 3), b"x\n");
    }
    let limits = Limits {
        max_dir_files: 20,
        ..Limits::default()
    };
    let c = capture(dir.path(), thread(), 0, &limits).expect("capture");
    assert_eq!(c.skipped, vec!["vendor/".to_string()]);
    let repo = git2::Repository::open(dir.path()).expect("open");
    let tree = tree_of(&repo, thread(), 0).expect("tree");
    assert!(
        tree.get_path(Path::new("vendor")).is_err(),
        "the folder was captured"
    );
    assert!(tree.get_path(Path::new("notes.txt")).is_ok());
    // Small untracked folders are captured as usual.
    let c = capture(dir.path(), thread(), 1, &Limits::default()).expect("capture");
    assert!(c.skipped.is_empty());
}

#[test]
fn a_turns_diff_has_per_file_stats_and_a_patch() {
    let dir = busy_repo();
    let d = dir.path();
    capture(d, thread(), 0, &Limits::default()).expect("baseline");
    write(d, "src/main.rs", b"fn main() {\n    println!(\"hi\");\n}\n");
    write(d, "src/lib.rs", b"pub fn f() {}\n");
    std::fs::remove_file(d.join("notes.txt")).expect("rm");
    capture(d, thread(), 1, &Limits::default()).expect("turn 1");
    let diff = diff(d, thread(), 0, 1).expect("diff");
    use peon_app::contracts::{FileChangeKind as K, FileStat};
    let stats = diff.stats();
    let by_path: BTreeMap<&str, &FileStat> = stats.iter().map(|f| (f.path.as_str(), f)).collect();
    assert_eq!(by_path["src/main.rs"].kind, K::Modified);
    let main = by_path["src/main.rs"];
    assert_eq!((main.additions, main.deletions), (3, 1));
    assert_eq!(by_path["src/lib.rs"].kind, K::Added);
    assert_eq!(by_path["notes.txt"].kind, K::Deleted);
    assert_eq!(by_path.len(), 3);
    let patch = |p: &str| {
        diff.files
            .iter()
            .find(|f| f.stat.path == p)
            .map(|f| f.patch.clone())
            .unwrap_or_default()
    };
    assert!(
        patch("src/main.rs").contains("+    println!(\"hi\");"),
        "{}",
        patch("src/main.rs")
    );
    assert!(patch("src/main.rs").starts_with("diff --git a/src/main.rs b/src/main.rs"));
    assert!(
        patch("notes.txt").contains("-untracked"),
        "{}",
        patch("notes.txt")
    );
    let missing = super::diff(d, thread(), 0, 7).expect_err("no checkpoint 7");
    assert!(matches!(missing, GitError::NoCheckpoint { turn_count: 7 }));
}

#[test]
fn revert_makes_the_folder_exactly_the_checkpoint() {
    let dir = busy_repo();
    let d = dir.path();
    let at_zero = files(d);
    let git_before = user_state(d);
    capture(d, thread(), 0, &Limits::default()).expect("baseline");
    // Turn 1: change, delete, create; an ignored file changes too.
    write(d, "README.md", b"rewritten\n");
    std::fs::remove_file(d.join("notes.txt")).expect("rm");
    write(d, "new/deep/file.txt", b"created\n");
    write(d, "debug.log", b"ignored, changed later\n");
    capture(d, thread(), 1, &Limits::default()).expect("turn 1");
    write(d, "src/main.rs", b"// turn 2\n");
    capture(d, thread(), 2, &Limits::default()).expect("turn 2");

    revert(d, thread(), 0, &Limits::default()).expect("revert");
    let mut expected = at_zero;
    // Ignored files are never touched by a revert.
    expected.insert(
        PathBuf::from("debug.log"),
        b"ignored, changed later\n".to_vec(),
    );
    assert_eq!(files(d), expected);
    assert!(!d.join("new").exists(), "emptied folders are removed");
    assert_eq!(user_state(d), git_before, "index, HEAD or branches changed");
    let repo = git2::Repository::open(d).expect("open");
    assert!(repo.find_reference(&checkpoint_ref(thread(), 0)).is_ok());
    for later in [1, 2] {
        assert!(
            repo.find_reference(&checkpoint_ref(thread(), later))
                .is_err(),
            "checkpoint {later} kept"
        );
    }
    // What was there before the revert can still be recovered.
    let kept = repo
        .find_reference(&format!("{}pre-revert", thread_refs(thread())))
        .expect("pre-revert ref")
        .peel_to_tree()
        .expect("tree");
    assert!(kept.get_path(Path::new("new/deep/file.txt")).is_ok());
}

#[test]
fn odd_repositories_lose_nothing() {
    // No commits, a detached HEAD, symlinks, binary files, spaces and
    // non-ASCII names, an executable.
    for detached in [false, true] {
        let dir = repo();
        let d = dir.path();
        if detached {
            write(d, "a.txt", b"a\n");
            git(d, &["add", "."]);
            git(d, &["commit", "-q", "-m", "a"]);
            git(d, &["checkout", "-q", "--detach"]);
        }
        write(d, "with space/naïve 日本.txt", "héllo\n".as_bytes());
        write(d, "bin.dat", &[0, 159, 146, 150, 0, 255]);
        write(d, "run.sh", b"#!/bin/sh\necho hi\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(d.join("run.sh"), std::fs::Permissions::from_mode(0o755))
                .expect("chmod");
            std::os::unix::fs::symlink("bin.dat", d.join("link")).expect("symlink");
        }
        let at_zero = files(d);
        let git_before = user_state(d);
        capture(d, thread(), 0, &Limits::default()).expect("baseline");
        write(d, "with space/naïve 日本.txt", b"changed\n");
        std::fs::remove_file(d.join("bin.dat")).expect("rm");
        std::fs::remove_file(d.join("link")).expect("rm link");
        write(d, "link", b"now a file");
        write(d, "extra ü.txt", b"new\n");
        capture(d, thread(), 1, &Limits::default()).expect("turn 1");
        revert(d, thread(), 0, &Limits::default()).expect("revert");
        assert_eq!(files(d), at_zero, "detached: {detached}");
        assert_eq!(user_state(d), git_before);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(d.join("run.sh"))
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o111, 0o111, "still executable");
        }
    }
}

/// What `git args` printed in `dir`.
pub(super) fn git_out(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

mod panel {
    use super::*;
    use peon_app::api::GitAction;

    #[test]
    fn a_plain_folder_can_become_a_repository() {
        let dir = tempfile::tempdir().expect("temp dir");
        let before = run(dir.path(), &GitAction::Status).expect("status");
        assert!(!before.repository);
        let after = run(dir.path(), &GitAction::Init).expect("init");
        assert!(after.repository);
        assert!(after.branch.is_some(), "{after:?}");
        assert!(dir.path().join(".git").is_dir());
    }

    #[test]
    fn status_lists_changes_with_their_size() {
        let dir = busy_repo();
        let s = status(dir.path()).expect("status");
        assert_eq!(s.branch.as_deref(), Some("main"));
        let by_path: BTreeMap<String, (u32, u32)> = s
            .files
            .iter()
            .map(|f| (f.path.clone(), (f.additions, f.deletions)))
            .collect();
        assert_eq!(by_path.get("README.md"), Some(&(2, 0)), "{s:?}");
        assert_eq!(by_path.get("notes.txt"), Some(&(1, 0)));
        assert!(
            !by_path.contains_key("debug.log"),
            "ignored files are not listed"
        );
        assert_eq!(s.branches, vec!["main".to_string()]);
    }

    #[test]
    fn ignored_entries_are_listed_only_when_asked() {
        let dir = busy_repo();
        write(dir.path(), "build/deep/more.bin", b"ignored too");
        assert!(status(dir.path()).expect("status").ignored.is_empty());
        let s = run(dir.path(), &GitAction::StatusWithIgnored).expect("status");
        // An ignored folder is one entry, not every file in it.
        assert_eq!(
            s.ignored,
            vec!["build/".to_string(), "debug.log".to_string()]
        );
        assert!(!s.files.is_empty(), "the rest of the status is there");
        let plain = tempfile::tempdir().expect("temp dir");
        let s = run(plain.path(), &GitAction::StatusWithIgnored).expect("status");
        assert!(!s.repository && s.ignored.is_empty());
    }

    #[test]
    fn branches_are_created_and_checked_out_safely() {
        let dir = busy_repo();
        let d = dir.path();
        let bad = run(
            d,
            &GitAction::CreateBranch {
                name: "no..good".into(),
            },
        )
        .expect_err("invalid");
        assert!(bad.to_string().contains("not a valid branch name"), "{bad}");
        run(
            d,
            &GitAction::CreateBranch {
                name: "feature".into(),
            },
        )
        .expect("create");
        let dup = run(
            d,
            &GitAction::CreateBranch {
                name: "feature".into(),
            },
        )
        .expect_err("exists");
        assert!(dup.to_string().contains("already exists"));
        // Local changes that do not conflict travel with the switch.
        let s = run(
            d,
            &GitAction::Checkout {
                name: "feature".into(),
            },
        )
        .expect("checkout");
        assert_eq!(s.branch.as_deref(), Some("feature"));
        assert_eq!(
            std::fs::read(d.join("README.md")).expect("kept"),
            b"hello\nstaged\nunstaged\n"
        );
        // A switch that would overwrite a local change is refused.
        git(d, &["stash", "-q"]);
        write(d, "src/main.rs", b"fn main() { /* feature */ }\n");
        git(d, &["commit", "-q", "-am", "feature work"]);
        write(d, "src/main.rs", b"local edit\n");
        let refused = run(
            d,
            &GitAction::Checkout {
                name: "main".into(),
            },
        )
        .expect_err("conflict");
        assert!(
            refused.to_string().contains("uncommitted changes"),
            "{refused}"
        );
        assert_eq!(
            std::fs::read(d.join("src/main.rs")).expect("kept"),
            b"local edit\n"
        );
        assert_eq!(
            status(d).expect("status").branch.as_deref(),
            Some("feature")
        );
    }

    #[test]
    fn commit_takes_only_the_chosen_files() {
        let dir = busy_repo();
        let d = dir.path();
        let empty = run(
            d,
            &GitAction::Commit {
                paths: vec!["notes.txt".into()],
                message: " ".into(),
            },
        )
        .expect_err("no message");
        assert!(empty.to_string().contains("needs a message"));
        let outside = run(
            d,
            &GitAction::Commit {
                paths: vec!["../x".into()],
                message: "m".into(),
            },
        )
        .expect_err("outside");
        assert!(outside.to_string().contains("not a path inside"));
        git(d, &["config", "user.name", "T"]);
        git(d, &["config", "user.email", "t@t"]);
        run(
            d,
            &GitAction::Commit {
                paths: vec!["notes.txt".into()],
                message: "add notes".into(),
            },
        )
        .expect("commit");
        assert_eq!(
            git_out(d, &["log", "-1", "--format=%s"]).trim(),
            "add notes"
        );
        let committed = git_out(d, &["show", "--name-only", "--format=", "HEAD"]);
        assert_eq!(committed.trim(), "notes.txt");
        // README's staged change is still staged, not committed.
        assert!(git_out(d, &["diff", "--cached", "--name-only"]).contains("README.md"));
    }
}

mod remotes {
    use super::*;
    use peon_app::api::GitAction;

    #[test]
    fn push_sets_the_upstream_then_pushes_to_it() {
        let dir = busy_repo();
        let d = dir.path();
        let remote = tempfile::tempdir().expect("remote");
        git(remote.path(), &["init", "-q", "--bare"]);
        git(
            d,
            &[
                "remote",
                "add",
                "origin",
                &remote.path().display().to_string(),
            ],
        );
        let s = run(d, &GitAction::Push).expect("push");
        assert_eq!(s.upstream.as_deref(), Some("origin/main"));
        assert_eq!((s.ahead, s.behind), (0, 0));
        write(d, "later.txt", b"later\n");
        git(d, &["add", "later.txt"]);
        git(d, &["commit", "-q", "-m", "later"]);
        assert_eq!(status(d).expect("status").ahead, 1);
        assert_eq!(run(d, &GitAction::Push).expect("push again").ahead, 0);
    }

    #[test]
    fn push_without_a_remote_says_what_git_said() {
        let dir = busy_repo();
        let e = run(dir.path(), &GitAction::Push).expect_err("no remote");
        let text = e.to_string();
        assert!(
            text.contains("git push --set-upstream origin main") && text.contains("failed"),
            "{text}"
        );
    }

    #[test]
    fn a_pull_request_without_gh_says_how_to_get_it() {
        if Command::new("gh").arg("--version").output().is_ok() {
            // gh is installed here: the missing-tool path cannot be shown.
            return;
        }
        let dir = busy_repo();
        let e = run(dir.path(), &GitAction::PullRequest).expect_err("no gh");
        assert!(
            e.to_string().contains("`gh` was not found") && e.to_string().contains("gh auth login"),
            "{e}"
        );
    }
}
