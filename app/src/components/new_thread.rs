//! A new thread in one click: no title asked (its first message names it,
//! see `title_from_message`), the agent the project used last, and straight
//! to the thread page with the composer focused.

use super::store::ThreadRow;
use crate::api::{ApiError, dispatch_command};
use crate::contracts::*;
use leptos::prelude::*;
use leptos_router::NavigateOptions;

/// Creates the thread; once the server has it, `navigate` opens its page.
/// A refusal goes to `failed`.
pub fn start_thread(
    command: Command,
    navigate: impl Fn(&str, NavigateOptions) + 'static,
    failed: RwSignal<Option<ApiError>>,
) {
    let Command::ThreadCreate { thread_id, .. } = &command else {
        return;
    };
    let thread_id = *thread_id;
    leptos::task::spawn_local(async move {
        match dispatch_command(CommandEnvelope::new(command)).await {
            Ok(_) => {
                failed.set(None);
                navigate(&format!("/threads/{thread_id}"), Default::default());
            }
            Err(e) => failed.set(Some(e)),
        }
    });
}

/// An untitled thread of `project` with the agent, access and mode of
/// `last` (the project's newest thread), else the defaults.
pub fn untitled(project: ProjectId, last: Option<&ThreadRow>) -> Command {
    let provider = last.map_or(Provider::Codex, |t| t.provider);
    let mut command = Command::new_thread(ThreadId::new(), project, NEW_THREAD_TITLE, provider);
    if let (
        Command::ThreadCreate {
            runtime_mode,
            interaction_mode,
            ..
        },
        Some(last),
    ) = (&mut command, last)
    {
        *runtime_mode = last.runtime_mode;
        *interaction_mode = last.interaction_mode;
    }
    command
}
