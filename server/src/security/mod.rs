//! Who may reach peon: the auth token (login cookie or bearer header), the
//! Host and Origin checks that defeat DNS rebinding and cross-site use, the
//! request-size limit, and the security headers on every response. One
//! middleware (`guard`) applies all of it to every route.

mod guard;
mod headers;
mod login;
mod session;
mod token;

pub use guard::{CspNonce, guard};
pub use login::{LOGIN_PATH, LOGOUT_PATH, login_page, login_submit, logout};
pub use session::COOKIE;
pub use token::{TOKEN_FILE, TokenOrigin, resolve_token, rotate_token};

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Failed logins allowed per client address in `LOGIN_WINDOW`.
pub const LOGIN_ATTEMPTS: u32 = 5;
pub const LOGIN_WINDOW: Duration = Duration::from_secs(60);
/// Failed logins from all addresses together in `LOGIN_WINDOW` before every
/// guess is slowed down.
pub const GLOBAL_LOGIN_ATTEMPTS: u32 = 30;
/// How long each guess past a limit waits, one at a time: at most one such
/// guess a second is answered, however many addresses send them.
pub const SLOW_LANE: Duration = Duration::from_secs(1);

/// The security settings of a running server, shared by the middleware and
/// the login routes.
#[derive(Clone)]
pub struct Security {
    inner: Arc<Inner>,
}

struct Inner {
    token: Option<String>,
    allowed_hosts: Vec<String>,
    session: Duration,
    max_body_bytes: usize,
    trust_proxy: bool,
    failures: Mutex<HashMap<IpAddr, (u32, Instant)>>,
    /// Failed logins from everywhere, in the current window.
    all_failures: Mutex<(u32, Instant)>,
    slow_lane: tokio::sync::Mutex<()>,
}

impl Security {
    /// `token: None` leaves peon open (loopback only; `main` refuses any
    /// other address without one). `allowed_hosts` are extra Host names.
    pub fn new(
        token: Option<String>,
        allowed_hosts: &[String],
        session: Duration,
        max_body_bytes: usize,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                token,
                allowed_hosts: allowed_hosts
                    .iter()
                    .map(|h| h.trim().to_ascii_lowercase())
                    .filter(|h| !h.is_empty())
                    .collect(),
                session,
                max_body_bytes,
                trust_proxy: false,
                failures: Mutex::new(HashMap::new()),
                all_failures: Mutex::new((0, Instant::now())),
                slow_lane: tokio::sync::Mutex::new(()),
            }),
        }
    }

    /// Behind a reverse proxy on this machine: a request from loopback is
    /// counted (for failed logins) under the address the proxy appended to
    /// X-Forwarded-For. Earlier entries are the client's own claims and
    /// are never used.
    pub fn trusting_proxy(mut self, trust: bool) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.trust_proxy = trust;
        }
        self
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

    /// No token, no Host list: what tests and benchmarks use on loopback.
    pub fn open(max_body_bytes: usize) -> Self {
        Self::new(None, &[], Duration::from_secs(3600), max_body_bytes)
    }

    fn token(&self) -> Option<&str> {
        self.inner.token.as_deref()
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

#[cfg(test)]
mod tests;

/// The last address in X-Forwarded-For: the one the nearest proxy saw.
fn forwarded_for(headers: &axum::http::HeaderMap) -> Option<IpAddr> {
    let last = headers.get_all("x-forwarded-for").iter().next_back()?;
    last.to_str().ok()?.rsplit(',').next()?.trim().parse().ok()
}
