//! The peon server: configuration, persistence, the orchestration engine,
//! and HTTP (SSR pages, server functions, static site files).

pub mod backend;
pub mod config;
pub mod git;
pub mod http;
pub mod orchestration;
pub mod persistence;
pub mod providers;
pub mod site;
#[cfg(test)]
mod testing;
pub mod workspace;
