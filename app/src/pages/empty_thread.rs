//! What an empty thread says before the first message: what to do, which
//! agent will answer, and, when that agent's CLI is missing on the server,
//! how to install it (before the user types anything).

use crate::api::{AgentStatus, get_agents};
use crate::components::agent_name;
use crate::contracts::Provider;
use leptos::prelude::*;

#[component]
pub fn EmptyThread(provider: Signal<Option<Provider>>) -> impl IntoView {
    // Asked in the browser only: the server-rendered page never waits for
    // the agents' `--version`.
    let agents = RwSignal::new(None::<Vec<AgentStatus>>);
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            if let Ok(list) = get_agents().await {
                agents.set(Some(list));
            }
        });
    });
    let status = move || {
        let provider = provider.get()?;
        agents.with(|list| {
            list.as_ref()?
                .iter()
                .find(|a| a.provider == provider)
                .cloned()
        })
    };
    view! {
        <div class="empty-thread" data-testid="empty-thread">
            <p>
                {move || {
                    let name = provider.get().map_or("The agent", agent_name);
                    format!(
                        "Say what you want done: {name} answers in this thread's folder, and you \
                         see its work as it goes. Enter sends, Shift+Enter starts a new line."
                    )
                }}
            </p>
            {move || {
                status()
                    .filter(|a| !a.found || a.problem.is_some())
                    .map(|a| {
                        let why = a
                            .problem
                            .clone()
                            .unwrap_or_else(|| format!("{} is not installed on the server", agent_name(a.provider)));
                        view! {
                            <p class="error" data-testid="agent-missing">
                                {why} ". Install it with " <code>{a.install}</code> ", or point "
                                <code>{a.env_var}</code> " at it, then send your message."
                            </p>
                        }
                    })
            }}
        </div>
    }
}
