//! The HTTP surface: SSR pages, server functions, the event stream and the
//! static site files.

pub mod events;
mod service_worker;

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
        .route("/sw.js", get(service_worker::handler(site_root.as_deref())))
        .leptos_routes_with_context(&state, routes, context, move || shell(leptos.clone()));
    let app = match site_root {
        Some(root) => app.fallback_service(ServeDir::new(root)),
        None => app,
    };
    // Compresses pages and assets; tower-http leaves event streams alone.
    app.layer(tower_http::compression::CompressionLayer::new())
        .with_state(state)
}
