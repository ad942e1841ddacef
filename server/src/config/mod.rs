//! Settings: flags and `PEON_*` environment variables (`cli`), the TOML
//! config file (`file`), and defaults, resolved in that order of precedence
//! into one `Settings`.

mod cli;
mod file;

pub use cli::{Cli, CliCommand, CommonArgs, LogFormat, ServeArgs};
pub use file::{FileConfig, FileError};

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

/// The port peon listens on unless told otherwise.
pub const DEFAULT_PORT: u16 = 4747;
/// The database file inside the data folder.
pub const DATABASE_FILE: &str = "peon.sqlite3";
/// The config file inside the data folder.
pub const CONFIG_FILE: &str = "config.toml";
/// A login lasts this long unless configured.
pub const DEFAULT_SESSION_SECS: u64 = 30 * 24 * 60 * 60;
pub const DEFAULT_AGENT_IDLE_SECS: u64 = 15 * 60;

/// Limits on what a client may send.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    pub max_body_bytes: usize,
    pub max_message_chars: usize,
    pub max_attachments: usize,
    pub max_attachment_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: 4 * 1024 * 1024,
            max_message_chars: 100_000,
            max_attachments: 10,
            max_attachment_bytes: 10 * 1024 * 1024,
        }
    }
}

/// Everything `peon` runs with, resolved.
#[derive(Debug, Clone)]
pub struct Settings {
    pub data_dir: PathBuf,
    pub host: IpAddr,
    pub port: u16,
    pub auth_token: Option<String>,
    /// No token at all (`--no-auth`; loopback only).
    pub no_auth: bool,
    /// How long a one-time login link works.
    pub login_link: Duration,
    pub allowed_hosts: Vec<String>,
    /// Client addresses come from X-Forwarded-For on requests from loopback.
    pub trust_proxy: bool,
    pub allowed_roots: Vec<PathBuf>,
    /// `None`: decide from the address and the terminal.
    pub open: Option<bool>,
    pub session: Duration,
    pub log_level: String,
    pub log_format: LogFormat,
    pub agent_idle: Duration,
    pub max_agents: usize,
    pub limits: Limits,
    pub checkpoints: crate::git::Limits,
    /// The keyboard shortcuts the browser is given.
    pub keymap: peon_app::keymap::Keymap,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(transparent)]
    File(#[from] FileError),
    #[error("{0}")]
    Invalid(String),
}

impl Settings {
    /// Reads the config file and resolves every setting: flag (or its
    /// environment variable), then file, then default.
    pub fn load(cli: &Cli) -> Result<Self, ConfigError> {
        let data_dir = cli.common.data_dir.clone().unwrap_or_else(default_data_dir);
        let (path, required) = match &cli.common.config {
            Some(p) => (p.clone(), true),
            None => (data_dir.join(CONFIG_FILE), false),
        };
        let file = FileConfig::load(&path, required)?;
        Self::resolve(data_dir, &cli.common, &cli.serve, file)
    }

    pub fn resolve(
        data_dir: PathBuf,
        common: &CommonArgs,
        flags: &ServeArgs,
        file: FileConfig,
    ) -> Result<Self, ConfigError> {
        let defaults = Limits::default();
        let checkpoint_defaults = crate::git::Limits::default();
        let open = if flags.open {
            Some(true)
        } else if flags.no_open {
            Some(false)
        } else {
            file.open
        };
        let auth_token = flags.auth_token.clone().or(file.auth_token);
        if auth_token.as_deref().is_some_and(|t| t.trim().len() < 8) {
            return Err(ConfigError::Invalid(
                "the auth token must be at least 8 characters long".to_string(),
            ));
        }
        let keymap = peon_app::keymap::Keymap::with(
            file.keybindings
                .iter()
                .map(|(action, keys)| (action.as_str(), keys.as_str())),
        )
        .map_err(|e| ConfigError::Invalid(format!("[keybindings] in the config file: {e}")))?;
        let settings = Self {
            keymap,
            host: flags
                .host
                .or(file.host)
                .unwrap_or(IpAddr::from([127, 0, 0, 1])),
            port: flags.port.or(file.port).unwrap_or(DEFAULT_PORT),
            auth_token,
            no_auth: flags.no_auth || file.no_auth.unwrap_or(false),
            login_link: Duration::from_secs(
                flags
                    .login_link_secs
                    .or(file.login_link_secs)
                    .unwrap_or(crate::security::LINK_LIFETIME.as_secs()),
            ),
            allowed_hosts: pick_list(&flags.allowed_hosts, file.allowed_hosts),
            // A switch: the flag (or env) turns it on over the file.
            trust_proxy: flags.trust_proxy || file.trust_proxy.unwrap_or(false),
            allowed_roots: pick_list(&flags.allowed_roots, file.allowed_roots),
            open,
            session: Duration::from_secs(
                flags
                    .session_secs
                    .or(file.session_secs)
                    .unwrap_or(DEFAULT_SESSION_SECS),
            ),
            log_level: common
                .log_level
                .clone()
                .or(file.log_level)
                .unwrap_or_else(|| "info".to_string()),
            log_format: common
                .log_format
                .or(file.log_format)
                .unwrap_or(LogFormat::Text),
            agent_idle: Duration::from_secs(
                flags
                    .agent_idle_secs
                    .or(file.agent_idle_secs)
                    .unwrap_or(DEFAULT_AGENT_IDLE_SECS),
            ),
            max_agents: flags.max_agents.or(file.max_agents).unwrap_or(8),
            limits: Limits {
                max_body_bytes: flags
                    .max_body_bytes
                    .or(file.max_body_bytes)
                    .unwrap_or(defaults.max_body_bytes),
                max_message_chars: flags
                    .max_message_chars
                    .or(file.max_message_chars)
                    .unwrap_or(defaults.max_message_chars),
                max_attachments: flags
                    .max_attachments
                    .or(file.max_attachments)
                    .unwrap_or(defaults.max_attachments),
                max_attachment_bytes: flags
                    .max_attachment_bytes
                    .or(file.max_attachment_bytes)
                    .unwrap_or(defaults.max_attachment_bytes),
            },
            checkpoints: crate::git::Limits {
                max_file_bytes: flags
                    .checkpoint_max_file_bytes
                    .or(file.checkpoint_max_file_bytes)
                    .unwrap_or(checkpoint_defaults.max_file_bytes),
                max_dir_files: flags
                    .checkpoint_max_dir_files
                    .or(file.checkpoint_max_dir_files)
                    .unwrap_or(checkpoint_defaults.max_dir_files),
            },
            data_dir,
        };
        if settings.no_auth {
            if settings.auth_token.is_some() {
                return Err(ConfigError::Invalid(
                    "--no-auth and an auth token contradict each other: drop one".to_string(),
                ));
            }
            if settings.exposed() {
                return Err(ConfigError::Invalid(format!(
                    "--no-auth is refused on {}{}: anyone who reaches peon could run commands \
                     as you. It is allowed on a loopback address without --allowed-host only",
                    settings.host,
                    if settings.allowed_hosts.is_empty() {
                        ""
                    } else {
                        " with --allowed-host"
                    }
                )));
            }
        }
        if settings.max_agents == 0 {
            return Err(ConfigError::Invalid(
                "max_agents must be at least 1".to_string(),
            ));
        }
        Ok(settings)
    }

    /// Reachable from beyond this machine: any address but loopback, or
    /// behind a proxy (extra Host names).
    pub fn exposed(&self) -> bool {
        !self.host.is_loopback() || !self.allowed_hosts.is_empty()
    }

    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join(DATABASE_FILE)
    }
}

/// A list given by flags replaces the file's (lists do not merge).
fn pick_list<T: Clone>(flag: &[T], file: Vec<T>) -> Vec<T> {
    if flag.is_empty() { file } else { flag.to_vec() }
}

/// `$XDG_DATA_HOME/peon`, else `~/.local/share/peon`, else `./.peon`.
/// Whether the auth token was given as `--auth-token` on the command line,
/// where every user of the machine can read it (`ps`).
pub fn token_on_command_line(args: impl IntoIterator<Item = std::ffi::OsString>) -> bool {
    args.into_iter().any(|a| {
        let a = a.to_string_lossy();
        a == "--auth-token" || a.starts_with("--auth-token=")
    })
}

/// What peon says when the token is on the command line.
pub const TOKEN_ON_COMMAND_LINE: &str = "--auth-token on the command line can be read by every \
    user of this machine (ps); set PEON_AUTH_TOKEN, auth_token in the config file, or let peon \
    keep one in the auth-token file of the data folder instead";

pub fn default_data_dir() -> PathBuf {
    if let Some(xdg) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(xdg).join("peon");
    }
    match std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        Some(home) => PathBuf::from(home).join(".local/share/peon"),
        None => PathBuf::from(".peon"),
    }
}

#[cfg(test)]
mod tests;
