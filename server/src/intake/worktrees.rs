//! Threads in a git worktree of their own: made before the thread is
//! recorded, removed after it is deleted (never with uncommitted work
//! unless the user said to discard it).

use super::{Intake, IntakeError};
use crate::git::{GitError, worktree};
use crate::persistence::projection_reader;
use peon_app::api::DispatchOutcome;
use peon_app::contracts::*;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a delete waits for the thread's agent to stop before it
/// removes the folder the agent works in.
const AGENT_STOP_WAIT: Duration = Duration::from_secs(10);
/// Uncommitted files named in a refusal (the rest are counted).
const FILES_NAMED: usize = 5;

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

    pub(super) async fn delete_thread(
        &self,
        envelope: CommandEnvelope,
        thread_id: ThreadId,
        discard: bool,
    ) -> Result<DispatchOutcome, IntakeError> {
        // A refused delete must stop nothing and close nothing.
        let checked = self.engine.check(&envelope).await?;
        if checked.duplicate {
            return Ok(checked);
        }
        let thread = projection_reader::load_thread(self.pool, thread_id).await?;
        let Some((thread, path)) = thread.and_then(|t| self.worktree_of(&t).map(|p| (t, p))) else {
            let outcome = self.engine.dispatch(envelope).await?;
            self.terminals.close_thread(thread_id);
            return Ok(outcome);
        };
        if !discard {
            refuse_if_uncommitted(&path, "").await?;
        }
        // Nothing may write there any more: the agent and the shells stop,
        // then the folder is looked at again before it goes.
        self.stop_agent(&thread).await?;
        self.terminals.close_thread(thread_id);
        if !discard {
            refuse_if_uncommitted(&path, "").await?;
        }
        let outcome = self.engine.dispatch(envelope).await?;
        remove_worktree(path).await;
        Ok(outcome)
    }

    pub(super) async fn delete_project(
        &self,
        envelope: CommandEnvelope,
        project_id: ProjectId,
    ) -> Result<DispatchOutcome, IntakeError> {
        let checked = self.engine.check(&envelope).await?;
        if checked.duplicate {
            return Ok(checked);
        }
        let model = projection_reader::load_summaries(self.pool).await?;
        let all: Vec<ThreadId> = model
            .threads
            .values()
            .filter(|t| t.project_id == project_id)
            .map(|t| t.id)
            .collect();
        let threads: Vec<&ThreadSummary> = model
            .threads
            .values()
            .filter(|t| t.project_id == project_id && self.worktree_of(t).is_some())
            .collect();
        for thread in &threads {
            if let Some(path) = self.worktree_of(thread) {
                let whose = format!(" of thread \"{}\"", thread.title);
                refuse_if_uncommitted(&path, &whose).await?;
            }
        }
        for thread in &threads {
            self.stop_agent(thread).await?;
            self.terminals.close_thread(thread.id);
            if let Some(path) = self.worktree_of(thread) {
                let whose = format!(" of thread \"{}\"", thread.title);
                refuse_if_uncommitted(&path, &whose).await?;
            }
        }
        let outcome = self.engine.dispatch(envelope).await?;
        for thread in all {
            self.terminals.close_thread(thread);
        }
        for thread in threads {
            if let Some(path) = self.worktree_of(thread) {
                remove_worktree(path).await;
            }
        }
        Ok(outcome)
    }

    /// Stops the thread's agent and waits until the log says it stopped,
    /// so nothing writes into a folder about to be removed; refuses when
    /// it does not stop in time.
    async fn stop_agent(&self, thread: &ThreadSummary) -> Result<(), IntakeError> {
        if !thread.session_status.is_live() {
            return Ok(());
        }
        let mut events = self.engine.follow(self.engine.last_sequence());
        let stop = CommandEnvelope::new(Command::SessionStop {
            thread_id: thread.id,
        });
        if self.engine.dispatch(stop).await.is_err() {
            return Ok(());
        }
        // Only the log saying so counts as stopped: a read that fails or a
        // slow reader waits (and times out) rather than assuming it.
        let stopped = async {
            loop {
                match events.next().await {
                    Some(Ok(event)) => {
                        if let OrchestrationEvent::SessionChanged(e) = &event.event
                            && e.thread_id == thread.id
                            && matches!(e.status, SessionStatus::Stopped | SessionStatus::Error)
                        {
                            return;
                        }
                    }
                    Some(Err(e)) => {
                        tracing::warn!("waiting for an agent to stop: {e}");
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                    None => std::future::pending::<()>().await,
                }
            }
        };
        match tokio::time::timeout(AGENT_STOP_WAIT, stopped).await {
            Ok(()) => Ok(()),
            Err(_) => Err(IntakeError::Refused {
                code: "agent_still_running",
                message: format!(
                    "the agent of thread \"{}\" did not stop in time, so its worktree was left \
                     as it is; try again",
                    thread.title
                ),
            }),
        }
    }

    /// The thread's worktree folder, if it has one that still exists and
    /// that peon made (inside its worktrees folder): no other folder is
    /// ever removed.
    fn worktree_of(&self, thread: &ThreadSummary) -> Option<PathBuf> {
        let path = std::fs::canonicalize(thread.worktree_path.as_deref()?).ok()?;
        let ours = std::fs::canonicalize(&self.worktrees_dir).ok()?;
        (path.starts_with(&ours) && path != ours).then_some(path)
    }
}

async fn refuse_if_uncommitted(path: &Path, whose: &str) -> Result<(), IntakeError> {
    let files = blocking({
        let path = path.to_path_buf();
        move || worktree::uncommitted(&path)
    })
    .await?
    .map_err(|e| {
        IntakeError::Failed(format!(
            "cannot tell whether the worktree at {} holds uncommitted work ({e}), so it was \
             not deleted",
            path.display()
        ))
    })?;
    if files.is_empty() {
        return Ok(());
    }
    let mut named = files
        .iter()
        .take(FILES_NAMED)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if files.len() > FILES_NAMED {
        named.push_str(&format!(" and {} more", files.len() - FILES_NAMED));
    }
    Err(IntakeError::Refused {
        code: "uncommitted_changes",
        message: format!(
            "the worktree{whose} at {} has uncommitted changes ({named}): commit them first, \
             or delete the thread choosing to discard them",
            path.display()
        ),
    })
}

/// Removes a worktree after its thread is gone; a failure leaves the folder
/// (nothing is lost) and is logged.
async fn remove_worktree(path: PathBuf) {
    let shown = path.display().to_string();
    match blocking(move || worktree::remove(&path)).await {
        Ok(Ok(())) => tracing::info!("removed the worktree at {shown}"),
        Ok(Err(e)) => tracing::warn!("could not remove the worktree at {shown}: {e}"),
        Err(e) => tracing::warn!("could not remove the worktree at {shown}: {e}"),
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
