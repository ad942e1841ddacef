//! Opens (or creates) the database file and runs the migrations.

use sqlx::ConnectOptions;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    #[error("cannot create the data folder {path}: {source}")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot open the database {path}: {source}")]
    Open { path: PathBuf, source: sqlx::Error },
    #[error("cannot migrate the database {path}: {source}")]
    Migrate {
        path: PathBuf,
        source: sqlx::migrate::MigrateError,
    },
}

/// A migrated database: a pool for readers and the options to open the
/// engine's dedicated writer connection.
#[derive(Clone)]
pub struct Database {
    pub pool: SqlitePool,
    pub path: PathBuf,
    options: SqliteConnectOptions,
}

impl Database {
    /// Creates the file and its parent folders when absent, turns on WAL,
    /// foreign keys and a busy timeout, and runs the migrations.
    pub async fn open(path: &Path) -> Result<Self, DatabaseError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            crate::private::folder(parent).map_err(|source| DatabaseError::CreateDir {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        // Made by peon, readable by its owner only (SQLite gives the WAL
        // and shared-memory files the database's mode).
        crate::private::touch(path).map_err(|source| DatabaseError::CreateDir {
            path: path.to_path_buf(),
            source,
        })?;
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: an acknowledged command survives power loss, not only a
            // crash of the process.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .pragma("cache_size", "-16000");
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.clone())
            .await
            .map_err(|source| DatabaseError::Open {
                path: path.to_path_buf(),
                source,
            })?;
        sqlx::migrate!("../migrations")
            .run(&pool)
            .await
            .map_err(|source| DatabaseError::Migrate {
                path: path.to_path_buf(),
                source,
            })?;
        Ok(Self {
            pool,
            path: path.to_path_buf(),
            options,
        })
    }

    /// A connection of its own, for the single writer.
    pub async fn writer(&self) -> Result<SqliteConnection, DatabaseError> {
        self.options
            .connect()
            .await
            .map_err(|source| DatabaseError::Open {
                path: self.path.clone(),
                source,
            })
    }
}
