//! The settings page's "Notifications" card.

use crate::components::use_notify_pref;
use leptos::prelude::*;

#[component]
pub fn NotifyCard() -> impl IntoView {
    let pref = use_notify_pref();
    let problem = RwSignal::new(None::<String>);
    let toggle = move |ev: leptos::ev::Event| {
        let on = event_target_checked(&ev);
        problem.set(None);
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            if let Err(why) = crate::components::set_notifications(pref, on).await {
                problem.set(Some(why));
            }
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = on;
    };
    // Read once hydration is over (the server cannot know it).
    let sound = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if crate::shell::client_ready() {
            sound.set(crate::components::sound_on());
        }
    });
    let set_sound = move |ev: leptos::ev::Event| {
        let on = event_target_checked(&ev);
        sound.set(on);
        #[cfg(feature = "hydrate")]
        crate::components::set_sound(on);
    };
    view! {
        <div class="card" data-testid="notifications">
            <h2>"Notifications"</h2>
            <label class="check">
                <input
                    type="checkbox"
                    data-testid="notify-toggle"
                    prop:checked=move || pref.0.get()
                    on:change=toggle
                />
                " Tell me when a turn finishes or fails, or an approval waits, while I am \
                 not looking at its thread"
            </label>
            <label class="check">
                <input
                    type="checkbox"
                    data-testid="notify-sound"
                    prop:checked=move || sound.get()
                    disabled=move || !pref.0.get()
                    on:change=set_sound
                />
                " And chime when an approval waits"
            </label>
            {move || problem.get().map(|p| view! { <p class="error" data-testid="notify-problem">{p}</p> })}
        </div>
    }
}
