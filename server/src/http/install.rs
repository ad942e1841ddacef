//! What makes peon look like an app: the favicon, the icons and the web app
//! manifest (installable, with a theme colour). Built into the binary, so
//! they are there without the site files, and open to everyone (a browser
//! fetches the manifest without its cookie; none of it is private).

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use peon_app::{APPLE_TOUCH_ICON, ICON_SVG, MANIFEST, THEME_COLOUR};

/// Path, content type and bytes of each icon.
const ICONS: &[(&str, &str, &[u8])] = &[
    (
        "/favicon.ico",
        "image/x-icon",
        include_bytes!("../../../style/icons/favicon.ico"),
    ),
    (
        ICON_SVG,
        "image/svg+xml",
        include_bytes!("../../../style/icons/icon.svg"),
    ),
    (
        "/icons/icon-192.png",
        "image/png",
        include_bytes!("../../../style/icons/icon-192.png"),
    ),
    (
        "/icons/icon-512.png",
        "image/png",
        include_bytes!("../../../style/icons/icon-512.png"),
    ),
    (
        APPLE_TOUCH_ICON,
        "image/png",
        include_bytes!("../../../style/icons/apple-touch-icon.png"),
    ),
];

/// Every path served here (the guard lets them through without a login).
pub fn paths() -> Vec<String> {
    ICONS
        .iter()
        .map(|(path, _, _)| path.to_string())
        .chain([MANIFEST.to_string()])
        .collect()
}

fn manifest() -> String {
    serde_json::json!({
        "name": "peon",
        "short_name": "peon",
        "description": "A self-hosted web GUI for coding agents",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": THEME_COLOUR,
        "icons": [
            {"src": "/icons/icon-192.png", "sizes": "192x192", "type": "image/png"},
            {"src": "/icons/icon-512.png", "sizes": "512x512", "type": "image/png"},
            {"src": ICON_SVG, "sizes": "any", "type": "image/svg+xml"},
        ],
    })
    .to_string()
}

/// A day: icons change only with a new release.
const CACHE: &str = "public, max-age=86400";

pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    let mut router = Router::new();
    for (path, content_type, bytes) in ICONS {
        router = router.route(
            path,
            get(move || async move {
                (
                    [
                        (header::CONTENT_TYPE, *content_type),
                        (header::CACHE_CONTROL, CACHE),
                    ],
                    *bytes,
                )
                    .into_response()
            }),
        );
    }
    let manifest = manifest();
    router.route(
        MANIFEST,
        get(move || {
            let manifest = manifest.clone();
            async move {
                (
                    [
                        (header::CONTENT_TYPE, "application/manifest+json"),
                        (header::CACHE_CONTROL, CACHE),
                    ],
                    manifest,
                )
                    .into_response()
            }
        }),
    )
}
