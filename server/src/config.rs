//! Command-line flags and environment variables.

use clap::{Parser, Subcommand};
use std::net::IpAddr;
use std::path::PathBuf;

/// The port peon listens on unless told otherwise.
pub const DEFAULT_PORT: u16 = 4747;
/// The database file inside the data folder.
pub const DATABASE_FILE: &str = "peon.sqlite3";

#[derive(Debug, Parser)]
#[command(
    name = "peon",
    version,
    about = "A self-hosted web GUI for coding agents"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<CliCommand>,
    #[command(flatten)]
    pub common: CommonArgs,
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Clone, clap::Args)]
pub struct CommonArgs {
    /// Folder for the database and other state [default: ~/.local/share/peon]
    #[arg(long, env = "PEON_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Port to listen on
    #[arg(long, env = "PEON_PORT", default_value_t = DEFAULT_PORT)]
    pub port: u16,
    /// Address to listen on
    #[arg(long, env = "PEON_HOST", default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// Seconds an agent process may sit without a turn before it is stopped
    /// (its conversation resumes on the next turn)
    #[arg(long, env = "PEON_AGENT_IDLE_SECS", default_value_t = 900)]
    pub agent_idle_secs: u64,
}

#[derive(Debug, Subcommand)]
pub enum CliCommand {
    /// Serve the web app (the default)
    Serve,
    /// Drop every projection table and rebuild it from the event log
    RebuildProjections,
}

impl CommonArgs {
    pub fn data_dir(&self) -> PathBuf {
        self.data_dir.clone().unwrap_or_else(default_data_dir)
    }

    pub fn database_path(&self) -> PathBuf {
        self.data_dir().join(DATABASE_FILE)
    }
}

/// `$XDG_DATA_HOME/peon`, else `~/.local/share/peon`, else `./.peon`.
pub fn default_data_dir() -> PathBuf {
    if let Some(xdg) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(xdg).join("peon");
    }
    match std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        Some(home) => PathBuf::from(home).join(".local/share/peon"),
        None => PathBuf::from(".peon"),
    }
}
