//! The HTML document and the router.

use crate::pages::{HomePage, NotFound, ProjectRoute, SettingsRoute, ThreadRoute};
use leptos::prelude::*;
use leptos_meta::{MetaTags, provide_meta_context};
use leptos_router::{
    Lazy, SsrMode,
    components::{Route, Router, Routes},
    path,
};

/// The style sheet's accent, for the browser's chrome (also in the
/// server's web app manifest, served with the icons at these paths).
pub const THEME_COLOUR: &str = "#4f46e5";
pub const MANIFEST: &str = "/manifest.webmanifest";
pub const ICON_SVG: &str = "/icon.svg";
pub const APPLE_TOUCH_ICON: &str = "/apple-touch-icon.png";
/// The `<meta>` that tells the browser the keys (see `keymap`).
pub const KEYMAP_META: &str = "peon-keys";
/// A page with no content that starts the app in the browser (client-side
/// rendering); the service worker serves it for any page it has not kept.
pub const APP_SHELL: &str = "/app-shell";

/// The whole HTML document, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                // The page shrinks above a phone's keyboard, so the composer and the
                // approval buttons stay in view while typing.
                <meta name="viewport" content="width=device-width, initial-scale=1, interactive-widget=resizes-content" />
                <meta name="color-scheme" content="light dark" />
                <meta name="theme-color" content=THEME_COLOUR />
                <link rel="icon" href=ICON_SVG type="image/svg+xml" />
                <link rel="apple-touch-icon" href=APPLE_TOUCH_ICON />
                <link rel="manifest" href=MANIFEST />
                <meta name=KEYMAP_META content=crate::components::actions::keymap().encode() />
                <script nonce=leptos::nonce::use_nonce()>{crate::components::theme::APPLY_SCRIPT}</script>
                <link rel="stylesheet" href=format!("/{}/peon.css", options.site_pkg_dir) />
                {route_preloads()
                    .into_iter()
                    .map(|href| {
                        view! {
                            <link
                                rel="preload"
                                href=href
                                r#as="fetch"
                                r#type="application/wasm"
                                crossorigin="anonymous"
                            />
                        }
                    })
                    .collect_view()}
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The chunks of the lazy route this request shows (server only: the
/// document is never rendered in the browser).
fn route_preloads() -> Vec<String> {
    #[cfg(feature = "ssr")]
    {
        let path = use_context::<http::request::Parts>().map(|p| p.uri.path().to_string());
        let route = path.as_deref().and_then(crate::pages::lazy_route_of);
        if let (Some(route), Some(preloads)) = (route, use_context::<crate::pages::RoutePreloads>())
        {
            return preloads.0.get(route).cloned().unwrap_or_default();
        }
    }
    Vec::new()
}

// Whether hydration is over. Hydration walks the server's HTML and does not
// rewrite text that was already current when it started, so state that
// changes before it ends (the offline copy, live events) must wait for it,
// or the page keeps showing the server's older text.
#[cfg(feature = "hydrate")]
thread_local! {
    static READY: ArcRwSignal<bool> = ArcRwSignal::new(false);
}

/// Marks the page as driven by the client, once hydration (lazy route
/// included) is over: the live stream starts then, and tests and people
/// debugging wait for `data-hydrated`.
#[cfg(feature = "hydrate")]
pub fn mark_ready() {
    READY.with(|ready| ready.set(true));
    if let Some(body) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
    {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}

/// Whether hydration is over (tracked: an effect reading it runs again
/// when it ends).
#[cfg(feature = "hydrate")]
pub(crate) fn client_ready() -> bool {
    READY.with(|ready| ready.get())
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Shared by the sidebar and the thread page: provided at the root.
    crate::components::use_seen();
    crate::components::use_overlay();
    view! {
        <crate::components::WaitingCount />
        <Router>
            <crate::components::LiveUpdates />
            <crate::components::ConnectionBanner />
            <crate::components::Shortcuts />
            <crate::components::Palette />
            <crate::components::Notifier />
            <div class="layout">
                <crate::components::Sidebar />
                <main class="content">
                    // Async SSR: the whole page, data included, is in the HTML
                    // (readable without JavaScript) and a 404 status can be set.
                    <Routes fallback=|| view! { <NotFound /> }>
                        <Route path=path!("/") view=HomePage ssr=SsrMode::Async />
                        <Route path=path!("/projects/:id") view={Lazy::<ProjectRoute>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/threads/:id") view={Lazy::<ThreadRoute>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/settings") view={Lazy::<SettingsRoute>::new()} ssr=SsrMode::Async />
                    </Routes>
                </main>
            </div>
        </Router>
    }
}
