//! Who is logged in: the settings page's list of sessions (sign out one or
//! all) and a one-time login link for another device. The server keeps the
//! records; these server functions only reach it.

use super::ApiError;
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// One login (a browser holding a session cookie).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuthSession {
    /// Names the session for signing it out; not the cookie's secret.
    pub key: String,
    #[serde(with = "crate::contracts::timestamp")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "crate::contracts::timestamp")]
    pub last_seen_at: DateTime<Utc>,
    #[serde(with = "crate::contracts::timestamp")]
    pub expires_at: DateTime<Utc>,
    pub user_agent: String,
    /// The address it logged in from.
    pub address: String,
    /// The browser asking.
    pub current: bool,
}

/// The sessions of a peon that needs a token; `token_required` is false
/// when it runs with `--no-auth` (and then there are none).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionList {
    pub token_required: bool,
    pub sessions: Vec<AuthSession>,
}

/// A login link that works once, until `expires_at`, drawn as a QR code.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoginLink {
    pub url: String,
    #[serde(with = "crate::contracts::timestamp")]
    pub expires_at: DateTime<Utc>,
    /// An SVG image of `url` as a QR code.
    pub qr_svg: String,
    /// The link names this machine only (a loopback address): another
    /// device cannot follow it.
    pub loopback_only: bool,
}

#[cfg(feature = "ssr")]
pub mod backend {
    use super::*;
    use crate::api::backend::BoxFuture;
    use std::sync::Arc;

    /// The session of the request being served (set by the server's guard),
    /// found among the request's extensions.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct SessionKey(pub String);

    /// What the server offers about logins.
    pub trait Access: Send + Sync + 'static {
        fn sessions(&self, current: Option<String>) -> SessionList;
        fn end_session(&self, key: String) -> BoxFuture<'_, Result<(), ApiError>>;
        fn end_all_sessions(&self) -> BoxFuture<'_, Result<(), ApiError>>;
        /// A fresh one-time link on `base` (scheme and host the browser
        /// used, e.g. `http://192.168.1.5:4747`).
        fn login_link(&self, base: String) -> Result<LoginLink, ApiError>;
    }

    pub type SharedAccess = Arc<dyn Access>;

    pub fn access() -> Result<SharedAccess, ApiError> {
        use_context::<SharedAccess>().ok_or_else(|| ApiError::Unavailable {
            message: "the server's login records are not available".to_string(),
        })
    }

    pub fn request() -> Option<http::request::Parts> {
        use_context::<http::request::Parts>()
    }

    pub fn current_session() -> Option<String> {
        request().and_then(|p| p.extensions.get::<SessionKey>().map(|k| k.0.clone()))
    }

    /// Where the browser reached peon: its scheme (https behind a proxy
    /// that says so) and Host.
    pub fn base_url() -> Result<String, ApiError> {
        let parts = request().ok_or_else(|| ApiError::Unavailable {
            message: "no request to take the address from".to_string(),
        })?;
        let header = |name: &str| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let host = header("host").ok_or_else(|| ApiError::Invalid {
            field: "host".to_string(),
            message: "the request has no Host header".to_string(),
        })?;
        let https = header("x-forwarded-proto").is_some_and(|p| p.eq_ignore_ascii_case("https"));
        Ok(format!("{}://{host}", if https { "https" } else { "http" }))
    }
}

#[server(prefix = "/api", endpoint = "sessions", output = super::Json)]
pub async fn get_sessions() -> Result<SessionList, ApiError> {
    Ok(backend::access()?.sessions(backend::current_session()))
}

/// Signs one session out (the browser using it must log in again).
#[server(prefix = "/api", endpoint = "end_session", output = super::Json)]
pub async fn end_session(key: String) -> Result<(), ApiError> {
    backend::access()?.end_session(key).await
}

/// Signs every session out, this one included.
#[server(prefix = "/api", endpoint = "end_all_sessions", output = super::Json)]
pub async fn end_all_sessions() -> Result<(), ApiError> {
    backend::access()?.end_all_sessions().await
}

#[server(prefix = "/api", endpoint = "login_link", output = super::Json)]
pub async fn make_login_link() -> Result<LoginLink, ApiError> {
    backend::access()?.login_link(backend::base_url()?)
}
