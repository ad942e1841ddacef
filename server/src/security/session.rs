//! The login cookie: an expiry time and an HMAC of it keyed by the token.
//! Nothing is stored on the server; changing the token ends every login.

use super::token::same_secret;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub const COOKIE: &str = "peon_session";

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn mac(token: &str, expires: u64) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(token.as_bytes()) {
        Ok(mac) => mac,
        // HMAC takes keys of any length; this cannot happen.
        Err(_) => return String::new(),
    };
    mac.update(format!("peon-session:{expires}").as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A cookie value valid for `lasts`.
pub fn issue(token: &str, lasts: Duration) -> String {
    let expires = now() + lasts.as_secs();
    format!("{expires}.{}", mac(token, expires))
}

/// Whether `value` was issued with `token` and has not expired.
pub fn valid(token: &str, value: &str) -> bool {
    let Some((expires, signature)) = value.split_once('.') else {
        return false;
    };
    let Ok(expires) = expires.parse::<u64>() else {
        return false;
    };
    // Checked even when expired, so timing says nothing either way.
    let signed = same_secret(signature, &mac(token, expires));
    signed && expires > now()
}

/// The `Set-Cookie` value for a login.
pub fn set_cookie(value: &str, lasts: Duration, secure: bool) -> String {
    format!(
        "{COOKIE}={value}; Path=/; Max-Age={}; HttpOnly; SameSite=Strict{}",
        lasts.as_secs(),
        if secure { "; Secure" } else { "" }
    )
}

/// The `Set-Cookie` value that ends a login.
pub fn clear_cookie() -> String {
    format!("{COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict")
}

/// The login cookie's value among a request's cookies.
pub fn from_headers(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_string())
}
