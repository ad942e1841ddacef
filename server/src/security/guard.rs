//! The one middleware in front of every route: security headers, Host,
//! Origin, body size, then the token.

use super::revoke::{Admission, Revocation};
use super::{Security, headers, login, sessions, token::fingerprint, token::same_secret};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use peon_app::api::access::backend::SessionKey;

/// The nonce of this response's Content-Security-Policy, for the inline
/// scripts the server renders.
#[derive(Clone, Debug)]
pub struct CspNonce(pub String);

pub async fn guard(State(security): State<Security>, request: Request, next: Next) -> Response {
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    let mut response = match check(&security, request).await {
        Err(refusal) => {
            let mut response = refusal.into_response();
            // A body refused for its size was not read to its end: the
            // connection cannot carry another request.
            if response.status() == StatusCode::PAYLOAD_TOO_LARGE {
                response.headers_mut().insert(
                    header::CONNECTION,
                    axum::http::HeaderValue::from_static("close"),
                );
            }
            response
        }
        Ok((mut request, revocation)) => {
            request.extensions_mut().insert(CspNonce(nonce.clone()));
            request.extensions_mut().insert(revocation.clone());
            end_stream_when_revoked(next.run(request).await, revocation)
        }
    };
    headers::apply(response.headers_mut(), &nonce);
    response
}

async fn check(security: &Security, request: Request) -> Result<(Request, Revocation), Refusal> {
    let (credentials, origin) = check_caller(security, &request)?;
    let admission = match credentials {
        Some(credentials) => check_token(security, credentials).await?,
        None => Admission::Open,
    };
    origin?;
    let mut request = bounded_body(security, request).await?;
    if let Admission::Session(key) = &admission {
        request.extensions_mut().insert(SessionKey(key.clone()));
    }
    Ok((request, Revocation::new(security.clone(), admission)))
}

/// An event stream ends when what let it in no longer would (the session
/// signed out, the token changed).
fn end_stream_when_revoked(response: Response, revocation: Revocation) -> Response {
    let streaming = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream"));
    if !streaming || revocation.is_open() {
        return response;
    }
    use futures::StreamExt;
    let (parts, body) = response.into_parts();
    let body = body
        .into_data_stream()
        .take_until(Box::pin(revocation.revoked()));
    Response::from_parts(parts, axum::body::Body::from_stream(body))
}

/// What the token check needs, taken out of the request (whose body cannot
/// be held across an await).
struct Credentials {
    /// The token in use when the request came in (read once per request).
    token: std::sync::Arc<str>,
    bearer: Option<String>,
    /// The live login session the cookie names.
    session: Option<String>,
    ip: std::net::IpAddr,
    wants_page: bool,
}

/// Host and size; then what the token check needs (unless no token is set
/// or the route is the login itself) and the Origin check's verdict, which
/// counts only after the token's.
type Caller = (Option<Credentials>, Result<(), Refusal>);

fn check_caller(security: &Security, request: &Request) -> Result<Caller, Refusal> {
    let headers = request.headers();
    let host = authority(request).ok_or_else(|| {
        refuse(
            StatusCode::BAD_REQUEST,
            "the request has no Host header".to_string(),
        )
    })?;
    if !host_allowed(security, &host) {
        return Err(refuse(
            StatusCode::FORBIDDEN,
            format!(
                "peon does not answer to Host \"{host}\": use its address or localhost, or add \
                 the name with --allowed-host"
            ),
        ));
    }
    check_size(security, headers)?;
    // A bearer header is never sent by a browser on its own, so only
    // cookie (or open) requests need an Origin to prove where they come from.
    let browser_may_upgrade = is_upgrade(headers) && bearer(headers).is_none();
    let origin = check_origin(security, headers, &host, browser_may_upgrade);
    let path = request.uri().path();
    let Some(token) = security.token() else {
        return Ok((None, origin));
    };
    if path == login::LOGIN_PATH
        || path == login::LOGOUT_PATH
        || security.inner.open_paths.iter().any(|p| p == path)
    {
        return Ok((None, origin));
    }
    let credentials = Credentials {
        token: token.clone(),
        bearer: bearer(headers).map(str::to_string),
        session: sessions::from_headers(headers)
            .and_then(|c| security.inner.sessions.check(&token, &c)),
        ip: security.client_ip(request),
        wants_page: request.method() == Method::GET
            && headers
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|a| a.contains("text/html")),
    };
    Ok((Some(credentials), origin))
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
}

/// The Host header, else the URI's authority (HTTP/2), lowercased.
fn authority(request: &Request) -> Option<String> {
    request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string)
        .or_else(|| request.uri().authority().map(|a| a.to_string()))
        .map(|h| h.trim().to_ascii_lowercase())
        .filter(|h| !h.is_empty())
}

/// `name` of `name:port` (brackets kept off IPv6 literals). A bracket
/// must close at the end or before `:port`; anything else (`[::1].evil`)
/// is returned whole, so it is no address.
pub(super) fn host_name(authority: &str) -> &str {
    if let Some(rest) = authority.strip_prefix('[') {
        return match rest.split_once(']') {
            Some((address, "")) => address,
            Some((address, port))
                if port
                    .strip_prefix(':')
                    .is_some_and(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit())) =>
            {
                address
            }
            _ => authority,
        };
    }
    authority
        .rsplit_once(':')
        .map_or(authority, |(name, port)| {
            if port.chars().all(|c| c.is_ascii_digit()) {
                name
            } else {
                authority
            }
        })
}

/// An IP address, a localhost name, or a configured name. A rebinding
/// attack needs a name of the attacker's; an address literal is not one.
fn host_allowed(security: &Security, authority: &str) -> bool {
    let name = host_name(authority);
    name.parse::<std::net::IpAddr>().is_ok()
        || name == "localhost"
        || name.ends_with(".localhost")
        || security
            .inner
            .allowed_hosts
            .iter()
            .any(|h| h == name || h == authority)
}

fn is_upgrade(headers: &HeaderMap) -> bool {
    headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// A request that carries an Origin must come from this server's own
/// pages (or a configured name). Browsers always send Origin on
/// cross-origin requests, on every POST and on WebSocket upgrades, so an
/// upgrade without one (and without a bearer token) is refused; otherwise,
/// without one, a browser's `Sec-Fetch-Site` must not say it is
/// cross-site. Clients that are not browsers send neither and cannot be
/// driven by another site.
fn check_origin(
    security: &Security,
    headers: &HeaderMap,
    host: &str,
    upgrade: bool,
) -> Result<(), Refusal> {
    let origin = headers
        .get(header::ORIGIN)
        .map(|o| o.to_str().unwrap_or(""));
    let Some(origin) = origin else {
        let site = headers
            .get("sec-fetch-site")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("none");
        if upgrade {
            return Err(refuse(
                StatusCode::FORBIDDEN,
                "a WebSocket upgrade must carry an Origin header".to_string(),
            ));
        }
        if matches!(site, "cross-site" | "same-site") {
            return Err(refuse(
                StatusCode::FORBIDDEN,
                format!("cross-site request refused (Sec-Fetch-Site: {site})"),
            ));
        }
        return Ok(());
    };
    let lowered = origin.trim().to_ascii_lowercase();
    let origin_authority = lowered
        .strip_prefix("http://")
        .or_else(|| lowered.strip_prefix("https://"))
        .map(|rest| rest.split('/').next().unwrap_or(rest));
    let allowed = origin_authority.is_some_and(|a| {
        a == host
            || security
                .inner
                .allowed_hosts
                .iter()
                .any(|h| h == a || h == host_name(a))
    });
    if allowed {
        Ok(())
    } else {
        Err(refuse(
            StatusCode::FORBIDDEN,
            format!("cross-origin request refused: Origin \"{origin}\" is not this server"),
        ))
    }
}

fn check_size(security: &Security, headers: &HeaderMap) -> Result<(), Refusal> {
    let limit = security.inner.max_body_bytes;
    let length = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match length {
        Some(n) if n > limit as u64 => Err(refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the request body is {n} bytes; the limit is {limit} (max_body_bytes in the \
                 config, --max-body-bytes)"
            ),
        )),
        _ => Ok(()),
    }
}

/// Whether the caller may in, and by what.
async fn check_token(security: &Security, credentials: Credentials) -> Result<Admission, Refusal> {
    let token = credentials.token.clone();
    let authorised = match &credentials.bearer {
        // Guessing with the header counts like guessing at /login: compared
        // first (the right token always gets in), then counted.
        Some(given) => {
            let ip = credentials.ip;
            let blocked = security.login_blocked(ip);
            security.throttle(ip).await;
            let right = same_secret(given.trim(), &token);
            if !right {
                security.login_failed(ip);
                if let Some(wait) = blocked {
                    return Err(refuse(
                        StatusCode::TOO_MANY_REQUESTS,
                        format!("too many wrong tokens; try again in {wait} s"),
                    ));
                }
            }
            right
        }
        None => credentials.session.is_some(),
    };
    if authorised {
        return Ok(match (credentials.bearer, credentials.session) {
            (Some(_), _) => Admission::Bearer(fingerprint(&token)),
            (None, Some(key)) => Admission::Session(key),
            // `authorised` needs one of them.
            (None, None) => Admission::Open,
        });
    }
    if credentials.wants_page {
        return Err(Refusal::LoginPage);
    }
    Err(refuse(
        StatusCode::UNAUTHORIZED,
        "peon needs you to log in: open /login in the browser, or send \"Authorization: Bearer \
         <token>\""
            .to_string(),
    ))
}

/// A body sent in chunks has no length to check up front: it is read here,
/// up to the limit, so one over it gets the same 413 as a declared one.
async fn bounded_body(security: &Security, request: Request) -> Result<Request, Refusal> {
    let chunked = request.headers().contains_key(header::TRANSFER_ENCODING)
        && !request.headers().contains_key(header::CONTENT_LENGTH);
    if !chunked {
        return Ok(request);
    }
    let limit = security.inner.max_body_bytes;
    let (parts, body) = request.into_parts();
    match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => Ok(Request::from_parts(parts, axum::body::Body::from(bytes))),
        Err(_) => Err(refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the request body is over the limit of {limit} bytes (max_body_bytes in the \
                 config, --max-body-bytes)"
            ),
        )),
    }
}

/// Why a request was turned away.
enum Refusal {
    Plain(StatusCode, String),
    /// A browser asking for a page without logging in: the login form,
    /// with 401.
    LoginPage,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::Plain(status, message) => (
                status,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                message,
            )
                .into_response(),
            Refusal::LoginPage => login::page(StatusCode::UNAUTHORIZED, None),
        }
    }
}

fn refuse(status: StatusCode, message: String) -> Refusal {
    Refusal::Plain(status, message)
}

#[cfg(test)]
pub(super) fn host_name_for_tests(authority: &str) -> &str {
    host_name(authority)
}
