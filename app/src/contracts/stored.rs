//! The envelope every event is stored and sent in.

use super::event::OrchestrationEvent;
use super::ids::{CommandId, EventId};
use super::types::{Actor, StreamKind};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredEvent {
    /// Global, gap-free position in the log, assigned by the database.
    pub sequence: u64,
    pub event_id: EventId,
    pub stream_kind: StreamKind,
    pub stream_id: String,
    /// 1-based position of the event within its stream.
    pub stream_version: u64,
    #[serde(with = "super::timestamp")]
    pub occurred_at: DateTime<Utc>,
    pub command_id: Option<CommandId>,
    pub causation_event_id: Option<EventId>,
    pub correlation_id: Option<CommandId>,
    pub actor: Actor,
    pub event: OrchestrationEvent,
}
