//! Every domain error becomes the one `ApiError` the server functions
//! return: one `From` per domain, so a handler only writes `?`. Refusals a
//! user can act on are `Rejected` or `Invalid`; libgit2, I/O and storage
//! failures are `Internal` (logged here, once).

use crate::git::{DiffError, GitError};
use crate::intake::IntakeError;
use crate::orchestration::{DispatchError, Rejection};
use crate::persistence::StoreError;
use crate::terminals::TerminalsError;
use peon_app::api::ApiError;

fn internal(what: &str, e: impl std::fmt::Display) -> ApiError {
    tracing::error!("{what} failed: {e}");
    ApiError::internal(e.to_string())
}

/// The decider's refusals: unknown projects and threads are not found,
/// the rest are rejected with their code.
impl From<Rejection> for ApiError {
    fn from(r: Rejection) -> Self {
        match r {
            Rejection::UnknownProject(id) => ApiError::not_found("project", id),
            Rejection::UnknownThread(id) => ApiError::not_found("thread", id),
            other => ApiError::rejected(other.code(), other.to_string()),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        internal("a query", e)
    }
}

impl From<DispatchError> for ApiError {
    fn from(e: DispatchError) -> Self {
        match e {
            DispatchError::Rejected(r) => r.into(),
            DispatchError::Stopped => ApiError::Unavailable {
                message: e.to_string(),
            },
            DispatchError::Store(e) => internal("a dispatch", e),
        }
    }
}

impl From<IntakeError> for ApiError {
    fn from(e: IntakeError) -> Self {
        match e {
            IntakeError::Invalid(u) => ApiError::invalid(u.field, u.message),
            IntakeError::Refused { code, message } => ApiError::rejected(code, message),
            IntakeError::Dispatch(e) => e.into(),
            IntakeError::Store(e) => e.into(),
            e @ (IntakeError::Failed(_) | IntakeError::Task(_)) => internal("a command", e),
        }
    }
}

impl From<GitError> for ApiError {
    fn from(e: GitError) -> Self {
        match e {
            GitError::NoCheckpoint { turn_count } => ApiError::NotFound {
                resource: "checkpoint".to_string(),
                id: turn_count.to_string(),
                message: e.to_string(),
            },
            e @ (GitError::NotARepository(_) | GitError::Bare(_)) => {
                ApiError::rejected("not_a_repository", e.to_string())
            }
            GitError::Invalid(message) => ApiError::rejected("git", message),
            e @ (GitError::Git(_) | GitError::Restore { .. }) => internal("git", e),
        }
    }
}

impl From<DiffError> for ApiError {
    fn from(e: DiffError) -> Self {
        match e {
            DiffError::UnknownThread(id) => ApiError::not_found("thread", id),
            DiffError::Git(GitError::NotARepository(path)) => ApiError::NotFound {
                message: GitError::NotARepository(path.clone()).to_string(),
                resource: "repository".to_string(),
                id: path,
            },
            DiffError::Git(e) => e.into(),
            e @ (DiffError::Store(_) | DiffError::Task(_)) => internal("a diff", e),
        }
    }
}

impl From<TerminalsError> for ApiError {
    fn from(e: TerminalsError) -> Self {
        match e {
            TerminalsError::Unknown(id) => ApiError::not_found("terminal", id),
            e @ TerminalsError::TooMany => ApiError::rejected("too_many_terminals", e.to_string()),
            e @ TerminalsError::NoFolder(_) => ApiError::rejected("no_folder", e.to_string()),
            e @ TerminalsError::Terminal(_) => internal("a terminal", e),
        }
    }
}

/// A blocking task that panicked or was cancelled.
pub fn task(e: tokio::task::JoinError) -> ApiError {
    internal("a background task", e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use peon_app::contracts::ThreadId;

    #[test]
    fn refusals_keep_their_kind_and_failures_are_internal() {
        let thread = ThreadId::from_u128(7);
        assert_eq!(
            ApiError::from(Rejection::UnknownThread(thread)),
            ApiError::not_found("thread", thread)
        );
        let pending = ApiError::from(Rejection::RevertPending(2));
        assert!(
            matches!(&pending, ApiError::Rejected { rejection, .. } if rejection == "revert_pending")
        );
        assert_eq!(pending.status(), 422);
        let libgit2 = ApiError::from(GitError::Git(git2::Error::from_str("index is locked")));
        assert_eq!(libgit2.status(), 500);
        assert_eq!(libgit2.to_string(), "git: index is locked");
        let io = ApiError::from(GitError::Restore {
            path: "a.txt".into(),
            source: std::io::Error::other("disk full"),
        });
        assert_eq!(io.status(), 500);
        assert_eq!(
            ApiError::from(GitError::Invalid("nothing to commit".into())).status(),
            422
        );
        assert_eq!(ApiError::from(DispatchError::Stopped).status(), 503);
    }
}
