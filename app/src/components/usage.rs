//! Tokens as the agents report them: per turn, per thread, and how full the
//! agent's context is, in the thread header.

use crate::contracts::TokenUsage;
use leptos::prelude::*;

/// 950, 1.2k, 34k, 1.3M: short, in integers (no float formatting code).
pub fn tokens_text(n: u64) -> String {
    match n {
        0..1_000 => n.to_string(),
        1_000..10_000 => format!("{}.{}k", n / 1_000, n % 1_000 / 100),
        10_000..1_000_000 => format!("{}k", n / 1_000),
        _ => format!("{}.{}M", n / 1_000_000, n % 1_000_000 / 100_000),
    }
}

/// "1.2k in · 300 out" (the cached part of the input said when there is
/// one).
pub fn usage_text(u: &TokenUsage) -> String {
    let cached = if u.cached_input > 0 {
        format!(" ({} cached)", tokens_text(u.cached_input))
    } else {
        String::new()
    };
    format!(
        "{} in{cached} · {} out",
        tokens_text(u.input),
        tokens_text(u.output)
    )
}

/// "$0.0012": a cost the agent reported, in millionths of a dollar.
pub fn cost_text(micros: u64) -> String {
    format!("${}.{:04}", micros / 1_000_000, micros % 1_000_000 / 100)
}

/// The thread's tokens, its cost when the agent reports one, and a bar of
/// how full the agent's context is.
#[component]
pub fn ThreadUsage(
    usage: Signal<TokenUsage>,
    context: Signal<(Option<u64>, Option<u64>)>,
    cost: Signal<Option<u64>>,
) -> impl IntoView {
    move || {
        let u = usage.get();
        if u.is_empty() {
            return None;
        }
        let (used, window) = context.get();
        let bar = used.zip(window).filter(|(_, w)| *w > 0).map(|(used, window)| {
            let percent = (used.saturating_mul(100) / window).min(100);
            view! {
                <span
                    class="context-bar"
                    data-testid="context-bar"
                    data-percent=percent
                    role="meter"
                    aria-valuemin="0"
                    aria-valuemax="100"
                    aria-valuenow=percent
                    aria-label="Context used"
                    title=format!("{} of {} tokens of context used", tokens_text(used), tokens_text(window))
                >
                    <span class="context-fill" style=format!("width: {percent}%")></span>
                </span>
                <span class="muted">{format!("{percent}% context")}</span>
            }
        });
        Some(view! {
            <span class="thread-usage" data-testid="thread-usage">
                <span class="muted" data-testid="thread-tokens">{usage_text(&u)}</span>
                {cost.get().map(|c| view! { <span class="muted" data-testid="thread-cost">{cost_text(c)}</span> })}
                {bar}
            </span>
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_counts_read_short() {
        assert_eq!(tokens_text(950), "950");
        assert_eq!(tokens_text(1_250), "1.2k");
        assert_eq!(tokens_text(34_900), "34k");
        assert_eq!(tokens_text(1_350_000), "1.3M");
        let u = TokenUsage {
            input: 12_000,
            cached_input: 3_000,
            output: 250,
            reasoning_output: 0,
        };
        assert_eq!(usage_text(&u), "12k in (3.0k cached) · 250 out");
        assert_eq!(cost_text(1_240), "$0.0012");
        assert_eq!(cost_text(2_500_000), "$2.5000");
    }
}
