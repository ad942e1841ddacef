//! The routes the first page does not need, each its own WASM chunk: the
//! browser fetches a route's code the first time it is shown (on the server
//! they render inline). The home page stays in the main module, so opening
//! peon downloads only what `/` draws.

use super::{ProjectPage, SettingsPage, ThreadPageView};
use leptos::prelude::*;
use leptos_router::{LazyRoute, lazy_route};

/// `/projects/:id`.
pub struct ProjectRoute;

#[lazy_route]
impl LazyRoute for ProjectRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <ProjectPage /> }.into_any()
    }
}

/// `/threads/:id`: the timeline, composer, diff viewer, git and terminal
/// panels, markdown and highlighting.
pub struct ThreadRoute;

#[lazy_route]
impl LazyRoute for ThreadRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <ThreadPageView /> }.into_any()
    }
}

/// `/settings`: server info, logins, offline data.
pub struct SettingsRoute;

#[lazy_route]
impl LazyRoute for SettingsRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <SettingsPage /> }.into_any()
    }
}
