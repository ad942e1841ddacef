//! The HTML document and the router.

use crate::pages::{HomePage, NotFound, ProjectPage, SettingsPage, ThreadPageView};
use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    SsrMode,
    components::{Route, Router, Routes},
    path,
};

/// The style sheet's accent, for the browser's chrome (also in the
/// server's web app manifest, served with the icons at these paths).
pub const THEME_COLOUR: &str = "#4f46e5";
pub const MANIFEST: &str = "/manifest.webmanifest";
pub const ICON_SVG: &str = "/icon.svg";
pub const APPLE_TOUCH_ICON: &str = "/apple-touch-icon.png";
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
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <meta name="theme-color" content=THEME_COLOUR />
                <link rel="icon" href=ICON_SVG type="image/svg+xml" />
                <link rel="apple-touch-icon" href=APPLE_TOUCH_ICON />
                <link rel="manifest" href=MANIFEST />
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

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Lets tests (and people debugging) see when the client has taken over.
    Effect::new(|_| {
        #[cfg(feature = "hydrate")]
        if let Some(body) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.body())
        {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    view! {
        <Stylesheet id="leptos" href="/pkg/peon.css" />
        <Title text="peon" />
        <Router>
            <crate::components::LiveUpdates />
            <crate::components::ConnectionBanner />
            <div class="layout">
                <crate::components::Sidebar />
                <main class="content">
                    // Async SSR: the whole page, data included, is in the HTML
                    // (readable without JavaScript) and a 404 status can be set.
                    <Routes fallback=|| view! { <NotFound /> }>
                        <Route path=path!("/") view=HomePage ssr=SsrMode::Async />
                        <Route path=path!("/projects/:id") view=ProjectPage ssr=SsrMode::Async />
                        <Route path=path!("/threads/:id") view=ThreadPageView ssr=SsrMode::Async />
                        <Route path=path!("/settings") view=SettingsPage ssr=SsrMode::Async />
                    </Routes>
                </main>
            </div>
        </Router>
    }
}
