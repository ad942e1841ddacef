//! The client's view of the server's state. Server-side rendering reads the
//! snapshot resource; once hydrated, the browser builds a live `ReadModel`
//! from that snapshot and keeps it current with the event stream, through
//! the same reducer the server uses.

use crate::api::{
    ApiError, DispatchOutcome, Snapshot, ThreadPageResponse, dispatch_command, get_snapshot,
};
use crate::contracts::*;
use leptos::prelude::*;

/// The state of the event stream, shown to the user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Connection {
    Connecting,
    Live,
    Offline,
}

/// How a fetched page joins the live model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageMerge {
    /// The thread's latest turns: replaces what is loaded.
    Latest,
    /// Older turns: go before what is loaded.
    Older,
}

/// What lists of projects and threads show; compared on every event so that
/// lists re-render only when one of these fields changes.
#[derive(Clone, Debug, PartialEq)]
pub struct ProjectRow {
    pub id: ProjectId,
    pub title: String,
    pub workspace_root: String,
    /// Its threads' worktrees are being removed before it goes.
    pub deleting: bool,
    /// Why its last delete could not be done.
    pub delete_error: Option<String>,
    /// Newest first.
    pub threads: Vec<ThreadRow>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ThreadRow {
    pub id: ThreadId,
    pub title: String,
    pub state: ThreadState,
    pub provider: Provider,
    pub runtime_mode: RuntimeMode,
    pub interaction_mode: InteractionMode,
    pub turn_count: u32,
    pub archived: bool,
    /// When anything last happened in it.
    pub last_activity: chrono::DateTime<chrono::Utc>,
    /// The branch of the thread's own worktree, if it has one.
    pub worktree_branch: Option<String>,
}

/// Rows for every project, by title, each with its threads newest first.
pub fn rows_of<'a>(
    projects: impl Iterator<Item = &'a Project>,
    threads: impl Iterator<Item = &'a ThreadSummary> + Clone,
) -> Vec<ProjectRow> {
    let mut rows: Vec<ProjectRow> = projects
        .map(|p| {
            let mut own: Vec<&ThreadSummary> =
                threads.clone().filter(|t| t.project_id == p.id).collect();
            own.sort_by_key(|t| std::cmp::Reverse((t.created_at, t.id)));
            ProjectRow {
                id: p.id,
                title: p.title.clone(),
                workspace_root: p.workspace_root.clone(),
                deleting: p.delete_requested,
                delete_error: p.delete_error.clone(),
                threads: own
                    .into_iter()
                    .map(|t| ThreadRow {
                        id: t.id,
                        title: t.title.clone(),
                        state: t.state(),
                        provider: t.provider,
                        runtime_mode: t.runtime_mode,
                        interaction_mode: t.interaction_mode,
                        turn_count: t.turn_count,
                        archived: t.archived,
                        last_activity: t.updated_at,
                        worktree_branch: t
                            .worktree_path
                            .as_ref()
                            .map(|_| t.branch.clone().unwrap_or_default()),
                    })
                    .collect(),
            }
        })
        .collect();
    rows.sort_by_key(|r| (super::fuzzy::lower(&r.title), r.id));
    rows
}

#[derive(Clone, Copy)]
pub struct Store {
    pub snapshot: Resource<Result<Snapshot, ApiError>>,
    live_rows: Memo<Option<Vec<ProjectRow>>>,
    /// The live model; `None` until the browser has taken over.
    pub live: RwSignal<Option<ReadModel>>,
    pub connection: RwSignal<Connection>,
    /// Names the server's log; see `Snapshot::log_id`.
    pub log_id: StoredValue<Option<EventId>>,
    /// Pages fetched at a sequence the live model has not reached yet.
    pending: StoredValue<Vec<(ThreadPageResponse, PageMerge)>>,
    /// Threads whose view closed, least recently first (their pages stay).
    released: StoredValue<Vec<ThreadId>>,
}

/// Pages of closed threads kept in the model (and so offline).
pub const KEPT_PAGES: usize = 30;

/// Most the copy kept for offline reading may take; past it the pages of
/// threads closed longest ago go first.
pub const OFFLINE_CAP_BYTES: usize = 50 * 1024 * 1024;

impl Store {
    fn new() -> Self {
        let live: RwSignal<Option<ReadModel>> = RwSignal::new(None);
        Self {
            snapshot: Resource::new(|| (), |_| get_snapshot()),
            live_rows: Memo::new(move |_| {
                live.with(|m| {
                    m.as_ref()
                        .map(|m| rows_of(m.projects.values(), m.threads.values()))
                })
            }),
            live,
            connection: RwSignal::new(Connection::Connecting),
            log_id: StoredValue::new(None),
            pending: StoredValue::new(Vec::new()),
            released: StoredValue::new(Vec::new()),
        }
    }

    /// Project and thread rows: live once the browser has taken over, else
    /// as rendered by the server. `None` while loading.
    pub fn rows(&self) -> Option<Result<Vec<ProjectRow>, ApiError>> {
        if let Some(rows) = self.live_rows.get() {
            return Some(Ok(rows));
        }
        self.snapshot
            .get()
            .map(|r| r.map(|s| rows_of(s.projects.iter(), s.threads.iter())))
    }

    /// Starts the live model from the server-rendered snapshot, or from a
    /// model this browser kept that is further along (seen before a reload
    /// while the server was down).
    pub fn go_live(&self, snapshot: &Snapshot, kept: Option<ReadModel>) {
        if self.live.with_untracked(Option::is_some) {
            return;
        }
        self.log_id.set_value(snapshot.log_id);
        if let Some(kept) = kept.filter(|k| k.sequence > snapshot.sequence) {
            self.adopt(kept);
            return;
        }
        let mut model = ReadModel {
            sequence: snapshot.sequence,
            ..ReadModel::default()
        };
        for p in &snapshot.projects {
            model.projects.insert(p.id, p.clone());
        }
        for t in &snapshot.threads {
            model.threads.insert(t.id, t.clone());
        }
        self.live.set(Some(model));
        self.merge_pending();
    }

    /// Drops everything held for `snapshot`, from a server whose log is
    /// not the one this page knew.
    pub fn restart_from(&self, snapshot: &Snapshot) {
        self.pending.set_value(Vec::new());
        self.released.set_value(Vec::new());
        self.live.set(None);
        self.go_live(snapshot, None);
    }

    /// Starts the live model from the one this browser kept, when the
    /// server cannot be reached to say more (a page served from the
    /// service worker's app shell).
    pub fn go_live_offline(&self, log_id: Option<EventId>, kept: ReadModel) {
        if self.live.with_untracked(Option::is_some) {
            return;
        }
        self.log_id.set_value(log_id);
        self.adopt(kept);
    }

    fn adopt(&self, kept: ReadModel) {
        // Pages kept from before count as released, oldest first.
        self.released
            .set_value(kept.pages.keys().copied().collect::<Vec<_>>());
        self.live.set(Some(kept));
        self.merge_pending();
    }

    /// Applies one streamed event. Returns false on a sequence gap: the
    /// caller must resume the stream from `sequence()`.
    pub fn receive(&self, event: &StoredEvent) -> bool {
        let mut in_order = true;
        self.live.update(|m| {
            let Some(m) = m else { return };
            if event.sequence <= m.sequence {
                return;
            }
            if event.sequence != m.sequence + 1 {
                in_order = false;
                return;
            }
            m.apply(event);
        });
        // A log that was empty when the page began is named by its first
        // event, so a later change of log is still noticed.
        if in_order && event.sequence == 1 && self.log_id.get_value().is_none() {
            self.log_id.set_value(Some(event.event_id));
        }
        if in_order {
            self.merge_pending();
        }
        in_order
    }

    /// The sequence the live model has reached.
    pub fn sequence(&self) -> Option<u64> {
        self.live.with_untracked(|m| m.as_ref().map(|m| m.sequence))
    }

    /// Adds a fetched page once the live model is at the page's sequence.
    /// Returns false when the page is older than the model and must be
    /// fetched again.
    pub fn add_page(&self, response: ThreadPageResponse, merge: PageMerge) -> bool {
        match self.sequence() {
            Some(seq) if response.sequence < seq => false,
            _ => {
                self.pending.update_value(|p| p.push((response, merge)));
                self.merge_pending();
                true
            }
        }
    }

    fn merge_pending(&self) {
        let Some(seq) = self.sequence() else { return };
        let ready: Vec<(ThreadPageResponse, PageMerge)> = self
            .pending
            .try_update_value(|p| {
                let (ready, rest): (Vec<_>, Vec<_>) =
                    p.drain(..).partition(|(r, _)| r.sequence == seq);
                // Pages the model has passed are dropped: their thread views refetch.
                *p = rest.into_iter().filter(|(r, _)| r.sequence > seq).collect();
                ready
            })
            .unwrap_or_default();
        if ready.is_empty() {
            return;
        }
        self.live.update(|m| {
            let Some(m) = m else { return };
            for (response, merge) in ready {
                let id = response.thread.id;
                match merge {
                    PageMerge::Latest => {
                        m.pages.insert(id, response.page);
                    }
                    PageMerge::Older => {
                        if let Some(page) = m.pages.get_mut(&id) {
                            page.prepend_older(response.page);
                        }
                    }
                }
            }
        });
    }

    /// Why actions are unavailable right now, if they are.
    pub fn unavailable(&self) -> Option<&'static str> {
        (self.connection.get() == Connection::Offline)
            .then_some("The server cannot be reached; this is what the browser last saw.")
    }

    /// Whether the page of a thread is loaded into the live model.
    pub fn has_page(&self, thread: ThreadId) -> bool {
        self.live
            .with_untracked(|m| m.as_ref().is_some_and(|m| m.pages.contains_key(&thread)))
    }

    /// A thread's view closed: its page stays (kept current by the stream,
    /// and kept for offline reading with the model) among the
    /// `KEPT_PAGES` closed most recently; older ones go.
    pub fn release_page(&self, thread: ThreadId) {
        let mut evicted = Vec::new();
        self.released.update_value(|order| {
            order.retain(|t| *t != thread);
            order.push(thread);
            if order.len() > KEPT_PAGES {
                evicted = order.drain(..order.len() - KEPT_PAGES).collect();
            }
        });
        if evicted.is_empty() {
            return;
        }
        self.live.update(|m| {
            if let Some(m) = m {
                for t in &evicted {
                    m.pages.remove(t);
                }
            }
        });
    }

    /// Drops the pages of the first `share` of the released threads (the
    /// longest closed), e.g. when the offline copy grows too big.
    pub fn evict_released(&self, share: f64) {
        let mut evicted = Vec::new();
        self.released.update_value(|order| {
            let n = ((order.len() as f64) * share).ceil() as usize;
            evicted = order.drain(..n.min(order.len())).collect();
        });
        self.live.update(|m| {
            if let Some(m) = m {
                for t in &evicted {
                    m.pages.remove(t);
                }
            }
        });
    }

    /// Threads whose pages are in the live model.
    pub fn kept_pages(&self) -> usize {
        self.live.with(|m| m.as_ref().map_or(0, |m| m.pages.len()))
    }

    /// A thread's view opened: its page is in use, not among the released.
    pub fn hold_page(&self, thread: ThreadId) {
        self.released
            .update_value(|order| order.retain(|t| *t != thread));
    }
}

/// The store for this page, created on first use.
pub fn use_store() -> Store {
    match use_context::<Store>() {
        Some(store) => store,
        None => {
            let store = Store::new();
            provide_context(store);
            store
        }
    }
}

/// An action that sends a command. The change itself arrives through the
/// event stream, in this tab and every other.
pub fn dispatch_action() -> Action<CommandEnvelope, Result<DispatchOutcome, ApiError>> {
    Action::new(move |envelope: &CommandEnvelope| {
        let envelope = envelope.clone();
        async move { dispatch_command(envelope).await }
    })
}
