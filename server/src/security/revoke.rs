//! Long-lived connections (event streams, terminal sockets) outlive the
//! request that let them in. Each carries its `Admission`; when the session
//! behind it is signed out, or the token changes, the connection ends, so a
//! copied cookie cannot keep a live view open past logout.

use super::{Security, token::fingerprint};
use std::time::Duration;

/// How often an idle connection looks at the token file for a new one.
const RECHECK: Duration = Duration::from_secs(2);

/// What let a request in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Admission {
    /// No token is needed (`--no-auth`), or the route is open (login).
    Open,
    /// A bearer token, by fingerprint.
    Bearer(String),
    /// A login session, by key.
    Session(String),
}

/// Ends when the admission stops admitting; found among a request's
/// extensions.
#[derive(Clone)]
pub struct Revocation {
    security: Security,
    admission: Admission,
}

impl Revocation {
    pub(super) fn new(security: Security, admission: Admission) -> Self {
        Self {
            security,
            admission,
        }
    }

    pub fn is_open(&self) -> bool {
        self.admission == Admission::Open
    }

    /// Resolves once the session is ended or the token has changed; never,
    /// for an open admission.
    pub async fn revoked(self) {
        if self.is_open() {
            return std::future::pending().await;
        }
        let mut changes = self.security.inner.sessions.changes();
        let mut tick = tokio::time::interval(RECHECK);
        loop {
            if !self.admits() {
                return;
            }
            tokio::select! {
                changed = changes.changed() => {
                    if changed.is_err() {
                        // No more notices: the tick alone will do.
                        changes = self.security.inner.sessions.changes();
                        tick.tick().await;
                    }
                }
                _ = tick.tick() => {}
            }
        }
    }

    fn admits(&self) -> bool {
        let Some(token) = self.security.token() else {
            return true;
        };
        match &self.admission {
            Admission::Open => true,
            Admission::Bearer(print) => fingerprint(&token) == *print,
            Admission::Session(key) => self.security.inner.sessions.is_live(key, &token),
        }
    }
}
