//! The terminal panel on a thread's page: tabs for the thread's terminals
//! (real shells in its folder, kept running by the server), opened and
//! hidden with Ctrl+` or its button.

use crate::api::{TerminalAction, TerminalInfo, manage_terminals};
use crate::contracts::ThreadId;
use crate::pages::error_text;
use leptos::prelude::*;

#[component]
pub fn TerminalPanel(thread_id: ThreadId) -> impl IntoView {
    let open = RwSignal::new(false);
    let list: RwSignal<Vec<TerminalInfo>> = RwSignal::new(Vec::new());
    let active: RwSignal<Option<String>> = RwSignal::new(None);
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let run = move |action: TerminalAction| {
        leptos::task::spawn_local(async move {
            let opening = action == TerminalAction::Open;
            // A restarted shell needs a new socket: the screen remounts.
            let remount = matches!(action, TerminalAction::Restart { .. });
            match manage_terminals(thread_id, action).await {
                Ok(terminals) => {
                    error.set(None);
                    let current = active.get_untracked();
                    let keep = current
                        .clone()
                        .filter(|id| terminals.iter().any(|t| &t.id == id) && !opening);
                    let next = keep.or_else(|| terminals.last().map(|t| t.id.clone()));
                    // Setting the same id would remount the screen (and
                    // reconnect): only a change may.
                    if next != current || remount {
                        active.set(next);
                    }
                    list.set(terminals);
                }
                Err(e) => error.set(Some(error_text(&e))),
            }
        });
    };
    // Opening the panel lists the terminals, and starts one if none.
    Effect::new(move |_| {
        if !open.get() {
            return;
        }
        leptos::task::spawn_local(async move {
            match manage_terminals(thread_id, TerminalAction::List).await {
                Ok(terminals) if terminals.is_empty() => run(TerminalAction::Open),
                Ok(terminals) => {
                    if active.get_untracked().is_none() {
                        active.set(terminals.last().map(|t| t.id.clone()));
                    }
                    list.set(terminals);
                }
                Err(e) => error.set(Some(error_text(&e))),
            }
        });
    });
    // Ctrl+` and the palette both run the action (see `shortcuts`).
    super::actions::on(super::UiAction::ToggleTerminal, move || {
        open.update(|o| *o = !*o);
        true
    });
    let tabs = move || {
        list.get()
            .into_iter()
            .map(|t| {
                let id = t.id.clone();
                let (select, close, restart) = (id.clone(), id.clone(), id.clone());
                let is_active = {
                    let id = id.clone();
                    move || active.get().as_deref() == Some(id.as_str())
                };
                let state = t.ended.clone().unwrap_or_else(|| "running".to_string());
                view! {
                    <span class="terminal-tab" data-testid="terminal-tab"
                        data-active=move || is_active().to_string() data-running=t.running.to_string()>
                        <button class="link" title=format!("{} · {}", t.cwd, state)
                            on:click=move |_| active.set(Some(select.clone()))>
                            {t.title.clone()}
                            {(!t.running).then(|| view! { <span class="muted">" (ended)"</span> })}
                        </button>
                        {(!t.running).then(|| view! {
                            <button class="link" data-testid="terminal-restart" title="Start a new shell here"
                                on:click=move |_| run(TerminalAction::Restart { id: restart.clone() })>"Restart"</button>
                        })}
                        <button class="link" data-testid="terminal-close" title="Close (ends its shell)"
                            on:click=move |_| run(TerminalAction::Close { id: close.clone() })>"×"</button>
                    </span>
                }
            })
            .collect_view()
    };
    let new_tab = move |_| run(TerminalAction::Open);
    let shown = move || {
        open.get().then(|| {
            let error = move || {
                error
                    .get()
                    .map(|e| view! { <p class="error" data-testid="terminal-error">{e}</p> })
            };
            let screen = move || {
                active.get().map(|id| {
                    view! { <TerminalView id on_change=move || run(TerminalAction::List) /> }
                })
            };
            view! {
                <div class="terminal-panel" data-testid="terminal-panel">
                    <div class="terminal-tabs">
                        {move || tabs().into_any()}
                        <button class="link" data-testid="terminal-new" title="Open another terminal"
                            on:click=new_tab>"+"</button>
                    </div>
                    {move || error().into_any()}
                    {move || screen().into_any()}
                </div>
            }
            .into_any()
        })
    };
    view! {
        <div class="terminal-dock" data-testid="terminal-dock">
            <button class="link" data-testid="terminal-toggle" title="Toggle the terminal (Ctrl+`)"
                on:click=move |_| open.update(|o| *o = !*o)>
                {move || if open.get() { "Hide terminal" } else { "Terminal" }}
            </button>
            {move || shown().into_any()}
        </div>
    }
    .into_any()
}

/// Times a closed terminal socket is reopened before the panel gives up.
#[cfg(feature = "hydrate")]
const MAX_RECONNECTS: u32 = 8;
/// A socket open this long (ms) counted as a good connection.
#[cfg(feature = "hydrate")]
const HEALTHY_SOCKET_MS: f64 = 5_000.0;

/// One terminal's screen, attached while shown.
#[component]
fn TerminalView(id: String, on_change: impl Fn() + Clone + Send + Sync + 'static) -> impl IntoView {
    let node = NodeRef::<leptos::html::Div>::new();
    #[cfg(feature = "hydrate")]
    {
        use super::xterm::{Link, Screen, SocketEvent};
        // One screen for as long as the view shows, its socket (link)
        // replaced on every reconnect.
        let screen = StoredValue::new_local(None::<Screen>);
        let link = StoredValue::new_local(None::<Link>);
        // Bumped to reattach after the socket closed. Closes in a row give
        // up after a few tries, waiting longer each time; a socket that
        // stayed up a while (e.g. cut off for falling behind a flood of
        // output) starts the count again.
        let attempt = RwSignal::new(0u32);
        let failures = StoredValue::new(0u32);
        let id = id.clone();
        Effect::new(move |_| {
            attempt.track();
            let Some(parent) = node.get() else { return };
            let (id, on_change) = (id.clone(), on_change.clone());
            leptos::task::spawn_local(async move {
                link.set_value(None);
                if let Err(e) = super::xterm::load().await {
                    leptos::logging::warn!("terminal: {e}");
                    return;
                }
                // Switched away (or closed) while xterm.js loaded.
                if link.is_disposed() || screen.is_disposed() {
                    return;
                }
                if screen.with_value(Option::is_none) {
                    let parent: web_sys::HtmlElement = parent.into();
                    screen.set_value(Some(Screen::new(&parent)));
                }
                let on_event = move |event| match event {
                    SocketEvent::Ended => on_change(),
                    SocketEvent::Closed { open_ms, behind } => {
                        if behind || open_ms >= HEALTHY_SOCKET_MS {
                            failures.set_value(0);
                        }
                        let tries = failures.get_value();
                        failures.set_value(tries + 1);
                        if tries < MAX_RECONNECTS {
                            set_timeout(
                                move || attempt.update(|n| *n += 1),
                                std::time::Duration::from_millis(500 << tries.min(4)),
                            );
                        }
                    }
                };
                let made = screen.with_value(|s| s.as_ref().map(|s| s.connect(&id, on_event)));
                match made {
                    Some(Ok(made)) => link.set_value(Some(made)),
                    Some(Err(e)) => leptos::logging::warn!("terminal: {e}"),
                    None => {}
                }
            });
        });
        on_cleanup(move || {
            link.set_value(None);
            screen.set_value(None);
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (&id, on_change);
    view! { <div class="terminal-screen" data-testid="terminal-screen" node_ref=node></div> }
        .into_any()
}
