//! Headers on every response: a Content-Security-Policy that lets the WASM
//! app run (its own scripts, WebAssembly, the nonce'd inline hydration
//! scripts) and nothing else, no framing, no MIME sniffing.

use axum::http::{HeaderMap, HeaderName, HeaderValue, header};

pub fn apply(headers: &mut HeaderMap, nonce: &str) {
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
         worker-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'"
    );
    let mut set = |name: HeaderName, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    };
    set(header::CONTENT_SECURITY_POLICY, &policy);
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::X_FRAME_OPTIONS, "DENY");
    // Not `no-referrer`: with it, browsers send `Origin: null` on form posts.
    set(header::REFERRER_POLICY, "same-origin");
}
