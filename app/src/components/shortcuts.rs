//! Keyboard shortcuts: the one key listener of the page, which runs the
//! action a key is bound to (see `keymap`), the `?` overlay that lists
//! them, and the list itself (shown on the settings page too).

use super::actions::{self, UiAction, keymap};
use leptos::prelude::*;

/// What is drawn over the page, if anything: while it is, the page's
/// shortcuts rest and keys go to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overlay {
    Palette,
    Help,
}

pub type Overlays = RwSignal<Option<Overlay>>;

/// The overlay signal, created with the app.
pub fn use_overlay() -> Overlays {
    match use_context::<Overlays>() {
        Some(o) => o,
        None => {
            let o = RwSignal::new(None);
            provide_context(o);
            o
        }
    }
}

/// Opens `which`, or closes it when it is the one open.
pub fn toggle(overlay: Overlays, which: Overlay) {
    overlay.update(|o| *o = if *o == Some(which) { None } else { Some(which) });
}

#[component]
pub fn Shortcuts() -> impl IntoView {
    let overlay = use_overlay();
    let navigate = leptos_router::hooks::use_navigate();
    actions::on(UiAction::Help, move || {
        toggle(overlay, Overlay::Help);
        true
    });
    actions::on(UiAction::OpenSettings, move || {
        navigate("/settings", Default::default());
        true
    });
    actions::on(UiAction::ToggleTheme, || {
        #[cfg(feature = "hydrate")]
        super::theme::toggle();
        true
    });
    #[cfg(feature = "hydrate")]
    listen(overlay);
    let close = move |_| overlay.set(None);
    view! {
        <Show when=move || overlay.get() == Some(Overlay::Help)>
            <div class="palette-backdrop" on:click=close>
                <div
                    class="palette shortcuts-help"
                    data-testid="shortcuts-help"
                    role="dialog"
                    aria-label="Keyboard shortcuts"
                    on:click=|ev| ev.stop_propagation()
                >
                    <Suspense fallback=|| ()>{move || Suspend::new(help_body())}</Suspense>
                </div>
            </div>
        </Show>
    }
}

/// The overlay's list, loaded the first time it opens.
#[leptos::lazy]
fn help_body() -> AnyView {
    view! {
        <h2>"Keyboard shortcuts"</h2>
        <KeyList />
        <p class="muted">"Change them under [keybindings] in the config file."</p>
    }
    .into_any()
}

/// Every action with the keys that run it.
#[component]
pub fn KeyList() -> impl IntoView {
    let rows = keymap()
        .iter()
        .map(|(action, chord)| {
            let keys = match chord {
                Some(c) => view! { <kbd>{c.label()}</kbd> }.into_any(),
                None => view! { <span class="muted">"none"</span> }.into_any(),
            };
            view! {
                <tr data-testid="keybinding" data-action=action.name()>
                    <td>{action.label()}</td>
                    <td>{keys}</td>
                </tr>
            }
        })
        .collect_view();
    view! { <table class="keys"><tbody>{rows}</tbody></table> }
}

/// Every key pressed in the page reaches this first (the capture phase:
/// the terminal would keep Ctrl+K and Ctrl+` to itself otherwise). A key
/// bound to an action runs it; if a part acted, nothing else sees the key.
#[cfg(feature = "hydrate")]
fn listen(overlay: Overlays) {
    use crate::keymap::Pressed;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    let Some(window) = web_sys::window() else {
        return;
    };
    let map = keymap();
    let listener =
        Closure::<dyn Fn(web_sys::KeyboardEvent)>::new(move |ev: web_sys::KeyboardEvent| {
            let pressed = Pressed {
                key: ev.key(),
                code: ev.code(),
                ctrl: ev.ctrl_key(),
                alt: ev.alt_key(),
                shift: ev.shift_key(),
                meta: ev.meta_key(),
            };
            let open = overlay.get_untracked();
            if open == Some(Overlay::Help) && pressed.key == "Escape" {
                overlay.set(None);
                ev.prevent_default();
                return;
            }
            let Some((action, chord)) = map.action_for(&pressed) else {
                return;
            };
            // An open overlay keeps every key but the one that closes it.
            let closes = matches!(
                (open, action),
                (Some(Overlay::Palette), UiAction::Palette) | (Some(Overlay::Help), UiAction::Help)
            );
            if open.is_some() && !closes {
                return;
            }
            // Held down, only moving through threads repeats.
            if ev.repeat() && !matches!(action, UiAction::NextThread | UiAction::PreviousThread) {
                return;
            }
            if chord.is_bare() && typing_into(&ev) {
                return;
            }
            if actions::run(action) {
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
    // For the app's lifetime: it is mounted once, with the router.
    listener.forget();
}

/// Whether the key goes into a text field (or the terminal's).
#[cfg(feature = "hydrate")]
fn typing_into(ev: &web_sys::KeyboardEvent) -> bool {
    use wasm_bindgen::JsCast;
    ev.target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .and_then(|e| {
            e.closest("input, textarea, select, [contenteditable=''], [contenteditable=true]")
                .ok()
                .flatten()
        })
        .is_some()
}
