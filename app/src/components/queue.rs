//! The messages queued behind the running turn, above the composer: each
//! can be cancelled or moved up before it goes, and sent at once when the
//! queue waits (the turn before it failed or was stopped).

use super::{ComposerState, dispatch_action, use_store};
use crate::contracts::*;
use crate::pages::error_text;
use leptos::prelude::*;

#[component]
pub fn QueueList(
    thread_id: ThreadId,
    state: Memo<Option<ComposerState>>,
    running: Signal<bool>,
) -> impl IntoView {
    let store = use_store();
    let act = dispatch_action();
    let queue =
        Memo::new(move |_| state.with(|s| s.as_ref().map(|s| s.queue.clone()).unwrap_or_default()));
    let offline = move || store.unavailable().is_some();
    let send = move |command: Command| {
        act.dispatch(CommandEnvelope::new(command));
    };
    let error = move || {
        act.value()
            .with(|v| v.as_ref().and_then(|r| r.as_ref().err()).map(error_text))
    };
    move || {
        let items = queue.get();
        if items.is_empty() {
            return None;
        }
        let count = items.len();
        Some(view! {
            <section class="queue" data-testid="queue" aria-label="Queued messages">
                <p class="queue-note muted">
                    {move || if !running.get() {
                        "Queued, waiting: the last turn did not complete. Send the next one when ready."
                    } else if count == 1 {
                        "Queued: sent when the agent is done."
                    } else {
                        "Queued: sent one by one when the agent is done."
                    }}
                </p>
                <ol>
                    {items.into_iter().enumerate().map(|(i, q)| {
                        let id = q.message_id;
                        view! {
                            <li class="queued" data-testid="queued-message" data-message-id=id.to_string()>
                                <span class="queued-text" title=q.text.clone()>{title_from_message(&q.text).unwrap_or_default()}</span>
                                {move || (!running.get()).then(|| view! {
                                    <button
                                        type="button"
                                        data-testid="queue-send"
                                        disabled=offline
                                        on:click=move |_| send(Command::QueueSend { thread_id, message_id: id })
                                    >
                                        "Send now"
                                    </button>
                                })}
                                <button
                                    type="button"
                                    class="icon"
                                    data-testid="queue-up"
                                    title="Move up"
                                    aria-label="Move up"
                                    disabled=move || i == 0 || offline()
                                    on:click=move |_| send(Command::QueueMove { thread_id, message_id: id, to: i.saturating_sub(1) as u32 })
                                >
                                    "↑"
                                </button>
                                <button
                                    type="button"
                                    class="icon"
                                    data-testid="queue-cancel"
                                    title="Remove from the queue"
                                    aria-label="Remove from the queue"
                                    disabled=offline
                                    on:click=move |_| send(Command::QueueCancel { thread_id, message_id: id })
                                >
                                    "✕"
                                </button>
                            </li>
                        }
                    }).collect_view()}
                </ol>
                {move || error().map(|e| view! { <p class="error" data-testid="queue-error">{e}</p> })}
            </section>
        })
    }
}
