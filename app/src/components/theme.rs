//! Light or dark beside the system's choice: `data-theme` on `<html>`,
//! kept in local storage. The document applies a kept choice before the
//! first paint (`APPLY_SCRIPT`, in `shell()`), so no page flashes.

/// The local-storage key.
pub const THEME_KEY: &str = "peon.theme";

/// Run in the page's head, before the style sheet paints.
pub const APPLY_SCRIPT: &str = "try{var t=localStorage.getItem('peon.theme');\
if(t==='light'||t==='dark')document.documentElement.dataset.theme=t}catch(e){}";

/// Switches to the theme not showing now, and keeps the choice.
#[cfg(feature = "hydrate")]
pub fn toggle() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let Some(root) = window.document().and_then(|d| d.document_element()) else {
        return;
    };
    let dark_now = match root.get_attribute("data-theme").as_deref() {
        Some("dark") => true,
        Some("light") => false,
        _ => window
            .match_media("(prefers-color-scheme: dark)")
            .ok()
            .flatten()
            .is_some_and(|m| m.matches()),
    };
    let next = if dark_now { "light" } else { "dark" };
    let _ = root.set_attribute("data-theme", next);
    if let Ok(Some(storage)) = window.local_storage() {
        let _ = storage.set_item(THEME_KEY, next);
    }
}
