//! One module per route.

mod empty_thread;
mod home;
mod kept_thread;
mod lazy;
mod logins;
mod not_found;
mod notify_card;
mod offline_data;
mod project;
mod settings;
mod thread;

pub use home::HomePage;
pub use lazy::{
    ProjectRoute, RoutePreloads, SettingsRoute, ThreadRoute, lazy_route_of, split_route_name,
};
pub use not_found::NotFound;
pub use project::ProjectPage;
pub use settings::SettingsPage;
pub use thread::ThreadPageView;

/// The message of a server function error, for the user.
pub(crate) fn error_text(e: &crate::api::ApiError) -> String {
    e.to_string()
}
