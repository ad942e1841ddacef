use super::error_text;
use crate::api::get_server_info;
use leptos::prelude::*;

#[component]
pub fn SettingsPage() -> impl IntoView {
    let refresh = RwSignal::new(0u32);
    let info = Resource::new(move || refresh.get(), |_| get_server_info());
    view! {
        <section class="page settings" data-testid="settings-page">
            <header class="page-header">
                <h1>"Settings"</h1>
            </header>
            <div class="card">
                <h2>"Server"</h2>
                <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || {
                        info.get()
                            .map(|r| match r {
                                Ok(info) => {
                                    view! {
                                        <dl class="facts" data-testid="server-info">
                                            <dt>"peon"</dt>
                                            <dd>{info.version}</dd>
                                            <dt>"Data folder"</dt>
                                            <dd><code>{info.data_dir}</code></dd>
                                            <dt>"SQLite"</dt>
                                            <dd>{info.sqlite_version}</dd>
                                            <dt>"Events in the log"</dt>
                                            <dd data-testid="event-count">{info.event_count}</dd>
                                            <dt>"Last sequence"</dt>
                                            <dd>{info.last_sequence}</dd>
                                        </dl>
                                    }
                                        .into_any()
                                }
                                Err(e) => view! { <p class="error">{error_text(&e)}</p> }.into_any(),
                            })
                    }}
                </Transition>
                <button data-testid="refresh-info" on:click=move |_| refresh.update(|r| *r += 1)>
                    "Check database"
                </button>
            </div>
        </section>
    }
}
