//! The HTTP surface: SSR pages, server functions, the event stream and the
//! static site files.

pub mod events;

use crate::backend::ServerBackend;
use axum::Router;
use axum::extract::FromRef;
use axum::routing::get;
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use peon_app::api::backend::SharedBackend;
use peon_app::{App, shell};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tower_http::services::ServeDir;

/// How often an idle event stream sends a heartbeat.
pub const HEARTBEAT: Duration = Duration::from_secs(15);

#[derive(Clone)]
struct AppState {
    leptos: LeptosOptions,
    events: events::EventsState,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}

impl FromRef<AppState> for events::EventsState {
    fn from_ref(state: &AppState) -> Self {
        state.events.clone()
    }
}

/// The service worker, served from the root so its scope is the whole app,
/// and never cached by the browser's HTTP cache so updates reach clients.
async fn service_worker() -> impl axum::response::IntoResponse {
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/javascript; charset=utf-8",
            ),
            (axum::http::header::CACHE_CONTROL, "no-cache"),
        ],
        include_str!("sw.js"),
    )
}

/// Builds the router. `site_root` holds `pkg/` (WASM, JS, CSS); without it
/// pages still render, unstyled and without interactivity.
pub fn router(backend: ServerBackend, site_root: Option<PathBuf>, addr: SocketAddr) -> Router {
    let site = site_root.clone().unwrap_or_else(|| PathBuf::from("site"));
    let leptos = LeptosOptions::builder()
        .output_name("peon")
        .site_root(site.display().to_string())
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .build();
    let state = AppState {
        leptos: leptos.clone(),
        events: events::EventsState {
            engine: backend.engine.clone(),
            store: crate::persistence::EventStore::new(backend.db.pool.clone()),
            heartbeat: HEARTBEAT,
        },
    };
    let backend: SharedBackend = Arc::new(backend);
    let routes = generate_route_list(App);
    let context = move || provide_context(backend.clone());
    let app = Router::new()
        .route("/api/events", get(events::events))
        .route("/sw.js", get(service_worker))
        .leptos_routes_with_context(&state, routes, context, move || shell(leptos.clone()));
    let app = match site_root {
        Some(root) => app.fallback_service(ServeDir::new(root)),
        None => app,
    };
    app.with_state(state)
}
