//! The one error every server function returns. It crosses the server-fn
//! boundary typed (as JSON, `{"kind": ..., "message": ...}` plus the
//! kind's own fields), so the browser matches kinds, never message text,
//! and scripts get a clean JSON body. Its HTTP status is decided in one
//! place, `ApiError::status`.

use super::codec::TextJson;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ApiError {
    /// No such thing: `resource` (e.g. "thread") with that `id`.
    #[error("{message}")]
    NotFound {
        resource: String,
        id: String,
        message: String,
    },
    /// A well-formed command that cannot be carried out as things are;
    /// `rejection` names why, stably (e.g. "revert_pending").
    #[error("{message}")]
    Rejected { rejection: String, message: String },
    /// A value the request carries is not acceptable (`field` names it).
    #[error("{message}")]
    Invalid { field: String, message: String },
    /// The request could not be decoded at all.
    #[error("{message}")]
    Malformed { message: String },
    /// peon cannot answer now (not reachable, or shutting down); trying
    /// again later may work.
    #[error("{message}")]
    Unavailable { message: String },
    /// peon failed (storage, git, the file system); the message says what.
    #[error("{message}")]
    Internal { message: String },
}

impl ApiError {
    pub fn not_found(resource: &str, id: impl ToString) -> Self {
        let id = id.to_string();
        Self::NotFound {
            message: format!("{resource} {id} not found"),
            resource: resource.to_string(),
            id,
        }
    }

    pub fn rejected(rejection: &str, message: impl Into<String>) -> Self {
        Self::Rejected {
            rejection: rejection.to_string(),
            message: message.into(),
        }
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.to_string(),
            message: message.into(),
        }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::Internal {
            message: message.into(),
        }
    }

    /// The HTTP status that says whose fault it was.
    pub fn status(&self) -> u16 {
        match self {
            ApiError::NotFound { .. } => 404,
            ApiError::Rejected { .. } | ApiError::Invalid { .. } => 422,
            ApiError::Malformed { .. } => 400,
            ApiError::Unavailable { .. } => 503,
            ApiError::Internal { .. } => 500,
        }
    }
}

impl FromServerFnError for ApiError {
    type Encoder = TextJson;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        use ServerFnErrorErr as E;
        match value {
            E::Args(m) | E::MissingArg(m) => ApiError::Malformed {
                message: format!("malformed request: {m}"),
            },
            // On the server this is a request body it could not read; in
            // the browser, an answer it could not read.
            #[cfg(feature = "ssr")]
            E::Deserialization(m) => ApiError::Malformed {
                message: format!("malformed request: {m}"),
            },
            E::Request(m) => ApiError::Unavailable {
                message: format!("cannot reach peon: {m}"),
            },
            other => ApiError::Internal {
                message: other.to_string(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_travel_as_json_with_their_kind() {
        let e = ApiError::rejected("revert_pending", "wait for the revert");
        let json = serde_json::to_value(&e).expect("JSON");
        assert_eq!(
            json,
            serde_json::json!({"kind": "rejected", "rejection": "revert_pending",
                               "message": "wait for the revert"})
        );
        let back: ApiError = serde_json::from_value(json).expect("back");
        assert_eq!(back, e);
        let missing = ApiError::not_found("thread", "t1");
        assert_eq!(missing.to_string(), "thread t1 not found");
        assert_eq!(missing.status(), 404);
    }

    #[test]
    fn undecodable_requests_are_the_callers_fault() {
        let e = ApiError::from_server_fn_error(ServerFnErrorErr::Args("eof".into()));
        assert_eq!(e.status(), 400);
        assert_eq!(e.to_string(), "malformed request: eof");
        let down = ApiError::from_server_fn_error(ServerFnErrorErr::Request("refused".into()));
        assert!(matches!(down, ApiError::Unavailable { .. }));
    }
}
