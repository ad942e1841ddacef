//! `/login` trades the token, or a one-time login link, for a login
//! session; `/logout` ends it. Failed attempts are limited per client
//! address.

use super::{Security, link, sessions, token::same_secret};
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

#[derive(Debug, Deserialize)]
pub struct LinkQuery {
    #[serde(default)]
    code: Option<String>,
}

/// Who is logging in: what the session record keeps.
struct Caller {
    ip: IpAddr,
    secure: bool,
    user_agent: String,
}

impl Caller {
    fn of(security: &Security, request: &Request) -> Self {
        Self {
            ip: security.client_ip(request),
            secure: forwarded_https(request),
            user_agent: request
                .headers()
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string(),
        }
    }
}

/// `GET /login`: the form, or (with `?code=`, a link peon printed) a login
/// straight away that lands on `/`, so the code leaves the address bar.
pub async fn login_page(
    State(security): State<Security>,
    Query(query): Query<LinkQuery>,
    request: Request,
) -> Response {
    let Some(token) = security.token() else {
        return redirect("/");
    };
    let Some(code) = query.code else {
        return page(StatusCode::OK, None);
    };
    let caller = Caller::of(&security, &request);
    let blocked = security.login_blocked(caller.ip);
    security.throttle(caller.ip).await;
    let (nonce, expires) = match link::verify(&token, &code, sessions::now()) {
        Ok(valid) => valid,
        Err(e) => {
            if e == link::LinkError::Forged {
                security.login_failed(caller.ip);
                tracing::warn!(ip = %caller.ip, "a forged login link was refused");
                if let Some(wait) = blocked {
                    return too_many(wait);
                }
            }
            return link_refused(&e);
        }
    };
    match security.inner.sessions.use_link(&nonce, expires).await {
        Ok(true) => {}
        Ok(false) => return link_refused(&link::LinkError::Used),
        Err(e) => return failed(&e),
    }
    security.login_succeeded(caller.ip);
    start_session(&security, &token, &caller).await
}

/// `POST /login` with the form field `token`.
pub async fn login_submit(State(security): State<Security>, request: Request) -> Response {
    let caller = Caller::of(&security, &request);
    match axum::Form::<LoginForm>::from_request(request, &()).await {
        Ok(axum::Form(form)) => {
            attempt_from(&security, &caller, form.token.as_deref().unwrap_or("")).await
        }
        Err(e) => (
            StatusCode::BAD_REQUEST,
            format!("malformed login form: {e}"),
        )
            .into_response(),
    }
}

/// `POST /logout`: ends this browser's login session, on the server too.
pub async fn logout(State(security): State<Security>, request: Request) -> Response {
    if let Some(token) = security.token()
        && let Some(cookie) = sessions::from_headers(request.headers())
        && let Some(key) = security.inner.sessions.check(&token, &cookie)
        && let Err(e) = security.inner.sessions.end(&key).await
    {
        return failed(&e);
    }
    let mut response = redirect(LOGIN_PATH);
    if let Ok(value) = sessions::clear_cookie().parse() {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    // On a shared machine the next person at this browser must not find
    // the conversations kept for offline reading.
    response.headers_mut().insert(
        "clear-site-data",
        axum::http::HeaderValue::from_static("\"cache\", \"storage\""),
    );
    response
}

/// Compares first, then counts: a guesser past the limit is slowed down and
/// told to wait, but the right token always logs in (one guesser behind a
/// shared address must not lock out everyone else there).
async fn attempt_from(security: &Security, caller: &Caller, given: &str) -> Response {
    let Some(token) = security.token() else {
        return redirect("/");
    };
    let blocked = security.login_blocked(caller.ip);
    security.throttle(caller.ip).await;
    if !same_secret(given.trim(), &token) {
        security.login_failed(caller.ip);
        tracing::warn!(ip = %caller.ip, "a login with a wrong token was refused");
        if let Some(wait) = blocked {
            return too_many(wait);
        }
        return page(StatusCode::UNAUTHORIZED, Some("That token is not right."));
    }
    security.login_succeeded(caller.ip);
    start_session(security, &token, caller).await
}

/// Records a new session and sends the browser to `/` with its cookie.
async fn start_session(security: &Security, token: &str, caller: &Caller) -> Response {
    let lasts = security.inner.session;
    let value = match security
        .inner
        .sessions
        .create(token, lasts, &caller.user_agent, &caller.ip.to_string())
        .await
    {
        Ok(value) => value,
        Err(e) => return failed(&e),
    };
    let cookie = sessions::set_cookie(&value, lasts, caller.secure);
    let mut response = redirect("/");
    if let Ok(value) = cookie.parse() {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

fn too_many(wait: u64) -> Response {
    let mut response = page(
        StatusCode::TOO_MANY_REQUESTS,
        Some(&format!("Too many wrong tokens. Try again in {wait} s.")),
    );
    if let Ok(value) = wait.to_string().parse() {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

fn link_refused(e: &link::LinkError) -> Response {
    page(
        StatusCode::UNAUTHORIZED,
        Some(&format!(
            "{}: links work once, for a few minutes. Run \"peon login-url\" where peon \
             runs for a fresh one, or log in with the token.",
            capitalised(&e.to_string())
        )),
    )
}

fn failed(e: &super::SessionError) -> Response {
    tracing::error!("{e}");
    page(
        StatusCode::INTERNAL_SERVER_ERROR,
        Some(&format!("peon could not log you in: {e}")),
    )
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
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
         <p class=\"muted\">Run <code>peon login-url</code> where peon runs for a \
         one-time link, or use the token: peon's config (auth_token) or the auth-token file \
         in its data folder.</p></form></body></html>"
    );
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
        .into_response()
}

fn escape(text: &str) -> String {
    let mut out = String::new();
    peon_app::highlight::escape_html(&mut out, text);
    out
}
