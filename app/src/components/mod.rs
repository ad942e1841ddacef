//! Reusable pieces of the UI.

pub mod actions;
pub(crate) mod chunk;
mod composer;
mod dialogs;
mod diff_view;
mod drafts;
mod folder_field;
mod follow_up;
mod fuzzy;
mod git_panel;
mod live;
mod new_thread;
mod notify;
#[cfg(feature = "hydrate")]
mod offline_cache;
mod palette;
mod queue;
mod seen;
mod shortcuts;
mod sidebar;
mod store;
mod terminal_panel;
pub mod theme;
mod timeline;
mod usage;
mod waiting;
#[cfg(feature = "hydrate")]
mod xterm;

pub use actions::UiAction;
pub use composer::{Composer, ComposerState, agent_name};
pub use dialogs::{confirm, load_page, prompt};
pub use diff_view::DiffPanel;
pub use folder_field::FolderField;
pub use follow_up::{FollowUp, preferred as follow_up, set_preferred as set_follow_up};
pub use git_panel::GitPanel;
pub use live::{ConnectionBanner, LiveUpdates};
pub use new_thread::{start_thread, untitled};
pub use notify::{Notifier, NotifyPref, use_notify_pref};
#[cfg(feature = "hydrate")]
pub use notify::{set_enabled as set_notifications, set_sound, sound_on};
#[cfg(feature = "hydrate")]
pub use offline_cache::{clear as clear_offline_copy, size as offline_copy_size};
pub use palette::Palette;
pub use seen::{Seen, use_seen};
pub use shortcuts::{KeyList, Shortcuts, use_overlay};
pub use sidebar::Sidebar;
pub use store::{
    Connection, OFFLINE_CAP_BYTES, PageMerge, ProjectRow, Store, ThreadRow, dispatch_action,
    rows_of, use_store,
};
pub use terminal_panel::TerminalPanel;
pub use timeline::Turn;
pub use usage::{ThreadUsage, usage_text};
pub use waiting::WaitingCount;
