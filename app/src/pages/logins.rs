//! The settings page's "Logins" card: the sessions holding a login (sign
//! one out, or all), signing this browser out, and a one-time link with a
//! QR code to log in another device.

use super::error_text;
use crate::api::{
    AuthSession, LoginLink, end_all_sessions, end_session, get_sessions, make_login_link,
};
use crate::components::{confirm, load_page};
use chrono::{DateTime, Utc};
use leptos::prelude::*;

#[component]
pub fn LoginsCard() -> impl IntoView {
    let refresh = RwSignal::new(0u32);
    let sessions = Resource::new(move || refresh.get(), |_| get_sessions());
    let problem = RwSignal::new(None::<String>);
    let end = move |key: String| {
        leptos::task::spawn_local(async move {
            match end_session(key).await {
                Ok(()) => refresh.update(|r| *r += 1),
                Err(e) => problem.set(Some(error_text(&e))),
            }
        });
    };
    let end_all = move |_| {
        if !confirm("Sign out every browser, this one too?") {
            return;
        }
        leptos::task::spawn_local(async move {
            match end_all_sessions().await {
                Ok(()) => load_page("/login"),
                Err(e) => problem.set(Some(error_text(&e))),
            }
        });
    };
    view! {
        <div class="card logins" data-testid="logins">
            <h2>"Logins"</h2>
            {move || problem.get().map(|p| view! { <p class="error">{p}</p> })}
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    sessions.get().map(|r| match r {
                        Ok(list) if !list.token_required => view! {
                            <p class="error" data-testid="no-auth">
                                "peon runs without a token (--no-auth): every user and process \
                                 on this machine can use it."
                            </p>
                        }
                            .into_any(),
                        Ok(list) => view! {
                            <ul class="sessions" data-testid="sessions">
                                {list.sessions.into_iter().map(|s| view! { <SessionRow s end /> }).collect_view()}
                            </ul>
                            <div class="row">
                                <form method="post" action="/logout">
                                    <button type="submit" data-testid="logout">"Sign out this browser"</button>
                                </form>
                                <button class="danger" data-testid="end-all-sessions" on:click=end_all>
                                    "Sign out everywhere"
                                </button>
                            </div>
                            <AnotherDevice />
                        }
                            .into_any(),
                        Err(e) => view! { <p class="error">{error_text(&e)}</p> }.into_any(),
                    })
                }}
            </Transition>
        </div>
    }
}

#[component]
fn SessionRow(
    s: AuthSession,
    end: impl Fn(String) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let (key, current) = (s.key, s.current);
    view! {
        <li data-testid="session" data-current=current.to_string()>
            <strong title=s.user_agent.clone()>{browser_name(&s.user_agent)}</strong>
            {current.then(|| view! { " " <span class="badge completed">"this browser"</span> })}
            <dl class="facts">
                <dt>"From"</dt>
                <dd>{s.address}</dd>
                <dt>"Logged in"</dt>
                <dd>{when(s.created_at)}</dd>
                <dt>"Last seen"</dt>
                <dd>{when(s.last_seen_at)}</dd>
                <dt>"Ends"</dt>
                <dd>{when(s.expires_at)}</dd>
            </dl>
            // This browser signs out with the button below the list.
            {(!current).then(|| view! {
                <button class="secondary" data-testid="end-session" on:click=move |_| end(key.clone())>
                    "Sign out"
                </button>
            })}
        </li>
    }
}

/// A fresh one-time link on demand, as text and as a QR code to scan.
#[component]
fn AnotherDevice() -> impl IntoView {
    let link = RwSignal::new(None::<Result<LoginLink, String>>);
    let make = move |_| {
        leptos::task::spawn_local(async move {
            link.set(Some(make_login_link().await.map_err(|e| error_text(&e))));
        });
    };
    view! {
        <h3>"Another device"</h3>
        <button data-testid="show-login-link" on:click=make>"Show a login link"</button>
        {move || link.get().map(|made| match made {
            Ok(l) => view! {
                <div class="login-link">
                    <div class="qr" data-testid="login-qr" inner_html=l.qr_svg></div>
                    <p>
                        <code data-testid="login-link">{l.url}</code>
                    </p>
                    <p class="muted">"Works once, until " {when(l.expires_at)} "."</p>
                    {l.loopback_only.then(|| view! {
                        <p class="muted" data-testid="loopback-only">
                            "This address is this machine's own: another device needs peon on \
                             an address it can reach (--host, behind a proxy)."
                        </p>
                    })}
                </div>
            }
                .into_any(),
            Err(e) => view! { <p class="error">{e}</p> }.into_any(),
        })}
    }
}

fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// "Firefox on Linux" from a user agent; the whole string is the title.
fn browser_name(agent: &str) -> String {
    let browser = [
        ("Edg/", "Edge"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
    ]
    .iter()
    .find(|(mark, _)| agent.contains(mark))
    .map(|(_, name)| *name);
    let system = [
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Mac OS X", "macOS"),
        ("Windows", "Windows"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(mark, _)| agent.contains(mark))
    .map(|(_, name)| *name);
    match (browser, system) {
        (Some(b), Some(s)) => format!("{b} on {s}"),
        (Some(b), None) => b.to_string(),
        _ if agent.trim().is_empty() => "Unknown browser".to_string(),
        _ => agent.chars().take(40).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::browser_name;

    #[test]
    fn browsers_are_named_by_their_user_agent() {
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
                      Chrome/131.0.0.0 Safari/537.36";
        assert_eq!(browser_name(chrome), "Chrome on Linux");
        let safari = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 \
                      (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
        assert_eq!(browser_name(safari), "Safari on iOS");
        assert_eq!(browser_name(""), "Unknown browser");
        assert_eq!(browser_name("my-script/1"), "my-script/1");
    }
}
