//! Keyboard shortcuts: the one key listener of the page, which runs the
//! action a key is bound to (see `keymap`), the `?` overlay that lists
//! them, and the list itself (shown on the settings page too).

use super::actions::{self, UiAction, keymap};
use super::chunk::{ChunkError, loaded, shown};
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
    view! {
        <OverlayFrame which=Overlay::Help class="palette shortcuts-help" testid="shortcuts-help" label="Keyboard shortcuts">
            <Suspense fallback=|| ()>{move || Suspend::new(async move { shown(loaded!(help_body())) })}</Suspense>
        </OverlayFrame>
    }
}

/// An overlay's dialog over a dimmed page, shown while `which` is open;
/// a click beside it closes it.
#[component]
pub fn OverlayFrame(
    which: Overlay,
    class: &'static str,
    testid: &'static str,
    label: &'static str,
    children: ChildrenFn,
) -> impl IntoView {
    let overlay = use_overlay();
    view! {
        <Show when=move || overlay.get() == Some(which)>
            <div class="palette-backdrop" on:click=move |_| overlay.set(None)>
                <div class=class data-testid=testid role="dialog" aria-label=label on:click=|ev| ev.stop_propagation()>
                    {children()}
                </div>
            </div>
        </Show>
    }
}

/// The overlay's list, loaded the first time it opens.
#[cfg_attr(
    feature = "hydrate",
    leptos::wasm_split::wasm_split(help_body, wasm_split_path = ::leptos::wasm_split, fallible)
)]
fn help_body() -> Result<AnyView, ChunkError> {
    Ok(view! {
        <h2>"Keyboard shortcuts"</h2>
        <KeyList />
        <p class="muted">"Change them under [keybindings] in the config file."</p>
    }
    .into_any())
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
            // Mid-composition (an input method), keys belong to it.
            if ev.is_composing() {
                return;
            }
            let open = overlay.get_untracked();
            if open.is_some() && pressed.key == "Escape" {
                overlay.set(None);
                ev.prevent_default();
                ev.stop_propagation();
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
            // In the terminal only Ctrl/⌘ keys are the page's (Escape and Alt
            // are vim's and readline's); in a text field, keys that type.
            match typing_into(&ev) {
                Some(Field::Terminal) if !chord.is_command() => return,
                Some(Field::Text) if chord.types_text(&pressed) => return,
                _ => {}
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

#[cfg(feature = "hydrate")]
enum Field {
    Text,
    Terminal,
}

/// Where the key goes: a text field, the terminal (whose own input is a
/// hidden text area inside `.xterm`), or neither.
#[cfg(feature = "hydrate")]
fn typing_into(ev: &web_sys::KeyboardEvent) -> Option<Field> {
    use wasm_bindgen::JsCast;
    let target = ev.target()?.dyn_into::<web_sys::Element>().ok()?;
    let inside = |selector: &str| target.closest(selector).ok().flatten().is_some();
    if inside(".xterm") {
        Some(Field::Terminal)
    } else if inside("input, textarea, select, [contenteditable]:not([contenteditable=false])") {
        Some(Field::Text)
    } else {
        None
    }
}
