//! Where a client's command comes in: limits and project folders are
//! checked, a new thread's worktree is made around the log, and the rest
//! goes straight to the engine (deletes remove worktrees through the
//! worktree reactor).

mod checks;
mod worktrees;

pub use checks::{Unacceptable, check_limits, check_project_folder};

use crate::config::Limits;
use crate::orchestration::{DispatchError, Engine};
use crate::persistence::StoreError;
use peon_app::api::DispatchOutcome;
use peon_app::contracts::*;
use sqlx::SqlitePool;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// A value the request carries is wrong.
    #[error("{}", .0.message)]
    Invalid(Unacceptable),
    /// The request cannot be carried out as things are; `code` names why.
    #[error("{message}")]
    Refused { code: &'static str, message: String },
    /// git or the file system failed while carrying it out.
    #[error("{0}")]
    Failed(String),
    #[error(transparent)]
    Dispatch(#[from] DispatchError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Task(String),
}

/// What a client command is checked against, and where it goes.
pub struct Intake<'a> {
    pub engine: &'a Engine,
    pub pool: &'a SqlitePool,
    /// Where peon makes threads' worktrees.
    pub worktrees_dir: PathBuf,
    pub limits: &'a Limits,
    /// Folders projects may live in; empty: anywhere.
    pub allowed_roots: &'a [PathBuf],
}

impl Intake<'_> {
    /// Carries out a client's command, with the checks and disk work some
    /// need.
    pub async fn dispatch(
        &self,
        envelope: CommandEnvelope,
    ) -> Result<DispatchOutcome, IntakeError> {
        check_limits(&envelope.command, self.limits).map_err(IntakeError::Invalid)?;
        match &envelope.command {
            Command::ProjectCreate { workspace_root, .. } => {
                check_project_folder(Path::new(workspace_root.trim()), self.allowed_roots)
                    .map_err(IntakeError::Invalid)?;
                Ok(self.engine.dispatch(envelope).await?)
            }
            Command::ThreadCreate {
                worktree_path: Some(_),
                ..
            } => Err(IntakeError::Invalid(Unacceptable {
                field: "worktree_path",
                message: "worktree_path is chosen by peon: ask for a worktree with \"worktree\": \
                          true (and a \"branch\" if you want to name it)"
                    .to_string(),
            })),
            Command::ThreadCreate { worktree: true, .. } => self.create_in_worktree(envelope).await,
            _ => Ok(self.engine.dispatch(envelope).await?),
        }
    }
}
