//! The HTTP surface: SSR pages, server functions, the event stream and the
//! static site files.

mod app_shell;
mod errors;
pub mod events;
pub mod install;
mod service_worker;
mod terminal_socket;

use crate::backend::ServerBackend;
use crate::security::{self, CspNonce, Security};
use axum::Router;
use axum::extract::FromRef;
use axum::http::{HeaderValue, header};
use axum::routing::get;
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use peon_app::api::access::backend::SharedAccess;
use peon_app::api::backend::SharedBackend;
use peon_app::{App, shell};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

/// How often an idle event stream sends a heartbeat.
pub const HEARTBEAT: Duration = Duration::from_secs(15);

#[derive(Clone)]
struct AppState {
    leptos: LeptosOptions,
    events: events::EventsState,
    terminals: crate::terminals::Terminals,
}

impl FromRef<AppState> for crate::terminals::Terminals {
    fn from_ref(state: &AppState) -> Self {
        state.terminals.clone()
    }
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
/// pages still render, unstyled and without interactivity. Every route is
/// behind `security`'s guard.
pub fn router(
    backend: ServerBackend,
    site_root: Option<PathBuf>,
    addr: SocketAddr,
    security: Security,
) -> Router {
    let max_body = backend.limits.max_body_bytes;
    let build = site_root.map(crate::site::Build::scan);
    let site = build
        .as_ref()
        .map_or_else(|| PathBuf::from("site"), |b| b.root.clone());
    let pkg_dir = build
        .as_ref()
        .map_or_else(|| "pkg".to_string(), |b| b.pkg_dir());
    let leptos = LeptosOptions::builder()
        .output_name("peon")
        .site_root(site.display().to_string())
        .site_pkg_dir(pkg_dir.clone())
        .site_addr(addr)
        .build();
    let state = AppState {
        leptos: leptos.clone(),
        events: events::EventsState {
            engine: backend.engine.clone(),
            heartbeat: HEARTBEAT,
            events: crate::persistence::EventStore::new(backend.db.pool.clone()),
        },
        terminals: backend.terminals.clone(),
    };
    let keymap = backend.keymap.clone();
    let shell_keys = keymap.encode();
    let backend: SharedBackend = Arc::new(backend);
    let access: SharedAccess = Arc::new(security.clone());
    let preloads = peon_app::pages::RoutePreloads(Arc::new(
        build
            .as_ref()
            .map(|b| b.preloads.clone())
            .unwrap_or_default(),
    ));
    let routes = generate_route_list(App);
    let context = move || {
        provide_context(backend.clone());
        provide_context(access.clone());
        provide_context(preloads.clone());
        provide_context(keymap.clone());
        // The inline hydration scripts carry this response's CSP nonce.
        if let Some(nonce) = use_context::<axum::http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<CspNonce>().cloned())
        {
            provide_context(leptos::nonce::Nonce::from_value(nonce.0));
        }
    };
    let app = Router::new()
        .route("/api/events", get(events::events))
        .route("/api/terminals/{id}/socket", get(terminal_socket::socket))
        .route("/sw.js", get(service_worker::handler(build.as_ref())))
        .route(
            peon_app::APP_SHELL,
            get(app_shell::handler(pkg_dir, shell_keys)),
        )
        .merge(install::routes())
        .leptos_routes_with_context(&state, routes, context, move || shell(leptos.clone()));
    let app = match build {
        Some(build) => {
            let files = |dir: PathBuf| ServeDir::new(dir).precompressed_br().precompressed_gzip();
            app
                // This build's files, under a name only this build has:
                // the browser keeps them without asking again.
                .nest_service(
                    &format!("/{}", build.pkg_dir()),
                    tower::ServiceBuilder::new()
                        .layer(SetResponseHeaderLayer::overriding(
                            header::CACHE_CONTROL,
                            HeaderValue::from_static("public, max-age=31536000, immutable"),
                        ))
                        .service(files(build.root.join("pkg"))),
                )
                // The rest (xterm.js, the same files by their plain names)
                // is asked for again each time: a 304 when unchanged.
                .fallback_service(
                    tower::ServiceBuilder::new()
                        .layer(SetResponseHeaderLayer::if_not_present(
                            header::CACHE_CONTROL,
                            HeaderValue::from_static("no-cache"),
                        ))
                        .service(files(build.root)),
                )
        }
        None => app,
    };
    let login = Router::new()
        .route(
            security::LOGIN_PATH,
            get(security::login_page).post(security::login_submit),
        )
        .route(security::LOGOUT_PATH, axum::routing::post(security::logout))
        .with_state(security.clone());
    // Compresses pages and assets; tower-http leaves event streams alone.
    app.layer(axum::middleware::from_fn(errors::error_status))
        .layer(tower_http::compression::CompressionLayer::new())
        .with_state(state)
        .merge(login)
        .layer(axum::extract::DefaultBodyLimit::max(max_body))
        // Also caps bodies sent without a length (chunked).
        .layer(tower_http::limit::RequestBodyLimitLayer::new(max_body))
        .layer(axum::middleware::from_fn_with_state(
            security,
            security::guard,
        ))
}
