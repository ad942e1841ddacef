//! `/sw.js`: the service worker, with the built site's files filled in.

use crate::site::Build;
use axum::http::header;
use axum::response::IntoResponse;

/// A handler serving the script. It lives at the root so its scope is the
/// whole app, and is never cached by the browser's HTTP cache so a new
/// version reaches clients.
pub fn handler(
    site: Option<&Build>,
) -> impl Fn() -> std::future::Ready<axum::response::Response> + Clone + Send + 'static {
    let script = script(site);
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

/// The script with every file of the build (WASM, JS and its snippets, CSS)
/// at the address the page asks for it, the icons and manifest, and the
/// build's version, so a new build replaces the cached shell.
fn script(site: Option<&Build>) -> String {
    // The icons and manifest too, so an installed peon opens offline.
    let urls: Vec<String> = site
        .map(Build::urls)
        .unwrap_or_default()
        .into_iter()
        .chain(super::install::paths())
        .chain([peon_app::APP_SHELL.to_string()])
        .collect();
    let version = site.map_or("none", |s| s.version.as_str());
    include_str!("sw.js")
        .replace(
            "__SHELL_FILES__",
            &serde_json::to_string(&urls).unwrap_or_else(|_| "[]".to_string()),
        )
        .replace("__VERSION__", version)
        .replace("__APP_SHELL__", peon_app::APP_SHELL)
}
