//! The message box under a thread: what to say, which agent and model, how
//! much it may do without asking, and Send / Stop.

use super::follow_up::FollowUp;
use super::queue::QueueList;
use super::{dispatch_action, use_store};
use crate::api::{dispatch_command, get_agents};
use crate::contracts::*;
use crate::pages::error_text;
use leptos::prelude::*;

/// The thread facts the composer shows.
#[derive(Clone, Debug, PartialEq)]
pub struct ComposerState {
    pub provider: Provider,
    pub model: Option<String>,
    pub runtime_mode: RuntimeMode,
    pub interaction_mode: InteractionMode,
    pub running: bool,
    pub stopping: bool,
    /// The agent can change only before the first turn.
    pub new_thread: bool,
    pub archived: bool,
    /// Messages waiting for the turns before them.
    pub queue: Vec<QueuedMessage>,
}

impl ComposerState {
    pub fn of(t: &ThreadSummary) -> Self {
        Self {
            provider: t.provider,
            model: t.model.clone(),
            runtime_mode: t.runtime_mode,
            interaction_mode: t.interaction_mode,
            running: t.active_turn.is_some(),
            stopping: t
                .active_turn
                .as_ref()
                .is_some_and(|a| a.interrupt_requested),
            new_thread: t.turn_count == 0,
            archived: t.archived,
            queue: t.queue.clone(),
        }
    }
}

#[component]
pub fn Composer(
    thread_id: ThreadId,
    state: Memo<Option<ComposerState>>,
    /// Called once the server has accepted a message.
    #[prop(optional)]
    on_sent: Option<Callback<()>>,
) -> impl IntoView {
    let store = use_store();
    // Kept per thread in the browser (see `drafts`).
    let draft = RwSignal::new(super::drafts::initial(thread_id));
    // Sending keeps the draft until the server has accepted the message,
    // so a refused or failed send loses nothing; each send carries its
    // text, and the draft is cleared only if it still holds that text (what
    // was typed after sending stays).
    let send_act = Action::new(|(envelope, text): &(CommandEnvelope, String)| {
        let (envelope, text) = (envelope.clone(), text.clone());
        async move { (text, dispatch_command(envelope).await) }
    });
    // The same text twice while the first is on its way (a double press)
    // goes once.
    let sending = move |text: &str| {
        send_act.pending().get_untracked()
            && send_act
                .input()
                .with_untracked(|i| i.as_ref().is_some_and(|(_, t)| t == text))
    };
    let settings = dispatch_action();
    let stop = dispatch_action();
    // Fetched in the browser only (effects never run on the server), so
    // the server-rendered page never waits for the agents' `--version`.
    let agents = RwSignal::new(Vec::<crate::api::AgentStatus>::new());
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            if let Ok(list) = get_agents().await {
                agents.set(list);
            }
        });
    });

    let get =
        move |f: fn(&ComposerState) -> bool| move || state.with(|s| s.as_ref().is_some_and(f));
    let running = get(|s| s.running);
    let blocked = move || {
        store
            .unavailable()
            .or_else(|| get(|s| s.archived)().then_some("This thread is archived."))
    };
    let send = move || {
        let text = draft.get_untracked();
        if text.trim().is_empty() || running() || blocked().is_some() || sending(&text) {
            return;
        }
        let command = Command::TurnStart {
            thread_id,
            turn_id: TurnId::new(),
            message_id: MessageId::new(),
            text: text.clone(),
            attachments: Vec::new(),
        };
        send_act.dispatch((CommandEnvelope::new(command), text));
    };
    // While the agent works a message waits for its turn to end (queue),
    // or goes into the running turn (steer).
    let follow = move |how: FollowUp| {
        let text = draft.get_untracked();
        if text.trim().is_empty() || blocked().is_some() || sending(&text) {
            return;
        }
        let command = match how {
            FollowUp::Queue => Command::TurnQueue {
                thread_id,
                turn_id: TurnId::new(),
                message_id: MessageId::new(),
                text: text.clone(),
                attachments: Vec::new(),
            },
            FollowUp::Steer => Command::TurnSteer {
                thread_id,
                message_id: MessageId::new(),
                text: text.clone(),
            },
        };
        send_act.dispatch((CommandEnvelope::new(command), text));
    };
    // This browser's choice for Enter, read once hydration is over.
    let enter_does = RwSignal::new(FollowUp::Queue);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if crate::shell::client_ready() {
            enter_does.set(super::follow_up::preferred());
        }
    });
    // Enter: send, or this browser's choice while the agent works;
    // Ctrl/⌘+Enter: the other choice.
    let submit = move |other: bool| {
        if !running() {
            return send();
        }
        let choice = enter_does.get_untracked();
        follow(if other { choice.other() } else { choice });
    };
    Effect::new(move |_| {
        let accepted = send_act.value().with(|v| {
            v.as_ref()
                .and_then(|(text, r)| r.is_ok().then(|| text.clone()))
        });
        if let Some(text) = accepted {
            if draft.get_untracked() == text {
                draft.set(String::new());
                super::drafts::save(thread_id, "");
            }
            if let Some(sent) = on_sent {
                // Not a dependency of this effect, whatever it reads.
                untrack(|| sent.run(()));
            }
        }
    });
    let send_error = move || {
        send_act.value().with(|v| {
            v.as_ref()
                .and_then(|(_, r)| r.as_ref().err())
                .map(error_text)
        })
    };
    let settings_error = move || {
        settings
            .value()
            .with(|v| v.as_ref().and_then(|r| r.as_ref().err()).map(error_text))
    };
    let update = move |command: Command| {
        settings.dispatch(CommandEnvelope::new(command));
    };
    let models = move || {
        let provider = state.with(|s| s.as_ref().map(|s| s.provider));
        agents.with(|list| {
            list.iter()
                .find(|a| Some(a.provider) == provider)
                .map(|a| a.models.clone())
                .unwrap_or_default()
        })
    };
    let models_id = format!("models-{thread_id}");
    // A new thread is opened to be written in.
    let input = NodeRef::<leptos::html::Textarea>::new();
    Effect::new(move |focused: Option<bool>| {
        if focused == Some(true) {
            return true;
        }
        let fresh = get(|s| s.new_thread && !s.archived)();
        match input.get() {
            Some(el) if fresh => el.focus().is_ok(),
            _ => false,
        }
    });
    super::actions::on(super::UiAction::FocusComposer, move || {
        input.get_untracked().is_some_and(|el| el.focus().is_ok())
    });
    // Esc while the agent works: what the Stop button does.
    super::actions::on(super::UiAction::StopAgent, move || {
        let can = untrack(|| running() && !get(|s| s.stopping)() && store.unavailable().is_none());
        if can {
            stop.dispatch(CommandEnvelope::new(Command::TurnInterrupt { thread_id }));
        }
        can
    });
    let value = move |f: fn(&ComposerState) -> String| {
        move || state.with(|s| s.as_ref().map(f).unwrap_or_default())
    };

    view! {
        <form
            class="composer"
            data-testid="composer"
            on:submit=move |ev| {
                ev.prevent_default();
                submit(false);
            }
        >
            <QueueList thread_id state running=Signal::derive(running) />
            <textarea
                node_ref=input
                data-testid="composer-input"
                data-draft-of=thread_id.to_string()
                rows="3"
                placeholder=move || match (running(), enter_does.get()) {
                    (false, _) => "Ask the agent… (Enter sends, Shift+Enter for a new line)",
                    (true, FollowUp::Queue) => {
                        "Queue a message for when the agent is done… (Enter queues, Ctrl+Enter steers)"
                    }
                    (true, FollowUp::Steer) => {
                        "Tell the agent while it works… (Enter steers, Ctrl+Enter queues)"
                    }
                }
                prop:value=move || draft.get()
                on:input=move |ev| {
                    let text = event_target_value(&ev);
                    super::drafts::save(thread_id, &text);
                    draft.set(text);
                }
                on:keydown=move |ev| {
                    if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
                        ev.prevent_default();
                        submit(ev.ctrl_key() || ev.meta_key());
                    }
                }
            ></textarea>
            <div class="composer-bar">
                <label class="field">
                    "Agent"
                    <select
                        data-testid="composer-agent"
                        disabled=move || !get(|s| s.new_thread)() || blocked().is_some()
                        title=move || (!get(|s| s.new_thread)()).then_some("The agent is chosen before the first turn")
                        prop:value=value(|s| s.provider.as_str().to_string())
                        on:change=move |ev| {
                            if let Some(provider) = Provider::parse(&event_target_value(&ev)) {
                                update(Command::ThreadUpdate { thread_id, title: None, model: None, branch: None, provider: Some(provider) });
                            }
                        }
                    >
                        {Provider::ALL.iter().map(|p| view! { <option value=p.as_str()>{agent_name(*p)}</option> }).collect_view()}
                    </select>
                </label>
                <label class="field">
                    "Model"
                    <input
                        data-testid="composer-model"
                        list=models_id.clone()
                        placeholder="agent's default"
                        disabled=move || blocked().is_some()
                        prop:value=value(|s| s.model.clone().unwrap_or_default())
                        on:change=move |ev| {
                            let model = event_target_value(&ev).trim().to_string();
                            if !model.is_empty() {
                                update(Command::ThreadUpdate { thread_id, title: None, model: Some(model), branch: None, provider: None });
                            }
                        }
                    />
                    <datalist id=models_id>
                        {move || models().into_iter().map(|m| view! { <option value=m.clone()></option> }).collect_view()}
                    </datalist>
                </label>
                <label class="field">
                    "Access"
                    <select
                        data-testid="composer-runtime"
                        disabled=move || blocked().is_some()
                        prop:value=value(|s| s.runtime_mode.as_str().to_string())
                        on:change=move |ev| {
                            if let Some(runtime_mode) = RuntimeMode::parse(&event_target_value(&ev)) {
                                update(Command::ThreadSetRuntimeMode { thread_id, runtime_mode });
                            }
                        }
                    >
                        <option value=RuntimeMode::ApprovalRequired.as_str()>"Ask before acting"</option>
                        <option value=RuntimeMode::FullAccess.as_str()>"Full access"</option>
                    </select>
                </label>
                <label class="field">
                    "Mode"
                    <select
                        data-testid="composer-interaction"
                        disabled=move || blocked().is_some()
                        prop:value=value(|s| s.interaction_mode.as_str().to_string())
                        on:change=move |ev| {
                            if let Some(interaction_mode) = InteractionMode::parse(&event_target_value(&ev)) {
                                update(Command::ThreadSetInteractionMode { thread_id, interaction_mode });
                            }
                        }
                    >
                        <option value=InteractionMode::Default.as_str()>"Default"</option>
                        <option
                            value=InteractionMode::Plan.as_str()
                            disabled=move || state.with(|s| s.as_ref().is_some_and(|s| s.provider == Provider::Codex))
                            title="Plan mode needs an agent that has one (Claude Code)"
                        >
                            "Plan"
                        </option>
                    </select>
                </label>
                <span class="spacer"></span>
                {move || if running() {
                    // Not held back by a message still on its way: the next
                    // one may follow it at once.
                    let empty = move || blocked().is_some() || draft.with(|d| d.trim().is_empty());
                    view! {
                        <button
                            type="button"
                            data-testid="composer-steer"
                            class=move || if enter_does.get() == FollowUp::Steer { "primary" } else { "secondary" }
                            title="Sent into the running turn: the agent reads it as it works"
                            disabled=move || empty() || get(|s| s.stopping)()
                            on:click=move |_| follow(FollowUp::Steer)
                        >
                            "Steer"
                        </button>
                        <button
                            type="button"
                            data-testid="composer-queue"
                            class=move || if enter_does.get() == FollowUp::Queue { "primary" } else { "secondary" }
                            title="Sent as the next turn when this one is done"
                            disabled=move || empty()
                                || state.with(|s| s.as_ref().is_some_and(|s| s.queue.len() >= MAX_QUEUED))
                            on:click=move |_| follow(FollowUp::Queue)
                        >
                            "Queue"
                        </button>
                        <button
                            type="button"
                            class="danger"
                            data-testid="composer-stop"
                            disabled=move || get(|s| s.stopping)() || store.unavailable().is_some()
                            on:click=move |_| { stop.dispatch(CommandEnvelope::new(Command::TurnInterrupt { thread_id })); }
                        >
                            {move || if get(|s| s.stopping)() { "Stopping…" } else { "Stop" }}
                        </button>
                    }.into_any()
                } else {
                    view! {
                        <button
                            type="submit"
                            class="primary"
                            data-testid="composer-send"
                            title=blocked
                            disabled=move || blocked().is_some() || send_act.pending().get() || draft.with(|d| d.trim().is_empty())
                        >
                            "Send"
                        </button>
                    }.into_any()
                }}
            </div>
            {move || send_error().or_else(settings_error).map(|e| view! { <p class="error" data-testid="composer-error">{e}</p> })}
        </form>
    }
    .into_any()
}

pub fn agent_name(provider: Provider) -> &'static str {
    match provider {
        Provider::Codex => "Codex",
        Provider::Claude => "Claude Code",
    }
}
