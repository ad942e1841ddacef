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
}

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

pub async fn save(cached: &CachedModel) {
    if let Ok(text) = serde_json::to_string(cached)
        && let Err(e) = cache_put(KEY, &text).await
    {
        leptos::logging::warn!("could not keep the model for offline use: {e:?}");
    }
}
