//! The command palette (Ctrl+K / Cmd+K): jump to any project or thread by a
//! fuzzy title, run an action, or search every message and the work log
//! (the server's full-text index) and land on the turn it was in. The keys
//! and the input live in the main module; the list is a lazy chunk.

mod body;
mod entries;

pub(crate) use entries::here_of;

use super::actions::{self, UiAction};
use super::chunk::{loaded, shown};
use super::shortcuts::{Overlay, OverlayFrame, toggle, use_overlay};
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
    let overlay = use_overlay();
    let open = Signal::derive(move || overlay.get() == Some(Overlay::Palette));
    // The input is here, not in the lazy chunk, so what is typed while the
    // chunk loads is kept.
    let query = RwSignal::new(String::new());
    let keys: PaletteKeys = RwSignal::new(None);
    let input = NodeRef::<leptos::html::Input>::new();
    actions::on(UiAction::Palette, move || {
        if !open.get_untracked() {
            query.set(String::new());
        }
        toggle(overlay, Overlay::Palette);
        true
    });
    // Focused as soon as it is mounted, so no typed key is lost.
    Effect::new(move |_| {
        if let Some(i) = input.get() {
            let _ = i.focus();
        }
    });
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        // Escape is the page's listener's: it closes any overlay.
        let key = match ev.key().as_str() {
            "ArrowDown" => PaletteKey::Down,
            "ArrowUp" => PaletteKey::Up,
            "Enter" => PaletteKey::Enter,
            _ => return,
        };
        ev.prevent_default();
        keys.update(|k| *k = Some((key, k.map_or(1, |(_, n)| n + 1))));
    };
    view! {
        <OverlayFrame which=Overlay::Palette class="palette" testid="palette" label="Command palette">
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
                        {move || Suspend::new(async move { shown(loaded!(body::palette_body(overlay, query, keys))) })}
                    </Suspense>
        </OverlayFrame>
    }
}
