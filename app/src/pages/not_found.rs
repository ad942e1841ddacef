use leptos::prelude::*;
use leptos_router::components::A;

/// Shown for unknown routes and unknown ids; answers HTTP 404 when rendered
/// on the server.
#[component]
pub fn NotFound(#[prop(optional, into)] what: Option<String>) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    let what = what.unwrap_or_else(|| "This page".to_string());
    view! {
        <section class="not-found" data-testid="not-found">
            <h1>"Not found"</h1>
            <p>{format!("{what} does not exist, or was deleted.")}</p>
            <A href="/">"Back to projects"</A>
        </section>
    }
}
