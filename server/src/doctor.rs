//! `peon doctor`: what peon needs on this machine, checked one by one, with
//! what to do about each problem.

use crate::config::{DATABASE_FILE, Settings};
use crate::persistence::Database;
use crate::providers::binaries;
use peon_app::contracts::Provider;
use std::path::Path;

/// One line of the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub name: String,
    pub ok: bool,
    pub detail: String,
    /// Whether peon cannot run without it (the rest disable a feature).
    pub essential: bool,
}

impl std::fmt::Display for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mark = if self.ok {
            "ok  "
        } else if self.essential {
            "FAIL"
        } else {
            "warn"
        };
        write!(f, "{mark} {:<9} {}", self.name, self.detail)
    }
}

/// Every check, in the order they are shown.
pub async fn run(settings: &Settings) -> Vec<Check> {
    let mut checks = vec![
        tool(
            "git",
            "git",
            "checkpoints, diffs and the git panel need it: install git",
        )
        .await,
    ];
    for provider in Provider::ALL {
        let status = binaries::status(*provider, Vec::new()).await;
        checks.push(Check {
            name: provider.as_str().to_string(),
            ok: status.found && status.problem.is_none(),
            detail: match (&status.version, &status.path, &status.problem) {
                (_, _, Some(problem)) => problem.clone(),
                (Some(v), Some(p), None) => format!("{v} ({p})"),
                _ => format!("not found: {} (or set {})", status.install, status.env_var),
            },
            essential: false,
        });
    }
    checks.push(tool("gh", "gh", "pull requests need the GitHub CLI: install gh").await);
    checks.push(data_dir(&settings.data_dir));
    checks.push(database(&settings.data_dir).await);
    checks
}

async fn tool(name: &str, program: &str, missing: &str) -> Check {
    let (ok, detail) = match binaries::on_path(program) {
        None => (false, format!("not found on PATH: {missing}")),
        Some(path) => match binaries::version(&path).await {
            Ok(v) => (
                true,
                format!(
                    "{} ({})",
                    v.lines().next().unwrap_or_default(),
                    path.display()
                ),
            ),
            Err(e) => (false, format!("{}: {e}", path.display())),
        },
    };
    Check {
        name: name.to_string(),
        ok,
        detail,
        essential: false,
    }
}

fn data_dir(dir: &Path) -> Check {
    let probe = dir.join(".peon-doctor-probe");
    let result = std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(&probe, b"ok"))
        .and_then(|()| std::fs::remove_file(&probe));
    Check {
        name: "data dir".to_string(),
        ok: result.is_ok(),
        detail: match result {
            Ok(()) => format!("{} is writable", dir.display()),
            Err(e) => format!("{} is not writable: {e}", dir.display()),
        },
        essential: true,
    }
}

async fn database(dir: &Path) -> Check {
    let path = dir.join(DATABASE_FILE);
    let fail = |detail: String| Check {
        name: "database".to_string(),
        ok: false,
        detail,
        essential: true,
    };
    if !path.exists() {
        return Check {
            name: "database".to_string(),
            ok: true,
            detail: format!("{} does not exist yet; peon creates it", path.display()),
            essential: true,
        };
    }
    let db = match Database::open(&path).await {
        Ok(db) => db,
        Err(e) => return fail(format!("{}: {e}", path.display())),
    };
    let answer: Result<String, _> = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&db.pool)
        .await;
    match answer {
        Ok(ok) if ok == "ok" => Check {
            name: "database".to_string(),
            ok: true,
            detail: format!("{} passes its integrity check", path.display()),
            essential: true,
        },
        Ok(problem) => fail(format!("{} is damaged: {problem}", path.display())),
        Err(e) => fail(format!("{}: {e}", path.display())),
    }
}
