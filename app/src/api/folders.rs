//! Folder completion for the add-project field.

use super::ApiError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Most suggestions one answer carries.
pub const MAX_FOLDER_SUGGESTIONS: usize = 50;

/// One folder that completes what was typed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FolderSuggestion {
    /// What the field becomes when it is chosen, written as the user wrote
    /// the prefix (`~` kept).
    pub path: String,
    pub name: String,
    /// A git repository (it has `.git`).
    pub git: bool,
    /// Its name starts with a dot.
    pub hidden: bool,
}

/// Subfolders of the folder `typed` ends in that start with its last part,
/// within the allowed roots. Bad input (relative, `..`, missing, a file,
/// unreadable, outside the roots) is an `Invalid` error naming the problem.
#[server(prefix = "/api", endpoint = "folders", output = super::Json)]
pub async fn suggest_folders(typed: String) -> Result<Vec<FolderSuggestion>, ApiError> {
    super::backend::backend()?.folders(typed).await
}
