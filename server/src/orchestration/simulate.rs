//! Random but valid histories: random commands run through `decide`, the
//! accepted ones kept as stored events. Used by property tests, the
//! rebuild test and the benchmarks.

use super::decider::decide;
use chrono::{DateTime, Duration, Utc};
use peon_app::contracts::*;

/// A small deterministic generator (xorshift64*), so a failing seed can be
/// replayed exactly.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    fn id(&mut self) -> u128 {
        ((self.next_u64() as u128) << 64) | self.next_u64() as u128
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            None
        } else {
            Some(&items[self.below(items.len())])
        }
    }

    fn words(&mut self, max: usize) -> String {
        const WORDS: &[&str] = &[
            "fix",
            "the",
            "parser",
            "add",
            "tests",
            "for",
            "ünïcode",
            "→",
            "refactor",
            "module",
            "why",
            "does",
            "it",
            "fail",
            "`code`",
            "\n",
            "ok",
        ];
        let n = 1 + self.below(max);
        (0..n)
            .map(|_| WORDS[self.below(WORDS.len())])
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Builds a history by proposing `steps` random commands against a full
/// read model. Returns the events and the model they fold into.
pub struct Simulation {
    pub rng: Rng,
    pub model: ReadModel,
    pub events: Vec<StoredEvent>,
    pub start: DateTime<Utc>,
    versions: std::collections::HashMap<(StreamKind, String), u64>,
}

impl Simulation {
    pub fn new(seed: u64) -> Self {
        Self {
            rng: Rng::new(seed),
            model: ReadModel::full(),
            events: Vec::new(),
            start: DateTime::from_timestamp(1_790_000_000, 0).unwrap_or_default(),
            versions: Default::default(),
        }
    }

    pub fn run(seed: u64, steps: usize) -> Self {
        let mut sim = Self::new(seed);
        for _ in 0..steps {
            let command = sim.propose();
            sim.submit(command);
        }
        sim
    }

    /// Runs a command; returns whether it was accepted.
    pub fn submit(&mut self, command: impl Into<AnyCommand>) -> bool {
        let Ok(events) = decide(&self.model, &command.into()) else {
            return false;
        };
        let command_id = CommandId::from_u128(self.rng.id());
        for event in events {
            let key = event.stream();
            let version = self.versions.entry(key.clone()).or_insert(0);
            *version += 1;
            let sequence = self.model.sequence + 1;
            let stored = StoredEvent {
                sequence,
                event_id: EventId::from_u128(self.rng.id()),
                stream_kind: key.0,
                stream_id: key.1,
                stream_version: *version,
                occurred_at: self.start + Duration::milliseconds(sequence as i64),
                command_id: Some(command_id),
                causation_event_id: None,
                correlation_id: Some(command_id),
                actor: Actor::Client,
                event,
            };
            self.model.apply(&stored);
            self.events.push(stored);
        }
        true
    }

    /// A random command, usually a valid one for the current model.
    pub fn propose(&mut self) -> AnyCommand {
        let projects: Vec<ProjectId> = self.model.projects.keys().copied().collect();
        let threads: Vec<ThreadSummary> = self.model.threads.values().cloned().collect();
        let running: Vec<&ThreadSummary> =
            threads.iter().filter(|t| t.active_turn.is_some()).collect();
        let r = &mut self.rng;
        let roll = r.below(100);
        if projects.is_empty() || (roll < 3 && projects.len() < 4) {
            return Command::ProjectCreate {
                project_id: ProjectId::from_u128(r.id()),
                title: r.words(3),
                workspace_root: format!("/work/p{}", r.below(1000)),
                default_model: None,
            }
            .into();
        }
        if threads.is_empty() || (roll < 8 && threads.len() < 12) {
            return Command::ThreadCreate {
                thread_id: ThreadId::from_u128(r.id()),
                project_id: *r.pick(&projects).unwrap_or(&projects[0]),
                title: r.words(4),
                provider: if r.chance(50) {
                    Provider::Codex
                } else {
                    Provider::Claude
                },
                model: r.chance(30).then(|| "gpt-5".to_string()),
                runtime_mode: RuntimeMode::ApprovalRequired,
                interaction_mode: InteractionMode::Default,
                branch: None,
                worktree: false,
                // Some threads work in a worktree of their own.
                worktree_path: r
                    .chance(25)
                    .then(|| format!("/data/worktrees/w{}", r.below(1000))),
            }
            .into();
        }
        let thread = r
            .pick(&threads)
            .cloned()
            .unwrap_or_else(|| threads[0].clone());
        let thread_id = thread.id;
        // A revert under way is settled soon, sometimes with a message
        // racing it.
        if let Some(t) = threads.iter().find(|t| t.revert_requested.is_some())
            && roll < 30
        {
            return self.propose_revert(t);
        }
        // A worktree's delete under way ends, or fails and leaves the thread.
        if let Some(t) = threads.iter().find(|t| t.delete_requested)
            && roll < 40
        {
            let thread_id = t.id;
            return if r.chance(70) {
                InternalCommand::CompleteDelete { thread_id }.into()
            } else {
                InternalCommand::FailDelete {
                    thread_id,
                    error: "the worktree has uncommitted changes".to_string(),
                }
                .into()
            };
        }
        // So does a project's, for a project with worktree threads.
        if let Some(p) = self.model.projects.values().find(|p| p.delete_requested)
            && roll < 50
        {
            let project_id = p.id;
            return if r.chance(70) {
                InternalCommand::CompleteProjectDelete { project_id }.into()
            } else {
                InternalCommand::FailProjectDelete {
                    project_id,
                    error: "a worktree has uncommitted changes".to_string(),
                }
                .into()
            };
        }
        if let Some(t) =
            (!running.is_empty() && roll < 75).then(|| running[r.below(running.len())].clone())
        {
            return self.propose_in_turn(&t);
        }
        let r = &mut self.rng;
        match roll % 14 {
            // A queue the last turn left waiting: send from it.
            4 if !thread.queue.is_empty() => {
                let next = &thread.queue[r.below(thread.queue.len())];
                Command::QueueSend {
                    thread_id,
                    message_id: next.message_id,
                }
                .into()
            }
            0..=4 => Command::TurnStart {
                thread_id,
                turn_id: TurnId::from_u128(r.id()),
                message_id: MessageId::from_u128(r.id()),
                text: r.words(12),
                attachments: Vec::new(),
            }
            .into(),
            5 => Command::ThreadUpdate {
                thread_id,
                title: Some(r.words(3)),
                model: None,
                branch: r.chance(50).then(|| "feature/x".to_string()),
                provider: None,
            }
            .into(),
            6 => Command::ThreadArchive { thread_id }.into(),
            7 => Command::ThreadUnarchive { thread_id }.into(),
            8 => InternalCommand::RecordCheckpoint {
                thread_id,
                turn_id: None,
                turn_count: 0,
                git_ref: format!("refs/peon/checkpoints/{thread_id}/0"),
                files: Vec::new(),
                skipped: Vec::new(),
            }
            .into(),
            9 => self.propose_revert(&thread),
            10 => InternalCommand::ChangeSession {
                thread_id,
                status: *r.pick(SessionStatus::ALL).unwrap_or(&SessionStatus::Ready),
                provider_thread_id: r.chance(50).then(|| format!("prov-{}", r.below(100))),
                last_error: r.chance(20).then(|| "agent exited".to_string()),
            }
            .into(),
            11 if r.chance(15) => Command::ThreadDelete {
                thread_id,
                discard_changes: false,
            }
            .into(),
            11 => Command::SettingsUpdate {
                key: format!("k{}", r.below(4)),
                value: serde_json::json!(r.below(100)),
            }
            .into(),
            12 if r.chance(10) => Command::ProjectDelete {
                project_id: thread.project_id,
            }
            .into(),
            12 => Command::ProjectUpdate {
                project_id: thread.project_id,
                title: Some(r.words(2)),
                default_model: None,
            }
            .into(),
            _ => Command::ThreadSetRuntimeMode {
                thread_id,
                runtime_mode: if r.chance(50) {
                    RuntimeMode::FullAccess
                } else {
                    RuntimeMode::ApprovalRequired
                },
            }
            .into(),
        }
    }

    /// A revert, or while one is pending: its completion or failure, or a
    /// message racing it.
    fn propose_revert(&mut self, thread: &ThreadSummary) -> AnyCommand {
        let thread_id = thread.id;
        let r = &mut self.rng;
        let target = thread
            .checkpoint_turn_count
            .map(|c| r.below(c as usize + 1) as u32)
            .unwrap_or(0);
        let Some(requested) = thread.revert_requested else {
            return Command::CheckpointRevert {
                thread_id,
                turn_count: target,
            }
            .into();
        };
        match r.below(10) {
            0 | 1 => InternalCommand::FailRevert {
                thread_id,
                turn_count: requested,
                error: "could not revert".to_string(),
            }
            .into(),
            // A message racing the revert (refused while it runs).
            2..=4 => Command::TurnStart {
                thread_id,
                turn_id: TurnId::from_u128(r.id()),
                message_id: MessageId::from_u128(r.id()),
                text: r.words(3),
                attachments: Vec::new(),
            }
            .into(),
            // Mostly the revert asked for; sometimes another one.
            5 => InternalCommand::CompleteRevert {
                thread_id,
                turn_count: target,
            }
            .into(),
            _ => InternalCommand::CompleteRevert {
                thread_id,
                turn_count: requested,
            }
            .into(),
        }
    }

    fn propose_in_turn(&mut self, thread: &ThreadSummary) -> AnyCommand {
        let thread_id = thread.id;
        let Some(active) = thread.active_turn.clone() else {
            return Command::TurnInterrupt { thread_id }.into();
        };
        let known_activities: Vec<ActivityId> = self
            .model
            .pages
            .get(&thread_id)
            .and_then(|p| p.turns.last())
            .map(|t| {
                t.items
                    .iter()
                    .filter_map(|i| match i {
                        TimelineItem::Activity(a) => Some(a.id),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        let r = &mut self.rng;
        let open: Vec<MessageId> = thread.open_messages.keys().copied().collect();
        let pending: Vec<ApprovalId> = thread.pending_approvals.keys().copied().collect();
        if active.status == TurnStatus::Requested && r.chance(80) {
            return InternalCommand::MarkTurnStarted {
                thread_id,
                turn_id: active.id,
            }
            .into();
        }
        match r.below(25) {
            24 => InternalCommand::RecordUsage {
                thread_id,
                added: TokenUsage {
                    input: r.below(5000) as u64,
                    cached_input: r.below(1000) as u64,
                    output: r.below(800) as u64,
                    reasoning_output: r.below(100) as u64,
                },
                context_tokens: r.chance(70).then(|| r.below(200_000) as u64),
                context_window: r.chance(50).then_some(258_400),
                cost_micros: r.chance(40).then(|| r.below(5000) as u64),
            }
            .into(),
            23 => Command::TurnSteer {
                thread_id,
                message_id: MessageId::from_u128(r.id()),
                text: r.words(6),
            }
            .into(),
            20 | 21 => Command::TurnQueue {
                thread_id,
                turn_id: TurnId::from_u128(r.id()),
                message_id: MessageId::from_u128(r.id()),
                text: r.words(8),
                attachments: Vec::new(),
            }
            .into(),
            22 => match r.pick(&thread.queue) {
                Some(q) if thread.queue.len() < 2 || r.chance(30) => Command::QueueCancel {
                    thread_id,
                    message_id: q.message_id,
                }
                .into(),
                Some(q) => Command::QueueMove {
                    thread_id,
                    message_id: q.message_id,
                    to: match thread
                        .queue
                        .iter()
                        .position(|x| x.message_id == q.message_id)
                    {
                        Some(0) => 1,
                        _ => 0,
                    },
                }
                .into(),
                None => Command::TurnInterrupt { thread_id }.into(),
            },
            0..=6 => InternalCommand::MessageDelta {
                thread_id,
                message_id: match r.pick(&open) {
                    Some(id) if r.chance(85) => *id,
                    _ => MessageId::from_u128(r.id()),
                },
                text: r.words(6),
            }
            .into(),
            7 => match r.pick(&open) {
                Some(id) => InternalCommand::MessageComplete {
                    thread_id,
                    message_id: *id,
                }
                .into(),
                None => Command::TurnInterrupt { thread_id }.into(),
            },
            8..=10 => InternalCommand::RecordActivity {
                thread_id,
                activity_id: match r.pick(&known_activities) {
                    Some(id) if r.chance(40) => *id,
                    _ => ActivityId::from_u128(r.id()),
                },
                kind: *r.pick(ActivityKind::ALL).unwrap_or(&ActivityKind::Command),
                summary: r.words(4),
                detail: r.chance(50).then(|| r.words(10)),
                status: *r
                    .pick(ActivityStatus::ALL)
                    .unwrap_or(&ActivityStatus::Running),
            }
            .into(),
            11 => InternalCommand::RequestApproval {
                thread_id,
                approval_id: ApprovalId::from_u128(r.id()),
                kind: *r.pick(ApprovalKind::ALL).unwrap_or(&ApprovalKind::Command),
                detail: r.words(5),
            }
            .into(),
            12 | 13 => match r.pick(&pending) {
                Some(id) => Command::ApprovalRespond {
                    thread_id,
                    approval_id: *id,
                    decision: *r
                        .pick(ApprovalDecision::ALL)
                        .unwrap_or(&ApprovalDecision::Accept),
                }
                .into(),
                None => Command::TurnInterrupt { thread_id }.into(),
            },
            14 => match r.below(10) {
                // The turn's thread or project goes away (or is archived)
                // while it runs.
                0 => Command::ThreadArchive { thread_id }.into(),
                1 => Command::ThreadDelete {
                    thread_id,
                    discard_changes: false,
                }
                .into(),
                2 => Command::ProjectDelete {
                    project_id: thread.project_id,
                }
                .into(),
                _ => Command::TurnInterrupt { thread_id }.into(),
            },
            15 => InternalCommand::RecordCheckpoint {
                thread_id,
                turn_id: Some(active.id),
                turn_count: active.number,
                git_ref: format!("refs/peon/checkpoints/{thread_id}/{}", active.number),
                files: vec![FileStat {
                    path: "src/main.rs".into(),
                    kind: FileChangeKind::Modified,
                    additions: r.below(50) as u32,
                    deletions: r.below(20) as u32,
                }],
                skipped: if r.chance(20) {
                    vec!["data/dump.bin".to_string()]
                } else {
                    Vec::new()
                },
            }
            .into(),
            _ => InternalCommand::CompleteTurn {
                thread_id,
                turn_id: active.id,
                status: *r.pick(TurnOutcome::ALL).unwrap_or(&TurnOutcome::Completed),
                error: r.chance(30).then(|| "model API returned 500".to_string()),
            }
            .into(),
        }
    }
}
