//! Worktrees and submodules on real temporary repositories.

use super::tests::{busy_repo, files, git, git_out, repo, thread, user_state, write};
use super::*;

#[test]
fn a_worktree_is_a_new_branch_beside_the_project() {
    let project = busy_repo();
    let p = project.path();
    let (files_before, git_before) = (files(p), user_state(p));
    let place = tempfile::tempdir().expect("temp");
    let path = place.path().join("worktrees/thread-1");

    let made = worktree::create(p, &path, "peon/thread-1").expect("create");
    assert_eq!(made.branch, "peon/thread-1");
    // The committed files, none of the project's uncommitted changes.
    assert_eq!(
        std::fs::read(path.join("README.md")).expect("readme"),
        b"hello\n"
    );
    assert!(!path.join("notes.txt").exists());
    assert_eq!(
        git_out(&path, &["branch", "--show-current"]).trim(),
        "peon/thread-1"
    );
    assert!(worktree::uncommitted(&path).expect("status").is_empty());
    assert_eq!(files(p), files_before, "the project's files changed");
    // The new branch is the only change to the project's git state.
    assert_eq!(
        user_state(p)[..2],
        git_before[..2],
        "the project's index or HEAD changed"
    );

    // Checkpoints and reverts work inside the worktree and leave the
    // project alone.
    capture(&path, thread(), 0, &Limits::default()).expect("baseline");
    write(&path, "src/main.rs", b"// agent\n");
    write(&path, "added.txt", b"new\n");
    capture(&path, thread(), 1, &Limits::default()).expect("turn 1");
    revert(&path, thread(), 0, &Limits::default()).expect("revert");
    assert_eq!(
        std::fs::read(path.join("src/main.rs")).expect("main"),
        b"fn main() {}\n"
    );
    assert!(!path.join("added.txt").exists());
    assert_eq!(files(p), files_before);

    // Uncommitted work is reported, file by file.
    write(&path, "added.txt", b"again\n");
    write(&path, "README.md", b"edited\n");
    let mut dirty = worktree::uncommitted(&path).expect("status");
    dirty.sort();
    assert_eq!(dirty, ["README.md", "added.txt"]);

    // A commit on the branch outlives the worktree.
    git(&path, &["add", "."]);
    git(&path, &["commit", "-q", "-m", "work"]);
    worktree::remove(&path).expect("remove");
    assert!(!path.exists(), "the folder is gone");
    assert!(!git_out(p, &["worktree", "list"]).contains("thread-1"));
    assert_eq!(
        git_out(p, &["show", "peon/thread-1:added.txt"]),
        "again\n",
        "the branch and its commit are kept"
    );
    assert_eq!(files(p), files_before);
}

#[test]
fn an_existing_branch_can_be_used_once() {
    let project = busy_repo();
    let p = project.path();
    git(p, &["branch", "feature"]);
    let place = tempfile::tempdir().expect("temp");
    worktree::create(p, &place.path().join("a"), "feature").expect("existing branch");
    let taken = worktree::create(p, &place.path().join("b"), "feature").expect_err("taken");
    assert!(taken.to_string().contains("already checked out"), "{taken}");
    let current = worktree::create(p, &place.path().join("c"), "main").expect_err("HEAD");
    assert!(
        current.to_string().contains("already checked out"),
        "{current}"
    );
    assert!(!place.path().join("b").exists() && !place.path().join("c").exists());
}

#[test]
fn a_worktree_needs_a_repository_with_a_commit_and_a_valid_branch() {
    let place = tempfile::tempdir().expect("temp");
    let plain = tempfile::tempdir().expect("plain");
    let e = worktree::create(plain.path(), &place.path().join("w"), "b").expect_err("plain");
    assert!(matches!(e, GitError::NotARepository(_)), "{e}");

    let empty = repo();
    let e = worktree::create(empty.path(), &place.path().join("w"), "b").expect_err("empty");
    assert!(e.to_string().contains("no commit yet"), "{e}");

    let project = busy_repo();
    let e =
        worktree::create(project.path(), &place.path().join("w"), "bad..name").expect_err("name");
    assert!(e.to_string().contains("not a valid branch name"), "{e}");

    std::fs::create_dir_all(place.path().join("taken")).expect("mkdir");
    let e = worktree::create(project.path(), &place.path().join("taken"), "b").expect_err("taken");
    assert!(e.to_string().contains("already there"), "{e}");
    assert!(
        git_out(project.path(), &["branch", "--list", "b"]).is_empty(),
        "no branch is left behind by a refused worktree"
    );
}

#[test]
fn a_submodule_is_left_as_it_is() {
    let inner = repo();
    write(inner.path(), "lib.rs", b"pub fn lib() {}\n");
    git(inner.path(), &["add", "."]);
    git(inner.path(), &["commit", "-q", "-m", "lib"]);
    let outer = busy_repo();
    let d = outer.path();
    let url = inner.path().display().to_string();
    git(
        d,
        &[
            "-c",
            "protocol.file.allow=always",
            "submodule",
            "add",
            "-q",
            &url,
            "vendor/lib",
        ],
    );
    let git_before = user_state(d);
    capture(d, thread(), 0, &Limits::default()).expect("baseline");
    // The agent edits the project and, inside the submodule, a file and a
    // new one: the submodule is its own repository, which peon does not
    // checkpoint or revert.
    write(d, "README.md", b"agent\n");
    write(d, "vendor/lib/lib.rs", b"// agent edit\n");
    write(d, "vendor/lib/new.rs", b"// agent file\n");
    capture(d, thread(), 1, &Limits::default()).expect("turn 1");
    let changed = diff(d, thread(), 0, 1).expect("diff");
    assert!(
        changed.files.iter().any(|f| f.stat.path == "README.md"),
        "{:?}",
        changed
            .files
            .iter()
            .map(|f| &f.stat.path)
            .collect::<Vec<_>>()
    );
    revert(d, thread(), 0, &Limits::default()).expect("revert");
    assert_eq!(
        std::fs::read(d.join("README.md")).expect("readme"),
        b"hello\nstaged\nunstaged\n"
    );
    assert_eq!(
        std::fs::read(d.join("vendor/lib/lib.rs")).expect("lib"),
        b"// agent edit\n",
        "files inside a submodule are not touched"
    );
    assert!(d.join("vendor/lib/new.rs").exists());
    assert!(
        d.join("vendor/lib/.git").exists(),
        "the submodule is intact"
    );
    assert_eq!(user_state(d), git_before, "index, HEAD or branches changed");
}
