//! Helpers for integration tests that run the real `peon` binary.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The `peon` binary under test: `PEON_BIN` (the test script points it at
/// the release build), else the debug build beside this test executable.
pub fn peon_bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("PEON_BIN") {
        return PathBuf::from(bin);
    }
    let exe = std::env::current_exe().expect("test executable path");
    let debug_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps");
    let bin = debug_dir.join("peon");
    assert!(
        bin.is_file(),
        "{} is missing: build it first (cargo build -p peon-server) or set PEON_BIN",
        bin.display()
    );
    bin
}

/// A running peon on a free port with its own data folder; killed on drop.
pub struct Peon {
    pub url: String,
    pub data_dir: PathBuf,
    child: Child,
}

impl Peon {
    /// Starts peon with a data folder inside `dir`.
    pub fn start(dir: &Path) -> Peon {
        Self::start_with(dir, &[])
    }

    pub fn start_with(dir: &Path, extra: &[&str]) -> Peon {
        let data_dir = dir.join("data");
        let mut child = Command::new(peon_bin())
            .arg("--data-dir")
            .arg(&data_dir)
            .args(["--port", "0"])
            .args(extra)
            .env("PEON_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn peon");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let deadline = Instant::now() + Duration::from_secs(30);
        let url = loop {
            assert!(
                Instant::now() < deadline,
                "peon did not print its URL in time"
            );
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(rest) = line.split("running at ").nth(1) {
                        let url = rest.split_whitespace().next().unwrap_or_default();
                        break url.trim_end_matches('/').to_string();
                    }
                }
                _ => panic!("peon exited before printing its URL"),
            }
        };
        Peon {
            url,
            data_dir,
            child,
        }
    }

    /// Stops peon the way a user would (SIGTERM) and waits for it.
    pub fn stop(mut self) {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

impl Drop for Peon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `peon` with arguments to completion; returns (success, stdout+stderr).
pub fn run_peon(args: &[&str]) -> (bool, String) {
    let out = Command::new(peon_bin())
        .args(args)
        .output()
        .expect("run peon");
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}
