//! What this browser has seen, kept in IndexedDB: the live model (summaries
//! and the pages it holds) with its sequence, so a reload while the server
//! is down shows the latest state seen, and the stream resumes from there.

use crate::contracts::{EventId, ReadModel};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(inline_js = r#"
const DB = 'peon';
const STORE = 'cache';
function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}
export async function cache_put(key, value) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, 'readwrite');
    tx.objectStore(STORE).put(value, key);
    tx.oncomplete = () => { db.close(); resolve(); };
    tx.onerror = () => { db.close(); reject(tx.error); };
  });
}
export async function cache_clear() {
  const db = await open();
  await new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, 'readwrite');
    tx.objectStore(STORE).clear();
    tx.oncomplete = () => { db.close(); resolve(); };
    tx.onerror = () => { db.close(); reject(tx.error); };
  });
  // The pages the service worker kept go too (its app files stay: they
  // hold nothing of the user's).
  if ('caches' in self) {
    for (const name of await caches.keys()) {
      if (name.startsWith('peon-pages-')) await caches.delete(name);
    }
  }
}
export async function cache_get(key) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const request = db.transaction(STORE).objectStore(STORE).get(key);
    request.onsuccess = () => { db.close(); resolve(request.result ?? null); };
    request.onerror = () => { db.close(); reject(request.error); };
  });
}
"#)]
extern "C" {
    #[wasm_bindgen(catch)]
    async fn cache_put(key: &str, value: &str) -> Result<(), JsValue>;
    #[wasm_bindgen(catch)]
    async fn cache_get(key: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch)]
    async fn cache_clear() -> Result<(), JsValue>;
}

pub use super::store::OFFLINE_CAP_BYTES as CAP_BYTES;

const KEY: &str = "model";

/// The cached model and the log it came from (the id of the log's first
/// event), so a model from another peon database is never mixed in.
#[derive(Serialize, Deserialize)]
pub struct CachedModel {
    pub log_id: Option<EventId>,
    pub model: ReadModel,
}

pub async fn load() -> Option<CachedModel> {
    let value = cache_get(KEY).await.ok()?;
    serde_json::from_str(&value.as_string()?).ok()
}

/// Keeps `cached`; returns the bytes it takes, which the caller holds
/// under `CAP_BYTES`.
pub async fn save(cached: &CachedModel) -> Option<usize> {
    let text = serde_json::to_string(cached).ok()?;
    match cache_put(KEY, &text).await {
        Ok(()) => Some(text.len()),
        Err(e) => {
            leptos::logging::warn!("could not keep the model for offline use: {e:?}");
            None
        }
    }
}

/// The bytes kept now (0 when nothing is).
pub async fn size() -> usize {
    cache_get(KEY)
        .await
        .ok()
        .and_then(|v| v.as_string())
        .map_or(0, |s| s.len())
}

/// Forgets everything kept for offline reading in this browser.
pub async fn clear() -> Result<(), String> {
    cache_clear().await.map_err(|e| format!("{e:?}"))
}
