//! `/login` trades the token for a login cookie; `/logout` ends it. Failed
//! attempts are limited per client address.

use super::{Security, session, token::same_secret};
use axum::extract::{ConnectInfo, FromRequest, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

pub const LOGIN_PATH: &str = "/login";
pub const LOGOUT_PATH: &str = "/logout";

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    token: Option<String>,
}

/// `GET /login`: the form, or (with `?token=`, the URL peon prints when it
/// makes a token) a login straight away.
pub async fn login_page(
    State(security): State<Security>,
    Query(form): Query<LoginForm>,
    request: Request,
) -> Response {
    match form.token {
        Some(token) => {
            let (ip, secure) = (security.client_ip(&request), forwarded_https(&request));
            attempt_from(&security, ip, secure, &token).await
        }
        None if security.token().is_none() => redirect("/"),
        None => page(StatusCode::OK, None),
    }
}

/// `POST /login` with the form field `token`.
pub async fn login_submit(State(security): State<Security>, request: Request) -> Response {
    let ip = security.client_ip(&request);
    let secure = forwarded_https(&request);
    match axum::Form::<LoginForm>::from_request(request, &()).await {
        Ok(axum::Form(form)) => {
            attempt_from(&security, ip, secure, form.token.as_deref().unwrap_or("")).await
        }
        Err(e) => (
            StatusCode::BAD_REQUEST,
            format!("malformed login form: {e}"),
        )
            .into_response(),
    }
}

/// `POST /logout`: ends the login in this browser.
pub async fn logout() -> Response {
    let mut response = redirect(LOGIN_PATH);
    if let Ok(value) = session::clear_cookie().parse() {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// Compares first, then counts: a guesser past the limit is slowed down and
/// told to wait, but the right token always logs in (one guesser behind a
/// shared address must not lock out everyone else there).
async fn attempt_from(security: &Security, ip: IpAddr, secure: bool, given: &str) -> Response {
    let Some(token) = security.token() else {
        return redirect("/");
    };
    let blocked = security.login_blocked(ip);
    security.throttle(ip).await;
    if !same_secret(given.trim(), token) {
        security.login_failed(ip);
        tracing::warn!(%ip, "a login with a wrong token was refused");
        if let Some(wait) = blocked {
            let mut response = page(
                StatusCode::TOO_MANY_REQUESTS,
                Some(&format!("Too many wrong tokens. Try again in {wait} s.")),
            );
            if let Ok(value) = wait.to_string().parse() {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            return response;
        }
        return page(StatusCode::UNAUTHORIZED, Some("That token is not right."));
    }
    security.login_succeeded(ip);
    let lasts = security.inner.session;
    let cookie = session::set_cookie(&session::issue(token, lasts), lasts, secure);
    let mut response = redirect("/");
    if let Ok(value) = cookie.parse() {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// The address the request came from (the TCP peer).
pub(super) fn peer_ip(request: &Request) -> IpAddr {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip())
}

/// Behind a TLS-terminating proxy the cookie is marked Secure.
fn forwarded_https(request: &Request) -> bool {
    request
        .headers()
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

fn redirect(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_string())]).into_response()
}

/// The login form (no script; inline style only).
pub fn page(status: StatusCode, message: Option<&str>) -> Response {
    let message = message
        .map(|m| {
            format!(
                "<p class=\"error\" data-testid=\"login-error\">{}</p>",
                escape(m)
            )
        })
        .unwrap_or_default();
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"color-scheme\" content=\"light dark\"><title>Log in · peon</title>\
         <style>body{{font-family:system-ui,sans-serif;display:grid;place-items:center;\
         min-height:90vh;margin:0}}form{{display:flex;flex-direction:column;gap:.75rem;\
         width:min(22rem,90vw)}}input,button{{font:inherit;padding:.5rem}}\
         .error{{color:#c62828}}.muted{{opacity:.7;font-size:.9rem}}</style></head><body>\
         <form method=\"post\" action=\"{LOGIN_PATH}\" data-testid=\"login-form\">\
         <h1>peon</h1>{message}<label>Token <input type=\"password\" name=\"token\" \
         autocomplete=\"current-password\" autofocus required data-testid=\"login-token\">\
         </label><button type=\"submit\" data-testid=\"login-submit\">Log in</button>\
         <p class=\"muted\">The token is in peon's config (auth_token) or in the \
         auth-token file in its data folder.</p></form></body></html>"
    );
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
        .into_response()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
