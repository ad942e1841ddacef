//! The server side of the app's `Backend` trait: maps calls to the engine
//! and the projection readers, and their errors to messages.

use crate::config::Limits;
use crate::git::Diffs;
use crate::intake::Intake;
use crate::orchestration::Engine;
use crate::persistence::{Database, EventStore, StoreError, projection_reader};
use crate::providers::Agents;
use crate::terminals::Terminals;
use peon_app::api::backend::{Backend, BoxFuture};
use peon_app::api::{
    AgentStatus, ApiError, DiffResponse, DispatchOutcome, FolderSuggestion, GitAction, GitStatus,
    MAX_SEARCH_HITS, MAX_SEARCH_TEXT, SearchHit, ServerInfo, Snapshot, TerminalAction,
    TerminalInfo, ThreadPageResponse,
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
    pub keymap: peon_app::keymap::Keymap,
}

impl Backend for ServerBackend {
    fn dispatch(
        &self,
        envelope: CommandEnvelope,
    ) -> BoxFuture<'_, Result<DispatchOutcome, ApiError>> {
        Box::pin(async move {
            let intake = Intake {
                engine: &self.engine,
                pool: &self.db.pool,
                worktrees_dir: self.data_dir.join(WORKTREES_DIR),
                limits: &self.limits,
                allowed_roots: &self.allowed_roots,
            };
            Ok(intake.dispatch(envelope).await?)
        })
    }

    fn snapshot(&self) -> BoxFuture<'_, Result<Snapshot, ApiError>> {
        Box::pin(async move {
            let model = projection_reader::load_summaries(&self.db.pool).await?;
            let log_id = EventStore::new(self.db.pool.clone())
                .first_event_id()
                .await?;
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
    ) -> BoxFuture<'_, Result<ThreadPageResponse, ApiError>> {
        Box::pin(async move {
            match projection_reader::load_thread_page(&self.db.pool, thread_id, before_turn, limit)
                .await?
            {
                Some((sequence, thread, page)) => Ok(ThreadPageResponse {
                    sequence,
                    thread,
                    page,
                }),
                None => Err(ApiError::not_found("thread", thread_id)),
            }
        })
    }

    fn server_info(&self) -> BoxFuture<'_, Result<ServerInfo, ApiError>> {
        Box::pin(async move {
            let sqlite_version: String = sqlx::query_scalar("SELECT sqlite_version()")
                .fetch_one(&self.db.pool)
                .await
                .map_err(StoreError::from)?;
            let last = projection_reader::last_sequence(&self.db.pool).await?;
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
    ) -> BoxFuture<'_, Result<DiffResponse, ApiError>> {
        Box::pin(async move {
            Ok(self
                .diffs
                .between(&self.db.pool, thread_id, from, to)
                .await?)
        })
    }

    fn git(
        &self,
        thread_id: ThreadId,
        action: GitAction,
    ) -> BoxFuture<'_, Result<GitStatus, ApiError>> {
        Box::pin(async move {
            let folder = projection_reader::thread_folder(&self.db.pool, thread_id)
                .await?
                .ok_or_else(|| ApiError::not_found("thread", thread_id))?;
            let done = tokio::task::spawn_blocking(move || crate::git::run(&folder, &action))
                .await
                .map_err(crate::errors::task)?;
            Ok(done?)
        })
    }

    fn folders(&self, typed: String) -> BoxFuture<'_, Result<Vec<FolderSuggestion>, ApiError>> {
        Box::pin(async move {
            let roots = self.allowed_roots.clone();
            let found =
                tokio::task::spawn_blocking(move || crate::folders::suggest(&typed, &roots))
                    .await
                    .map_err(crate::errors::task)?;
            found.map_err(|e| ApiError::invalid("folder", e.to_string()))
        })
    }

    fn search(&self, text: String) -> BoxFuture<'_, Result<Vec<SearchHit>, ApiError>> {
        Box::pin(async move {
            if text.chars().count() > MAX_SEARCH_TEXT {
                return Err(ApiError::invalid(
                    "search",
                    format!("search text is longer than {MAX_SEARCH_TEXT} characters"),
                ));
            }
            Ok(crate::persistence::search::search(&self.db.pool, &text, MAX_SEARCH_HITS).await?)
        })
    }

    fn agents(&self) -> BoxFuture<'_, Result<Vec<AgentStatus>, ApiError>> {
        Box::pin(async move { Ok(self.agents.status().await) })
    }

    fn terminals(
        &self,
        thread_id: ThreadId,
        action: TerminalAction,
    ) -> BoxFuture<'_, Result<Vec<TerminalInfo>, ApiError>> {
        Box::pin(async move {
            let folder = projection_reader::thread_folder(&self.db.pool, thread_id)
                .await?
                .ok_or_else(|| ApiError::not_found("thread", thread_id))?;
            let terminals = self.terminals.clone();
            let done = tokio::task::spawn_blocking(move || match action {
                TerminalAction::List => Ok(()),
                TerminalAction::Open => terminals.open(thread_id, &folder).map(|_| ()),
                TerminalAction::Restart { id } => terminals.restart(&id).map(|_| ()),
                TerminalAction::Close { id } => terminals.close(&id),
            })
            .await
            .map_err(crate::errors::task)?;
            done?;
            Ok(self.terminals.list(thread_id))
        })
    }
}
