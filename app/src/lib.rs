//! peon's shared crate: the contract (ids, commands, events, read model),
//! the Leptos pages and components, and the server functions. Compiled with
//! `ssr` into the server and with `hydrate` into the WASM client.

// The server's HTML and the browser's hydration must walk the same view
// markers, which differ when only one side erases view types.
#[cfg(not(erase_components))]
compile_error!(
    "peon-app is built with `--cfg erase_components` on every target \
     (.cargo/config.toml); a RUSTFLAGS variable replaces that setting, so add \
     `--cfg erase_components` to it"
);

pub mod api;
pub mod components;
pub mod contracts;
pub mod highlight;
pub mod keymap;
pub mod markdown;
pub mod pages;
mod shell;

#[cfg(feature = "hydrate")]
pub use shell::mark_ready;
pub use shell::{
    APP_SHELL, APPLE_TOUCH_ICON, App, ICON_SVG, KEYMAP_META, MANIFEST, THEME_COLOUR, shell,
};
