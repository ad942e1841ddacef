//! One module per route.

mod home;
mod not_found;
mod project;
mod settings;
mod thread;

pub use home::HomePage;
pub use not_found::NotFound;
pub use project::ProjectPage;
pub use settings::SettingsPage;
pub use thread::ThreadPageView;

/// The message of a server function error, without the transport's prefix.
pub(crate) fn error_text(e: &leptos::prelude::ServerFnError) -> String {
    let text = e.to_string();
    text.strip_prefix("error running server function: ")
        .unwrap_or(&text)
        .to_string()
}
