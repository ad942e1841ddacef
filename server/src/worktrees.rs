//! The worktree reactor: what deleting a thread does outside the log, done
//! by following the log, never at the request's edge.
//!
//! `thread.delete-requested` (a thread in a worktree of its own): the
//! thread's agent is stopped and the log waited on until it says so, its
//! shells close, uncommitted work refuses the delete unless the user chose
//! to discard it, the folder goes (the branch stays), and only then
//! `internal.delete-complete` records `thread.deleted`; anything in the way
//! is recorded as `thread.delete-failed` with the reason.
//!
//! `project.delete-requested` (a project with worktree threads): every
//! worktree is checked for uncommitted work before anything stops (one
//! refuses the whole delete), then each thread's agent and shells stop, the
//! folders go, and `internal.project-delete-complete` deletes the threads
//! and the project; anything in the way is `project.delete-failed`.
//!
//! A delete a restart cut short is taken up again at start.
//! `thread.deleted` of any thread closes its shells.

use crate::git::worktree;
use crate::orchestration::Engine;
use crate::persistence::{StoreError, projection_reader};
use crate::tasks::Vital;
use crate::terminals::Terminals;
use peon_app::contracts::*;
use sqlx::SqlitePool;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a delete waits for the thread's agent to stop before it gives
/// up (the folder is left as it is).
const AGENT_STOP_WAIT: Duration = Duration::from_secs(10);
/// Uncommitted files named in a refusal (the rest are counted).
const FILES_NAMED: usize = 5;

/// Starts the reactor; the returned `Vital` reports it if it fails.
pub async fn start(
    engine: Engine,
    pool: SqlitePool,
    terminals: Terminals,
    worktrees_dir: PathBuf,
) -> Result<Vital, StoreError> {
    let model = projection_reader::load_summaries(&pool).await?;
    let events = engine.follow(model.sequence);
    let reactor = Reactor {
        engine,
        terminals,
        worktrees_dir,
        model,
    };
    Ok(Vital::watch(
        "the worktree reactor",
        tokio::spawn(reactor.run(events)),
    ))
}

struct Reactor {
    engine: Engine,
    terminals: Terminals,
    worktrees_dir: PathBuf,
    /// Summaries only, folded from the log.
    model: ReadModel,
}

impl Reactor {
    async fn run(mut self, mut events: crate::orchestration::Follower) {
        // Deletes left half-done by a restart (without the user's discard,
        // which was not kept: uncommitted work is kept).
        let unfinished: Vec<ThreadId> = self
            .model
            .threads
            .values()
            .filter(|t| t.delete_requested)
            .map(|t| t.id)
            .collect();
        for thread in unfinished {
            self.delete(thread, false).await;
        }
        let projects: Vec<ProjectId> = self
            .model
            .projects
            .values()
            .filter(|p| p.delete_requested)
            .map(|p| p.id)
            .collect();
        for project in projects {
            self.delete_project(project).await;
        }
        while let Some(next) = events.next().await {
            let event = match next {
                Ok(event) => event,
                Err(e) => {
                    tracing::error!("the worktree reactor cannot read the log: {e}");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    continue;
                }
            };
            self.model.apply(&event);
            match &event.event {
                OrchestrationEvent::ThreadDeleteRequested(e) => {
                    self.delete(e.thread_id, e.discard_changes).await;
                }
                OrchestrationEvent::ProjectDeleteRequested(e) => {
                    self.delete_project(e.project_id).await;
                }
                OrchestrationEvent::ThreadDeleted(e) => self.terminals.close_thread(e.thread_id),
                _ => {}
            }
        }
    }

    async fn delete(&self, thread_id: ThreadId, discard: bool) {
        let Some(thread) = self.model.threads.get(&thread_id).cloned() else {
            return;
        };
        let outcome = match worktree_of(&self.worktrees_dir, &thread) {
            // Nothing of peon's left on disk: the thread just goes.
            None => Ok(()),
            Some(path) => self.remove(&thread, &path, discard).await,
        };
        self.record(match outcome {
            Ok(()) => InternalCommand::CompleteDelete { thread_id },
            Err(error) => InternalCommand::FailDelete { thread_id, error },
        })
        .await;
    }

    /// Records how a delete ended (retried by the engine on store errors).
    async fn record(&self, outcome: InternalCommand) {
        let what = format!("{outcome:?}");
        if let Err(e) = self
            .engine
            .dispatch_internal(outcome, Actor::Server, None)
            .await
        {
            tracing::warn!("a delete's outcome was not recorded ({what}): {e}");
        }
    }

    async fn delete_project(&self, project_id: ProjectId) {
        let threads: Vec<(ThreadSummary, PathBuf)> = self
            .model
            .threads
            .values()
            .filter(|t| t.project_id == project_id)
            .filter_map(|t| worktree_of(&self.worktrees_dir, t).map(|p| (t.clone(), p)))
            .collect();
        self.record(match self.remove_all(&threads).await {
            Ok(()) => InternalCommand::CompleteProjectDelete { project_id },
            Err(error) => InternalCommand::FailProjectDelete { project_id, error },
        })
        .await;
    }

    /// A project's worktrees: all checked before any agent is stopped, so
    /// uncommitted work in one stops nothing; then each stopped, checked
    /// again and removed.
    async fn remove_all(&self, threads: &[(ThreadSummary, PathBuf)]) -> Result<(), String> {
        let whose = |t: &ThreadSummary| format!(" of thread \"{}\"", t.title);
        for (thread, path) in threads {
            refuse_if_uncommitted(path, &whose(thread))
                .await
                .map_err(|b| b.message)?;
        }
        for (thread, path) in threads {
            quiesce(
                &self.engine,
                &self.terminals,
                thread,
                path,
                false,
                &whose(thread),
            )
            .await
            .map_err(|b| b.message)?;
        }
        for (_, path) in threads {
            remove(path.clone()).await?;
        }
        Ok(())
    }

    /// Checks, stops what writes there, checks again, removes.
    async fn remove(
        &self,
        thread: &ThreadSummary,
        path: &Path,
        discard: bool,
    ) -> Result<(), String> {
        if !discard {
            refuse_if_uncommitted(path, "")
                .await
                .map_err(|b| b.message)?;
        }
        quiesce(&self.engine, &self.terminals, thread, path, discard, "")
            .await
            .map_err(|b| b.message)?;
        remove(path.to_path_buf()).await
    }
}

/// Why a worktree cannot be removed now; `code` names it for clients.
#[derive(Debug)]
pub struct Blocked {
    pub code: &'static str,
    pub message: String,
}

/// Stops what may write in the thread's worktree — its agent (waiting for
/// the log to say so) and its shells — then, unless discarding, checks
/// again that nothing uncommitted appeared meanwhile.
pub async fn quiesce(
    engine: &Engine,
    terminals: &Terminals,
    thread: &ThreadSummary,
    path: &Path,
    discard: bool,
    whose: &str,
) -> Result<(), Blocked> {
    stop_agent(engine, thread).await?;
    terminals.close_thread(thread.id);
    if !discard {
        refuse_if_uncommitted(path, whose).await?;
    }
    Ok(())
}

/// Removes the worktree folder (its branch stays).
pub async fn remove(path: PathBuf) -> Result<(), String> {
    let shown = path.display().to_string();
    match tokio::task::spawn_blocking(move || worktree::remove(&path)).await {
        Ok(Ok(())) => {
            tracing::info!("removed the worktree at {shown}");
            Ok(())
        }
        Ok(Err(e)) => Err(format!("could not remove the worktree at {shown}: {e}")),
        Err(e) => Err(format!("could not remove the worktree at {shown}: {e}")),
    }
}

/// Stops the thread's agent and waits until the log says it stopped, so
/// nothing writes into a folder about to be removed; an error when it does
/// not stop in time.
async fn stop_agent(engine: &Engine, thread: &ThreadSummary) -> Result<(), Blocked> {
    if !thread.session_status.is_live() {
        return Ok(());
    }
    let mut events = engine.follow(engine.last_sequence());
    let stop = CommandEnvelope::new(Command::SessionStop {
        thread_id: thread.id,
    });
    if engine.dispatch_as(stop, Actor::Server, None).await.is_err() {
        return Ok(());
    }
    // Only the log saying so counts as stopped: a read that fails or a slow
    // reader waits (and times out) rather than assuming it.
    let stopped = async {
        loop {
            match events.next().await {
                Some(Ok(event)) => {
                    if let OrchestrationEvent::SessionChanged(e) = &event.event
                        && e.thread_id == thread.id
                        && !e.status.is_live()
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
    tokio::time::timeout(AGENT_STOP_WAIT, stopped)
        .await
        .map_err(|_| Blocked {
            code: "agent_still_running",
            message: format!(
                "the agent of thread \"{}\" did not stop in time, so its worktree was left as \
                 it is; try again",
                thread.title
            ),
        })
}

/// The thread's worktree folder, if it has one that still exists and that
/// peon made (inside its worktrees folder): no other folder is ever
/// removed.
pub fn worktree_of(worktrees_dir: &Path, thread: &ThreadSummary) -> Option<PathBuf> {
    let path = std::fs::canonicalize(thread.worktree_path.as_deref()?).ok()?;
    let ours = std::fs::canonicalize(worktrees_dir).ok()?;
    (path.starts_with(&ours) && path != ours).then_some(path)
}

/// An error naming the uncommitted files, if the worktree at `path` has any
/// (`whose` says whose worktree, in a message about several).
pub async fn refuse_if_uncommitted(path: &Path, whose: &str) -> Result<(), Blocked> {
    let files = {
        let path = path.to_path_buf();
        tokio::task::spawn_blocking(move || worktree::uncommitted(&path))
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r.map_err(|e| e.to_string()))
    }
    .map_err(|e| Blocked {
        code: "uncommitted_changes",
        message: format!(
            "cannot tell whether the worktree at {} holds uncommitted work ({e}), so it was not \
             deleted",
            path.display()
        ),
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
    Err(Blocked {
        code: "uncommitted_changes",
        message: format!(
            "the worktree{whose} at {} has uncommitted changes ({named}): commit them first, or \
             delete the thread choosing to discard them",
            path.display()
        ),
    })
}
