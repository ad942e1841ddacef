//! The WASM entry points: hydrate the server-rendered page, or (for the
//! service worker's app shell, when there is no server HTML) render the
//! app from scratch.

use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // An error only means the executor was set up already.
    let _ = any_spawner::Executor::init_wasm_bindgen();
    leptos::task::spawn_local(async {
        // The shown route may be lazy: its chunk arrives before hydration
        // walks it, so the page is only ready after this.
        let root =
            leptos::mount::hydrate_from_async(leptos::tachys::dom::body(), peon_app::App).await;
        root.forget();
        peon_app::mark_ready();
    });
}

#[wasm_bindgen]
pub fn mount() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(peon_app::App);
    peon_app::mark_ready();
}
