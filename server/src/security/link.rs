//! One-time login links: `/login?code=EXPIRES.NONCE.MAC`, signed with the
//! token, so `peon login-url` can make one for a running peon from the
//! token file alone. The server takes each nonce once (recorded until the
//! link would have expired) and only before it expires.

use super::token::{random_id, same_secret, sign};
use std::time::Duration;

/// How long a printed login link works unless configured: long enough to
/// follow it, short enough that one seen in `ps` or a scrollback is soon
/// worthless.
pub const LINK_LIFETIME: Duration = Duration::from_secs(5 * 60);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("this login link is not one peon made (or the token changed since)")]
    Forged,
    #[error("this login link has expired")]
    Expired,
    #[error("this login link was used already")]
    Used,
}

/// A code valid for `lifetime` from `now` (Unix seconds).
pub fn issue(token: &str, lifetime: Duration, now: i64) -> String {
    let expires = now.saturating_add(lifetime.as_secs() as i64);
    let nonce = random_id();
    format!("{expires}.{nonce}.{}", mac(token, expires, &nonce))
}

/// The code's nonce and expiry, if `token` signed it and it has not
/// expired at `now`. Single use is the caller's to enforce.
pub fn verify(token: &str, code: &str, now: i64) -> Result<(String, i64), LinkError> {
    let mut parts = code.trim().splitn(3, '.');
    let (Some(expires), Some(nonce), Some(signature)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(LinkError::Forged);
    };
    let expires: i64 = expires.parse().map_err(|_| LinkError::Forged)?;
    if !same_secret(signature, &mac(token, expires, nonce)) {
        return Err(LinkError::Forged);
    }
    if expires <= now {
        return Err(LinkError::Expired);
    }
    Ok((nonce.to_string(), expires))
}

fn mac(token: &str, expires: i64, nonce: &str) -> String {
    sign(token, &format!("peon-login-link:{expires}:{nonce}"))
}

/// The whole link on `base` (`http://host:port`, no trailing slash).
pub fn url(base: &str, code: &str) -> String {
    format!(
        "{}{}?code={code}",
        base.trim_end_matches('/'),
        super::LOGIN_PATH
    )
}
