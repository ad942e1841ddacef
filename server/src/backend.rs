//! The server side of the app's `Backend` trait: maps calls to the engine
//! and the projection readers, and their errors to messages.

use crate::config::Limits;
use crate::git::{DiffError, Diffs, GitError};
use crate::intake::{Intake, IntakeError};
use crate::orchestration::{DispatchError, Engine};
use crate::persistence::{Database, EventStore, StoreError, projection_reader};
use crate::providers::Agents;
use crate::terminals::{Terminals, TerminalsError};
use peon_app::api::backend::{Backend, BackendError, BoxFuture};
use peon_app::api::{
    AgentStatus, DiffResponse, DispatchOutcome, GitAction, GitStatus, ServerInfo, Snapshot,
    TerminalAction, TerminalInfo, ThreadPageResponse,
};
use peon_app::contracts::*;
use std::path::PathBuf;

/// The folder inside the data folder that holds threads' worktrees.
pub const WORKTREES_DIR: &str = "worktrees";

pub struct ServerBackend {
    pub engine: Engine,
    pub agents: Agents,
    pub diffs: Diffs,
    pub db: Database,
    pub data_dir: PathBuf,
    pub limits: Limits,
    /// Folders projects may live in; empty: anywhere.
    pub allowed_roots: Vec<PathBuf>,
    pub terminals: Terminals,
}

fn internal(e: StoreError) -> BackendError {
    tracing::error!("query failed: {e}");
    BackendError::Internal(e.to_string())
}

impl Backend for ServerBackend {
    fn dispatch(
        &self,
        envelope: CommandEnvelope,
    ) -> BoxFuture<'_, Result<DispatchOutcome, BackendError>> {
        Box::pin(async move {
            let intake = Intake {
                engine: &self.engine,
                pool: &self.db.pool,
                worktrees_dir: self.data_dir.join(WORKTREES_DIR),
                limits: &self.limits,
                allowed_roots: &self.allowed_roots,
                terminals: &self.terminals,
            };
            intake.dispatch(envelope).await.map_err(|e| match e {
                IntakeError::Invalid(m) => BackendError::Invalid(m),
                IntakeError::Refused(m) => BackendError::Rejected(m),
                IntakeError::Dispatch(DispatchError::Rejected(r)) => {
                    BackendError::Rejected(r.to_string())
                }
                other => {
                    tracing::error!("dispatch failed: {other}");
                    BackendError::Internal(other.to_string())
                }
            })
        })
    }

    fn snapshot(&self) -> BoxFuture<'_, Result<Snapshot, BackendError>> {
        Box::pin(async move {
            let model = projection_reader::load_summaries(&self.db.pool)
                .await
                .map_err(internal)?;
            let log_id = EventStore::new(self.db.pool.clone())
                .first_event_id()
                .await
                .map_err(internal)?;
            Ok(Snapshot {
                log_id,
                sequence: model.sequence,
                projects: model.projects.into_values().collect(),
                threads: model.threads.into_values().collect(),
            })
        })
    }

    fn thread_page(
        &self,
        thread_id: ThreadId,
        before_turn: Option<u32>,
        limit: u32,
    ) -> BoxFuture<'_, Result<ThreadPageResponse, BackendError>> {
        Box::pin(async move {
            match projection_reader::load_thread_page(&self.db.pool, thread_id, before_turn, limit)
                .await
                .map_err(internal)?
            {
                Some((sequence, thread, page)) => Ok(ThreadPageResponse {
                    sequence,
                    thread,
                    page,
                }),
                None => Err(BackendError::NotFound(format!(
                    "thread {thread_id} not found"
                ))),
            }
        })
    }

    fn server_info(&self) -> BoxFuture<'_, Result<ServerInfo, BackendError>> {
        Box::pin(async move {
            let sqlite_version: String = sqlx::query_scalar("SELECT sqlite_version()")
                .fetch_one(&self.db.pool)
                .await
                .map_err(|e| internal(e.into()))?;
            let last = projection_reader::last_sequence(&self.db.pool)
                .await
                .map_err(internal)?;
            Ok(ServerInfo {
                version: env!("CARGO_PKG_VERSION").to_string(),
                data_dir: self.data_dir.display().to_string(),
                sqlite_version,
                event_count: last,
                last_sequence: last,
            })
        })
    }

    fn diff(
        &self,
        thread_id: ThreadId,
        from: u32,
        to: u32,
    ) -> BoxFuture<'_, Result<DiffResponse, BackendError>> {
        Box::pin(async move {
            self.diffs
                .between(&self.db.pool, thread_id, from, to)
                .await
                .map_err(|e| match e {
                    DiffError::UnknownThread(_)
                    | DiffError::Git(GitError::NoCheckpoint { .. } | GitError::NotARepository(_)) => {
                        BackendError::NotFound(e.to_string())
                    }
                    other => {
                        tracing::error!("diff failed: {other}");
                        BackendError::Internal(other.to_string())
                    }
                })
        })
    }

    fn git(
        &self,
        thread_id: ThreadId,
        action: GitAction,
    ) -> BoxFuture<'_, Result<GitStatus, BackendError>> {
        Box::pin(async move {
            let folder = projection_reader::thread_folder(&self.db.pool, thread_id)
                .await
                .map_err(internal)?
                .ok_or_else(|| BackendError::NotFound(format!("thread {thread_id} not found")))?;
            let done = tokio::task::spawn_blocking(move || crate::git::run(&folder, &action))
                .await
                .map_err(|e| BackendError::Internal(e.to_string()))?;
            done.map_err(|e| match e {
                GitError::Invalid(_) | GitError::Bare(_) | GitError::NotARepository(_) => {
                    BackendError::Rejected(e.to_string())
                }
                other => BackendError::Rejected(other.to_string()),
            })
        })
    }

    fn agents(&self) -> BoxFuture<'_, Result<Vec<AgentStatus>, BackendError>> {
        Box::pin(async move { Ok(self.agents.status().await) })
    }

    fn terminals(
        &self,
        thread_id: ThreadId,
        action: TerminalAction,
    ) -> BoxFuture<'_, Result<Vec<TerminalInfo>, BackendError>> {
        Box::pin(async move {
            let folder = projection_reader::thread_folder(&self.db.pool, thread_id)
                .await
                .map_err(internal)?
                .ok_or_else(|| BackendError::NotFound(format!("thread {thread_id} not found")))?;
            let terminals = self.terminals.clone();
            let done = tokio::task::spawn_blocking(move || match action {
                TerminalAction::List => Ok(()),
                TerminalAction::Open => terminals.open(thread_id, &folder).map(|_| ()),
                TerminalAction::Restart { id } => terminals.restart(&id).map(|_| ()),
                TerminalAction::Close { id } => terminals.close(&id),
            })
            .await
            .map_err(|e| BackendError::Internal(e.to_string()))?;
            done.map_err(|e| match e {
                TerminalsError::Unknown(_) => BackendError::NotFound(e.to_string()),
                other => BackendError::Rejected(other.to_string()),
            })?;
            Ok(self.terminals.list(thread_id))
        })
    }
}
