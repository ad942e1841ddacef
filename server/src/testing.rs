//! Helpers shared by the server's unit tests.

use crate::persistence::Database;
use tempfile::TempDir;

/// A migrated database in a fresh temporary folder (kept alive by the
/// returned `TempDir`).
pub async fn temp_db() -> (TempDir, Database) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = Database::open(&dir.path().join("nested/peon.sqlite3"))
        .await
        .expect("open database");
    (dir, db)
}
