//! Diffs for the diff panel: between two checkpoints of a thread, cached by
//! the commits they point at (those never change).

use super::{GitError, commits, diff};
use crate::persistence::{StoreError, projection_reader};
use peon_app::contracts::ThreadId;
use peon_app::contracts::git::DiffResponse;
use sqlx::SqlitePool;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Diffs kept in memory; enough for the turns someone is looking at.
const CACHED: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    #[error("thread {0} not found")]
    UnknownThread(ThreadId),
    #[error("{0}")]
    Git(#[from] GitError),
    #[error("storage failed: {0}")]
    Store(#[from] StoreError),
    #[error("the diff task failed: {0}")]
    Task(String),
}

/// Diffs by the (from, to) commits they are between.
type Cache = HashMap<(String, String), Arc<DiffResponse>>;

#[derive(Clone, Default)]
pub struct Diffs {
    cache: Arc<Mutex<Cache>>,
}

impl Diffs {
    pub async fn between(
        &self,
        pool: &SqlitePool,
        thread: ThreadId,
        from: u32,
        to: u32,
    ) -> Result<DiffResponse, DiffError> {
        let folder = projection_reader::thread_folder(pool, thread)
            .await?
            .ok_or(DiffError::UnknownThread(thread))?;
        let cache = self.cache.clone();
        tokio::task::spawn_blocking(move || -> Result<DiffResponse, DiffError> {
            let key = commits(&folder, thread, from, to)?;
            if let Some(hit) = cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
                return Ok(DiffResponse {
                    from,
                    to,
                    files: hit.files.clone(),
                });
            }
            let made = Arc::new(DiffResponse {
                from,
                to,
                files: diff(&folder, thread, from, to)?.files,
            });
            if let Ok(mut c) = cache.lock() {
                if c.len() >= CACHED {
                    c.clear();
                }
                c.insert(key, made.clone());
            }
            Ok((*made).clone())
        })
        .await
        .map_err(|e| DiffError::Task(e.to_string()))?
    }
}
