use super::{NotFound, error_text};
use crate::api::{ThreadPageResponse, get_thread_page};
use crate::contracts::*;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

/// Turns loaded per page.
pub const PAGE_TURNS: u32 = 50;

#[component]
pub fn ThreadPageView() -> impl IntoView {
    let params = use_params_map();
    let thread_id = move || {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<ThreadId>().ok())
    };
    let page = Resource::new(thread_id, |id| async move {
        match id {
            Some(id) => get_thread_page(id, None, PAGE_TURNS).await.map(Some),
            None => Ok(None),
        }
    });
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading thread…"</p> }>
            {move || {
                page.get()
                    .map(|result| match result {
                        Ok(Some(response)) => view! { <ThreadView response /> }.into_any(),
                        Ok(None) => view! { <NotFound what="This thread" /> }.into_any(),
                        Err(e) if error_text(&e).contains("not found") => {
                            view! { <NotFound what="This thread" /> }.into_any()
                        }
                        Err(e) => view! { <p class="error">{error_text(&e)}</p> }.into_any(),
                    })
            }}
        </Transition>
    }
}

#[component]
fn ThreadView(response: ThreadPageResponse) -> impl IntoView {
    let thread = response.thread;
    let state = thread.state();
    let has_older = response.page.has_older();
    let turns = response
        .page
        .turns
        .into_iter()
        .map(|turn| view! { <Turn turn /> })
        .collect_view();
    view! {
        <section class="page thread" data-testid="thread-page" data-sequence=response.sequence>
            <header class="page-header">
                <h1 data-testid="thread-title">{thread.title.clone()}</h1>
                <span class=format!("badge {}", state.as_str()) data-testid="thread-state">
                    {state.as_str()}
                </span>
                <span class="muted">
                    {format!("{} · {} · {}", thread.provider, thread.runtime_mode, thread.interaction_mode)}
                </span>
            </header>
            {has_older
                .then(|| view! { <p class="muted older">"Older turns are not shown yet."</p> })}
            <ol class="timeline" data-testid="timeline">
                {turns}
            </ol>
            {(thread.turn_count == 0)
                .then(|| view! { <p class="muted" data-testid="empty-thread">"No turns yet."</p> })}
        </section>
    }
}

#[component]
fn Turn(turn: TurnView) -> impl IntoView {
    let items = turn
        .items
        .into_iter()
        .map(|item| match item {
            TimelineItem::Message(m) => view! {
                <div class=format!("message {}", m.role) data-testid="message" data-role=m.role.as_str()>
                    <div class="role">{m.role.as_str()}</div>
                    <div class="text">{m.text}</div>
                </div>
            }
            .into_any(),
            TimelineItem::Activity(a) => view! {
                <details class=format!("activity {}", a.kind) data-testid="activity">
                    <summary>{format!("{} · {}", a.summary, a.status)}</summary>
                    <pre>{a.detail.unwrap_or_default()}</pre>
                </details>
            }
            .into_any(),
            TimelineItem::Approval(a) => view! {
                <div class="approval" data-testid="approval">
                    <div class="role">{format!("approval · {}", a.kind)}</div>
                    <pre>{a.detail}</pre>
                    <div class="muted">
                        {a.decision.map(|d| d.to_string()).unwrap_or_else(|| "pending".to_string())}
                    </div>
                </div>
            }
            .into_any(),
        })
        .collect_view();
    view! {
        <li class="turn" data-testid="turn" data-turn=turn.number data-status=turn.status.as_str()>
            <div class="turn-header">
                <span>{format!("Turn {}", turn.number)}</span>
                <span class=format!("badge {}", turn.status)>{turn.status.as_str()}</span>
            </div>
            {items}
            {turn.error.map(|e| view! { <p class="error">{e}</p> })}
        </li>
    }
}
