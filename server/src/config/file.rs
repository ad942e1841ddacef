//! The TOML config file: the same settings as the flags, by the same names
//! (with `_` for `-`). Unknown keys are an error, so a typo never passes
//! silently.

use super::cli::LogFormat;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub host: Option<IpAddr>,
    pub port: Option<u16>,
    pub auth_token: Option<String>,
    pub no_auth: Option<bool>,
    pub login_link_secs: Option<u64>,
    #[serde(default)]
    pub allowed_hosts: Vec<String>,
    #[serde(default)]
    pub allowed_roots: Vec<PathBuf>,
    pub open: Option<bool>,
    pub trust_proxy: Option<bool>,
    pub session_secs: Option<u64>,
    pub log_level: Option<String>,
    pub log_format: Option<LogFormat>,
    pub agent_idle_secs: Option<u64>,
    pub max_agents: Option<usize>,
    pub max_body_bytes: Option<usize>,
    pub max_message_chars: Option<usize>,
    pub max_attachments: Option<usize>,
    pub max_attachment_bytes: Option<u64>,
    pub checkpoint_max_file_bytes: Option<u64>,
    pub checkpoint_max_dir_files: Option<usize>,
    /// Action name to keys (`new-thread = "Alt+N"`; empty unbinds).
    #[serde(default)]
    pub keybindings: BTreeMap<String, String>,
}

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("cannot read the config file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("the config file {path} is not valid: {message}")]
    Parse { path: String, message: String },
}

impl FileConfig {
    /// Reads `path`; a missing file is an empty config unless it was named
    /// explicitly (`required`).
    pub fn load(path: &Path, required: bool) -> Result<Self, FileError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
                return Ok(Self::default());
            }
            Err(source) => {
                return Err(FileError::Read {
                    path: path.display().to_string(),
                    source,
                });
            }
        };
        toml::from_str(&text).map_err(|e| FileError::Parse {
            path: path.display().to_string(),
            message: e.to_string(),
        })
    }
}
