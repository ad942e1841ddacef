//! The WASM entry points: hydrate the server-rendered page, or (for the
//! service worker's app shell, when there is no server HTML) render the
//! app from scratch.

use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(peon_app::App);
}

#[wasm_bindgen]
pub fn mount() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(peon_app::App);
}
