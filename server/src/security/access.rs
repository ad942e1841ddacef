//! The settings page's view of logins: list them, sign one or all out, and
//! make a one-time link (with its QR code) for another device.

use super::{Security, link, sessions};
use chrono::{DateTime, Utc};
use peon_app::api::access::backend::Access;
use peon_app::api::backend::BoxFuture;
use peon_app::api::{ApiError, AuthSession, LoginLink, SessionList};

fn time(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

fn no_auth() -> ApiError {
    ApiError::rejected(
        "no_auth",
        "peon runs without a token (--no-auth): there are no logins to manage",
    )
}

fn storage(e: super::SessionError) -> ApiError {
    ApiError::Internal {
        message: e.to_string(),
    }
}

impl Access for Security {
    fn sessions(&self, current: Option<String>) -> SessionList {
        let Some(token) = self.token() else {
            return SessionList::default();
        };
        let sessions = self
            .inner
            .sessions
            .list(&token)
            .into_iter()
            .map(|(key, r)| AuthSession {
                current: current.as_deref() == Some(key.as_str()),
                key,
                created_at: time(r.created_at),
                last_seen_at: time(r.last_seen_at),
                expires_at: time(r.expires_at),
                user_agent: r.user_agent,
                address: r.address,
            })
            .collect();
        SessionList {
            token_required: true,
            sessions,
        }
    }

    fn end_session(&self, key: String) -> BoxFuture<'_, Result<(), ApiError>> {
        Box::pin(async move {
            if self.token().is_none() {
                return Err(no_auth());
            }
            match self.inner.sessions.end(&key).await.map_err(storage)? {
                true => Ok(()),
                false => Err(ApiError::not_found("session", key)),
            }
        })
    }

    fn end_all_sessions(&self) -> BoxFuture<'_, Result<(), ApiError>> {
        Box::pin(async move {
            if self.token().is_none() {
                return Err(no_auth());
            }
            self.inner.sessions.end_all().await.map_err(storage)
        })
    }

    fn login_link(&self, base: String) -> Result<LoginLink, ApiError> {
        let token = self.token().ok_or_else(no_auth)?;
        let now = sessions::now();
        let code = link::issue(&token, self.inner.link_lifetime, now);
        let url = link::url(&base, &code);
        let qr_svg = qr_svg(&url)?;
        Ok(LoginLink {
            loopback_only: names_loopback(&base),
            expires_at: time(now.saturating_add(self.inner.link_lifetime.as_secs() as i64)),
            url,
            qr_svg,
        })
    }
}

/// The link as a QR code, drawn here so the browser loads no QR library.
fn qr_svg(url: &str) -> Result<String, ApiError> {
    let code = qrcode::QrCode::new(url.as_bytes()).map_err(|e| ApiError::Internal {
        message: format!("cannot draw the link as a QR code: {e}"),
    })?;
    Ok(code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(220, 220)
        .quiet_zone(true)
        .build())
}

/// Whether `base` (`scheme://host[:port]`) names this machine only.
fn names_loopback(base: &str) -> bool {
    let authority = base.split("://").nth(1).unwrap_or(base);
    let host = super::guard::host_name(authority);
    host == "localhost"
        || host.ends_with(".localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_names_are_loopback_only() {
        assert!(names_loopback("http://127.0.0.1:4747"));
        assert!(names_loopback("http://localhost:4747"));
        assert!(names_loopback("http://[::1]:4747"));
        assert!(!names_loopback("http://192.168.1.5:4747"));
        assert!(!names_loopback("https://peon.example"));
    }

    #[test]
    fn the_qr_code_is_an_svg_image() {
        let svg = qr_svg("http://192.168.1.5:4747/login?code=1.2.3").expect("drawn");
        assert!(svg.contains("<svg"), "{svg}");
        assert!(svg.contains("<path"), "modules are drawn");
    }
}
