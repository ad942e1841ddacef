//! The write side: the pure decider and the single-writer engine.

pub mod decider;
pub mod engine;
pub mod follow;
pub mod simulate;
mod workspace;

pub use decider::{Rejection, decide, decide_client, decide_internal};
pub use engine::{DispatchError, Engine};
pub use follow::Follower;
pub use workspace::expand_home;

#[cfg(test)]
mod decider_tests;
#[cfg(test)]
mod engine_tests;
#[cfg(test)]
mod follow_tests;
#[cfg(test)]
mod follow_up_tests;
#[cfg(test)]
mod reducer_tests;
