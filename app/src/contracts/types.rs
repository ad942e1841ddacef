//! Small value types shared by commands, events and the read model.

use serde::{Deserialize, Serialize};

macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $wire:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $wire)] $variant,)*
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// The wire name, also used for SQL columns and CSS classes.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire,)* }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s { $($wire => Some($name::$variant),)* _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

wire_enum! {
    /// Which coding agent runs a thread.
    Provider { Codex = "codex", Claude = "claude" }
}

wire_enum! {
    /// Whether the agent must ask before running commands and editing files.
    RuntimeMode { ApprovalRequired = "approval-required", FullAccess = "full-access" }
}

wire_enum! {
    InteractionMode { Default = "default", Plan = "plan" }
}

wire_enum! {
    Role { User = "user", Assistant = "assistant", System = "system" }
}

wire_enum! {
    TurnStatus {
        Requested = "requested",
        Running = "running",
        Completed = "completed",
        Interrupted = "interrupted",
        Failed = "failed",
    }
}

wire_enum! {
    /// How a turn ended; the subset of `TurnStatus` a completion may carry.
    TurnOutcome { Completed = "completed", Interrupted = "interrupted", Failed = "failed" }
}

impl From<TurnOutcome> for TurnStatus {
    fn from(o: TurnOutcome) -> Self {
        match o {
            TurnOutcome::Completed => TurnStatus::Completed,
            TurnOutcome::Interrupted => TurnStatus::Interrupted,
            TurnOutcome::Failed => TurnStatus::Failed,
        }
    }
}

wire_enum! {
    ActivityKind {
        Command = "command",
        FileChange = "file_change",
        Reasoning = "reasoning",
        Tool = "tool",
        Warning = "warning",
        Error = "error",
        Other = "other",
    }
}

wire_enum! {
    ActivityStatus {
        Running = "running",
        Completed = "completed",
        Failed = "failed",
        Declined = "declined",
    }
}

wire_enum! {
    ApprovalKind { Command = "command", FileChange = "file_change", Other = "other" }
}

wire_enum! {
    ApprovalDecision {
        Accept = "accept",
        AcceptForSession = "accept_for_session",
        Decline = "decline",
        Cancel = "cancel",
    }
}

wire_enum! {
    SessionStatus {
        Starting = "starting",
        Ready = "ready",
        Running = "running",
        Stopped = "stopped",
        Error = "error",
    }
}

impl SessionStatus {
    /// Whether an agent process is up for the thread: the one definition
    /// (an agent in error has exited).
    pub fn is_live(self) -> bool {
        matches!(
            self,
            SessionStatus::Starting | SessionStatus::Ready | SessionStatus::Running
        )
    }
}

wire_enum! {
    FileChangeKind { Added = "added", Modified = "modified", Deleted = "deleted", Renamed = "renamed" }
}

wire_enum! {
    /// Who caused an event.
    Actor { Client = "client", Server = "server", Provider = "provider" }
}

wire_enum! {
    /// The aggregate an event belongs to; with its id it names a stream.
    StreamKind { Project = "project", Thread = "thread", Settings = "settings" }
}

wire_enum! {
    /// What a thread is doing, as the sidebar shows it. Derived, never stored
    /// in an event.
    ThreadState {
        Idle = "idle",
        Running = "running",
        AwaitingApproval = "awaiting-approval",
        Error = "error",
    }
}

/// Tokens an agent reported, as it counts them. `input` includes the
/// cached part (`cached_input`), `output` the reasoning part.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenUsage {
    pub input: u64,
    #[serde(default)]
    pub cached_input: u64,
    pub output: u64,
    #[serde(default)]
    pub reasoning_output: u64,
}

impl TokenUsage {
    pub fn add(&mut self, more: &TokenUsage) {
        self.input += more.input;
        self.cached_input += more.cached_input;
        self.output += more.output;
        self.reasoning_output += more.reasoning_output;
    }

    pub fn is_empty(&self) -> bool {
        *self == TokenUsage::default()
    }

    /// What was used between `before` and this running total.
    pub fn since(&self, before: &TokenUsage) -> TokenUsage {
        TokenUsage {
            input: self.input.saturating_sub(before.input),
            cached_input: self.cached_input.saturating_sub(before.cached_input),
            output: self.output.saturating_sub(before.output),
            reasoning_output: self
                .reasoning_output
                .saturating_sub(before.reasoning_output),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub name: String,
    pub mime_type: String,
    pub size_bytes: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileStat {
    pub path: String,
    pub kind: FileChangeKind,
    pub additions: u32,
    pub deletions: u32,
}
