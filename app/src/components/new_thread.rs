//! A new thread in one click: no title asked (its first message names it,
//! see `title_from_message`), the agent the project used last, and straight
//! to the thread page with the composer focused.

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

/// An untitled thread of `project` with `provider`.
pub fn untitled(project: ProjectId, provider: Provider) -> Command {
    Command::new_thread(ThreadId::new(), project, NEW_THREAD_TITLE, provider)
}
