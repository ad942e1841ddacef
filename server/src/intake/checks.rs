//! Checks on a client's command that need the configuration: sizes, and
//! which folders may become projects.

use crate::config::Limits;
use crate::orchestration::expand_home;
use peon_app::contracts::Command;
use std::path::{Component, Path, PathBuf};

/// A value a command carries that cannot be accepted, and which field.
#[derive(Debug, PartialEq, Eq)]
pub struct Unacceptable {
    pub field: &'static str,
    pub message: String,
}

impl Unacceptable {
    fn new(field: &'static str, message: String) -> Self {
        Self { field, message }
    }
}

/// Refuses a message that is too long or carries too many or too large
/// attachments, naming the limit and where to change it.
pub fn check_limits(command: &Command, limits: &Limits) -> Result<(), Unacceptable> {
    let no_attachments = Vec::new();
    let (text, attachments) = match command {
        Command::TurnStart {
            text, attachments, ..
        }
        | Command::TurnQueue {
            text, attachments, ..
        } => (text, attachments),
        Command::TurnSteer { text, .. } => (text, &no_attachments),
        _ => return Ok(()),
    };
    let chars = text.chars().count();
    if chars > limits.max_message_chars {
        return Err(Unacceptable::new(
            "text",
            format!(
                "the message is {chars} characters long; the limit is {} (max_message_chars)",
                limits.max_message_chars
            ),
        ));
    }
    if attachments.len() > limits.max_attachments {
        return Err(Unacceptable::new(
            "attachments",
            format!(
                "the message has {} attachments; the limit is {} (max_attachments)",
                attachments.len(),
                limits.max_attachments
            ),
        ));
    }
    if let Some(big) = attachments
        .iter()
        .find(|a| a.size_bytes > limits.max_attachment_bytes)
    {
        return Err(Unacceptable::new(
            "attachments",
            format!(
                "the attachment {} is {} bytes; the limit is {} (max_attachment_bytes)",
                big.name, big.size_bytes, limits.max_attachment_bytes
            ),
        ));
    }
    Ok(())
}

/// A project folder may not be given with `..`, and when `allowed_roots`
/// are configured it must lie inside one of them once symlinks are
/// resolved (so a link pointing out is refused too).
pub fn check_project_folder(path: &Path, allowed_roots: &[PathBuf]) -> Result<(), Unacceptable> {
    if path.components().any(|c| c == Component::ParentDir) {
        return Err(Unacceptable::new(
            "workspace_root",
            format!(
                "{} contains \"..\": give the folder's own path",
                path.display()
            ),
        ));
    }
    if allowed_roots.is_empty() {
        return Ok(());
    }
    // A folder that does not exist is the engine's to refuse, with its own
    // message.
    let expanded = expand_home(&path.to_string_lossy()).unwrap_or_else(|| path.to_path_buf());
    let Ok(real) = std::fs::canonicalize(expanded) else {
        return Ok(());
    };
    let inside = allowed_roots
        .iter()
        .any(|root| std::fs::canonicalize(root).is_ok_and(|root| real.starts_with(root)));
    if inside {
        return Ok(());
    }
    let roots: Vec<String> = allowed_roots
        .iter()
        .map(|r| r.display().to_string())
        .collect();
    Err(Unacceptable::new(
        "workspace_root",
        format!(
            "{} (really {}) is outside the folders peon may open: {} (allowed_roots)",
            path.display(),
            real.display(),
            roots.join(", ")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use peon_app::contracts::*;

    #[test]
    fn long_messages_and_big_attachments_are_refused() {
        let limits = Limits {
            max_message_chars: 5,
            max_attachments: 1,
            max_attachment_bytes: 10,
            ..Limits::default()
        };
        let turn = |text: &str, attachments: Vec<Attachment>| Command::TurnStart {
            thread_id: ThreadId::from_u128(1),
            turn_id: TurnId::from_u128(2),
            message_id: MessageId::from_u128(3),
            text: text.to_string(),
            attachments,
        };
        let file = |size| Attachment {
            name: "a.png".into(),
            mime_type: "image/png".into(),
            size_bytes: size,
        };
        assert!(check_limits(&turn("héllo", vec![file(10)]), &limits).is_ok());
        let long = check_limits(&turn("héllo!", vec![]), &limits)
            .expect_err("long")
            .message;
        assert!(
            long.contains("6 characters") && long.contains("limit is 5"),
            "{long}"
        );
        let many = check_limits(&turn("hi", vec![file(1), file(1)]), &limits)
            .expect_err("many")
            .message;
        assert!(many.contains("2 attachments"), "{many}");
        let big = check_limits(&turn("hi", vec![file(11)]), &limits)
            .expect_err("big")
            .message;
        assert!(big.contains("a.png is 11 bytes"), "{big}");
        // A queued message is held to the same limits.
        let queued = Command::TurnQueue {
            thread_id: ThreadId::from_u128(1),
            turn_id: TurnId::from_u128(2),
            message_id: MessageId::from_u128(3),
            text: "héllo!".to_string(),
            attachments: vec![],
        };
        let long = check_limits(&queued, &limits).expect_err("long").message;
        assert!(long.contains("6 characters"), "{long}");
    }

    #[test]
    fn project_folders_stay_inside_the_allowed_roots() {
        let dir = tempfile::tempdir().expect("temp");
        let root = dir.path().join("allowed");
        std::fs::create_dir_all(root.join("inside")).expect("mkdir");
        std::fs::create_dir_all(dir.path().join("outside")).expect("mkdir");
        #[cfg(unix)]
        std::os::unix::fs::symlink(dir.path().join("outside"), root.join("link")).expect("link");
        let roots = [root.clone()];
        assert!(check_project_folder(&root.join("inside"), &roots).is_ok());
        let dots = check_project_folder(&root.join("inside/../inside"), &[])
            .expect_err("..")
            .message;
        assert!(dots.contains(".."), "{dots}");
        let out = check_project_folder(&dir.path().join("outside"), &roots)
            .expect_err("out")
            .message;
        assert!(out.contains("outside the folders"), "{out}");
        #[cfg(unix)]
        {
            let link = check_project_folder(&root.join("link"), &roots)
                .expect_err("link")
                .message;
            assert!(link.contains("really"), "{link}");
        }
        assert!(check_project_folder(&dir.path().join("outside"), &[]).is_ok());
    }
}
