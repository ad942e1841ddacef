//! Server functions answer a request they cannot decode with a 500; it is
//! the client's mistake, so it becomes a 400 with the decoder's message.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Leptos marks its error responses with this header.
const SERVER_FN_ERROR: &str = "serverfnerror";
/// Error kinds that mean the request could not be decoded.
const CLIENT_KINDS: [&str; 3] = ["Deserialization|", "Args|", "MissingArg|"];
/// Most of an error body read back.
const MAX_ERROR_BYTES: usize = 64 * 1024;

pub async fn malformed_requests(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !response.headers().contains_key(SERVER_FN_ERROR)
    {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_ERROR_BYTES).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let text = String::from_utf8_lossy(&bytes);
    match CLIENT_KINDS.iter().find_map(|k| text.strip_prefix(k)) {
        Some(message) => (
            StatusCode::BAD_REQUEST,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("malformed request: {message}"),
        )
            .into_response(),
        None => Response::from_parts(parts, Body::from(bytes)),
    }
}
