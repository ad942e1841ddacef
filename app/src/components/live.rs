//! Keeps the browser's store current: takes over from the server-rendered
//! snapshot, follows `/api/events`, resumes after gaps and dead
//! connections with backoff.

use super::store::{Connection, use_store};
use leptos::prelude::*;

/// Without an event or heartbeat for this long the connection is dead.
#[cfg(feature = "hydrate")]
const DEAD_AFTER_MS: f64 = 40_000.0;

/// Starts the live stream once the snapshot has arrived. Renders nothing.
#[component]
pub fn LiveUpdates() -> impl IntoView {
    let store = use_store();
    Effect::new(move |started: Option<bool>| {
        if started == Some(true) {
            return true;
        }
        #[cfg(feature = "hydrate")]
        if !crate::shell::client_ready() {
            return false;
        }
        match store.snapshot.get() {
            Some(Ok(snapshot)) => {
                #[cfg(feature = "hydrate")]
                leptos::task::spawn_local(async move {
                    let kept = super::offline_cache::load()
                        .await
                        .filter(|c| c.log_id.is_some() && c.log_id == snapshot.log_id)
                        .map(|c| c.model);
                    store.go_live(&snapshot, kept);
                    client::start(store);
                });
                #[cfg(not(feature = "hydrate"))]
                store.go_live(&snapshot, None);
                true
            }
            Some(Err(_)) => {
                store.connection.set(Connection::Offline);
                // No server to render from (the service worker's app
                // shell): what this browser kept, then the stream when the
                // server is back.
                #[cfg(feature = "hydrate")]
                leptos::task::spawn_local(async move {
                    if let Some(kept) = super::offline_cache::load().await {
                        store.go_live_offline(kept.log_id, kept.model);
                    }
                    client::start(store);
                });
                cfg!(feature = "hydrate")
            }
            None => false,
        }
    });
}

/// Says so when the server cannot be reached; actions then fail with the
/// same message.
#[component]
pub fn ConnectionBanner() -> impl IntoView {
    let store = use_store();
    move || {
        (store.connection.get() == Connection::Offline).then(|| {
            view! {
                <div class="offline-banner" role="status" data-testid="offline-banner">
                    "Offline: the server cannot be reached. Showing what this browser last saw; \
                     changes are paused until it is back."
                </div>
            }
        })
    }
}

#[cfg(feature = "hydrate")]
mod client {
    use super::DEAD_AFTER_MS;
    use crate::api::stream;
    use crate::components::store::{Connection, Store};
    use crate::contracts::StoredEvent;
    use leptos::prelude::*;
    use std::time::Duration;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::prelude::Closure;
    use web_sys::{EventSource, MessageEvent};

    struct Stream {
        source: EventSource,
        _on_event: Closure<dyn FnMut(MessageEvent)>,
        _on_heartbeat: Closure<dyn FnMut(MessageEvent)>,
        _on_log_changed: Closure<dyn FnMut(MessageEvent)>,
        _on_open: Closure<dyn FnMut(web_sys::Event)>,
        _on_error: Closure<dyn FnMut(web_sys::Event)>,
    }

    #[derive(Clone, Copy)]
    struct Live {
        store: Store,
        stream: StoredValue<Option<Stream>, LocalStorage>,
        last_seen: StoredValue<f64>,
        failures: StoredValue<u32>,
    }

    pub fn start(store: Store) {
        // Keeps the app shell and seen pages for offline viewing.
        if let Some(w) = web_sys::window() {
            let _ = w.navigator().service_worker().register("/sw.js");
        }
        let live = Live {
            store,
            stream: StoredValue::new_local(None),
            last_seen: StoredValue::new(js_sys::Date::now()),
            failures: StoredValue::new(0),
        };
        live.connect();
        keep_for_offline(store);
        let _ = set_interval_with_handle(
            move || {
                let silent = js_sys::Date::now() - live.last_seen.get_value();
                if silent > DEAD_AFTER_MS {
                    live.reconnect_later();
                }
            },
            Duration::from_secs(5),
        );
    }

    /// Saves the live model to IndexedDB a second after it changes (at most
    /// once a second), so a reload without the server shows what was seen.
    fn keep_for_offline(store: Store) {
        let scheduled = StoredValue::new(false);
        Effect::new(move |_| {
            store.live.track();
            if scheduled.get_value() {
                return;
            }
            scheduled.set_value(true);
            set_timeout(
                move || {
                    scheduled.set_value(false);
                    let Some(model) = store.live.get_untracked() else {
                        return;
                    };
                    let cached = crate::components::offline_cache::CachedModel {
                        log_id: store.log_id.get_value(),
                        model,
                    };
                    leptos::task::spawn_local(async move {
                        use crate::components::offline_cache::{CAP_BYTES, save};
                        if save(&cached).await.is_some_and(|bytes| bytes > CAP_BYTES) {
                            // Saved again at the next change, smaller.
                            store.evict_released(0.5);
                        }
                    });
                },
                Duration::from_secs(1),
            );
        });
    }

    impl Live {
        fn connect(self) {
            self.close();
            let Some(after) = self.store.sequence() else {
                return;
            };
            // Names the log the sequence belongs to: a server with another
            // log (a new data folder) answers `log-changed` instead.
            let log = self
                .store
                .log_id
                .get_value()
                .map(|id| format!("&log={id}"))
                .unwrap_or_default();
            let Ok(source) = EventSource::new(&format!("/api/events?after={after}{log}")) else {
                self.reconnect_later();
                return;
            };
            self.last_seen.set_value(js_sys::Date::now());
            // The backoff ends with the first event or heartbeat, not when
            // the stream opens: a stream that opens only to say the log
            // changed must not retry at full speed.
            let on_event = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
                self.failures.set_value(0);
                self.last_seen.set_value(js_sys::Date::now());
                let Some(text) = e.data().as_string() else {
                    return;
                };
                match serde_json::from_str::<StoredEvent>(&text) {
                    Ok(event) => {
                        if !self.store.receive(&event) {
                            // A gap: resume from what we have.
                            self.connect();
                        }
                    }
                    Err(err) => leptos::logging::warn!("unreadable event: {err}"),
                }
            });
            let on_heartbeat = Closure::<dyn FnMut(MessageEvent)>::new(move |_| {
                self.failures.set_value(0);
                self.last_seen.set_value(js_sys::Date::now());
            });
            let on_log_changed = Closure::<dyn FnMut(MessageEvent)>::new(move |_| {
                self.close();
                self.start_again();
            });
            let on_open = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
                self.last_seen.set_value(js_sys::Date::now());
                self.store.connection.set(Connection::Live);
            });
            let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
                self.store.connection.set(Connection::Offline);
                // The browser retries an open stream by itself (with
                // Last-Event-ID); a closed one we reopen ourselves.
                let closed = self
                    .stream
                    .with_value(|s| {
                        s.as_ref()
                            .map(|s| s.source.ready_state() == EventSource::CLOSED)
                    })
                    .unwrap_or(true);
                if closed {
                    self.reconnect_later();
                }
            });
            let _ = source
                .add_event_listener_with_callback(stream::EVENT, on_event.as_ref().unchecked_ref());
            let _ = source.add_event_listener_with_callback(
                stream::HEARTBEAT,
                on_heartbeat.as_ref().unchecked_ref(),
            );
            let _ = source.add_event_listener_with_callback(
                stream::LOG_CHANGED,
                on_log_changed.as_ref().unchecked_ref(),
            );
            source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
            source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
            self.stream.set_value(Some(Stream {
                source,
                _on_event: on_event,
                _on_heartbeat: on_heartbeat,
                _on_log_changed: on_log_changed,
                _on_open: on_open,
                _on_error: on_error,
            }));
        }

        /// The server holds another log than the one this page (or its
        /// offline copy) came from: what the browser holds is dropped for
        /// the server's snapshot, and the stream follows from there.
        fn start_again(self) {
            leptos::task::spawn_local(async move {
                match crate::api::get_snapshot().await {
                    Ok(snapshot) => {
                        self.store.restart_from(&snapshot);
                        self.connect();
                    }
                    Err(_) => self.reconnect_later(),
                }
            });
        }

        fn close(self) {
            self.stream.update_value(|s| {
                if let Some(s) = s.take() {
                    s.source.close();
                }
            });
        }

        /// Reconnects after a delay that doubles with each failure (to 5 s: the
        /// server is usually on this machine, and a retry costs little).
        fn reconnect_later(self) {
            self.close();
            self.store.connection.set(Connection::Offline);
            let failures = self.failures.get_value();
            self.failures.set_value(failures.saturating_add(1));
            let delay = 500u64.saturating_mul(1 << failures.min(6)).min(5_000);
            self.last_seen.set_value(js_sys::Date::now() + delay as f64);
            set_timeout(move || self.connect(), Duration::from_millis(delay));
        }
    }
}
