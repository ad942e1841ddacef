//! Running an action (`crate::keymap::UiAction`) from a key or the palette.
//! Each action is handled where its state lives: the terminal panel toggles
//! the terminal, the composer stops the agent, the sidebar picks the next
//! thread. A part registers a handler with `on` for as long as it is
//! mounted; `run` calls them, newest first, until one acts.

pub use crate::keymap::UiAction;
use crate::keymap::{Chord, Keymap};

#[cfg(feature = "hydrate")]
mod registry {
    use super::UiAction;
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;

    pub type Handler = Rc<dyn Fn() -> bool>;

    thread_local! {
        pub static HANDLERS: RefCell<Vec<(u64, UiAction, Handler)>> = const { RefCell::new(Vec::new()) };
        pub static NEXT: Cell<u64> = const { Cell::new(0) };
    }
}

/// Calls `f` when `action` runs, while the calling owner lives; `f` says
/// whether it acted (a stop with nothing running does not), so a key that
/// nothing acted on goes on to the page. Browser only: nothing runs
/// actions on the server.
pub fn on(action: UiAction, f: impl Fn() -> bool + 'static) {
    #[cfg(feature = "hydrate")]
    {
        use registry::*;
        let id = NEXT.with(|n| {
            n.set(n.get() + 1);
            n.get()
        });
        HANDLERS.with(|h| h.borrow_mut().push((id, action, std::rc::Rc::new(f))));
        leptos::prelude::on_cleanup(move || {
            HANDLERS.with(|h| h.borrow_mut().retain(|(i, _, _)| *i != id));
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (action, f);
}

/// Runs `action`; whether any part acted on it.
pub fn run(action: UiAction) -> bool {
    #[cfg(feature = "hydrate")]
    {
        // Copied out first: a handler may mount or unmount others.
        let handlers: Vec<_> = registry::HANDLERS.with(|h| {
            h.borrow()
                .iter()
                .rev()
                .filter(|(_, a, _)| *a == action)
                .map(|(_, _, f)| f.clone())
                .collect()
        });
        handlers.into_iter().any(|f| f())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = action;
        false
    }
}

/// The keys in use: the server's (from its config file) while it renders
/// the page, and in the browser what the page says it gave.
pub fn keymap() -> Keymap {
    #[cfg(feature = "ssr")]
    {
        leptos::prelude::use_context::<Keymap>().unwrap_or_default()
    }
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        thread_local! {
            static KEYMAP: Keymap = Keymap::decode(&page_keymap());
        }
        KEYMAP.with(Clone::clone)
    }
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    {
        Keymap::default()
    }
}

/// What `shell` and the offline app shell wrote in `<meta name=peon-keys>`.
#[cfg(feature = "hydrate")]
fn page_keymap() -> String {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| {
            d.query_selector(&format!("meta[name={}]", crate::shell::KEYMAP_META))
                .ok()
                .flatten()
        })
        .and_then(|m| m.get_attribute("content"))
        .unwrap_or_default()
}

/// The keys that run `action`, as shown beside it.
pub fn keys_label(action: UiAction) -> Option<String> {
    keymap().keys(action).map(|c: Chord| c.label())
}
