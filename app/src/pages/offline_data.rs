//! The settings page's "Offline copy" card: what this browser keeps for
//! reading while the server is away, and a way to forget it.

use crate::components::{OFFLINE_CAP_BYTES, confirm, use_store};
use leptos::prelude::*;

#[component]
pub fn OfflineCard() -> impl IntoView {
    let store = use_store();
    // Measured in the browser (on the server there is nothing to measure).
    let bytes = RwSignal::new(None::<usize>);
    let problem = RwSignal::new(None::<String>);
    let measure = move || {
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            bytes.set(Some(crate::components::offline_copy_size().await));
        });
    };
    Effect::new(move |_| measure());
    let clear = move |_| {
        if !confirm("Forget everything this browser keeps for reading peon offline?") {
            return;
        }
        store.evict_released(1.0);
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            match crate::components::clear_offline_copy().await {
                Ok(()) => bytes.set(Some(0)),
                Err(e) => problem.set(Some(format!("could not clear it: {e}"))),
            }
        });
    };
    view! {
        <div class="card" data-testid="offline-data">
            <h2>"Offline copy"</h2>
            <p data-testid="offline-size">
                {move || match bytes.get() {
                    None => "Measuring…".to_string(),
                    Some(0) => "Nothing is kept in this browser.".to_string(),
                    Some(n) => format!(
                        "This browser keeps {} so peon can be read while the server is away: \
                         the projects and threads, and the pages of {} thread(s) opened here \
                         (at most {} MB; the longest closed go first).",
                        size_text(n),
                        store.kept_pages(),
                        OFFLINE_CAP_BYTES / (1024 * 1024)
                    ),
                }}
            </p>
            {move || problem.get().map(|p| view! { <p class="error">{p}</p> })}
            <button class="secondary" data-testid="clear-offline" on:click=clear>
                "Clear offline data"
            </button>
            <p class="muted">"Signing out clears it too. Drafts of messages are kept."</p>
        </div>
    }
}

/// In whole KB (rounded up) or MB to a tenth. Integer arithmetic: float
/// formatting with a precision would add its own code to the main module.
fn size_text(bytes: usize) -> String {
    const MB: usize = 1024 * 1024;
    if bytes < MB {
        format!("{} KB", bytes.div_ceil(1024))
    } else {
        let tenths = (bytes * 10 + MB / 2) / MB;
        format!("{}.{} MB", tenths / 10, tenths % 10)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes_read_as_kb_or_mb() {
        assert_eq!(super::size_text(1), "1 KB");
        assert_eq!(super::size_text(300 * 1024), "300 KB");
        assert_eq!(super::size_text(5 * 1024 * 1024 + 512 * 1024), "5.5 MB");
    }
}
