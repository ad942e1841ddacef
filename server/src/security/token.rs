//! The auth token: given in config, or made once and kept in the data
//! folder (readable by its owner only) when peon listens beyond loopback.

use sha2::{Digest, Sha256};
use std::path::Path;

/// The file in the data folder holding a token peon made itself.
pub const TOKEN_FILE: &str = "auth-token";

/// Where the token in use came from, so `main` can say so once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenOrigin {
    Configured,
    /// Made now and written to the file: print the login URL this once.
    Generated,
    /// Made by an earlier run and read back from the file.
    Stored,
}

/// The token to use: the configured one; else, when one is required, the
/// stored one or a new one (saved). `None` when none is set or needed.
pub fn resolve_token(
    configured: Option<&str>,
    required: bool,
    data_dir: &Path,
) -> std::io::Result<Option<(String, TokenOrigin)>> {
    if let Some(token) = configured {
        return Ok(Some((token.trim().to_string(), TokenOrigin::Configured)));
    }
    if !required {
        return Ok(None);
    }
    if let Some(stored) = stored_token(data_dir)? {
        return Ok(Some((stored, TokenOrigin::Stored)));
    }
    let path = data_dir.join(TOKEN_FILE);
    let token = generate();
    crate::private::folder(data_dir)?;
    crate::private::write(&path, token.as_bytes())?;
    Ok(Some((token, TokenOrigin::Generated)))
}

/// The token kept in the data folder, if there is one.
pub fn stored_token(data_dir: &Path) -> std::io::Result<Option<String>> {
    match std::fs::read_to_string(data_dir.join(TOKEN_FILE)) {
        Ok(stored) if !stored.trim().is_empty() => Ok(Some(stored.trim().to_string())),
        Ok(_) => Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Replaces the token kept in the data folder with a new one and returns
/// it. Logins are signed with the token, so every cookie made with the old
/// one stops working once peon runs with the new one.
pub fn rotate_token(data_dir: &Path) -> std::io::Result<String> {
    let token = generate();
    crate::private::folder(data_dir)?;
    crate::private::write(&data_dir.join(TOKEN_FILE), token.as_bytes())?;
    Ok(token)
}

/// 244 random bits from the operating system, as 64 hex digits.
fn generate() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// Compares two secrets in time that does not depend on where they differ
/// (both are hashed first, so their lengths do not leak either).
pub fn same_secret(a: &str, b: &str) -> bool {
    let (x, y) = (Sha256::digest(a.as_bytes()), Sha256::digest(b.as_bytes()));
    x.iter()
        .zip(y.iter())
        .fold(0u8, |acc, (p, q)| acc | (p ^ q))
        == 0
}

/// HMAC-SHA256 of `message` keyed by the token, as hex: what cookies and
/// login links are signed with, so a new token voids every one of them.
pub fn sign(token: &str, message: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = match Hmac::<Sha256>::new_from_slice(token.as_bytes()) {
        Ok(mac) => mac,
        // HMAC takes keys of any length; this cannot happen.
        Err(_) => return String::new(),
    };
    mac.update(message.as_bytes());
    hex(&mac.finalize().into_bytes())
}

/// Names a token without revealing it (stored beside each session).
pub fn fingerprint(token: &str) -> String {
    hex(&Sha256::digest(format!("peon-token:{token}").as_bytes()))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// 128 random bits as 32 hex digits.
pub fn random_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}
