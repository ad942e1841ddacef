//! Logins kept on the server. The cookie carries a random id and an HMAC
//! of it keyed by the token; the server keeps a record under a hash of the
//! id (created, last seen, user agent, address). A cookie counts only while
//! its record exists, so logging out or signing a session out ends it at
//! once, and a new token ends them all.
//!
//! Records live in memory (every request checks one) and in SQLite (they
//! survive a restart). Writes other than "last seen" are awaited; "last
//! seen" is written at most once a minute per session.

use super::token::{fingerprint, random_id, same_secret, sign};
use sha2::{Digest, Sha256};
use sqlx::SqlitePool;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub const COOKIE: &str = "peon_session";

/// Most logins kept at once; past it the one seen longest ago ends.
pub const MAX_SESSIONS: usize = 1000;

/// How stale "last seen" may be in the database.
const LAST_SEEN_EVERY: i64 = 60;

/// Longest user agent kept.
const MAX_USER_AGENT: usize = 300;

#[derive(Debug, thiserror::Error)]
#[error("cannot keep the login records: {0}")]
pub struct SessionError(#[from] sqlx::Error);

#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    pub token: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub user_agent: String,
    pub address: String,
    /// When "last seen" was last written to the database.
    written_at: i64,
}

pub struct Sessions {
    pool: Option<SqlitePool>,
    /// Bumped whenever a session ends, so open connections look again.
    ended: tokio::sync::watch::Sender<u64>,
    live: Mutex<HashMap<String, Record>>,
    /// One-time login links used while running without a database.
    used_links: Mutex<HashMap<String, i64>>,
}

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The name a session is kept and shown under: a hash of its secret id.
fn key_of(id: &str) -> String {
    super::token::hex(&Sha256::digest(format!("peon-session:{id}").as_bytes()))[..32].to_string()
}

fn mac(token: &str, id: &str) -> String {
    sign(token, &format!("peon-session:{id}"))
}

impl Sessions {
    /// Records kept nowhere but here (unit tests, benchmarks).
    pub fn in_memory() -> Self {
        Self {
            pool: None,
            ended: tokio::sync::watch::Sender::new(0),
            live: Mutex::new(HashMap::new()),
            used_links: Mutex::new(HashMap::new()),
        }
    }

    /// The records of the database; those made with another token, or
    /// expired, are deleted (a token changed while peon was stopped).
    pub async fn load(pool: SqlitePool, token: Option<&str>) -> Result<Self, SessionError> {
        let current = token.map(fingerprint).unwrap_or_default();
        let at = now();
        sqlx::query("DELETE FROM auth_sessions WHERE token_hash <> ? OR expires_at <= ?")
            .bind(&current)
            .bind(at)
            .execute(&pool)
            .await?;
        sqlx::query("DELETE FROM login_links_used WHERE expires_at <= ?")
            .bind(at)
            .execute(&pool)
            .await?;
        let rows: Vec<(String, i64, i64, i64, String, String)> = sqlx::query_as(
            "SELECT key, created_at, last_seen_at, expires_at, user_agent, address \
             FROM auth_sessions",
        )
        .fetch_all(&pool)
        .await?;
        let live = rows
            .into_iter()
            .map(
                |(key, created_at, last_seen_at, expires_at, user_agent, address)| {
                    let record = Record {
                        token: current.clone(),
                        created_at,
                        last_seen_at,
                        expires_at,
                        user_agent,
                        address,
                        written_at: last_seen_at,
                    };
                    (key, record)
                },
            )
            .collect();
        Ok(Self {
            pool: Some(pool),
            ended: tokio::sync::watch::Sender::new(0),
            live: Mutex::new(live),
            used_links: Mutex::new(HashMap::new()),
        })
    }

    /// A new login lasting `lasts`: the cookie value to set.
    pub async fn create(
        &self,
        token: &str,
        lasts: Duration,
        user_agent: &str,
        address: &str,
    ) -> Result<String, SessionError> {
        let id = random_id();
        let key = key_of(&id);
        let at = now();
        let user_agent: String = user_agent.chars().take(MAX_USER_AGENT).collect();
        let record = Record {
            token: fingerprint(token),
            created_at: at,
            last_seen_at: at,
            expires_at: at.saturating_add(lasts.as_secs() as i64),
            user_agent,
            address: address.to_string(),
            written_at: at,
        };
        if let Some(pool) = &self.pool {
            sqlx::query(
                "INSERT INTO auth_sessions \
                 (key, token_hash, created_at, last_seen_at, expires_at, user_agent, address) \
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(&key)
            .bind(&record.token)
            .bind(record.created_at)
            .bind(record.last_seen_at)
            .bind(record.expires_at)
            .bind(&record.user_agent)
            .bind(&record.address)
            .execute(pool)
            .await?;
        }
        let evicted = {
            let mut live = self.live.lock().map_err(|_| poisoned())?;
            live.insert(key, record);
            oldest_past_limit(&mut live)
        };
        if !evicted.is_empty() {
            self.notify();
        }
        for key in evicted {
            self.delete_row(&key).await?;
        }
        Ok(format!("{id}.{}", mac(token, &id)))
    }

    /// The key of the live session `cookie` names, signed with `token`;
    /// marks it seen.
    pub fn check(&self, token: &str, cookie: &str) -> Option<String> {
        let (id, signature) = cookie.split_once('.')?;
        if !same_secret(signature, &mac(token, id)) {
            return None;
        }
        let key = key_of(id);
        let at = now();
        let write = {
            let mut live = self.live.lock().ok()?;
            let record = live.get_mut(&key)?;
            if record.expires_at <= at || record.token != fingerprint(token) {
                return None;
            }
            record.last_seen_at = at;
            let stale = at - record.written_at >= LAST_SEEN_EVERY;
            if stale {
                record.written_at = at;
            }
            stale
        };
        if write && let Some(pool) = self.pool.clone() {
            let key = key.clone();
            tokio::spawn(async move {
                let done = sqlx::query("UPDATE auth_sessions SET last_seen_at = ? WHERE key = ?")
                    .bind(at)
                    .bind(&key)
                    .execute(&pool)
                    .await;
                if let Err(e) = done {
                    tracing::warn!("cannot note when a login was last seen: {e}");
                }
            });
        }
        Some(key)
    }

    /// Whether the session `key` is live for `token` (without marking it
    /// seen).
    pub fn is_live(&self, key: &str, token: &str) -> bool {
        let at = now();
        self.live.lock().is_ok_and(|live| {
            live.get(key)
                .is_some_and(|r| r.expires_at > at && r.token == fingerprint(token))
        })
    }

    /// Notices of ended sessions (and of a new token).
    pub fn changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.ended.subscribe()
    }

    /// Tells open connections to look at their session again.
    pub fn notify(&self) {
        self.ended.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// The live sessions made with `token`, most recently seen first.
    pub fn list(&self, token: &str) -> Vec<(String, Record)> {
        let (current, at) = (fingerprint(token), now());
        let mut list: Vec<_> = self
            .live
            .lock()
            .map(|live| {
                live.iter()
                    .filter(|(_, r)| r.token == current && r.expires_at > at)
                    .map(|(k, r)| (k.clone(), r.clone()))
                    .collect()
            })
            .unwrap_or_default();
        list.sort_by_key(|s| std::cmp::Reverse(s.1.last_seen_at));
        list
    }

    /// Ends one session; false when there was none by that key.
    pub async fn end(&self, key: &str) -> Result<bool, SessionError> {
        let existed = self
            .live
            .lock()
            .map_err(|_| poisoned())?
            .remove(key)
            .is_some();
        self.notify();
        self.delete_row(key).await?;
        Ok(existed)
    }

    /// Ends every session.
    pub async fn end_all(&self) -> Result<(), SessionError> {
        self.live.lock().map_err(|_| poisoned())?.clear();
        self.notify();
        if let Some(pool) = &self.pool {
            sqlx::query("DELETE FROM auth_sessions")
                .execute(pool)
                .await?;
        }
        Ok(())
    }

    /// Marks a one-time login link used; false if it was already.
    pub async fn use_link(&self, nonce: &str, expires_at: i64) -> Result<bool, SessionError> {
        let Some(pool) = &self.pool else {
            let mut used = self.used_links.lock().map_err(|_| poisoned())?;
            let at = now();
            used.retain(|_, expires| *expires > at);
            return Ok(used.insert(nonce.to_string(), expires_at).is_none());
        };
        sqlx::query("DELETE FROM login_links_used WHERE expires_at <= ?")
            .bind(now())
            .execute(pool)
            .await?;
        let done =
            sqlx::query("INSERT OR IGNORE INTO login_links_used (nonce, expires_at) VALUES (?, ?)")
                .bind(nonce)
                .bind(expires_at)
                .execute(pool)
                .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn delete_row(&self, key: &str) -> Result<(), SessionError> {
        if let Some(pool) = &self.pool {
            sqlx::query("DELETE FROM auth_sessions WHERE key = ?")
                .bind(key)
                .execute(pool)
                .await?;
        }
        Ok(())
    }
}

fn poisoned() -> SessionError {
    SessionError(sqlx::Error::Protocol(
        "the login records' lock was poisoned".into(),
    ))
}

/// Past `MAX_SESSIONS`, the keys of those seen longest ago (removed here).
fn oldest_past_limit(live: &mut HashMap<String, Record>) -> Vec<String> {
    if live.len() <= MAX_SESSIONS {
        return Vec::new();
    }
    let mut by_age: Vec<(i64, String)> = live
        .iter()
        .map(|(k, r)| (r.last_seen_at, k.clone()))
        .collect();
    by_age.sort();
    let extra = live.len() - MAX_SESSIONS;
    by_age
        .into_iter()
        .take(extra)
        .map(|(_, key)| {
            live.remove(&key);
            key
        })
        .collect()
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
