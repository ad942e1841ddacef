//! The command palette (Ctrl+K / Cmd+K): jump to any project or thread by a
//! fuzzy title, run an action, or search every message and the work log
//! (the server's full-text index) and land on the turn it was in. The keys
//! live in the main module; the palette itself is a lazy chunk.

mod body;
mod entries;

#[cfg(feature = "hydrate")]
use super::UiAction;
use super::use_actions;
use leptos::prelude::*;

/// A key pressed in the palette's input that moves through or picks from
/// the list the loaded palette shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaletteKey {
    Down,
    Up,
    Enter,
}

/// The last such key, with a count so pressing one twice is two changes.
pub type PaletteKeys = RwSignal<Option<(PaletteKey, u64)>>;

#[component]
pub fn Palette() -> impl IntoView {
    let actions = use_actions();
    let open = RwSignal::new(false);
    // The input is here, not in the lazy chunk, so what is typed while the
    // chunk loads is kept.
    let query = RwSignal::new(String::new());
    let keys: PaletteKeys = RwSignal::new(None);
    let input = NodeRef::<leptos::html::Input>::new();
    // In the capture phase, so the keys work from inside the terminal too
    // (xterm.js stops the keys it handles from reaching the window).
    #[cfg(feature = "hydrate")]
    global_keys(move |ev: &web_sys::KeyboardEvent| {
        if (ev.ctrl_key() || ev.meta_key()) && ev.key().eq_ignore_ascii_case("k") {
            if !open.get_untracked() {
                query.set(String::new());
            }
            open.update(|o| *o = !*o);
            true
        } else if ev.ctrl_key() && ev.code() == "Backquote" {
            actions.run(UiAction::ToggleTerminal);
            true
        } else {
            false
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = actions;
    // Focused as soon as it is mounted, so no typed key is lost.
    Effect::new(move |_| {
        if let Some(i) = input.get() {
            let _ = i.focus();
        }
    });
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let key = match ev.key().as_str() {
            "Escape" => {
                ev.prevent_default();
                open.set(false);
                return;
            }
            "ArrowDown" => PaletteKey::Down,
            "ArrowUp" => PaletteKey::Up,
            "Enter" => PaletteKey::Enter,
            _ => return,
        };
        ev.prevent_default();
        keys.update(|k| *k = Some((key, k.map_or(1, |(_, n)| n + 1))));
    };
    view! {
        <Show when=move || open.get()>
            <div class="palette-backdrop" on:click=move |_| open.set(false)>
                <div
                    class="palette"
                    data-testid="palette"
                    role="dialog"
                    aria-label="Command palette"
                    on:click=|ev| ev.stop_propagation()
                >
                    <input
                        node_ref=input
                        type="text"
                        data-testid="palette-input"
                        autocomplete="off"
                        spellcheck="false"
                        placeholder="Jump to a thread or project, run an action, search messages…"
                        prop:value=move || query.get()
                        on:input=move |ev| query.set(event_target_value(&ev))
                        on:keydown=on_key
                    />
                    <Suspense fallback=|| ()>
                        {move || Suspend::new(body::palette_body(open, query, keys))}
                    </Suspense>
                </div>
            </div>
        </Show>
    }
}

/// Calls `handle` on every key pressed in the page before anything else
/// sees it; a key it returns true for goes no further. For the app's own
/// lifetime: the palette is mounted once, with the router.
#[cfg(feature = "hydrate")]
fn global_keys(handle: impl Fn(&web_sys::KeyboardEvent) -> bool + 'static) {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    let Some(window) = web_sys::window() else {
        return;
    };
    let listener =
        Closure::<dyn Fn(web_sys::KeyboardEvent)>::new(move |ev: web_sys::KeyboardEvent| {
            if handle(&ev) {
                ev.prevent_default();
                ev.stop_propagation();
            }
        });
    let options = web_sys::AddEventListenerOptions::new();
    options.set_capture(true);
    let _ = window.add_event_listener_with_callback_and_add_event_listener_options(
        "keydown",
        listener.as_ref().unchecked_ref(),
        &options,
    );
    listener.forget();
}
