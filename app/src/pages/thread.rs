use super::kept_thread::KeptThread;
use super::{NotFound, error_text};
use crate::api::{ThreadPageResponse, get_thread_page};
use crate::components::{
    Composer, ComposerState, DiffPanel, GitPanel, PageMerge, Store, TerminalPanel, ThreadUsage,
    Turn, agent_name, use_store,
};
use crate::contracts::*;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

/// Turns loaded when a thread opens.
pub const PAGE_TURNS: u32 = 30;
/// Turns loaded each time the reader scrolls back.
pub const OLDER_TURNS: u32 = 100;
/// Turns shown before the one a page is opened at (`?turn=N`).
const BEFORE_TARGET: u32 = 3;

/// The `before_turn` that fetches a page starting just before turn `n`.
fn window_end(n: u32) -> u32 {
    n.saturating_add(PAGE_TURNS - BEFORE_TARGET)
}

/// Whether a fetched page runs to the thread's latest turn.
fn reaches_latest(response: &ThreadPageResponse) -> bool {
    response
        .page
        .turns
        .last()
        .is_none_or(|t| t.number >= response.thread.turn_count)
}

#[component]
pub fn ThreadPageView() -> impl IntoView {
    let params = use_params_map();
    let thread_id = move || {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<ThreadId>().ok())
    };
    // `?turn=N` opens the thread at turn N (a search hit, "first turn").
    let query = use_query_map();
    let target = move || {
        query
            .read()
            .get("turn")
            .and_then(|n| n.parse::<u32>().ok())
            .filter(|n| *n > 0)
    };
    let page = Resource::new(
        move || (thread_id(), target()),
        |(id, target)| async move {
            match id {
                Some(id) => get_thread_page(id, target.map(window_end), PAGE_TURNS)
                    .await
                    .map(|r| Some((target, r))),
                None => Ok(None),
            }
        },
    );
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading thread…"</p> }>
            {move || {
                page.get()
                    .map(|result| match result {
                        Ok(Some((target, response))) => view! { <ThreadView response target /> }.into_any(),
                        Ok(None) => view! { <NotFound what="This thread" /> }.into_any(),
                        Err(crate::api::ApiError::NotFound { .. }) => {
                            view! { <NotFound what="This thread" /> }.into_any()
                        }
                        Err(e) => match thread_id() {
                            Some(id) => view! { <KeptThread id error=error_text(&e) /> }.into_any(),
                            None => view! { <p class="error">{error_text(&e)}</p> }.into_any(),
                        },
                    })
            }}
        </Transition>
    }
}

/// Fetches a page and hands it to the store, fetching again while the page
/// is older than the live model.
fn load_into_store(store: Store, thread: ThreadId, before: Option<u32>, merge: PageMerge) {
    leptos::task::spawn_local(async move {
        for _ in 0..5 {
            match get_thread_page(thread, before, PAGE_TURNS).await {
                Ok(response) => {
                    if store.add_page(response, merge) {
                        return;
                    }
                }
                Err(_) => return,
            }
        }
    });
}

/// A thread's page: the live model's once it holds this thread, else the
/// page as fetched. Opened at a `target` turn the live page does not reach,
/// it shows a window of turns around it (`Source::Window`), which grows
/// both ways as the reader scrolls and joins the live page when it reaches
/// the latest turn.
#[component]
pub fn ThreadView(response: ThreadPageResponse, target: Option<u32>) -> impl IntoView {
    let store = use_store();
    let id = response.thread.id;
    let live_reaches = |n: u32| {
        store.live.with_untracked(|m| {
            m.as_ref()
                .and_then(|m| m.pages.get(&id))
                .is_some_and(|p| p.first_turn <= n)
        })
    };
    let window =
        RwSignal::new(target.is_some_and(|n| !reaches_latest(&response) && !live_reaches(n)));
    let fetched = RwSignal::new(response.clone());
    let view = PageView {
        store,
        id,
        fetched,
        source: Memo::new(move |_| {
            store.live.with(|m| match m {
                None => Source::Fetched,
                Some(m) if !m.threads.contains_key(&id) => Source::Gone,
                Some(_) if window.get() => Source::Window,
                Some(m) if m.pages.contains_key(&id) => Source::Live,
                Some(_) => Source::Fetched,
            })
        }),
    };
    // Narrow views, so each part redraws only when it changes; none clones
    // the loaded page.
    let exists = Memo::new(move |_| view.source.get() != Source::Gone);
    let header = Memo::new(move |_| {
        view.with(|t, p| Header {
            title: t.title.clone(),
            state: t.state(),
            facts: format!(
                "{} · {} · {}{}",
                agent_name(t.provider),
                t.model.as_deref().unwrap_or("default model"),
                t.runtime_mode,
                t.worktree_path
                    .as_ref()
                    .map(|w| format!(" · worktree {w} on {}", t.branch.as_deref().unwrap_or("?")))
                    .unwrap_or_default()
            ),
            latest_checkpoint: t.checkpoint_turn_count.filter(|n| *n > 0),
            agent_up: t.session_status.is_live(),
            // Why the last turn, the agent or a revert failed.
            error: t
                .active_turn
                .is_none()
                .then(|| t.last_error.clone())
                .flatten(),
            reverting: t.revert_requested,
            deleting: t.delete_requested,
            empty: t.turn_count == 0,
            provider: t.provider,
            has_older: p.has_older(),
            usage: t.usage,
            context: (t.context_tokens, t.context_window),
            cost_micros: t.cost_micros,
        })
    });
    let composer = Memo::new(move |_| view.with(|t, _| ComposerState::of(t)));
    // Looked at with no turn running: not unread in the sidebar.
    let seen = crate::components::use_seen();
    Effect::new(move |_| {
        if !seen.loaded() {
            return;
        }
        if let Some((turns, false)) = view.with(|t, _| (t.turn_count, t.active_turn.is_some())) {
            seen.mark(id, turns);
        }
    });
    // One key per turn that changes whenever anything the turn shows does.
    let turns = Memo::new(move |_| {
        view.with(|_, p| {
            p.turns
                .iter()
                .map(|t| (t.id, fingerprint(t)))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
    });
    Effect::new(move |_| {
        if store.live.with(Option::is_some)
            && !window.get()
            && !store.has_page(id)
            && !store.add_page(response.clone(), PageMerge::Latest)
        {
            load_into_store(store, id, None, PageMerge::Latest);
        }
    });
    store.hold_page(id);
    on_cleanup(move || store.release_page(id));

    let stop_session = crate::components::dispatch_action();
    let loading_older = RwSignal::new(false);
    let load_older = move || {
        let windowed = window.get_untracked();
        if loading_older.get_untracked() || !(windowed || store.has_page(id)) {
            return;
        }
        let Some(first) = view
            .with_untracked(|_, p| p.has_older().then_some(p.first_turn))
            .flatten()
        else {
            return;
        };
        loading_older.set(true);
        leptos::task::spawn_local(async move {
            if let Ok(response) = get_thread_page(id, Some(first), OLDER_TURNS).await {
                keep_scroll_position(|| match windowed {
                    true => fetched.update(|r| r.page.prepend_older(response.page)),
                    false => {
                        store.add_page(response, PageMerge::Older);
                    }
                });
            }
            loading_older.set(false);
        });
    };
    // Only a window has newer turns to load; once it reaches the latest
    // turn it becomes the live page.
    let loading_newer = RwSignal::new(false);
    let load_newer = move || {
        if loading_newer.get_untracked() || !window.get_untracked() {
            return;
        }
        let last = fetched.with_untracked(|r| r.page.turns.last().map_or(0, |t| t.number));
        loading_newer.set(true);
        leptos::task::spawn_local(async move {
            let before = last.saturating_add(OLDER_TURNS + 1);
            if let Ok(response) = get_thread_page(id, Some(before), OLDER_TURNS).await {
                fetched.update(|r| {
                    r.page.append_newer(response.page);
                    r.thread = response.thread;
                    r.sequence = response.sequence;
                });
                let whole = fetched.get_untracked();
                if reaches_latest(&whole) && store.add_page(whole, PageMerge::Latest) {
                    window.set(false);
                }
            }
            loading_newer.set(false);
        });
    };
    #[cfg(feature = "hydrate")]
    {
        let handle = window_event_listener(leptos::ev::scroll, move |_| {
            let Some(w) = web_sys::window() else { return };
            let y = w.scroll_y().unwrap_or(0.0);
            if y < 300.0 {
                load_older();
            }
            let seen = y + w
                .inner_height()
                .ok()
                .and_then(|h| h.as_f64())
                .unwrap_or(0.0);
            let height = w
                .document()
                .and_then(|d| d.document_element())
                .map_or(0.0, |e| f64::from(e.scroll_height()));
            if seen > height - 300.0 {
                load_newer();
            }
        });
        on_cleanup(move || handle.remove());
        match target {
            Some(n) => request_animation_frame(move || scroll_to_turn(n)),
            None => request_animation_frame(scroll_to_bottom),
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (load_newer, target);

    let latest_checkpoint =
        Memo::new(move |_| header.with(|h| h.as_ref().and_then(|h| h.latest_checkpoint)));
    // A message sent while reading old turns: its turn is at the end.
    let navigate = leptos_router::hooks::use_navigate();
    let to_latest = Callback::new(move |()| {
        if window.get_untracked() {
            navigate(&format!("/threads/{id}"), Default::default());
        }
    });
    let field = move |f: fn(&Header) -> String| {
        move || header.with(|h| h.as_ref().map(f).unwrap_or_default())
    };
    move || {
        if !exists.get() {
            return view! { <NotFound what="This thread" /> }.into_any();
        }
        view! {
            <section class="page thread" data-testid="thread-page">
                <header class="page-header">
                    <h1 data-testid="thread-title">{field(|h| h.title.clone())}</h1>
                    <span
                        class=move || format!("badge {}", field(|h| h.state.as_str().to_string())())
                        data-testid="thread-state"
                    >
                        {field(|h| h.state.as_str().to_string())}
                    </span>
                    <span class="muted" data-testid="thread-facts">{field(|h| h.facts.clone())}</span>
                    <ThreadUsage
                        usage=Signal::derive(move || header.with(|h| h.as_ref().map(|h| h.usage).unwrap_or_default()))
                        context=Signal::derive(move || header.with(|h| h.as_ref().map_or((None, None), |h| h.context)))
                        cost=Signal::derive(move || header.with(|h| h.as_ref().and_then(|h| h.cost_micros)))
                    />
                    <Show when=move || header.with(|h| h.as_ref().is_some_and(|h| h.agent_up))>
                        <button
                            class="link"
                            data-testid="stop-session"
                            title="Stop the agent process; its conversation resumes on the next turn"
                            disabled=move || store.unavailable().is_some()
                            on:click=move |_| {
                                stop_session.dispatch(CommandEnvelope::new(Command::SessionStop { thread_id: id }));
                            }
                        >
                            "Stop agent"
                        </button>
                    </Show>
                </header>
                {move || header.with(|h| h.as_ref().and_then(|h| h.error.clone())).map(|e| view! {
                    <p class="error" data-testid="thread-error">{e}</p>
                })}
                <GitPanel thread_id=id />
                <TerminalPanel thread_id=id />
                <ThreadDiff thread_id=id latest=latest_checkpoint />
                {move || header.with(|h| h.as_ref().and_then(|h| h.reverting)).map(|n| view! {
                    <p class="muted" data-testid="reverting">{format!("Reverting to turn {n}…")}</p>
                })}
                <Show when=move || header.with(|h| h.as_ref().is_some_and(|h| h.deleting))>
                    <p class="muted" data-testid="deleting">"Deleting this thread and its worktree…"</p>
                </Show>
                <Show when=move || header.with(|h| h.as_ref().is_some_and(|h| h.has_older))>
                    <TurnJumps
                        load=("load-older", "Load older turns")
                        loading=loading_older
                        on_load=load_older
                        jump=(format!("/threads/{id}?turn=1"), "turn-first", "First turn")
                    />
                </Show>
                <ol class="timeline" data-testid="timeline">
                    <For each=move || turns.get() key=|k| *k let:key>
                        {view
                            .with_untracked(|_, p| p.turns.iter().find(|t| t.id == key.0).cloned())
                            .flatten()
                            .map(|turn| view! { <Turn thread_id=id turn /> })}
                    </For>
                </ol>
                <Show when=move || window.get()>
                    <TurnJumps
                        load=("load-newer", "Load newer turns")
                        loading=loading_newer
                        on_load=load_newer
                        jump=(format!("/threads/{id}"), "turn-latest", "Latest turns")
                    />
                </Show>
                <Show when=move || header.with(|h| h.as_ref().is_some_and(|h| h.empty))>
                    <super::empty_thread::EmptyThread provider=Signal::derive(move || {
                        header.with(|h| h.as_ref().map(|h| h.provider))
                    }) />
                </Show>
                <Composer thread_id=id state=composer on_sent=to_latest />
            </section>
        }
        .into_any()
    }
}

/// "Load older/newer turns" (its test id and label) beside a link that
/// jumps (its address, test id and label).
#[component]
fn TurnJumps(
    load: (&'static str, &'static str),
    loading: RwSignal<bool>,
    on_load: impl Fn() + Copy + Send + Sync + 'static,
    jump: (String, &'static str, &'static str),
) -> impl IntoView {
    let (href, jump_id, jump_label) = jump;
    view! {
        <div class="turn-jumps">
            <button
                class="link"
                data-testid=load.0
                disabled=move || loading.get()
                on:click=move |_| on_load()
            >
                {load.1}
            </button>
            <A href=href attr:data-testid=jump_id>{jump_label}</A>
        </div>
    }
}

#[derive(Clone, Debug, PartialEq)]
struct Header {
    title: String,
    state: ThreadState,
    facts: String,
    error: Option<String>,
    reverting: Option<u32>,
    /// Its worktree is being removed before the thread goes.
    deleting: bool,
    /// The agent process is up (so it can be stopped).
    agent_up: bool,
    /// The newest checkpoint after a turn, for the whole thread's diff.
    latest_checkpoint: Option<u32>,
    empty: bool,
    has_older: bool,
    provider: Provider,
    usage: TokenUsage,
    /// The agent's context: tokens held at its last report, and its size.
    context: (Option<u64>, Option<u64>),
    cost_micros: Option<u64>,
}

/// Where the thread page reads from: the live model once it holds this
/// thread's page; before that (and on the server) the page as fetched.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Source {
    Fetched,
    Live,
    /// Turns around a target, as fetched, with the live thread's summary.
    Window,
    Gone,
}

/// The thread and its loaded page, read in place wherever they are now.
#[derive(Clone, Copy)]
struct PageView {
    store: Store,
    id: ThreadId,
    fetched: RwSignal<ThreadPageResponse>,
    source: Memo<Source>,
}

impl PageView {
    /// Runs `f` on the thread and its page (tracking them); `None` once the
    /// thread is gone.
    fn with<R>(&self, f: impl FnOnce(&ThreadSummary, &ThreadPage) -> R) -> Option<R> {
        match self.source.get() {
            Source::Gone => None,
            Source::Fetched => Some(self.fetched.with(|r| f(&r.thread, &r.page))),
            Source::Window => self.store.live.with(|m| {
                let thread = m.as_ref()?.threads.get(&self.id)?;
                Some(self.fetched.with(|r| f(thread, &r.page)))
            }),
            Source::Live => self.store.live.with(|m| {
                let m = m.as_ref()?;
                Some(f(m.threads.get(&self.id)?, m.pages.get(&self.id)?))
            }),
        }
    }

    fn with_untracked<R>(&self, f: impl FnOnce(&ThreadSummary, &ThreadPage) -> R) -> Option<R> {
        untrack(|| self.with(f))
    }
}

/// Changes whenever anything a turn shows does (any item, not only the
/// last: an activity settles after its approval was answered), without
/// copying its text: lengths, states and ids, hashed.
fn fingerprint(turn: &TurnView) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    turn.status.hash(&mut h);
    turn.error.hash(&mut h);
    turn.interrupt_requested.hash(&mut h);
    turn.checkpoint
        .as_ref()
        .map(|c| (c.git_ref.as_str(), c.files.len(), c.skipped.len()))
        .hash(&mut h);
    for item in &turn.items {
        match item {
            TimelineItem::Message(m) => (0u8, m.id, m.text.len(), m.streaming).hash(&mut h),
            TimelineItem::Activity(a) => (
                1u8,
                a.id,
                a.kind,
                a.status,
                a.summary.len(),
                a.detail.as_ref().map(String::len),
            )
                .hash(&mut h),
            TimelineItem::Approval(a) => (2u8, a.id, a.decision).hash(&mut h),
        }
    }
    h.finish()
}

/// Runs `change` (which adds content above the viewport) and scrolls so the
/// content the reader was looking at stays put.
fn keep_scroll_position(change: impl FnOnce()) {
    #[cfg(feature = "hydrate")]
    {
        let height = || {
            web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.document_element())
                .map_or(0, |e| e.scroll_height())
        };
        let before = height();
        change();
        request_animation_frame(move || {
            if let Some(w) = web_sys::window() {
                w.scroll_by_with_x_and_y(0.0, f64::from(height() - before));
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    change();
}

/// Brings turn `n` into view and marks it, for a page opened at it.
#[cfg(feature = "hydrate")]
fn scroll_to_turn(n: u32) {
    let turn = web_sys::window().and_then(|w| w.document()).and_then(|d| {
        d.query_selector(&format!("[data-turn=\"{n}\"]"))
            .ok()
            .flatten()
    });
    if let Some(turn) = turn {
        let _ = turn.set_attribute("data-target", "true");
        turn.scroll_into_view();
    }
}

#[cfg(feature = "hydrate")]
fn scroll_to_bottom() {
    if let Some(w) = web_sys::window() {
        let height = w
            .document()
            .and_then(|d| d.document_element())
            .map_or(0, |e| e.scroll_height());
        w.scroll_to_with_x_and_y(0.0, f64::from(height));
    }
}

/// Everything the thread changed: checkpoint 0 (before its first turn) to
/// the newest.
#[component]
fn ThreadDiff(thread_id: ThreadId, latest: Memo<Option<u32>>) -> impl IntoView {
    let open = RwSignal::new(false);
    crate::components::actions::on(crate::components::UiAction::ToggleDiff, move || {
        let has = latest.get_untracked().is_some();
        if has {
            open.update(|o| *o = !*o);
        }
        has
    });
    move || {
        latest.get().map(|to| {
            view! {
                <div class="thread-diff">
                    <button class="link" data-testid="thread-diff" on:click=move |_| open.update(|o| *o = !*o)>
                        {move || if open.get() { "Hide all changes" } else { "All changes in this thread" }}
                    </button>
                    {move || open.get().then(|| view! { <DiffPanel thread_id from=0 to=to /> })}
                </div>
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn turn_with(items: Vec<TimelineItem>) -> TurnView {
        TurnView {
            id: TurnId::from_u128(1),
            number: 1,
            status: TurnStatus::Running,
            error: None,
            requested_at: chrono::DateTime::UNIX_EPOCH,
            completed_at: None,
            interrupt_requested: false,
            items,
            checkpoint: None,
            usage: TokenUsage::default(),
        }
    }

    fn command(status: ActivityStatus, detail: Option<&str>) -> TimelineItem {
        TimelineItem::Activity(ActivityView {
            id: ActivityId::from_u128(2),
            kind: ActivityKind::Command,
            summary: "cargo test".into(),
            detail: detail.map(str::to_string),
            status,
            created_at: chrono::DateTime::UNIX_EPOCH,
        })
    }

    #[test]
    fn a_turn_redraws_when_any_item_changes_not_only_the_last() {
        let answered = TimelineItem::Approval(ApprovalView {
            id: ApprovalId::from_u128(3),
            kind: ApprovalKind::Command,
            detail: "cargo test".into(),
            decision: Some(ApprovalDecision::Accept),
            created_at: chrono::DateTime::UNIX_EPOCH,
        });
        // The command settles after its approval (the last item) was
        // answered.
        let running = turn_with(vec![
            command(ActivityStatus::Running, None),
            answered.clone(),
        ]);
        let done = turn_with(vec![
            command(ActivityStatus::Completed, Some("ok")),
            answered,
        ]);
        assert_ne!(fingerprint(&running), fingerprint(&done));
        assert_eq!(fingerprint(&running), fingerprint(&running.clone()));
    }
}
