//! Checkpoint capture, diff and revert on a generated repository of 20,000
//! files with a 5 MB change. `cargo bench -p peon-server --bench git`.

use peon_app::contracts::ThreadId;
use peon_server::git::{Limits, capture, diff, revert};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const FILES: usize = 20_000;
const CHANGED_FILES: usize = 50;
const CHANGED_BYTES: usize = 100 * 1024;

fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .args([
            "-c",
            "user.name=b",
            "-c",
            "user.email=b@b",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .status()
        .expect("git")
        .success();
    assert!(ok, "git {args:?}");
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let out = f();
    (out, start.elapsed())
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    git(d, &["init", "-q", "-b", "main"]);
    for i in 0..FILES {
        let path = d.join(format!("src/m{:03}/f{i:05}.rs", i / 100));
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        let body: String = (0..20).map(|l| format!("// file {i} line {l}\n")).collect();
        std::fs::write(path, body).expect("write");
    }
    git(d, &["add", "."]);
    git(d, &["commit", "-q", "-m", "generated"]);
    let thread = ThreadId::from_u128(1);
    let limits = Limits::default();

    let (_, baseline) = timed(|| capture(d, thread, 0, &limits).expect("baseline"));
    let (_, unchanged) = timed(|| capture(d, thread, 1, &limits).expect("again"));
    // A 5 MB change: 50 files rewritten with 100 KB each.
    for i in 0..CHANGED_FILES {
        let path = d.join(format!("src/m{:03}/f{i:05}.rs", i / 100));
        let body: String = (0..CHANGED_BYTES / 32)
            .map(|l| format!("let changed_{l:08} = {i:06};\n"))
            .collect();
        std::fs::write(path, body).expect("write");
    }
    let (_, changed) = timed(|| capture(d, thread, 2, &limits).expect("changed"));
    let (result, first_diff) = timed(|| diff(d, thread, 1, 2).expect("diff"));
    let bytes: usize = result.files.iter().map(|f| f.patch.len()).sum();
    let (_, reverted) = timed(|| revert(d, thread, 1, &limits).expect("revert"));

    println!(
        "| measure ({FILES} files, {CHANGED_FILES} × {} KB changed) | time |",
        CHANGED_BYTES / 1024
    );
    println!("| --- | --- |");
    println!(
        "| capture, first (baseline) | {:.0} ms |",
        baseline.as_secs_f64() * 1e3
    );
    println!(
        "| capture, nothing changed | {:.0} ms |",
        unchanged.as_secs_f64() * 1e3
    );
    println!(
        "| capture after the 5 MB change | {:.0} ms |",
        changed.as_secs_f64() * 1e3
    );
    println!(
        "| diff of the change ({} files, {:.1} MB of patch) | {:.0} ms |",
        result.files.len(),
        bytes as f64 / 1e6,
        first_diff.as_secs_f64() * 1e3
    );
    println!(
        "| revert the change | {:.0} ms |",
        reverted.as_secs_f64() * 1e3
    );
}
