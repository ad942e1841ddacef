use super::error_text;
use super::logins::LoginsCard;
use super::notify_card::NotifyCard;
use super::offline_data::OfflineCard;
use crate::api::{AgentStatus, get_agents, get_server_info};
use crate::components::{FollowUp, KeyList, agent_name, set_follow_up};
use leptos::prelude::*;

#[component]
pub fn SettingsPage() -> impl IntoView {
    let refresh = RwSignal::new(0u32);
    let info = Resource::new(move || refresh.get(), |_| get_server_info());
    let agents = Resource::new(move || refresh.get(), |_| get_agents());
    view! {
        <section class="page settings" data-testid="settings-page">
            <header class="page-header">
                <h1>"Settings"</h1>
            </header>
            <div class="card">
                <h2>"Server"</h2>
                <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || {
                        info.get()
                            .map(|r| match r {
                                Ok(info) => {
                                    view! {
                                        <dl class="facts" data-testid="server-info">
                                            <dt>"peon"</dt>
                                            <dd>{info.version}</dd>
                                            <dt>"Data folder"</dt>
                                            <dd><code>{info.data_dir}</code></dd>
                                            <dt>"SQLite"</dt>
                                            <dd>{info.sqlite_version}</dd>
                                            <dt>"Events in the log"</dt>
                                            <dd data-testid="event-count">{info.event_count}</dd>
                                            <dt>"Last sequence"</dt>
                                            <dd>{info.last_sequence}</dd>
                                        </dl>
                                    }
                                        .into_any()
                                }
                                Err(e) => view! { <p class="error">{error_text(&e)}</p> }.into_any(),
                            })
                    }}
                </Transition>
                <button data-testid="refresh-info" on:click=move |_| refresh.update(|r| *r += 1)>
                    "Check again"
                </button>
            </div>
            <div class="card">
                <h2>"Agents"</h2>
                <Transition fallback=|| view! { <p class="muted">"Looking for agents…"</p> }>
                    {move || {
                        agents.get()
                            .map(|r| match r {
                                Ok(list) => view! {
                                    <ul class="agents" data-testid="agents">
                                        {list.into_iter().map(|a| view! { <AgentCard a /> }).collect_view()}
                                    </ul>
                                }
                                    .into_any(),
                                Err(e) => view! { <p class="error">{error_text(&e)}</p> }.into_any(),
                            })
                    }}
                </Transition>
            </div>
            <div class="card" data-testid="keybindings">
                <h2>"Keyboard shortcuts"</h2>
                <p class="muted">
                    "Press ? anywhere outside a text field to see these. Change them under "
                    <code>"[keybindings]"</code>
                    " in the config file, e.g. "
                    <code>"toggle-terminal = \"Ctrl+J\""</code>
                    "."
                </p>
                <KeyList />
            </div>
            <FollowUpCard />
            <NotifyCard />
            <OfflineCard />
            <LoginsCard />
        </section>
    }
}

#[component]
fn AgentCard(a: AgentStatus) -> impl IntoView {
    let usable = a.found && a.problem.is_none();
    view! {
        <li data-testid="agent" data-provider=a.provider.as_str() data-found=a.found.to_string()>
            <strong>{agent_name(a.provider)}</strong>
            " "
            <span class=if usable { "badge completed" } else { "badge failed" }>
                {if usable { "ready" } else if a.found { "not working" } else { "not found" }}
            </span>
            <dl class="facts">
                <dt>"Version"</dt>
                <dd data-testid="agent-version">{a.version.unwrap_or_else(|| "unknown".to_string())}</dd>
                <dt>"Path"</dt>
                <dd><code>{a.path.unwrap_or_else(|| "not found".to_string())}</code></dd>
                {a.problem.map(|p| view! { <dt>"Problem"</dt><dd class="error" data-testid="agent-problem">{p}</dd> })}
                <dt>"Install"</dt>
                <dd><span class="install">{a.install}</span>" or point "<code>{a.env_var}</code>" at it"</dd>
                {(!a.models.is_empty()).then(|| view! { <dt>"Models"</dt><dd>{a.models.join(", ")}</dd> })}
            </dl>
        </li>
    }
}

/// What Enter does with a message while the agent works, in this browser.
#[component]
fn FollowUpCard() -> impl IntoView {
    let choice = RwSignal::new(FollowUp::Queue);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if crate::shell::client_ready() {
            choice.set(crate::components::follow_up());
        }
    });
    view! {
        <div class="card" data-testid="follow-up">
            <h2>"Messages while the agent works"</h2>
            <label class="field">
                "Enter"
                <select
                    data-testid="follow-up-default"
                    prop:value=move || choice.get().as_str()
                    on:change=move |ev| {
                        if let Some(c) = FollowUp::parse(&event_target_value(&ev)) {
                            choice.set(c);
                            set_follow_up(c);
                        }
                    }
                >
                    <option value="queue">"queues it: sent as the next turn when this one is done"</option>
                    <option value="steer">"steers: sent into the running turn, read as the agent works"</option>
                </select>
            </label>
            <p class="muted">
                "Ctrl+Enter (⌘+Enter on a Mac) does the other. Queued messages can be moved or \
                 removed until they go."
            </p>
        </div>
    }
}
