//! The HTTP surface: SSR pages, server functions and static site files.

use crate::backend::ServerBackend;
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use peon_app::api::backend::SharedBackend;
use peon_app::{App, shell};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tower_http::services::ServeDir;

/// Builds the router. `site_root` holds `pkg/` (WASM, JS, CSS); without it
/// pages still render, unstyled and without interactivity.
pub fn router(backend: ServerBackend, site_root: Option<PathBuf>, addr: SocketAddr) -> Router {
    let site = site_root.clone().unwrap_or_else(|| PathBuf::from("site"));
    let options = LeptosOptions::builder()
        .output_name("peon")
        .site_root(site.display().to_string())
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .build();
    let backend: SharedBackend = Arc::new(backend);
    let routes = generate_route_list(App);
    let context = move || provide_context(backend.clone());
    let app = Router::new().leptos_routes_with_context(&options, routes, context, {
        let options = options.clone();
        move || shell(options.clone())
    });
    let app = match site_root {
        Some(root) => app.fallback_service(ServeDir::new(root)),
        None => app,
    };
    app.with_state(options)
}
