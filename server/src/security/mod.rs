//! Who may reach peon: the auth token (a login session's cookie or a
//! bearer header), one-time login links, the Host and Origin checks that
//! defeat DNS rebinding and cross-site use, the request-size limit, and the
//! security headers on every response. One middleware (`guard`) applies all
//! of it to every route.

mod access;
mod guard;
mod headers;
mod link;
mod login;
mod revoke;
mod sessions;
mod token;

pub use guard::{CspNonce, guard};
pub use link::{LINK_LIFETIME, LinkError};
pub use login::{LOGIN_PATH, LOGOUT_PATH, login_page, login_submit, logout};
pub use revoke::{Admission, Revocation};
pub use sessions::{COOKIE, SessionError, Sessions};
pub use token::{TOKEN_FILE, TokenOrigin, resolve_token, rotate_token, stored_token};

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

/// Failed logins allowed per client address in `LOGIN_WINDOW`.
pub const LOGIN_ATTEMPTS: u32 = 5;
pub const LOGIN_WINDOW: Duration = Duration::from_secs(60);
/// Failed logins from all addresses together in `LOGIN_WINDOW` before every
/// guess is slowed down.
pub const GLOBAL_LOGIN_ATTEMPTS: u32 = 30;
/// How long each guess past a limit waits, one at a time: at most one such
/// guess a second is answered, however many addresses send them.
pub const SLOW_LANE: Duration = Duration::from_secs(1);
/// How often the token file is looked at for a new token (`peon
/// rotate-token` while peon runs).
const TOKEN_RECHECK: Duration = Duration::from_secs(1);

/// The file in the data folder holding the address of the running peon,
/// for `peon login-url`.
pub const URL_FILE: &str = "server-url";

/// How a server is protected.
#[derive(Clone, Debug)]
pub struct SecurityConfig {
    /// `None` leaves peon open (`--no-auth`; loopback only).
    pub token: Option<String>,
    /// Where the token was read from, watched for a new one.
    pub token_file: Option<PathBuf>,
    /// Extra Host names.
    pub allowed_hosts: Vec<String>,
    /// How long a login lasts.
    pub session: Duration,
    /// How long a one-time login link works.
    pub link_lifetime: Duration,
    pub max_body_bytes: usize,
    pub trust_proxy: bool,
    /// Paths anyone may fetch (icons, the manifest): nothing private.
    pub open_paths: Vec<String>,
}

impl SecurityConfig {
    pub fn new(token: Option<String>, max_body_bytes: usize) -> Self {
        Self {
            token,
            token_file: None,
            allowed_hosts: Vec::new(),
            session: Duration::from_secs(3600),
            link_lifetime: LINK_LIFETIME,
            max_body_bytes,
            trust_proxy: false,
            open_paths: Vec::new(),
        }
    }
}

/// The security settings of a running server, shared by the middleware and
/// the login routes.
#[derive(Clone)]
pub struct Security {
    inner: Arc<Inner>,
}

struct Inner {
    token: RwLock<Option<Arc<str>>>,
    token_file: Option<PathBuf>,
    /// When the token file was last looked at, and its modification time.
    token_seen: Mutex<(Instant, Option<SystemTime>)>,
    allowed_hosts: Vec<String>,
    session: Duration,
    link_lifetime: Duration,
    max_body_bytes: usize,
    trust_proxy: bool,
    open_paths: Vec<String>,
    sessions: Sessions,
    failures: Mutex<HashMap<IpAddr, (u32, Instant)>>,
    /// Failed logins from everywhere, in the current window.
    all_failures: Mutex<(u32, Instant)>,
    slow_lane: tokio::sync::Mutex<()>,
}

impl Security {
    pub fn new(config: SecurityConfig, sessions: Sessions) -> Self {
        let modified = config.token_file.as_deref().and_then(modified);
        Self {
            inner: Arc::new(Inner {
                token: RwLock::new(config.token.map(|t| Arc::from(t.trim()))),
                token_file: config.token_file,
                token_seen: Mutex::new((Instant::now(), modified)),
                allowed_hosts: config
                    .allowed_hosts
                    .iter()
                    .map(|h| h.trim().to_ascii_lowercase())
                    .filter(|h| !h.is_empty())
                    .collect(),
                session: config.session,
                link_lifetime: config.link_lifetime,
                max_body_bytes: config.max_body_bytes,
                trust_proxy: config.trust_proxy,
                open_paths: config.open_paths,
                sessions,
                failures: Mutex::new(HashMap::new()),
                all_failures: Mutex::new((0, Instant::now())),
                slow_lane: tokio::sync::Mutex::new(()),
            }),
        }
    }

    /// No token, no Host list: what benchmarks use on loopback.
    pub fn open(max_body_bytes: usize) -> Self {
        Self::new(
            SecurityConfig::new(None, max_body_bytes),
            Sessions::in_memory(),
        )
    }

    /// The token in use. One kept in a file is re-read when the file
    /// changes (at most once a second), so `peon rotate-token` ends every
    /// login of a running peon within a second.
    fn token(&self) -> Option<Arc<str>> {
        self.reload_token();
        self.inner.token.read().ok()?.clone()
    }

    fn reload_token(&self) {
        let Some(path) = &self.inner.token_file else {
            return;
        };
        let Ok(mut seen) = self.inner.token_seen.lock() else {
            return;
        };
        if seen.0.elapsed() < TOKEN_RECHECK {
            return;
        }
        seen.0 = Instant::now();
        let now = modified(path);
        if now == seen.1 {
            return;
        }
        seen.1 = now;
        let Ok(text) = std::fs::read_to_string(path) else {
            return;
        };
        let new = text.trim();
        if new.is_empty() {
            return;
        }
        if let Ok(mut token) = self.inner.token.write()
            && token.as_deref() != Some(new)
        {
            *token = Some(Arc::from(new));
            self.inner.sessions.notify();
            tracing::warn!(
                "the token in {} changed: every login made with the old one has ended",
                path.display()
            );
        }
    }

    /// The address failed logins are counted under.
    fn client_ip(&self, request: &axum::extract::Request) -> IpAddr {
        let peer = login::peer_ip(request);
        if self.inner.trust_proxy
            && peer.is_loopback()
            && let Some(forwarded) = forwarded_for(request.headers())
        {
            return forwarded;
        }
        peer
    }

    /// Seconds the client at `ip` must wait before trying to log in again,
    /// if it failed too often.
    fn login_blocked(&self, ip: IpAddr) -> Option<u64> {
        let failures = self.inner.failures.lock().ok()?;
        let (count, since) = failures.get(&ip)?;
        let elapsed = since.elapsed();
        (*count >= LOGIN_ATTEMPTS && elapsed < LOGIN_WINDOW)
            .then(|| (LOGIN_WINDOW - elapsed).as_secs().max(1))
    }

    /// Before a token is compared: a client past its limit, or any client
    /// while many addresses guess at once, waits its turn in one slow lane.
    /// The comparison still happens, so the right token always gets in.
    async fn throttle(&self, ip: IpAddr) {
        let busy = self
            .inner
            .all_failures
            .lock()
            .is_ok_and(|all| all.0 >= GLOBAL_LOGIN_ATTEMPTS && all.1.elapsed() < LOGIN_WINDOW);
        if busy || self.login_blocked(ip).is_some() {
            let _turn = self.inner.slow_lane.lock().await;
            tokio::time::sleep(SLOW_LANE).await;
        }
    }

    fn login_failed(&self, ip: IpAddr) {
        if let Ok(mut all) = self.inner.all_failures.lock() {
            if all.1.elapsed() >= LOGIN_WINDOW {
                *all = (0, Instant::now());
            }
            all.0 += 1;
        }
        if let Ok(mut failures) = self.inner.failures.lock() {
            let entry = failures.entry(ip).or_insert((0, Instant::now()));
            if entry.1.elapsed() >= LOGIN_WINDOW {
                *entry = (0, Instant::now());
            }
            entry.0 += 1;
            // Bounded: forget windows that are over.
            if failures.len() > 10_000 {
                failures.retain(|_, (_, since)| since.elapsed() < LOGIN_WINDOW);
            }
        }
    }

    fn login_succeeded(&self, ip: IpAddr) {
        if let Ok(mut failures) = self.inner.failures.lock() {
            failures.remove(&ip);
        }
    }
}

/// A one-time login link to the peon at `base` (`http://host:port`).
pub fn login_link(base: &str, token: &str, lifetime: Duration) -> String {
    link::url(base, &link::issue(token, lifetime, sessions::now()))
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

#[cfg(test)]
mod tests;

/// The last address in X-Forwarded-For: the one the nearest proxy saw.
fn forwarded_for(headers: &axum::http::HeaderMap) -> Option<IpAddr> {
    let last = headers.get_all("x-forwarded-for").iter().next_back()?;
    last.to_str().ok()?.rsplit(',').next()?.trim().parse().ok()
}
