//! A draft per thread, kept in the browser's local storage: what the
//! composer holds survives a reload, an offline spell and hydration (text
//! typed into the server-rendered page before the WASM arrives is taken
//! over, not wiped), and goes once the server has accepted the message.
//! On the server there is no draft.

use crate::contracts::ThreadId;

#[cfg(feature = "hydrate")]
fn key(thread: ThreadId) -> String {
    format!("peon.draft.{thread}")
}

#[cfg(feature = "hydrate")]
fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// The draft to start the composer with: text already typed into this
/// thread's server-rendered composer, else the kept draft.
pub fn initial(thread: ThreadId) -> String {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let typed = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| {
                d.query_selector(&format!("textarea[data-draft-of=\"{thread}\"]"))
                    .ok()
                    .flatten()
            })
            .and_then(|e| e.dyn_into::<web_sys::HtmlTextAreaElement>().ok())
            .map(|t| t.value())
            .filter(|v| !v.is_empty());
        if let Some(typed) = typed {
            save(thread, &typed);
            return typed;
        }
        storage()
            .and_then(|s| s.get_item(&key(thread)).ok().flatten())
            .unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = thread;
        String::new()
    }
}

/// Keeps `text` as the thread's draft (an empty one is forgotten).
pub fn save(thread: ThreadId, text: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(storage) = storage() {
        // Full storage or private mode: the draft lives in the page only.
        let _ = if text.is_empty() {
            storage.remove_item(&key(thread))
        } else {
            storage.set_item(&key(thread), text)
        };
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (thread, text);
}
