//! The way in, against the real binary: the one-time login link peon
//! prints (and `peon login-url` makes), login sessions kept on the server
//! (logout and "sign out" end them, a restart keeps them), and `--no-auth`
//! only where it is safe.
#![cfg(unix)]

use peon_tests::{Peon, no_redirects, run_peon, session_cookie, snapshot_status};
use reqwest::{Client, Response};
use serde_json::Value;
use std::time::Duration;

/// Follows `link`; the `name=value` of the cookie it set, if it logged in.
async fn follow(client: &Client, link: &str, user_agent: &str) -> (Response, Option<String>) {
    let response = client
        .get(link)
        .header("user-agent", user_agent)
        .send()
        .await
        .expect("follow the link");
    let cookie = session_cookie(&response)
        .map(|c| c.split(';').next().expect("name=value").trim().to_string());
    (response, cookie)
}

/// A fresh link from `peon login-url` for the peon on `data_dir`.
fn login_url(data_dir: &std::path::Path) -> String {
    let (ok, said) = run_peon(&["login-url", "--data-dir", &data_dir.display().to_string()]);
    assert!(ok, "peon login-url failed: {said}");
    said.lines()
        .find(|l| l.contains("/login?code="))
        .unwrap_or_else(|| panic!("no link in: {said}"))
        .trim()
        .to_string()
}

async fn page_text(response: Response) -> String {
    response.text().await.expect("body")
}

/// The link printed at start logs in once, landing on `/` so the code
/// leaves the address bar; a second use, a forged code and a link of
/// `peon login-url` after it was used behave as they should.
#[tokio::test]
async fn the_printed_link_logs_in_once_and_lands_on_a_clean_url() {
    let dir = tempfile::tempdir().expect("dir");
    let peon = Peon::start_guarded(dir.path(), &[]);
    let client = no_redirects();
    let link = peon.login_link();
    assert!(
        link.starts_with(&format!("{}/login?code=", peon.url)),
        "{link}"
    );
    assert!(
        !link.contains(&peon.token()),
        "the token is not in the link"
    );

    let (response, cookie) = follow(&client, &link, "Test browser").await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok()),
        Some("/"),
        "a clean URL"
    );
    let cookie = cookie.expect("a login cookie");
    assert_eq!(snapshot_status(&client, &peon.url, &cookie).await, 200);

    let (again, none) = follow(&client, &link, "Someone else").await;
    assert_eq!(again.status(), 401, "a link works once");
    assert!(none.is_none(), "no cookie the second time");
    assert!(
        page_text(again).await.contains("used already"),
        "the page says why"
    );

    let forged = link.replace("code=", "code=1");
    let (response, none) = follow(&client, &forged, "Guesser").await;
    assert_eq!(response.status(), 401);
    assert!(none.is_none());
    assert!(page_text(response).await.contains("not one peon made"));

    // `peon login-url` makes a fresh link for the running peon from the
    // token file and the address it noted.
    let fresh = login_url(&peon.data_dir);
    assert!(fresh.starts_with(&peon.url), "{fresh} is for {}", peon.url);
    assert_ne!(fresh, link);
    let (response, cookie) = follow(&client, &fresh, "Second browser").await;
    assert_eq!(response.status(), 303, "the fresh link logs in");
    assert_eq!(
        snapshot_status(&client, &peon.url, &cookie.expect("cookie")).await,
        200
    );
}

/// A link is worthless once its minutes are up.
#[tokio::test]
async fn a_login_link_expires() {
    let dir = tempfile::tempdir().expect("dir");
    let peon = Peon::start_guarded(dir.path(), &["--login-link-secs", "1"]);
    let link = peon.login_link();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let (response, cookie) = follow(&no_redirects(), &link, "Late browser").await;
    assert_eq!(response.status(), 401);
    assert!(cookie.is_none());
    assert!(page_text(response).await.contains("expired"));
}

/// The sessions a browser holds are listed (user agent, this one marked),
/// survive a restart, and end on the server: a cookie copied before its
/// session was signed out, or before logging out, is refused.
#[tokio::test]
async fn sessions_are_listed_and_end_on_the_server() {
    let dir = tempfile::tempdir().expect("dir");
    let peon = Peon::start_guarded(dir.path(), &[]);
    let client = no_redirects();
    let (_, a) = follow(&client, &peon.login_link(), "Browser A").await;
    let a = a.expect("A logged in");
    let (_, b) = follow(&client, &login_url(&peon.data_dir), "Browser B").await;
    let b = b.expect("B logged in");

    let list = |cookie: String| {
        let (client, url) = (client.clone(), peon.url.clone());
        async move {
            let response = client
                .post(format!("{url}/api/sessions"))
                .header("cookie", cookie)
                .send()
                .await
                .expect("sessions");
            assert_eq!(response.status(), 200);
            response.json::<Value>().await.expect("JSON")
        }
    };
    let listed = list(a.clone()).await;
    assert_eq!(listed["token_required"], true);
    let sessions = listed["sessions"].as_array().expect("sessions");
    assert_eq!(sessions.len(), 2, "{listed}");
    let mine: Vec<&Value> = sessions.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(mine.len(), 1, "one is the asking browser's");
    assert_eq!(mine[0]["user_agent"], "Browser A");
    let key_of_b = sessions
        .iter()
        .find(|s| s["user_agent"] == "Browser B")
        .and_then(|s| s["key"].as_str())
        .expect("B listed")
        .to_string();
    assert!(
        !a.contains(&key_of_b) && !b.contains(&key_of_b),
        "the key shown is not the cookie's secret"
    );

    // Sign B out from A: B's cookie is refused, A's still works.
    let ended = client
        .post(format!("{}/api/end_session", peon.url))
        .header("cookie", &a)
        .form(&[("key", key_of_b.as_str())])
        .send()
        .await
        .expect("end session");
    assert_eq!(ended.status(), 200, "{:?}", ended.text().await);
    assert_eq!(
        snapshot_status(&client, &peon.url, &b).await,
        401,
        "B ended"
    );
    assert_eq!(
        snapshot_status(&client, &peon.url, &a).await,
        200,
        "A lives"
    );
    let unknown = client
        .post(format!("{}/api/end_session", peon.url))
        .header("cookie", &a)
        .form(&[("key", "no-such-session")])
        .send()
        .await
        .expect("end unknown");
    assert_eq!(unknown.status(), 404);
    let body: Value = unknown.json().await.expect("JSON error");
    assert_eq!(body["kind"], "not_found", "{body}");

    // A restart keeps the sessions that were not ended.
    let data = peon.data_dir.clone();
    peon.stop();
    let peon = Peon::start_guarded(dir.path(), &[]);
    assert_eq!(peon.data_dir, data);
    assert_eq!(snapshot_status(&client, &peon.url, &a).await, 200, "A kept");
    assert_eq!(
        snapshot_status(&client, &peon.url, &b).await,
        401,
        "B stays ended"
    );

    // Logging out ends the session itself, not only the browser's copy.
    let copied = a.clone();
    let out = client
        .post(format!("{}/logout", peon.url))
        .header("cookie", &a)
        .send()
        .await
        .expect("logout");
    assert_eq!(out.status(), 303);
    assert_eq!(
        snapshot_status(&client, &peon.url, &copied).await,
        401,
        "a cookie copied before logout is refused"
    );

    // Sign out everywhere ends every session, the asking one too.
    let (_, c) = follow(&client, &login_url(&peon.data_dir), "Browser C").await;
    let (_, d) = follow(&client, &login_url(&peon.data_dir), "Browser D").await;
    let (c, d) = (c.expect("C"), d.expect("D"));
    let all = client
        .post(format!("{}/api/end_all_sessions", peon.url))
        .header("cookie", &c)
        .send()
        .await
        .expect("end all");
    assert_eq!(all.status(), 200);
    for cookie in [&c, &d] {
        assert_eq!(snapshot_status(&client, &peon.url, cookie).await, 401);
    }
}

/// The settings page's link for another device: a fresh one-time link on
/// the address the browser used, drawn as an SVG QR code.
#[tokio::test]
async fn the_settings_link_for_another_device_works_once() {
    let dir = tempfile::tempdir().expect("dir");
    let peon = Peon::start_guarded(dir.path(), &[]);
    let client = no_redirects();
    let made = client
        .post(format!("{}/api/login_link", peon.url))
        .bearer_auth(peon.token())
        .send()
        .await
        .expect("login link");
    assert_eq!(made.status(), 200);
    let made: Value = made.json().await.expect("JSON");
    let url = made["url"].as_str().expect("url");
    assert!(
        url.starts_with(&format!("{}/login?code=", peon.url)),
        "{url}"
    );
    assert_eq!(
        made["loopback_only"], true,
        "127.0.0.1 is this machine only"
    );
    assert!(made["qr_svg"].as_str().expect("svg").starts_with("<?xml"));
    let (first, cookie) = follow(&client, url, "Phone").await;
    assert_eq!(first.status(), 303);
    assert!(cookie.is_some());
    assert_eq!(follow(&client, url, "Phone").await.0.status(), 401);
}

/// `--no-auth` lets everyone on this machine drive peon, so it is refused
/// wherever others could reach it, and it contradicts a token.
#[test]
fn no_auth_is_refused_where_others_could_reach_peon() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data").display().to_string();
    for (args, says) in [
        (vec!["--host", "0.0.0.0", "--no-auth"], "refused on 0.0.0.0"),
        (
            vec!["--no-auth", "--allowed-host", "peon.example"],
            "with --allowed-host",
        ),
        (
            vec!["--no-auth", "--auth-token", "a-token-of-mine"],
            "contradict",
        ),
    ] {
        let mut all = vec!["--data-dir", data.as_str(), "--port", "0"];
        all.extend(args.iter());
        let (ok, said) = run_peon(&all);
        assert!(!ok, "{args:?} started");
        assert!(said.contains(says), "{args:?}: {said}");
    }
    assert!(
        !dir.path().join("data").join("peon.sqlite3").exists(),
        "a refused start made no database"
    );
}

/// Without a token yet, `peon login-url` says how to get one.
#[test]
fn login_url_before_any_token_says_how_to_get_one() {
    let dir = tempfile::tempdir().expect("dir");
    let (ok, said) = run_peon(&["login-url", "--data-dir", &dir.path().display().to_string()]);
    assert!(!ok);
    assert!(said.contains("start peon once"), "{said}");
}

/// Waits until `stream` ends (or errs); panics after 10 s.
async fn ends<S: futures::Stream + Unpin>(stream: &mut S, what: &str) {
    use futures::StreamExt;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        match tokio::time::timeout_at(deadline, stream.next()).await {
            Err(_) => panic!("{what} stayed open"),
            Ok(None) => return,
            Ok(Some(_)) => {}
        }
    }
}

/// An event stream or terminal socket opened with a session outlives the
/// request that let it in: logging out closes them, and a new token closes
/// those opened with the old one.
#[tokio::test]
async fn open_connections_end_with_their_session() {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let dir = tempfile::tempdir().expect("dir");
    let workspace = dir.path().join("ws");
    std::fs::create_dir(&workspace).expect("mkdir");
    let peon = Peon::start_guarded(dir.path(), &[]);
    let (client, token) = (no_redirects(), peon.token());
    let (project, thread) = (peon_tests::new_id(), peon_tests::new_id());
    for command in [
        serde_json::json!({"type": "project.create", "project_id": project, "title": "p",
               "workspace_root": workspace.display().to_string()}),
        serde_json::json!({"type": "thread.create", "thread_id": thread, "project_id": project,
               "title": "t", "provider": "codex", "runtime_mode": "full-access",
               "interaction_mode": "default"}),
    ] {
        let sent = client
            .post(format!("{}/api/dispatch", peon.url))
            .bearer_auth(&token)
            .json(&serde_json::json!({"envelope": {"command_id": peon_tests::new_id(), "command": command}}))
            .send()
            .await
            .expect("dispatch");
        assert_eq!(sent.status(), 200);
    }
    let terminals: Value = client
        .post(format!("{}/api/terminals", peon.url))
        .bearer_auth(&token)
        .json(&serde_json::json!({"thread_id": thread, "action": {"action": "open"}}))
        .send()
        .await
        .expect("open terminal")
        .json()
        .await
        .expect("JSON");
    let terminal = terminals[0]["id"].as_str().expect("terminal id");

    let (_, cookie) = follow(&client, &peon.login_link(), "Browser").await;
    let cookie = cookie.expect("logged in");
    let events = |auth: (&'static str, String)| {
        let (client, url) = (client.clone(), peon.url.clone());
        async move {
            let response = client
                .get(format!("{url}/api/events"))
                .header(auth.0, auth.1)
                .send()
                .await
                .expect("events");
            assert_eq!(response.status(), 200);
            response.bytes_stream()
        }
    };
    let mut by_cookie = events(("cookie", cookie.clone())).await;
    let mut by_bearer = events(("authorization", format!("Bearer {token}"))).await;
    let mut request = format!(
        "{}/api/terminals/{terminal}/socket",
        peon.url.replace("http://", "ws://")
    )
    .into_client_request()
    .expect("request");
    request
        .headers_mut()
        .insert("origin", peon.url.parse().expect("origin"));
    request
        .headers_mut()
        .insert("cookie", cookie.parse().expect("cookie"));
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("the socket opens with the session");

    let out = client
        .post(format!("{}/logout", peon.url))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("logout");
    assert_eq!(out.status(), 303);
    assert!(
        out.headers()
            .get("clear-site-data")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("storage")),
        "logging out asks the browser to forget the offline copy"
    );
    ends(&mut by_cookie, "the session's event stream").await;
    ends(&mut socket, "the session's terminal socket").await;

    let (ok, said) = run_peon(&[
        "rotate-token",
        "--data-dir",
        &peon.data_dir.display().to_string(),
    ]);
    assert!(ok, "{said}");
    ends(&mut by_bearer, "the old token's event stream").await;
}
