//! Browser notifications: a turn that finished or failed and an approval
//! that waits, told while the tab is hidden or shows another page. Off
//! until the user turns them on in settings (which asks the browser's
//! permission then, never on page load); kept in local storage.

use super::chunk::{ChunkError, loaded};
#[cfg(feature = "hydrate")]
use super::store::use_store;
#[cfg(feature = "hydrate")]
use crate::contracts::ThreadId;
use crate::contracts::ThreadState;
use leptos::prelude::*;

/// The local-storage key; "on" when enabled.
// Used only in the browser; the logic is tested natively.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub const NOTIFY_KEY: &str = "peon.notify";

/// The local-storage key for a chime with each approval that waits; "on"
/// when enabled (only heard while notifications are on).
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub const SOUND_KEY: &str = "peon.notify.sound";

/// What a thread's change of state tells the user.
// Used only in the browser; the logic is tested natively.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum News {
    Waiting,
    Finished,
    Failed,
}

#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
impl News {
    pub fn body(self) -> &'static str {
        match self {
            News::Waiting => "is waiting for your approval",
            News::Finished => "finished its turn",
            News::Failed => "failed",
        }
    }
}

/// The news in a thread going from `before` to `after`, if any.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub fn news(before: ThreadState, after: ThreadState) -> Option<News> {
    use ThreadState as S;
    match (before, after) {
        (b, S::AwaitingApproval) if b != S::AwaitingApproval => Some(News::Waiting),
        (S::Running | S::AwaitingApproval, S::Idle) => Some(News::Finished),
        (S::Running | S::AwaitingApproval, S::Error) => Some(News::Failed),
        _ => None,
    }
}

/// Whether notifications are on in this browser.
#[derive(Clone, Copy)]
pub struct NotifyPref(pub RwSignal<bool>);

pub fn use_notify_pref() -> NotifyPref {
    match use_context::<NotifyPref>() {
        Some(pref) => pref,
        None => {
            let pref = NotifyPref(RwSignal::new(false));
            provide_context(pref);
            pref
        }
    }
}

/// Watches every thread's state and tells the user what changed, while
/// notifications are on. The watching is a lazy chunk, loaded only then.
#[component]
pub fn Notifier() -> impl IntoView {
    let pref = use_notify_pref();
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if crate::shell::client_ready() {
            pref.0.set(storage_get(NOTIFY_KEY).as_deref() == Some("on"));
        }
    });
    // Nothing to show if the watcher's chunk does not load (the server
    // went away first): it is tried again when the server is back.
    let failed = StoredValue::new(false);
    let attempt = RwSignal::new(0u32);
    let connection = super::store::use_store().connection;
    Effect::new(move |_| {
        if connection.get() == super::store::Connection::Live && failed.get_value() {
            failed.set_value(false);
            attempt.update(|n| *n += 1);
        }
    });
    view! {
        <Show when=move || pref.0.get()>
            <Suspense fallback=|| ()>
                {move || {
                    attempt.track();
                    Suspend::new(async move {
                        loaded!(watch_threads()).unwrap_or_else(|_| {
                            failed.set_value(true);
                            ().into_any()
                        })
                    })
                }}
            </Suspense>
        </Show>
    }
}

/// Compares each thread's state with the one before and notifies.
#[cfg_attr(
    feature = "hydrate",
    leptos::wasm_split::wasm_split(watch_threads, wasm_split_path = ::leptos::wasm_split, fallible)
)]
fn watch_threads() -> Result<AnyView, ChunkError> {
    #[cfg(feature = "hydrate")]
    {
        let store = use_store();
        let navigate = leptos_router::hooks::use_navigate();
        let states = Memo::new(move |_| {
            store.rows().and_then(Result::ok).map(|rows| {
                rows.iter()
                    .flat_map(|p| p.threads.iter().map(|t| (t.id, (t.state, t.title.clone()))))
                    .collect::<std::collections::BTreeMap<_, _>>()
            })
        });
        Effect::watch(
            move || states.get(),
            move |now, before, _| {
                let (Some(now), Some(Some(before))) = (now, before) else {
                    return;
                };
                for (id, (state, title)) in now {
                    let Some((was, _)) = before.get(id) else {
                        continue;
                    };
                    if let Some(news) = news(*was, *state)
                        && !in_sight(*id)
                    {
                        show(*id, title, news, navigate.clone());
                        if news == News::Waiting && sound_on() {
                            chime();
                        }
                    }
                }
            },
            false,
        );
    }
    Ok(().into_any())
}

#[cfg(feature = "hydrate")]
pub(crate) fn storage_get(key: &str) -> Option<String> {
    web_sys::window()?
        .local_storage()
        .ok()??
        .get_item(key)
        .ok()?
}

#[cfg(feature = "hydrate")]
pub(crate) fn storage_set(key: &str, value: &str) {
    if let Some(Ok(Some(s))) = web_sys::window().map(|w| w.local_storage()) {
        let _ = s.set_item(key, value);
    }
}

/// Whether approvals chime in this browser.
#[cfg(feature = "hydrate")]
pub fn sound_on() -> bool {
    storage_get(SOUND_KEY).as_deref() == Some("on")
}

#[cfg(feature = "hydrate")]
pub fn set_sound(on: bool) {
    storage_set(SOUND_KEY, if on { "on" } else { "off" });
}

#[cfg(feature = "hydrate")]
thread_local! {
    /// One for the page: browsers limit how many may be open.
    static AUDIO: std::cell::OnceCell<Option<web_sys::AudioContext>> =
        const { std::cell::OnceCell::new() };
}

/// A short soft tone, made in the page (no sound file to fetch or cache).
#[cfg(feature = "hydrate")]
fn chime() {
    let Some(audio) = AUDIO.with(|a| a.get_or_init(|| web_sys::AudioContext::new().ok()).clone())
    else {
        return;
    };
    // A context made without a click starts suspended; one the page was
    // allowed to play before resumes.
    let _ = audio.resume();
    let (Ok(tone), Ok(gain)) = (audio.create_oscillator(), audio.create_gain()) else {
        return;
    };
    let now = audio.current_time();
    tone.frequency().set_value(880.0);
    let _ = gain.gain().set_value_at_time(0.15, now);
    let _ = gain
        .gain()
        .exponential_ramp_to_value_at_time(0.001, now + 0.35);
    let _ = tone.connect_with_audio_node(&gain);
    let _ = gain.connect_with_audio_node(&audio.destination());
    let _ = tone.start();
    let _ = tone.stop_with_when(now + 0.4);
}

/// Turns notifications on (asking the browser first) or off. On: `Err`
/// with the reason when the browser refuses.
#[cfg(feature = "hydrate")]
pub async fn set_enabled(pref: NotifyPref, on: bool) -> Result<(), String> {
    use web_sys::{Notification, NotificationPermission};
    let store = |value: &str| storage_set(NOTIFY_KEY, value);
    if !on {
        store("off");
        pref.0.set(false);
        return Ok(());
    }
    let granted = match Notification::permission() {
        NotificationPermission::Granted => true,
        NotificationPermission::Denied => false,
        _ => match Notification::request_permission() {
            Ok(promise) => wasm_bindgen_futures::JsFuture::from(promise)
                .await
                .ok()
                .and_then(|v| v.as_string())
                .is_some_and(|v| v == "granted"),
            Err(_) => false,
        },
    };
    if !granted {
        return Err(
            "The browser blocks notifications from peon: allow them in its site \
                    settings, then turn this on again."
                .into(),
        );
    }
    store("on");
    pref.0.set(true);
    Ok(())
}

/// The user is looking at this thread: the tab is shown and on its page.
#[cfg(feature = "hydrate")]
fn in_sight(thread: ThreadId) -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let shown = window.document().is_some_and(|d| !d.hidden());
    let here = window.location().pathname().ok() == Some(format!("/threads/{thread}"));
    shown && here
}

#[cfg(feature = "hydrate")]
fn show(
    thread: ThreadId,
    title: &str,
    news: News,
    navigate: impl Fn(&str, leptos_router::NavigateOptions) + 'static,
) {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    let options = web_sys::NotificationOptions::new();
    options.set_body(news.body());
    // One per thread: a newer note replaces an older one.
    options.set_tag(&thread.to_string());
    let Ok(note) = web_sys::Notification::new_with_options(title, &options) else {
        return;
    };
    let opened = note.clone();
    let open = Closure::<dyn Fn()>::new(move || {
        if let Some(w) = web_sys::window() {
            let _ = w.focus();
        }
        navigate(&format!("/threads/{thread}"), Default::default());
        opened.close();
    });
    note.set_onclick(Some(open.as_ref().unchecked_ref()));
    // Lives as long as the note may be clicked; a few bytes per note.
    open.forget();
}

#[cfg(test)]
mod tests {
    use super::*;
    use ThreadState as S;

    #[test]
    fn a_wait_an_end_and_a_failure_are_news() {
        assert_eq!(news(S::Running, S::AwaitingApproval), Some(News::Waiting));
        assert_eq!(news(S::Idle, S::AwaitingApproval), Some(News::Waiting));
        assert_eq!(news(S::AwaitingApproval, S::AwaitingApproval), None);
        assert_eq!(news(S::Running, S::Idle), Some(News::Finished));
        assert_eq!(news(S::AwaitingApproval, S::Idle), Some(News::Finished));
        assert_eq!(news(S::Running, S::Error), Some(News::Failed));
        assert_eq!(news(S::AwaitingApproval, S::Running), None, "answered");
        assert_eq!(news(S::Idle, S::Running), None, "started");
        assert_eq!(news(S::Error, S::Idle), None);
    }
}
