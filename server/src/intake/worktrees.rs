//! Threads in a git worktree of their own: made at the request's edge for
//! a command the engine would accept (and undone if it is refused after
//! all). Deletes are the worktree reactor's (`crate::worktrees`).

use super::{Intake, IntakeError};
use crate::git::{GitError, worktree};
use crate::persistence::projection_reader;
use peon_app::api::DispatchOutcome;
use peon_app::contracts::*;
use std::path::PathBuf;

impl Intake<'_> {
    /// Makes the worktree only for a command the engine would accept, then
    /// records it; if it is refused after all (another command got there
    /// first), the folder and a branch made for it go again.
    pub(super) async fn create_in_worktree(
        &self,
        envelope: CommandEnvelope,
    ) -> Result<DispatchOutcome, IntakeError> {
        let Command::ThreadCreate {
            thread_id,
            project_id,
            branch,
            ..
        } = &envelope.command
        else {
            return Ok(self.engine.dispatch(envelope).await?);
        };
        let checked = self.engine.check(&envelope).await?;
        if checked.duplicate {
            return Ok(checked);
        }
        let model = projection_reader::load_summaries(self.pool).await?;
        let Some(project) = model.projects.get(project_id) else {
            return Ok(self.engine.dispatch(envelope).await?);
        };
        let short = short_id(*thread_id);
        let name = branch
            .as_deref()
            .map(str::trim)
            .filter(|b| !b.is_empty())
            .map(str::to_string)
            .unwrap_or_else(|| format!("peon/{short}"));
        let root = PathBuf::from(&project.workspace_root);
        let folder = root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "project".to_string());
        let path = self.worktrees_dir.join(format!("{folder}-{short}"));
        let made = blocking({
            let root = root.clone();
            move || worktree::create(&root, &path, &name)
        })
        .await?
        .map_err(|e| match e {
            GitError::Invalid(m) => IntakeError::Refused {
                code: "worktree",
                message: format!("cannot create a worktree: {m}"),
            },
            other => IntakeError::Failed(format!("cannot create a worktree: {other}")),
        })?;
        let mut filled = envelope.command.clone();
        if let Command::ThreadCreate {
            branch,
            worktree_path,
            ..
        } = &mut filled
        {
            *branch = Some(made.branch.clone());
            *worktree_path = Some(made.path.display().to_string());
        }
        match self.engine.dispatch_filled(&envelope, filled).await {
            Ok(outcome) => Ok(outcome),
            Err(e) => {
                // Refused: nothing of it may stay (it holds nothing yet).
                if let Err(undo) = blocking(move || worktree::undo(&root, &made)).await? {
                    tracing::warn!("could not remove an unused worktree: {undo}");
                }
                Err(e.into())
            }
        }
    }
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, IntakeError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| IntakeError::Task(e.to_string()))
}

/// The first eight hex digits of a thread id: short, and unique enough
/// among one project's worktrees.
fn short_id(thread: ThreadId) -> String {
    thread
        .to_string()
        .chars()
        .filter(|c| *c != '-')
        .take(8)
        .collect()
}
