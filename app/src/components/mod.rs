//! Reusable pieces of the UI.

mod sidebar;
mod store;

pub use sidebar::Sidebar;
pub use store::{Store, dispatch_action, use_store};
