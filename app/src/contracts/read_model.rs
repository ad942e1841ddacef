//! The read model and its reducer. Pure: no I/O, no clock. The server, the
//! engine and the WASM client all fold events through `ReadModel::apply`.
//!
//! A model may be partial: summaries of every project and thread are always
//! kept right, while the detailed timeline (`pages`) is kept only for the
//! threads whose page was loaded (or for all threads when `keep_all_pages`).

use super::event::*;
use super::ids::*;
use super::stored::StoredEvent;
use super::types::*;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ReadModel {
    /// Sequence of the last event applied.
    pub sequence: u64,
    pub projects: BTreeMap<ProjectId, Project>,
    pub threads: BTreeMap<ThreadId, ThreadSummary>,
    pub settings: BTreeMap<String, serde_json::Value>,
    pub settings_version: u64,
    /// Loaded timeline pages, by thread.
    pub pages: BTreeMap<ThreadId, ThreadPage>,
    /// Start a page for every new thread (a full model, as in tests and
    /// rebuilds) instead of only updating pages already loaded.
    #[serde(default)]
    pub keep_all_pages: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Project {
    pub id: ProjectId,
    pub title: String,
    pub workspace_root: String,
    pub default_model: Option<String>,
    #[serde(with = "super::timestamp")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "super::timestamp")]
    pub updated_at: DateTime<Utc>,
    /// Version of the project's stream.
    pub version: u64,
    /// Its threads' worktrees are being removed before it is deleted.
    #[serde(default)]
    pub delete_requested: bool,
    /// Why the last delete could not be done.
    #[serde(default)]
    pub delete_error: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActiveTurn {
    pub id: TurnId,
    pub number: u32,
    pub status: TurnStatus,
    pub interrupt_requested: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThreadSummary {
    pub id: ThreadId,
    pub project_id: ProjectId,
    pub title: String,
    pub provider: Provider,
    pub model: Option<String>,
    pub runtime_mode: RuntimeMode,
    pub interaction_mode: InteractionMode,
    pub branch: Option<String>,
    pub worktree_path: Option<String>,
    pub archived: bool,
    #[serde(with = "super::timestamp")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "super::timestamp")]
    pub updated_at: DateTime<Utc>,
    /// Version of the thread's stream.
    pub version: u64,
    /// Turns in the thread (a revert lowers it).
    pub turn_count: u32,
    pub active_turn: Option<ActiveTurn>,
    pub last_turn_status: Option<TurnStatus>,
    /// Pending approvals and the turn that asked.
    pub pending_approvals: BTreeMap<ApprovalId, TurnId>,
    /// Messages still streaming and their turn.
    pub open_messages: BTreeMap<MessageId, TurnId>,
    pub session_status: SessionStatus,
    pub provider_thread_id: Option<String>,
    pub last_error: Option<String>,
    /// Turn count of the newest checkpoint, if any.
    pub checkpoint_turn_count: Option<u32>,
    pub revert_requested: Option<u32>,
    /// Its worktree is being removed before the thread is deleted.
    #[serde(default)]
    pub delete_requested: bool,
    /// Messages waiting to be sent as the next turns, the next first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub queue: Vec<QueuedMessage>,
    /// Tokens of all its turns, as the agent reported them.
    #[serde(default, skip_serializing_if = "TokenUsage::is_empty")]
    pub usage: TokenUsage,
    /// What the agent's context held at its last report, and can hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_window: Option<u64>,
    /// Cost the agent reported, in millionths of a US dollar.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_micros: Option<u64>,
}

/// A message waiting for the running turn to end (`message.queued`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueuedMessage {
    pub message_id: MessageId,
    /// The turn it starts when sent.
    pub turn_id: TurnId,
    pub text: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
}

impl ThreadSummary {
    pub fn state(&self) -> ThreadState {
        if !self.pending_approvals.is_empty() {
            ThreadState::AwaitingApproval
        } else if self.active_turn.is_some() {
            ThreadState::Running
        } else if self.session_status == SessionStatus::Error
            || self.last_turn_status == Some(TurnStatus::Failed)
        {
            ThreadState::Error
        } else {
            ThreadState::Idle
        }
    }
}

/// The loaded part of a thread's timeline: turns `first_turn..` in order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ThreadPage {
    /// Number of the oldest loaded turn (1 when the page reaches the start).
    pub first_turn: u32,
    pub turns: Vec<TurnView>,
}

impl ThreadPage {
    pub fn empty() -> Self {
        Self {
            first_turn: 1,
            turns: Vec::new(),
        }
    }

    pub fn has_older(&self) -> bool {
        self.first_turn > 1
    }

    /// Puts the turns of `older` that come before this page's in front of
    /// it (a page fetched further back; overlapping turns are this page's).
    pub fn prepend_older(&mut self, older: ThreadPage) {
        let first = self.first_turn;
        let mut before: Vec<TurnView> = older
            .turns
            .into_iter()
            .filter(|t| t.number < first)
            .collect();
        if !before.is_empty() {
            self.first_turn = older.first_turn;
            before.append(&mut self.turns);
            self.turns = before;
        }
    }

    /// Adds the turns of `newer` after this page's last one.
    pub fn append_newer(&mut self, newer: ThreadPage) {
        let last = self.turns.last().map_or(0, |t| t.number);
        self.turns
            .extend(newer.turns.into_iter().filter(|t| t.number > last));
    }

    fn turn_mut(&mut self, id: TurnId) -> Option<&mut TurnView> {
        self.turns.iter_mut().rev().find(|t| t.id == id)
    }

    fn item_mut(&mut self, pred: impl Fn(&TimelineItem) -> bool) -> Option<&mut TimelineItem> {
        self.turns
            .iter_mut()
            .rev()
            .find_map(|t| t.items.iter_mut().rev().find(|i| pred(i)))
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TurnView {
    pub id: TurnId,
    pub number: u32,
    pub status: TurnStatus,
    pub error: Option<String>,
    #[serde(with = "super::timestamp")]
    pub requested_at: DateTime<Utc>,
    #[serde(default, with = "super::timestamp::option")]
    pub completed_at: Option<DateTime<Utc>>,
    pub interrupt_requested: bool,
    pub items: Vec<TimelineItem>,
    pub checkpoint: Option<CheckpointView>,
    /// Tokens the agent reported for this turn.
    #[serde(default, skip_serializing_if = "TokenUsage::is_empty")]
    pub usage: TokenUsage,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckpointView {
    pub git_ref: String,
    pub files: Vec<FileStat>,
    #[serde(default)]
    pub skipped: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "item")]
pub enum TimelineItem {
    #[serde(rename = "message")]
    Message(MessageView),
    #[serde(rename = "activity")]
    Activity(ActivityView),
    #[serde(rename = "approval")]
    Approval(ApprovalView),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MessageView {
    pub id: MessageId,
    pub role: Role,
    pub text: String,
    pub attachments: Vec<Attachment>,
    pub streaming: bool,
    #[serde(with = "super::timestamp")]
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActivityView {
    pub id: ActivityId,
    pub kind: ActivityKind,
    pub summary: String,
    pub detail: Option<String>,
    pub status: ActivityStatus,
    #[serde(with = "super::timestamp")]
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApprovalView {
    pub id: ApprovalId,
    pub kind: ApprovalKind,
    pub detail: String,
    pub decision: Option<ApprovalDecision>,
    #[serde(with = "super::timestamp")]
    pub created_at: DateTime<Utc>,
}

/// The folder a thread works in: its worktree, else its project's folder.
/// The one rule; `None` only when the project is gone.
pub fn thread_folder<'a>(
    thread: &'a ThreadSummary,
    project: Option<&'a Project>,
) -> Option<&'a str> {
    thread
        .worktree_path
        .as_deref()
        .or(project.map(|p| p.workspace_root.as_str()))
}

impl ReadModel {
    /// The folder a thread works in (`thread_folder`).
    pub fn folder_of<'a>(&'a self, thread: &'a ThreadSummary) -> Option<&'a str> {
        thread_folder(thread, self.projects.get(&thread.project_id))
    }

    /// A model that keeps every thread's full timeline.
    pub fn full() -> Self {
        Self {
            keep_all_pages: true,
            ..Self::default()
        }
    }

    /// Applies one event. Events at or below the current sequence were
    /// already applied and are ignored, so overlapping replays are harmless.
    pub fn apply(&mut self, stored: &StoredEvent) {
        if stored.sequence <= self.sequence {
            return;
        }
        self.sequence = stored.sequence;
        let at = stored.occurred_at;
        let version = stored.stream_version;
        use OrchestrationEvent as E;
        match &stored.event {
            E::ProjectCreated(e) => {
                self.projects.insert(
                    e.project_id,
                    Project {
                        id: e.project_id,
                        title: e.title.clone(),
                        workspace_root: e.workspace_root.clone(),
                        default_model: e.default_model.clone(),
                        created_at: at,
                        updated_at: at,
                        version,
                        delete_requested: false,
                        delete_error: None,
                    },
                );
            }
            E::ProjectDeleteRequested(e) => {
                if let Some(p) = self.projects.get_mut(&e.project_id) {
                    p.delete_requested = true;
                    p.delete_error = None;
                    p.updated_at = at;
                    p.version = version;
                }
            }
            E::ProjectDeleteFailed(e) => {
                if let Some(p) = self.projects.get_mut(&e.project_id) {
                    p.delete_requested = false;
                    p.delete_error = Some(e.error.clone());
                    p.updated_at = at;
                    p.version = version;
                }
            }
            E::ProjectUpdated(e) => {
                if let Some(p) = self.projects.get_mut(&e.project_id) {
                    if let Some(title) = &e.title {
                        p.title = title.clone();
                    }
                    if let Some(model) = &e.default_model {
                        p.default_model = Some(model.clone());
                    }
                    p.updated_at = at;
                    p.version = version;
                }
            }
            E::ProjectDeleted(e) => {
                self.projects.remove(&e.project_id);
            }
            E::ThreadCreated(e) => {
                self.threads.insert(
                    e.thread_id,
                    ThreadSummary {
                        id: e.thread_id,
                        project_id: e.project_id,
                        title: e.title.clone(),
                        provider: e.provider,
                        model: e.model.clone(),
                        runtime_mode: e.runtime_mode,
                        interaction_mode: e.interaction_mode,
                        branch: e.branch.clone(),
                        worktree_path: e.worktree_path.clone(),
                        archived: false,
                        created_at: at,
                        updated_at: at,
                        version,
                        turn_count: 0,
                        active_turn: None,
                        last_turn_status: None,
                        pending_approvals: BTreeMap::new(),
                        open_messages: BTreeMap::new(),
                        session_status: SessionStatus::Stopped,
                        provider_thread_id: None,
                        last_error: None,
                        checkpoint_turn_count: None,
                        revert_requested: None,
                        delete_requested: false,
                        queue: Vec::new(),
                        usage: TokenUsage::default(),
                        context_tokens: None,
                        context_window: None,
                        cost_micros: None,
                    },
                );
                if self.keep_all_pages {
                    self.pages.insert(e.thread_id, ThreadPage::empty());
                }
            }
            E::ThreadDeleted(e) => {
                self.threads.remove(&e.thread_id);
                self.pages.remove(&e.thread_id);
            }
            other => {
                let Some(thread_id) = other.thread_id() else {
                    if let E::SettingsUpdated(e) = other {
                        self.settings.insert(e.key.clone(), e.value.clone());
                        self.settings_version = version;
                    }
                    return;
                };
                let Some(summary) = self.threads.get_mut(&thread_id) else {
                    return;
                };
                summary.version = version;
                summary.updated_at = at;
                apply_to_summary(summary, other);
                if let Some(page) = self.pages.get_mut(&thread_id) {
                    apply_to_page(page, other, at);
                }
            }
        }
    }
}

fn apply_to_summary(s: &mut ThreadSummary, event: &OrchestrationEvent) {
    use OrchestrationEvent as E;
    match event {
        E::ThreadUpdated(e) => {
            if let Some(v) = &e.title {
                s.title = v.clone();
            }
            if let Some(v) = &e.model {
                s.model = Some(v.clone());
            }
            if let Some(v) = e.runtime_mode {
                s.runtime_mode = v;
            }
            if let Some(v) = e.interaction_mode {
                s.interaction_mode = v;
            }
            if let Some(v) = &e.branch {
                s.branch = Some(v.clone());
            }
            if let Some(v) = e.provider {
                s.provider = v;
            }
        }
        E::ThreadArchived(_) => s.archived = true,
        E::ThreadUnarchived(_) => s.archived = false,
        E::TurnRequested(e) => {
            s.turn_count = e.number;
            s.active_turn = Some(ActiveTurn {
                id: e.turn_id,
                number: e.number,
                status: TurnStatus::Requested,
                interrupt_requested: false,
            });
            s.last_error = None;
        }
        E::TurnStarted(e) => {
            if let Some(t) = s.active_turn.as_mut().filter(|t| t.id == e.turn_id) {
                t.status = TurnStatus::Running;
            }
        }
        E::TurnInterruptRequested(e) => {
            if let Some(t) = s.active_turn.as_mut().filter(|t| t.id == e.turn_id) {
                t.interrupt_requested = true;
            }
        }
        E::TurnCompleted(e) => {
            if s.active_turn.as_ref().is_some_and(|t| t.id == e.turn_id) {
                s.active_turn = None;
            }
            s.last_turn_status = Some(e.status.into());
            if e.error.is_some() {
                s.last_error = e.error.clone();
            }
            s.pending_approvals.retain(|_, turn| *turn != e.turn_id);
            s.open_messages.retain(|_, turn| *turn != e.turn_id);
        }
        E::MessageAdded(e) => {
            if e.streaming {
                s.open_messages.insert(e.message_id, e.turn_id);
            }
        }
        E::MessageCompleted(e) => {
            s.open_messages.remove(&e.message_id);
        }
        E::ApprovalRequested(e) => {
            s.pending_approvals.insert(e.approval_id, e.turn_id);
        }
        E::ApprovalResolved(e) => {
            s.pending_approvals.remove(&e.approval_id);
        }
        E::SessionChanged(e) => {
            s.session_status = e.status;
            if e.provider_thread_id.is_some() {
                s.provider_thread_id = e.provider_thread_id.clone();
            }
            if e.last_error.is_some() {
                s.last_error = e.last_error.clone();
            }
        }
        E::CheckpointCreated(e) => {
            s.checkpoint_turn_count = Some(e.turn_count);
        }
        E::RevertRequested(e) => s.revert_requested = Some(e.turn_count),
        E::ThreadReverted(e) => {
            s.revert_requested = None;
            s.turn_count = e.turn_count;
            s.checkpoint_turn_count = Some(e.turn_count);
            // The agent's conversation went further than the thread now
            // does: the next turn starts a new one.
            s.provider_thread_id = None;
        }
        E::RevertFailed(e) => {
            s.revert_requested = None;
            s.last_error = Some(e.error.clone());
        }
        E::MessageQueued(e) => s.queue.push(QueuedMessage {
            message_id: e.message_id,
            turn_id: e.turn_id,
            text: e.text.clone(),
            attachments: e.attachments.clone(),
        }),
        E::MessageUnqueued(e) => s.queue.retain(|q| q.message_id != e.message_id),
        E::QueueMoved(e) => {
            if let Some(from) = s.queue.iter().position(|q| q.message_id == e.message_id) {
                let item = s.queue.remove(from);
                let to = (e.to as usize).min(s.queue.len());
                s.queue.insert(to, item);
            }
        }
        E::UsageRecorded(e) => {
            s.usage.add(&e.added);
            if e.context_tokens.is_some() {
                s.context_tokens = e.context_tokens;
            }
            if e.context_window.is_some() {
                s.context_window = e.context_window;
            }
            if let Some(c) = e.cost_micros {
                s.cost_micros = Some(s.cost_micros.unwrap_or(0) + c);
            }
        }
        E::ThreadDeleteRequested(_) => s.delete_requested = true,
        E::ThreadDeleteFailed(e) => {
            s.delete_requested = false;
            s.last_error = Some(e.error.clone());
        }
        E::MessageDelta(_)
        | E::ActivityRecorded(_)
        | E::SessionStopRequested(_)
        | E::ProjectCreated(_)
        | E::ProjectUpdated(_)
        | E::ProjectDeleted(_)
        | E::ProjectDeleteRequested(_)
        | E::ProjectDeleteFailed(_)
        | E::ThreadCreated(_)
        | E::ThreadDeleted(_)
        | E::SettingsUpdated(_) => {}
    }
}

fn apply_to_page(page: &mut ThreadPage, event: &OrchestrationEvent, at: DateTime<Utc>) {
    use OrchestrationEvent as E;
    match event {
        E::TurnRequested(e) => page.turns.push(TurnView {
            id: e.turn_id,
            number: e.number,
            status: TurnStatus::Requested,
            error: None,
            requested_at: at,
            completed_at: None,
            interrupt_requested: false,
            items: Vec::new(),
            checkpoint: None,
            usage: TokenUsage::default(),
        }),
        E::TurnStarted(e) => {
            if let Some(t) = page.turn_mut(e.turn_id) {
                t.status = TurnStatus::Running;
            }
        }
        E::TurnInterruptRequested(e) => {
            if let Some(t) = page.turn_mut(e.turn_id) {
                t.interrupt_requested = true;
            }
        }
        E::UsageRecorded(e) => {
            if let Some(t) = page.turn_mut(e.turn_id) {
                t.usage.add(&e.added);
            }
        }
        E::TurnCompleted(e) => {
            if let Some(t) = page.turn_mut(e.turn_id) {
                t.status = e.status.into();
                t.error = e.error.clone();
                t.completed_at = Some(at);
                for item in &mut t.items {
                    if let TimelineItem::Message(m) = item {
                        m.streaming = false;
                    }
                }
            }
        }
        E::MessageAdded(e) => {
            if let Some(t) = page.turn_mut(e.turn_id) {
                t.items.push(TimelineItem::Message(MessageView {
                    id: e.message_id,
                    role: e.role,
                    text: e.text.clone(),
                    attachments: e.attachments.clone(),
                    streaming: e.streaming,
                    created_at: at,
                }));
            }
        }
        E::MessageDelta(e) => {
            if let Some(TimelineItem::Message(m)) =
                page.item_mut(|i| matches!(i, TimelineItem::Message(m) if m.id == e.message_id))
            {
                m.text.push_str(&e.text);
            }
        }
        E::MessageCompleted(e) => {
            if let Some(TimelineItem::Message(m)) =
                page.item_mut(|i| matches!(i, TimelineItem::Message(m) if m.id == e.message_id))
            {
                m.streaming = false;
            }
        }
        E::ActivityRecorded(e) => {
            let existing =
                page.item_mut(|i| matches!(i, TimelineItem::Activity(a) if a.id == e.activity_id));
            if let Some(TimelineItem::Activity(a)) = existing {
                a.kind = e.kind;
                a.summary = e.summary.clone();
                a.detail = e.detail.clone();
                a.status = e.status;
            } else if let Some(t) = page.turn_mut(e.turn_id) {
                t.items.push(TimelineItem::Activity(ActivityView {
                    id: e.activity_id,
                    kind: e.kind,
                    summary: e.summary.clone(),
                    detail: e.detail.clone(),
                    status: e.status,
                    created_at: at,
                }));
            }
        }
        E::ApprovalRequested(e) => {
            if let Some(t) = page.turn_mut(e.turn_id) {
                t.items.push(TimelineItem::Approval(ApprovalView {
                    id: e.approval_id,
                    kind: e.kind,
                    detail: e.detail.clone(),
                    decision: None,
                    created_at: at,
                }));
            }
        }
        E::ApprovalResolved(e) => {
            if let Some(TimelineItem::Approval(a)) =
                page.item_mut(|i| matches!(i, TimelineItem::Approval(a) if a.id == e.approval_id))
            {
                a.decision = Some(e.decision);
            }
        }
        E::CheckpointCreated(e) => {
            if let Some(t) = e.turn_id.and_then(|id| page.turn_mut(id)) {
                t.checkpoint = Some(CheckpointView {
                    git_ref: e.git_ref.clone(),
                    files: e.files.clone(),
                    skipped: e.skipped.clone(),
                });
            }
        }
        E::ThreadReverted(e) => {
            page.turns.retain(|t| t.number <= e.turn_count);
            page.first_turn = page.first_turn.min(e.turn_count + 1).max(1);
        }
        _ => {}
    }
}
