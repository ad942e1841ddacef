//! Finding the built site files (WASM, JS, CSS) wherever peon is started
//! from.

use std::path::{Path, PathBuf};

/// The file whose presence marks a site folder.
const MARKER: &str = "pkg/peon.js";

/// `PEON_SITE_ROOT` if set; else `site/` beside the executable or one level
/// up (`target/site` for `target/release/peon`); else the workspace's
/// `target/site` as seen at compile time.
pub fn find_site_root() -> Option<PathBuf> {
    if let Some(root) = std::env::var_os("PEON_SITE_ROOT") {
        return Some(PathBuf::from(root));
    }
    let mut candidates = Vec::new();
    if let Ok(exe) = std::env::current_exe()
        && let Some(dir) = exe.parent()
    {
        candidates.push(dir.join("site"));
        if let Some(up) = dir.parent() {
            candidates.push(up.join("site"));
        }
    }
    candidates.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/site"));
    candidates
        .into_iter()
        .find(|c| c.join(MARKER).is_file())
        .and_then(|c| c.canonicalize().ok())
}
