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

/// The WASM each lazy route needs, by the route's name as the splitter
/// writes it (`thread_route` for `ThreadRoute`), read by the server from
/// the build's `__wasm_split.js` loader and provided as context. The
/// page names its route's chunks up front, so the browser fetches them
/// beside the main module instead of after it.
#[derive(Clone, Debug, Default)]
pub struct RoutePreloads(pub std::sync::Arc<std::collections::HashMap<String, Vec<String>>>);

/// The lazy route a path shows, by its split name (the routes in
/// `shell::App`).
pub fn lazy_route_of(path: &str) -> Option<&'static str> {
    if path.starts_with("/threads/") {
        Some("thread_route")
    } else if path.starts_with("/projects/") {
        Some("project_route")
    } else if path == "/settings" {
        Some("settings_route")
    } else {
        None
    }
}

/// The route name in a split module's name (`__thread_route_view_1234` →
/// `thread_route`); `None` for other lazy functions.
pub fn split_route_name(key: &str) -> Option<&str> {
    let name = key.strip_prefix("__")?;
    let (name, number) = name.rsplit_once("_view_")?;
    number.bytes().all(|b| b.is_ascii_digit()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_and_manifest_keys_meet_by_name() {
        assert_eq!(lazy_route_of("/threads/t1"), Some("thread_route"));
        assert_eq!(lazy_route_of("/projects/p1"), Some("project_route"));
        assert_eq!(lazy_route_of("/settings"), Some("settings_route"));
        assert_eq!(lazy_route_of("/"), None);
        assert_eq!(
            split_route_name("__thread_route_view_5215267527785660091"),
            Some("thread_route")
        );
        assert_eq!(split_route_name("chunk_4"), None);
        assert_eq!(split_route_name("__thread_route_view_x1"), None);
    }
}
