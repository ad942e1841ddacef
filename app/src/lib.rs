//! peon's shared crate: the contract (ids, commands, events, read model),
//! the Leptos pages and components, and the server functions. Compiled with
//! `ssr` into the server and with `hydrate` into the WASM client.

pub mod api;
pub mod components;
pub mod contracts;
pub mod highlight;
pub mod markdown;
pub mod pages;
mod shell;

pub use shell::{APP_SHELL, APPLE_TOUCH_ICON, App, ICON_SVG, MANIFEST, THEME_COLOUR, shell};
