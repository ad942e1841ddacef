//! The typed contract shared by the server and the WASM client: ids,
//! commands, events, the stored-event envelope and the read model with its
//! pure reducer. No I/O and no clock in here.

pub mod command;
pub mod event;
pub mod git;
pub mod ids;
mod random;
pub mod read_model;
pub mod stored;
pub mod timestamp;
pub mod types;

#[cfg(test)]
mod tests;

pub use command::{
    AnyCommand, Command, CommandEnvelope, InternalCommand, MAX_QUEUED, MESSAGE_TITLE_CHARS,
    NEW_THREAD_TITLE, title_from_message,
};
pub use event::OrchestrationEvent;
pub use ids::*;
pub use read_model::*;
pub use stored::StoredEvent;
pub use types::*;
