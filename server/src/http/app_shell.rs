//! `/app-shell`: the page the service worker keeps and serves for any page
//! it has not seen while the server is away. It holds no data: it starts
//! the app in the browser (`mount`, client-side rendering), which renders
//! the route from what the browser kept in IndexedDB.

use crate::security::CspNonce;
use axum::Extension;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use peon_app::{APPLE_TOUCH_ICON, ICON_SVG, KEYMAP_META, MANIFEST, THEME_COLOUR};

/// The handler, for a build whose files are under `/{pkg}`, with the keys
/// the browser is given (`Keymap::encode`).
pub fn handler(
    pkg: String,
    keys: String,
) -> impl Fn(Option<Extension<CspNonce>>) -> std::future::Ready<Response> + Clone + Send + 'static {
    // A key may be `"` or `<`.
    let keys = {
        let mut escaped = String::new();
        peon_app::highlight::escape_html(&mut escaped, &keys);
        escaped
    };
    move |nonce| std::future::ready(page(&pkg, &keys, nonce))
}

fn page(pkg: &str, keys: &str, nonce: Option<Extension<CspNonce>>) -> Response {
    let nonce = nonce.map(|Extension(n)| n.0).unwrap_or_default();
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1, interactive-widget=resizes-content\">\
         <meta name=\"color-scheme\" content=\"light dark\">\
         <meta name=\"theme-color\" content=\"{THEME_COLOUR}\">\
         <link rel=\"icon\" href=\"{ICON_SVG}\" type=\"image/svg+xml\">\
         <link rel=\"apple-touch-icon\" href=\"{APPLE_TOUCH_ICON}\">\
         <link rel=\"manifest\" href=\"{MANIFEST}\">\
         <meta name=\"{KEYMAP_META}\" content=\"{keys}\">\
         <link rel=\"stylesheet\" href=\"/{pkg}/peon.css\"><title>peon</title></head>\
         <body data-app-shell=\"true\"><script type=\"module\" nonce=\"{nonce}\">\
         import('/{pkg}/peon.js').then((m) => m.default({{module_or_path: '/{pkg}/peon_bg.wasm'}})\
         .then(() => m.mount()));</script></body></html>"
    );
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        html,
    )
        .into_response()
}
