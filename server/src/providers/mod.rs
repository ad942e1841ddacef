//! Coding agents: one adapter per agent CLI behind the `Agent` trait, a
//! session per thread that turns the agent's output into commands, and the
//! supervisor that follows the log to drive them.

pub mod agent;
pub mod binaries;
mod claude;
mod claude_events;
pub mod coalesce;
mod codex;
mod codex_events;
mod codex_protocol;
mod codex_requests;
mod primer;
mod process;
mod replies;
mod session;
mod supervisor;
mod wire;

pub use supervisor::{AgentOptions, Agents, DEFAULT_IDLE_TIMEOUT};
