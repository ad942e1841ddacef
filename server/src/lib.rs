//! The peon server: configuration, persistence, the orchestration engine,
//! and HTTP (SSR pages, server functions, static site files).

pub mod backend;
pub mod config;
pub mod doctor;
pub mod errors;
pub mod folders;
pub mod git;
pub mod http;
pub mod intake;
pub mod orchestration;
pub mod persistence;
pub mod private;
pub mod providers;
pub mod security;
pub mod site;
pub mod tasks;
pub mod terminals;
#[cfg(test)]
mod testing;
pub mod worktrees;
