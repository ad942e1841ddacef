//! `/sw.js`: the service worker, with the built site's files filled in.

use axum::http::header;
use axum::response::IntoResponse;
use std::path::Path;

/// A handler serving the script. It lives at the root so its scope is the
/// whole app, and is never cached by the browser's HTTP cache so a new
/// version reaches clients.
pub fn handler(
    site_root: Option<&Path>,
) -> impl Fn() -> std::future::Ready<axum::response::Response> + Clone + Send + 'static {
    let script = script(site_root);
    move || {
        std::future::ready(
            (
                [
                    (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                    (header::CACHE_CONTROL, "no-cache"),
                ],
                script.clone(),
            )
                .into_response(),
        )
    }
}

/// The script with every file under `pkg/` (WASM, JS and its snippets, CSS)
/// and the icons, and a version derived from the files' names, sizes and
/// times, so a new build replaces the cached shell.
fn script(site_root: Option<&Path>) -> String {
    let mut files = Vec::new();
    if let Some(root) = site_root {
        collect_files(&root.join("pkg"), "/pkg", &mut files);
    }
    files.sort();
    // FNV-1a: stable across runs and platforms, unlike std's hasher.
    let mut version: u64 = 0xcbf2_9ce4_8422_2325;
    for (url, stamp) in &files {
        for byte in url.bytes().chain(stamp.to_le_bytes()) {
            version = (version ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    // The icons and manifest too, so an installed peon opens offline.
    let urls: Vec<String> = files
        .into_iter()
        .map(|(url, _)| url)
        .chain(super::install::paths())
        .chain([peon_app::APP_SHELL.to_string()])
        .collect();
    include_str!("sw.js")
        .replace(
            "__SHELL_FILES__",
            &serde_json::to_string(&urls).unwrap_or_else(|_| "[]".to_string()),
        )
        .replace("__VERSION__", &format!("{version:016x}"))
        .replace("__APP_SHELL__", peon_app::APP_SHELL)
}

fn collect_files(dir: &Path, url: &str, out: &mut Vec<(String, u64)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        if path.is_dir() {
            collect_files(&path, &format!("{url}/{name}"), out);
        } else if name.ends_with(".br") || name.ends_with(".gz") {
            // Compressed copies of files listed anyway; the server picks
            // one when the browser asks for the file.
        } else if let Ok(meta) = entry.metadata() {
            let modified = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_secs());
            out.push((
                format!("{url}/{name}"),
                meta.len() ^ modified.rotate_left(32),
            ));
        }
    }
}
