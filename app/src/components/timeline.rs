//! One turn of a thread: the user's message, the agent's answer (Markdown),
//! its work log (collapsed) and its approval requests.

use super::actions::{self, UiAction};
use super::{dispatch_action, use_store};
use crate::contracts::*;
use crate::markdown;
use leptos::prelude::*;

#[component]
pub fn Turn(thread_id: ThreadId, turn: TurnView) -> impl IntoView {
    let open = matches!(turn.status, TurnStatus::Requested | TurnStatus::Running);
    let items = turn
        .items
        .into_iter()
        .map(|item| match item {
            TimelineItem::Message(m) => view! { <Message m /> }.into_any(),
            TimelineItem::Activity(a) => view! { <Activity a /> }.into_any(),
            TimelineItem::Approval(a) => view! { <Approval thread_id a open /> }.into_any(),
        })
        .collect_view();
    view! {
        <li class="turn" data-testid="turn" data-turn=turn.number data-status=turn.status.as_str()>
            <div class="turn-header">
                <span>{format!("Turn {}", turn.number)}</span>
                <span class=format!("badge {}", turn.status)>{turn.status.as_str()}</span>
                {(!turn.usage.is_empty()).then(|| view! {
                    <span class="muted turn-usage" data-testid="turn-usage">{super::usage_text(&turn.usage)}</span>
                })}
            </div>
            {items}
            {turn.error.map(|e| view! { <p class="error" data-testid="turn-error">{e}</p> })}
            {turn.checkpoint.as_ref().filter(|c| !c.files.is_empty()).map(|c| view! { <Changes thread_id turn=turn.number files=c.files.clone() /> })}
            {turn.checkpoint.as_ref().filter(|c| !c.skipped.is_empty()).map(|c| view! {
                <p class="muted" data-testid="checkpoint-skipped">
                    {format!("Too large to checkpoint, so a revert leaves them alone: {}", c.skipped.join(", "))}
                </p>
            })}
            {turn.checkpoint.is_some().then(|| view! { <RevertButton thread_id turn_count=turn.number /> })}
        </li>
    }
    // Erased, so the thread page's view type stays shallow enough to build.
    .into_any()
}

#[component]
fn Message(m: MessageView) -> impl IntoView {
    let class = format!(
        "message {}{}",
        m.role,
        if m.streaming { " streaming" } else { "" }
    );
    // The user's words are shown as typed; the agent's as Markdown (the
    // renderer escapes any HTML in it).
    let body = match m.role {
        Role::Assistant => view! {
            <div class="text markdown" data-testid="message-text" inner_html=markdown::to_html(&m.text)></div>
        }
        .into_any(),
        _ => view! { <div class="text" data-testid="message-text">{m.text}</div> }.into_any(),
    };
    view! {
        <div class=class data-testid="message" data-role=m.role.as_str() data-streaming=m.streaming.to_string()>
            <div class="role">{m.role.as_str()}</div>
            {body}
        </div>
    }
}

#[component]
fn Activity(a: ActivityView) -> impl IntoView {
    let label = match a.kind {
        ActivityKind::Command => format!("$ {}", a.summary),
        ActivityKind::FileChange => format!("Edited {}", a.summary),
        ActivityKind::Reasoning => format!("Thought: {}", a.summary),
        ActivityKind::Warning => format!("Warning: {}", a.summary),
        ActivityKind::Error => format!("Error: {}", a.summary),
        ActivityKind::Tool | ActivityKind::Other => a.summary.clone(),
    };
    let detail = a.detail.filter(|d| !d.trim().is_empty());
    view! {
        <details
            class=format!("activity {} {}", a.kind, a.status)
            data-testid="activity"
            data-kind=a.kind.as_str()
            data-status=a.status.as_str()
        >
            <summary>
                <span class="activity-label">{label}</span>
                <span class=format!("badge {}", a.status)>{a.status.as_str()}</span>
            </summary>
            {match detail {
                Some(d) => view! { <Diffish text=d /> }.into_any(),
                None => view! { <p class="muted">"No output."</p> }.into_any(),
            }}
        </details>
    }
}

/// Preformatted text with added and removed lines coloured.
#[component]
fn Diffish(text: String) -> impl IntoView {
    let lines = text
        .lines()
        .map(|line| {
            let class = if line.starts_with('+') && !line.starts_with("+++") {
                "add"
            } else if line.starts_with('-') && !line.starts_with("---") {
                "del"
            } else {
                ""
            };
            view! { <span class=class>{format!("{line}\n")}</span> }
        })
        .collect_view();
    view! { <pre class="diff">{lines}</pre> }
}

#[component]
fn Approval(thread_id: ThreadId, a: ApprovalView, open: bool) -> impl IntoView {
    let store = use_store();
    let act = dispatch_action();
    let approval_id = a.id;
    let decide = move |decision: ApprovalDecision| {
        act.dispatch(CommandEnvelope::new(Command::ApprovalRespond {
            thread_id,
            approval_id,
            decision,
        }));
    };
    let sent =
        move || act.pending().get() || act.value().with(|v| v.as_ref().is_some_and(Result::is_ok));
    let disabled = move || store.unavailable().is_some() || sent();
    let error = move || {
        act.value().with(|v| {
            v.as_ref()
                .and_then(|r| r.as_ref().err())
                .map(crate::pages::error_text)
        })
    };
    let title = match a.kind {
        ApprovalKind::Command => "Run this command?",
        ApprovalKind::FileChange => "Apply this change?",
        ApprovalKind::Other => "Allow this?",
    };
    let state = match (a.decision, open) {
        (Some(d), _) => Some(match d {
            ApprovalDecision::Accept => "Accepted",
            ApprovalDecision::AcceptForSession => "Accepted for the session",
            ApprovalDecision::Decline => "Declined",
            ApprovalDecision::Cancel => "Cancelled",
        }),
        (None, false) => Some("Not answered: the turn ended first"),
        (None, true) => None,
    };
    let pending = state.is_none();
    if pending {
        // Alt+A / Alt+X: the newest waiting approval answers.
        for (action, decision) in [
            (UiAction::Approve, ApprovalDecision::Accept),
            (UiAction::Decline, ApprovalDecision::Decline),
        ] {
            actions::on(action, move || {
                let can = !untrack(disabled);
                if can {
                    decide(decision);
                }
                can
            });
        }
    }
    view! {
        <div
            class=if pending { "approval pending" } else { "approval" }
            data-testid="approval"
            data-kind=a.kind.as_str()
            data-decision=a.decision.map(|d| d.as_str()).unwrap_or("pending")
        >
            <div class="role">{title}</div>
            <Diffish text=a.detail />
            {match state {
                Some(s) => view! { <p class="muted" data-testid="approval-state">{s}</p> }.into_any(),
                None => view! {
                    <div class="actions">
                        <button class="primary" data-testid="approve" disabled=disabled title=move || store.unavailable()
                            on:click=move |_| decide(ApprovalDecision::Accept)>"Accept"</button>
                        <button data-testid="approve-session" disabled=disabled title=move || store.unavailable()
                            on:click=move |_| decide(ApprovalDecision::AcceptForSession)>"Accept for session"</button>
                        <button class="danger" data-testid="decline" disabled=disabled title=move || store.unavailable()
                            on:click=move |_| decide(ApprovalDecision::Decline)>"Decline"</button>
                    </div>
                    {move || error().map(|e| view! { <p class="error">{e}</p> })}
                }
                .into_any(),
            }}
        </div>
    }
}

/// What the turn changed in the folder, from its checkpoint.
#[component]
fn Changes(thread_id: ThreadId, turn: u32, files: Vec<FileStat>) -> impl IntoView {
    let show_diff = RwSignal::new(false);
    let added: u32 = files.iter().map(|f| f.additions).sum();
    let removed: u32 = files.iter().map(|f| f.deletions).sum();
    let count = files.len();
    let summary = format!(
        "{count} file{} changed, +{added} −{removed}",
        if count == 1 { "" } else { "s" }
    );
    let rows = files
        .into_iter()
        .map(|f| {
            view! {
                <li data-testid="changed-file" data-kind=f.kind.as_str()>
                    <code>{f.path}</code>
                    " "
                    <span class="muted">{f.kind.as_str()}</span>
                    " "
                    <span class="add">{format!("+{}", f.additions)}</span>
                    " "
                    <span class="del">{format!("−{}", f.deletions)}</span>
                </li>
            }
        })
        .collect_view();
    view! {
        <details class="changes" data-testid="turn-changes">
            <summary>{summary}</summary>
            <ul>{rows}</ul>
            <button class="link" data-testid="view-diff" on:click=move |_| show_diff.update(|s| *s = !*s)>
                {move || if show_diff.get() { "Hide diff" } else { "View diff" }}
            </button>
            {move || show_diff.get().then(|| view! { <super::DiffPanel thread_id from=turn - 1 to=turn /> })}
        </details>
    }
}

/// Puts the folder and the conversation back to the end of this turn.
#[component]
fn RevertButton(thread_id: ThreadId, turn_count: u32) -> impl IntoView {
    let store = use_store();
    let act = dispatch_action();
    // Read live, so the button follows the thread without redrawing the turn.
    let busy = move || {
        store.live.with(|m| {
            m.as_ref()
                .and_then(|m| m.threads.get(&thread_id))
                .is_some_and(|t| t.active_turn.is_some() || t.revert_requested.is_some())
        })
    };
    let revert = move |_| {
        let question = format!(
            "Revert the folder and the conversation to the end of turn {turn_count}? \
             Later turns and their changes are removed (the folder as it is now stays \
             recoverable under refs/peon in git)."
        );
        if super::confirm(&question) {
            act.dispatch(CommandEnvelope::new(Command::CheckpointRevert {
                thread_id,
                turn_count,
            }));
        }
    };
    view! {
        <button
            class="link revert"
            data-testid="revert-to-turn"
            disabled=move || busy() || store.unavailable().is_some()
            title=move || store.unavailable()
            on:click=revert
        >
            "Revert to here"
        </button>
        {move || {
            act.value()
                .with(|v| v.as_ref().and_then(|r| r.as_ref().err()).map(crate::pages::error_text))
                .map(|e| view! { <p class="error">{e}</p> })
        }}
    }
}
