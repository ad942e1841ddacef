//! Finding the agent CLIs and reporting on them.

use super::agent::AgentError;
use peon_app::api::AgentStatus;
use peon_app::contracts::Provider;
use std::path::{Path, PathBuf};
use std::time::Duration;

struct Known {
    binary: &'static str,
    env_var: &'static str,
    install: &'static str,
}

fn known(provider: Provider) -> Known {
    match provider {
        Provider::Codex => Known {
            binary: "codex",
            env_var: "PEON_CODEX_BIN",
            install: "npm install -g @openai/codex@0.171.0",
        },
        Provider::Claude => Known {
            binary: "claude",
            env_var: "PEON_CLAUDE_BIN",
            install: "npm install -g @anthropic-ai/claude-code@2.1.332",
        },
    }
}

/// The agent's executable: `$PEON_<AGENT>_BIN` if set, else the first match
/// on `PATH`.
pub fn locate(provider: Provider) -> Result<PathBuf, AgentError> {
    let k = known(provider);
    let missing = |detail: String| AgentError::Missing {
        agent: k.binary,
        detail,
        install: k.install,
        env_var: k.env_var,
    };
    if let Some(path) = std::env::var_os(k.env_var).filter(|v| !v.is_empty()) {
        let path = PathBuf::from(path);
        return if is_executable(&path) {
            Ok(path)
        } else {
            Err(missing(format!(
                "{} is set to {}, which is not an executable file",
                k.env_var,
                path.display()
            )))
        };
    }
    on_path(k.binary).ok_or_else(|| missing(format!("no `{}` on PATH", k.binary)))
}

/// The first executable called `program` on `PATH`.
pub fn on_path(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|p| is_executable(p))
    })
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        path.metadata()
            .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            .unwrap_or(false)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

/// Found or not, its version, and how to install it.
pub async fn status(provider: Provider, models: Vec<String>) -> AgentStatus {
    let k = known(provider);
    let located = locate(provider);
    let (path, version, problem) = match &located {
        Ok(path) => match version(path).await {
            Ok(v) => (Some(path.display().to_string()), Some(v), None),
            Err(e) => (Some(path.display().to_string()), None, Some(e)),
        },
        Err(e) => (None, None, Some(e.to_string())),
    };
    AgentStatus {
        provider,
        found: located.is_ok(),
        path,
        version,
        problem,
        install: k.install.to_string(),
        env_var: k.env_var.to_string(),
        models,
    }
}

pub async fn version(path: &Path) -> Result<String, String> {
    let run = tokio::process::Command::new(path)
        .arg("--version")
        .kill_on_drop(true)
        .output();
    match tokio::time::timeout(Duration::from_secs(10), run).await {
        Err(_) => Err("`--version` did not answer within 10 s".to_string()),
        Ok(Err(e)) => Err(format!("cannot run it: {e}")),
        Ok(Ok(out)) if out.status.success() => {
            Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
        }
        Ok(Ok(out)) => Err(format!(
            "`--version` failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )),
    }
}
