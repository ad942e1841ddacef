//! Command-line flags (each with its `PEON_*` environment variable). None
//! has a clap default: a value left unset here falls back to the config
//! file, then to peon's default (see `Settings::resolve`).

use clap::{Parser, Subcommand, ValueEnum};
use std::net::IpAddr;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "peon",
    version,
    about = "A self-hosted web GUI for coding agents",
    long_about = "A self-hosted web GUI for coding agents.\n\n\
        Settings come from flags, then PEON_* environment variables, then the \
        config file (config.toml in the data folder, or --config), then defaults."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<CliCommand>,
    #[command(flatten)]
    pub common: CommonArgs,
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
pub enum CliCommand {
    /// Serve the web app (the default)
    Serve,
    /// Check this machine: git, codex, claude, gh, the data folder and the
    /// database
    Doctor,
    /// Drop every projection table and rebuild it from the event log
    RebuildProjections,
    /// Make a new token in the data folder's auth-token file: every login
    /// made with the old one ends (a running peon notices within a second)
    RotateToken,
    /// Print a one-time login link for the peon using this data folder
    LoginUrl,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One readable line per event
    Text,
    /// One JSON object per line
    Json,
}

#[derive(Debug, Clone, clap::Args)]
pub struct CommonArgs {
    /// Folder for the database, worktrees and other state
    /// [default: $XDG_DATA_HOME/peon or ~/.local/share/peon]
    #[arg(long, env = "PEON_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// Config file [default: config.toml in the data folder]
    #[arg(long, env = "PEON_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// Log level: error, warn, info, debug, trace, or a filter such as
    /// "peon_server=debug" [default: info]
    #[arg(long, env = "PEON_LOG", global = true)]
    pub log_level: Option<String>,
    /// Log format [default: text]
    #[arg(long, env = "PEON_LOG_FORMAT", global = true, value_enum)]
    pub log_format: Option<LogFormat>,
}

#[derive(Debug, Clone, Default, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on; any address but loopback needs an auth token
    /// [default: 127.0.0.1]
    #[arg(long, env = "PEON_HOST")]
    pub host: Option<IpAddr>,
    /// Port to listen on (0 picks a free one) [default: 4747]
    #[arg(long, env = "PEON_PORT")]
    pub port: Option<u16>,
    /// Token that unlocks peon (log in at /login, or send "Authorization:
    /// Bearer TOKEN"); without one peon makes one and keeps it in the data
    /// folder. Visible to every local user on the command line: prefer
    /// PEON_AUTH_TOKEN or the config file
    #[arg(long, env = "PEON_AUTH_TOKEN", hide_env_values = true)]
    pub auth_token: Option<String>,
    /// Let anyone who reaches peon in, without a token: only on loopback
    /// (and without --allowed-host); every local user and process can then
    /// drive agents and shells [default: off]
    #[arg(long, env = "PEON_NO_AUTH")]
    pub no_auth: bool,
    /// Seconds a one-time login link works [default: 300]
    #[arg(long, env = "PEON_LOGIN_LINK_SECS", hide = true)]
    pub login_link_secs: Option<u64>,
    /// Extra names this server answers to in the Host header (repeatable;
    /// loopback names and the bound address are always allowed)
    #[arg(
        long = "allowed-host",
        env = "PEON_ALLOWED_HOSTS",
        value_delimiter = ','
    )]
    pub allowed_hosts: Vec<String>,
    /// Behind a reverse proxy on this machine: take the client's address
    /// from the last X-Forwarded-For entry of requests that come from
    /// loopback, so failed logins are counted per client rather than for
    /// everyone at once [default: off]
    #[arg(long, env = "PEON_TRUST_PROXY")]
    pub trust_proxy: bool,
    /// Folders projects may live in (repeatable) [default: anywhere]
    #[arg(
        long = "allowed-root",
        env = "PEON_ALLOWED_ROOTS",
        value_delimiter = ','
    )]
    pub allowed_roots: Vec<PathBuf>,
    /// Open the browser once peon is running [default: when on loopback
    /// and started from a terminal]
    #[arg(long, overrides_with = "no_open")]
    pub open: bool,
    /// Do not open the browser
    #[arg(long, overrides_with = "open")]
    pub no_open: bool,
    /// Seconds a login lasts [default: 2592000, 30 days]
    #[arg(long, env = "PEON_SESSION_SECS")]
    pub session_secs: Option<u64>,
    /// Seconds an agent may sit without a turn before it is stopped (its
    /// conversation resumes on the next turn) [default: 900]
    #[arg(long, env = "PEON_AGENT_IDLE_SECS")]
    pub agent_idle_secs: Option<u64>,
    /// Agent processes that may run at once [default: 8]
    #[arg(long, env = "PEON_MAX_AGENTS")]
    pub max_agents: Option<usize>,
    /// Largest request body, in bytes [default: 4194304]
    #[arg(long, env = "PEON_MAX_BODY_BYTES")]
    pub max_body_bytes: Option<usize>,
    /// Longest message to an agent, in characters [default: 100000]
    #[arg(long, env = "PEON_MAX_MESSAGE_CHARS")]
    pub max_message_chars: Option<usize>,
    /// Most attachments on one message [default: 10]
    #[arg(long, env = "PEON_MAX_ATTACHMENTS")]
    pub max_attachments: Option<usize>,
    /// Largest attachment, in bytes [default: 10485760]
    #[arg(long, env = "PEON_MAX_ATTACHMENT_BYTES")]
    pub max_attachment_bytes: Option<u64>,
    /// Untracked files larger than this (bytes) are left out of checkpoints
    /// [default: 20971520]
    #[arg(long, env = "PEON_CHECKPOINT_MAX_FILE_BYTES")]
    pub checkpoint_max_file_bytes: Option<u64>,
    /// Untracked folders with more files than this are left out of
    /// checkpoints [default: 10000]
    #[arg(long, env = "PEON_CHECKPOINT_MAX_DIR_FILES")]
    pub checkpoint_max_dir_files: Option<usize>,
}
