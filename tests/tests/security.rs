//! The attack suite: the real `peon` binary against callers it must turn
//! away — no or wrong credentials, expired logins, password guessing,
//! foreign Host and Origin headers (DNS rebinding, cross-site requests and
//! WebSockets), oversized or malformed bodies and project folders outside
//! the allowed roots. Every refusal must leave the event log untouched.
#![cfg(unix)]

use peon_tests::{
    Peon, new_id, no_redirects as client, peon_bin, run_peon, session_cookie, snapshot_status,
};
use reqwest::{Client, RequestBuilder, Response};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// URL- and form-safe, so it can be sent as `token=TOKEN` unencoded.
const TOKEN: &str = "peon-test-token-4f9c2a7e1b";

/// The port of `http://127.0.0.1:PORT`.
fn port_of(url: &str) -> String {
    url.trim_end_matches('/')
        .rsplit(':')
        .next()
        .expect("port")
        .to_string()
}

/// Adds the headers of a WebSocket upgrade.
fn websocket(request: RequestBuilder) -> RequestBuilder {
    request
        .header("connection", "Upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
}

/// A valid `project.create` envelope: if a refused request carrying it got
/// through, the log would grow.
fn create_project(workspace: &Path) -> Value {
    json!({"envelope": {"command_id": new_id(), "command": {
        "type": "project.create", "project_id": new_id(), "title": "",
        "workspace_root": workspace.display().to_string()}}})
}

/// The log's sequence and the number of projects, read with the bearer
/// token when one is given.
async fn log_state(client: &Client, url: &str, token: Option<&str>) -> (u64, usize) {
    let mut request = client.post(format!("{url}/api/snapshot"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("snapshot");
    assert_eq!(response.status(), 200, "snapshot");
    let snapshot: Value = response.json().await.expect("snapshot JSON");
    let sequence = snapshot["sequence"].as_u64().expect("sequence");
    let projects = snapshot["projects"].as_array().map_or(0, Vec::len);
    (sequence, projects)
}

/// The route name of a real terminal's WebSocket in `every_kind_of_route`.
const TERMINAL_SOCKET: &str = "WebSocket /api/terminals/<id>/socket";

/// A project, a thread and a running terminal in it, made with the token;
/// returns the terminal's id.
async fn open_terminal(client: &Client, url: &str, workspace: &Path, token: &str) -> String {
    let (project, thread) = (new_id(), new_id());
    for command in [
        json!({"type": "project.create", "project_id": project, "title": "p",
               "workspace_root": workspace.display().to_string()}),
        json!({"type": "thread.create", "thread_id": thread, "project_id": project,
               "title": "t", "provider": "codex", "runtime_mode": "full-access",
               "interaction_mode": "default"}),
    ] {
        let r = client
            .post(format!("{url}/api/dispatch"))
            .bearer_auth(token)
            .json(&json!({"envelope": {"command_id": new_id(), "command": command}}))
            .send()
            .await
            .expect("dispatch");
        assert_eq!(r.status(), 200, "set-up command");
    }
    let list: Value = client
        .post(format!("{url}/api/terminals"))
        .bearer_auth(token)
        .json(&json!({"thread_id": thread, "action": {"action": "open"}}))
        .send()
        .await
        .expect("open terminal")
        .json()
        .await
        .expect("terminals JSON");
    list[0]["id"].as_str().expect("a terminal id").to_string()
}

/// One request of every kind peon serves: SSR pages, server functions, the
/// event stream, WebSocket upgrades and static files.
fn every_kind_of_route(
    client: &Client,
    url: &str,
    workspace: &Path,
    terminal: &str,
) -> Vec<(&'static str, RequestBuilder)> {
    vec![
        ("GET /", client.get(format!("{url}/"))),
        ("GET /settings", client.get(format!("{url}/settings"))),
        (
            "GET /threads/<id>",
            client.get(format!("{url}/threads/{}", new_id())),
        ),
        (
            "POST /api/snapshot",
            client.post(format!("{url}/api/snapshot")),
        ),
        (
            "POST /api/dispatch",
            client
                .post(format!("{url}/api/dispatch"))
                .json(&create_project(workspace)),
        ),
        (
            "GET /api/events (SSE)",
            client.get(format!("{url}/api/events")),
        ),
        (
            "WebSocket /api/events",
            websocket(client.get(format!("{url}/api/events"))),
        ),
        (
            TERMINAL_SOCKET,
            websocket(client.get(format!("{url}/api/terminals/{terminal}/socket"))),
        ),
        ("GET /pkg/peon.js", client.get(format!("{url}/pkg/peon.js"))),
        ("GET /sw.js", client.get(format!("{url}/sw.js"))),
    ]
}

/// Posts the login form.
async fn login(client: &Client, url: &str, token: &str) -> Response {
    client
        .post(format!("{url}/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("token={token}"))
        .send()
        .await
        .expect("login")
}

/// Logs in with the right token and returns `peon_session=VALUE`.
async fn log_in(client: &Client, url: &str) -> String {
    let response = login(client, url, TOKEN).await;
    assert_eq!(response.status(), 303, "login with the right token");
    let cookie = session_cookie(&response).expect("login sets peon_session");
    cookie.split(';').next().expect("pair").trim().to_string()
}

/// A token opens peon to whoever holds it, so without one nothing but the
/// login page may answer: not the pages, not the server functions that run
/// commands, not the event stream, not a WebSocket, not even the static
/// files. A wrong bearer token or a forged cookie is no better than none,
/// and nothing a refused request carried reaches the log.
#[tokio::test]
async fn with_a_token_every_route_refuses_callers_without_valid_credentials() {
    let dir = tempfile::tempdir().expect("dir");
    let peon = Peon::start_with(dir.path(), &["--auth-token", TOKEN]);
    every_route_refuses_callers_without(&peon, TOKEN, dir.path()).await;
}

/// Any user or process of the machine can reach loopback, so peon started
/// as a user starts it (no token named, no flags) makes a token and wants
/// it there too: pages, server functions, the event stream, the real
/// terminal socket.
#[tokio::test]
async fn on_loopback_peon_wants_its_token_too() {
    let dir = tempfile::tempdir().expect("dir");
    let peon = Peon::start_guarded(dir.path(), &[]);
    assert!(peon.url.contains("127.0.0.1"), "{}", peon.url);
    let token = peon.token();
    assert_eq!(token.len(), 64, "peon made a token");
    every_route_refuses_callers_without(&peon, &token, dir.path()).await;
}

async fn every_route_refuses_callers_without(peon: &Peon, token: &str, dir: &Path) {
    let workspace = dir.join("ws");
    std::fs::create_dir(&workspace).expect("mkdir");
    let client = client();
    let terminal = open_terminal(&client, &peon.url, &workspace, token).await;
    let before = log_state(&client, &peon.url, Some(token)).await;

    let page = client
        .get(format!("{}/login", peon.url))
        .send()
        .await
        .expect("login page");
    assert_eq!(page.status(), 200, "the login page is open to all");
    assert!(
        page.text().await.expect("body").contains("token"),
        "a form with a token field"
    );

    // (A wrong bearer token counts as a guess, so it is tried on one route
    // here; `repeated_wrong_logins_are_throttled` covers many.)
    let wrong = client
        .post(format!("{}/api/snapshot", peon.url))
        .bearer_auth("wrong")
        .send()
        .await
        .expect("wrong bearer");
    assert_eq!(wrong.status(), 401, "a wrong bearer token");
    let credentials = [
        ("no credentials", None),
        ("a forged cookie", Some(("cookie", "peon_session=garbage"))),
    ];
    for (who, header) in credentials {
        for (route, mut request) in every_kind_of_route(&client, &peon.url, &workspace, &terminal) {
            if let Some((name, value)) = header {
                request = request.header(name, value);
            }
            let status = request.send().await.expect(route).status();
            assert_eq!(status, 401, "{route} with {who}");
        }
    }
    assert_eq!(
        log_state(&client, &peon.url, Some(token)).await,
        before,
        "refused requests left the log alone"
    );

    // The right bearer token opens every route (static files may be 404
    // when the site is not built; they must not be refused).
    for (route, request) in every_kind_of_route(&client, &peon.url, &workspace, &terminal) {
        let status = request
            .bearer_auth(token)
            .send()
            .await
            .expect(route)
            .status();
        assert!(
            status != 401 && status != 403,
            "{route} with the right token: {status}"
        );
        if route == TERMINAL_SOCKET {
            // The real socket of a running shell: the token opens it.
            assert_eq!(status, 101, "{route} with the right token upgrades");
        }
    }
    for path in ["/", "/settings"] {
        let response = client
            .get(format!("{}{path}", peon.url))
            .bearer_auth(token)
            .send();
        assert_eq!(response.await.expect(path).status(), 200, "GET {path}");
    }
    let (sequence, projects) = log_state(&client, &peon.url, Some(token)).await;
    assert_eq!(
        (sequence, projects),
        (before.0 + 1, before.1 + 1),
        "the dispatch went through"
    );
}

/// Logging in trades the token for a cookie the page's scripts cannot read
/// (HttpOnly), that other sites cannot make the browser send (SameSite=
/// Strict) and that does not contain the token itself, so a leaked cookie
/// never leaks the token. A wrong token gets no cookie.
#[tokio::test]
async fn logging_in_sets_a_strict_http_only_cookie_that_unlocks_peon() {
    let dir = tempfile::tempdir().expect("dir");
    let peon = Peon::start_with(dir.path(), &["--auth-token", TOKEN]);
    let client = client();
    let before = log_state(&client, &peon.url, Some(TOKEN)).await;

    let wrong = login(&client, &peon.url, "wrong-token").await;
    assert_eq!(wrong.status(), 401, "a wrong token");
    assert!(
        session_cookie(&wrong).is_none(),
        "a wrong token gets no cookie"
    );

    let response = login(&client, &peon.url, TOKEN).await;
    assert_eq!(response.status(), 303);
    let location = response.headers().get("location").expect("Location");
    assert_eq!(location.to_str().expect("ascii"), "/");
    let set_cookie = session_cookie(&response).expect("Set-Cookie: peon_session=…");
    let attributes: Vec<String> = set_cookie
        .split(';')
        .map(|a| a.trim().to_ascii_lowercase())
        .collect();
    for attribute in ["httponly", "samesite=strict", "path=/"] {
        assert!(
            attributes.iter().any(|a| a == attribute),
            "{attribute} missing: {set_cookie}"
        );
    }
    let pair = set_cookie
        .split(';')
        .next()
        .expect("pair")
        .trim()
        .to_string();
    let value = pair.strip_prefix("peon_session=").expect("name");
    assert!(!value.is_empty(), "{set_cookie}");
    assert!(
        !value.contains(TOKEN),
        "the cookie carries the raw token: {set_cookie}"
    );

    let home = client
        .get(format!("{}/", peon.url))
        .header("cookie", &pair)
        .send()
        .await;
    assert_eq!(home.expect("home").status(), 200, "GET / with the cookie");
    let snapshot = client
        .post(format!("{}/api/snapshot", peon.url))
        .header("cookie", &pair)
        .send()
        .await
        .expect("snapshot");
    assert_eq!(snapshot.status(), 200, "POST /api/snapshot with the cookie");
    let snapshot: Value = snapshot.json().await.expect("JSON");
    assert!(snapshot["sequence"].is_u64(), "{snapshot}");
    assert_eq!(log_state(&client, &peon.url, Some(TOKEN)).await, before);
}

/// A stolen or forgotten cookie stops working once its session is over.
#[tokio::test]
async fn an_expired_login_is_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let peon = Peon::start_with(dir.path(), &["--auth-token", TOKEN, "--session-secs", "1"]);
    let client = client();
    let cookie = log_in(&client, &peon.url).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let home = client
        .get(format!("{}/", peon.url))
        .header("cookie", &cookie)
        .send()
        .await;
    assert_eq!(
        home.expect("home").status(),
        401,
        "GET / with an expired cookie"
    );
    let snapshot = client
        .post(format!("{}/api/snapshot", peon.url))
        .header("cookie", &cookie)
        .send()
        .await;
    assert_eq!(
        snapshot.expect("snapshot").status(),
        401,
        "snapshot with an expired cookie"
    );
}

/// Guessing the token must be slow: after five wrong tries a client is told
/// to wait, and even the right token is refused meanwhile, so a guesser
/// cannot tell when it has hit.
#[tokio::test]
async fn repeated_wrong_logins_are_throttled() {
    let dir = tempfile::tempdir().expect("dir");
    let peon = Peon::start_with(dir.path(), &["--auth-token", TOKEN]);
    let client = client();
    for attempt in 1..=5 {
        let status = login(&client, &peon.url, &format!("guess-{attempt}"))
            .await
            .status();
        assert_eq!(status, 401, "wrong attempt {attempt}");
    }
    let response = login(&client, &peon.url, "guess-6").await;
    assert_eq!(
        response.status(),
        429,
        "another guess after five wrong ones"
    );
    let retry = response.headers().get("retry-after").expect("Retry-After");
    assert!(!retry.is_empty(), "Retry-After is empty");
    assert!(
        session_cookie(&response).is_none(),
        "a throttled login gets no cookie"
    );
    // One guesser must not lock out a right user behind the same address:
    // slowed down, but let in.
    let started = Instant::now();
    let response = login(&client, &peon.url, TOKEN).await;
    assert_eq!(response.status(), 303, "the right token during a lockout");
    assert!(session_cookie(&response).is_some(), "and gets its cookie");
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "past the limit every attempt waits its turn in the slow lane"
    );

    // Guessing with the bearer header is limited the same way.
    let other = tempfile::tempdir().expect("dir");
    let peon = Peon::start_with(other.path(), &["--auth-token", TOKEN]);
    for attempt in 1..=5 {
        let status = client
            .post(format!("{}/api/snapshot", peon.url))
            .bearer_auth(format!("guess-{attempt}"))
            .send()
            .await
            .expect("guess")
            .status();
        assert_eq!(status, 401, "wrong bearer {attempt}");
    }
    let snapshot = |token: &'static str| {
        client
            .post(format!("{}/api/snapshot", peon.url))
            .bearer_auth(token)
            .send()
    };
    let blocked = snapshot("guess-6").await.expect("blocked");
    assert_eq!(blocked.status(), 429, "a sixth wrong bearer token");
    let right = snapshot(TOKEN).await.expect("right");
    assert_eq!(
        right.status(),
        200,
        "the right bearer token during a lockout"
    );
}

/// Many addresses guessing at once (each under its own limit) are slowed
/// down together: past the global limit every guess waits its turn.
#[tokio::test]
async fn guesses_from_many_addresses_are_slowed_down_together() {
    let dir = tempfile::tempdir().expect("dir");
    let peon = Peon::start_with(dir.path(), &["--auth-token", TOKEN, "--trust-proxy"]);
    let client = client();
    let guess = |from: String| {
        client
            .post(format!("{}/login", peon.url))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-forwarded-for", from)
            .body("token=wrong-guess")
            .send()
    };
    for n in 0..30 {
        let started = Instant::now();
        let status = guess(format!("198.51.100.{n}"))
            .await
            .expect("guess")
            .status();
        assert_eq!(status, 401, "guess {n}");
        assert!(
            started.elapsed() < Duration::from_millis(900),
            "guess {n} was not slowed"
        );
    }
    let started = Instant::now();
    let status = guess("203.0.113.7".to_string())
        .await
        .expect("guess")
        .status();
    assert_eq!(status, 401, "a fresh address is not locked out");
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "but its guess waited in the slow lane"
    );
}

/// Behind a proxy every request comes from loopback. Without
/// `--trust-proxy` a forwarded address changes nothing (a client cannot
/// dodge the limit by naming another: everyone behind the proxy is slowed
/// down with the guesser, though a right token still gets in); with it,
/// failed logins count per forwarded client, so others are not slowed.
#[tokio::test]
async fn behind_a_trusted_proxy_logins_are_throttled_per_client() {
    async fn guess_from(client: &Client, url: &str, from: &str, token: &str) -> u16 {
        client
            .post(format!("{url}/login"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-forwarded-for", format!("198.51.100.9, {from}"))
            .body(format!("token={token}"))
            .send()
            .await
            .expect("login")
            .status()
            .as_u16()
    }
    let client = client();
    for (trust, others_slowed) in [(false, true), (true, false)] {
        let dir = tempfile::tempdir().expect("dir");
        let mut args = vec!["--auth-token", TOKEN];
        if trust {
            args.push("--trust-proxy");
        }
        let peon = Peon::start_with(dir.path(), &args);
        for attempt in 1..=5 {
            let status = guess_from(&client, &peon.url, "203.0.113.1", "wrong-guess").await;
            assert_eq!(status, 401, "wrong attempt {attempt}");
        }
        assert_eq!(
            guess_from(&client, &peon.url, "203.0.113.1", "wrong-again").await,
            429,
            "the guesser is throttled (trust proxy: {trust})"
        );
        let started = Instant::now();
        assert_eq!(
            guess_from(&client, &peon.url, "203.0.113.2", TOKEN).await,
            303,
            "another client logging in (trust proxy: {trust})"
        );
        assert_eq!(
            started.elapsed() >= Duration::from_millis(900),
            others_slowed,
            "another client slowed down (trust proxy: {trust})"
        );
    }
}

/// A DNS-rebinding page reaches peon on loopback under a name of its own,
/// and a foreign page can post to it or open its WebSocket: peon answers
/// only its own names and refuses requests from other origins.
#[tokio::test]
async fn foreign_host_or_origin_headers_are_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let workspace = dir.path().join("ws");
    std::fs::create_dir(&workspace).expect("mkdir");
    let peon = Peon::start(dir.path());
    let client = client();
    let url = &peon.url;
    let port = port_of(url);
    let before = log_state(&client, url, None).await;

    let foreign = [
        "evil.example".to_string(),
        format!("evil.example:{port}"),
        format!("localhost.evil.example:{port}"),
        // Not an IPv6 literal: the bracket does not end the name.
        format!("[::1].evil.example:{port}"),
    ];
    for host in &foreign {
        let page = client
            .get(format!("{url}/"))
            .header("host", host)
            .send()
            .await
            .expect("page");
        assert_eq!(page.status(), 403, "GET / with Host: {host}");
        let body = page.text().await.expect("body");
        assert!(
            body.contains("Host"),
            "the refusal names the Host header: {body}"
        );
        let post = client
            .post(format!("{url}/api/dispatch"))
            .header("host", host);
        let status = post
            .json(&create_project(&workspace))
            .send()
            .await
            .expect("post")
            .status();
        assert_eq!(status, 403, "dispatch with Host: {host}");
        let sse = client
            .get(format!("{url}/api/events"))
            .header("host", host)
            .send()
            .await;
        assert_eq!(
            sse.expect("sse").status(),
            403,
            "event stream with Host: {host}"
        );
    }
    for host in [format!("localhost:{port}"), format!("127.0.0.1:{port}")] {
        let page = client
            .get(format!("{url}/"))
            .header("host", &host)
            .send()
            .await
            .expect("page");
        assert_eq!(page.status(), 200, "GET / with Host: {host}");
    }

    let evil = "http://evil.example";
    let post = client
        .post(format!("{url}/api/dispatch"))
        .header("origin", evil);
    let response = post
        .json(&create_project(&workspace))
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), 403, "dispatch from a foreign origin");
    let body = response.text().await.expect("body");
    assert!(
        body.contains("Origin"),
        "the refusal names the Origin header: {body}"
    );
    let ws = websocket(client.get(format!("{url}/api/events"))).header("origin", evil);
    assert_eq!(
        ws.send().await.expect("ws").status(),
        403,
        "WebSocket from a foreign origin"
    );
    let sse = client
        .get(format!("{url}/api/events"))
        .header("origin", evil)
        .send()
        .await;
    assert_eq!(
        sse.expect("sse").status(),
        403,
        "event stream from a foreign origin"
    );
    assert_eq!(
        log_state(&client, url, None).await,
        before,
        "refusals left the log alone"
    );

    // The page's own origin is fine.
    let post = client
        .post(format!("{url}/api/dispatch"))
        .header("origin", url.as_str());
    let response = post
        .json(&create_project(&workspace))
        .send()
        .await
        .expect("post");
    assert!(
        response.status().is_success(),
        "same origin: {}",
        response.status()
    );
    assert_eq!(log_state(&client, url, None).await.0, before.0 + 1);

    // --allowed-host adds a name, and only that name. A name means a proxy
    // in front, so peon wants a token even on loopback: it made one.
    let other = tempfile::tempdir().expect("dir");
    let named = Peon::start_with(other.path(), &["--allowed-host", "peon.internal"]);
    let made =
        std::fs::read_to_string(named.data_dir.join("auth-token")).expect("a token was made");
    let bare = client
        .get(format!("{}/", named.url))
        .send()
        .await
        .expect("page");
    assert_eq!(bare.status(), 401, "behind a proxy, no token, no entry");
    let port = port_of(&named.url);
    let hosts = [
        (format!("peon.internal:{port}"), 200u16),
        (format!("evil.example:{port}"), 403u16),
    ];
    for (host, expected) in hosts {
        let page = client
            .get(format!("{}/", named.url))
            .header("host", &host)
            .bearer_auth(made.trim())
            .send()
            .await;
        assert_eq!(
            page.expect("page").status(),
            expected,
            "GET / with Host: {host}"
        );
    }
}

/// A huge body must not be buffered, and a malformed one must get a clear
/// 400 rather than a 500 or silence; neither may touch the log.
#[tokio::test]
async fn oversized_and_malformed_bodies_get_clear_errors() {
    let dir = tempfile::tempdir().expect("dir");
    let workspace = dir.path().join("ws");
    std::fs::create_dir(&workspace).expect("mkdir");
    let peon = Peon::start_with(dir.path(), &["--max-body-bytes", "2048"]);
    let client = client();
    let url = format!("{}/api/dispatch", peon.url);
    let before = log_state(&client, &peon.url, None).await;

    let mut big = create_project(&workspace);
    big["envelope"]["command"]["title"] = json!("x".repeat(10_000));
    let response = client.post(&url).json(&big).send().await.expect("big");
    assert_eq!(response.status(), 413, "a 10 KB body over a 2 KB limit");
    let body = response.text().await.expect("body");
    assert!(
        body.contains("limit"),
        "the refusal names the limit: {body}"
    );
    // The same body sent in chunks, with no length to check up front.
    let bytes = serde_json::to_vec(&big).expect("JSON");
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        bytes.chunks(1_000).map(|c| Ok(c.to_vec())).collect();
    let response = client
        .post(&url)
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
        .send()
        .await
        .expect("chunked");
    assert_eq!(response.status(), 413, "a chunked body over the limit");
    assert_eq!(
        response
            .headers()
            .get("connection")
            .and_then(|v| v.to_str().ok()),
        Some("close"),
        "the unread rest of the body ends the connection, not the next request"
    );
    assert!(response.text().await.expect("body").contains("limit"));

    let response = client
        .post(&url)
        .header("content-type", "application/json")
        .body(r#"{"envelope": {"#)
        .send()
        .await
        .expect("truncated");
    assert_eq!(response.status(), 400, "truncated JSON");
    let body: Value = response.json().await.expect("a JSON error");
    assert_eq!(body["kind"], "malformed", "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("malformed request: ")),
        "with a message and no internal prefix: {body}"
    );

    let nope = json!({"envelope": {"command_id": new_id(), "command": {"type": "nope"}}});
    let response = client.post(&url).json(&nope).send().await.expect("nope");
    assert_eq!(response.status(), 400, "an unknown command");
    let body = response.text().await.expect("body");
    assert!(
        body.contains("nope"),
        "the message names the command: {body}"
    );
    assert_eq!(
        log_state(&client, &peon.url, None).await,
        before,
        "refusals left the log alone"
    );

    // An ordinary command still fits under the limit.
    let response = client
        .post(&url)
        .json(&create_project(&workspace))
        .send()
        .await
        .expect("ok");
    assert_eq!(response.status(), 200);
    assert_eq!(log_state(&client, &peon.url, None).await.0, before.0 + 1);
}

/// A message longer than the limit, or with too many attachments, is
/// refused with the limit named, and starts no turn.
#[tokio::test]
async fn messages_over_the_limits_are_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let peon = Peon::start_with(
        dir.path(),
        &["--max-message-chars", "10", "--max-attachments", "1"],
    );
    let client = client();
    let (project, thread) = (new_id(), new_id());
    for command in [
        json!({"type": "project.create", "project_id": project, "title": "p",
               "workspace_root": dir.path().display().to_string()}),
        json!({"type": "thread.create", "thread_id": thread, "project_id": project,
               "title": "t", "provider": "codex", "runtime_mode": "full-access",
               "interaction_mode": "default"}),
    ] {
        let r = peon_tests::dispatch(&client, &peon.url, command).await;
        assert!(r.status().is_success());
    }
    let before = log_state(&client, &peon.url, None).await;
    let turn = |text: &str, attachments: usize| {
        let files: Vec<Value> = (0..attachments)
            .map(|i| json!({"name": format!("f{i}.png"), "mime_type": "image/png", "size_bytes": 10}))
            .collect();
        json!({"type": "turn.start", "thread_id": thread, "turn_id": new_id(),
               "message_id": new_id(), "text": text, "attachments": files})
    };
    let long = peon_tests::dispatch(&client, &peon.url, turn("eleven chars", 0)).await;
    assert_eq!(long.status(), 422);
    let body = long.text().await.unwrap_or_default();
    assert!(
        body.contains("12 characters") && body.contains("limit is 10"),
        "{body}"
    );
    let many = peon_tests::dispatch(&client, &peon.url, turn("hi", 2)).await;
    assert_eq!(many.status(), 422);
    assert!(
        many.text()
            .await
            .unwrap_or_default()
            .contains("2 attachments")
    );
    assert_eq!(
        log_state(&client, &peon.url, None).await,
        before,
        "no turn started"
    );
}

/// Agents run inside a project's folder, so which folders may become
/// projects is a security boundary: no `..` tricks, no symlinks leading out
/// of an allowed root, nothing outside the roots at all.
#[tokio::test]
async fn project_folders_must_stay_inside_the_allowed_roots() {
    let dir = tempfile::tempdir().expect("dir");
    let root = dir.path().canonicalize().expect("canonical temp dir");
    let allowed = root.join("allowed");
    let outside = root.join("outside");
    for folder in [
        allowed.join("inside"),
        allowed.join("a"),
        allowed.join("b"),
        outside.clone(),
    ] {
        std::fs::create_dir_all(&folder).expect("mkdir");
    }
    std::os::unix::fs::symlink(&outside, allowed.join("link")).expect("symlink");
    let allowed_arg = allowed.display().to_string();
    let peon = Peon::start_with(&root, &["--allowed-root", allowed_arg.as_str()]);
    let client = client();
    let url = format!("{}/api/dispatch", peon.url);
    let before = log_state(&client, &peon.url, None).await;

    let refused = [
        (allowed.join("a/../b"), Some("..")),
        (allowed.join("link"), Some("outside")),
        (outside.clone(), None),
    ];
    for (folder, needle) in refused {
        let response = client
            .post(&url)
            .json(&create_project(&folder))
            .send()
            .await
            .expect("post");
        assert_eq!(response.status(), 422, "{}", folder.display());
        let body = response.text().await.expect("body");
        if let Some(needle) = needle {
            assert!(body.contains(needle), "{}: {body}", folder.display());
        }
    }
    assert_eq!(
        log_state(&client, &peon.url, None).await,
        before,
        "refusals left the log alone"
    );

    let inside = allowed.join("inside");
    let response = client
        .post(&url)
        .json(&create_project(&inside))
        .send()
        .await
        .expect("post");
    let status = response.status();
    assert!(
        status.is_success(),
        "{status}: {}",
        response.text().await.unwrap_or_default()
    );
    assert_eq!(
        log_state(&client, &peon.url, None).await,
        (before.0 + 1, before.1 + 1)
    );
}

/// A peon started beyond loopback; killed on drop.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts peon on 0.0.0.0 without a token and returns it with the stdout
/// lines up to its "running at" line and whatever follows within half a
/// second (the token line may come before or after it).
fn start_beyond_loopback(data_dir: &Path) -> (Running, Vec<String>) {
    let mut child = Command::new(peon_bin())
        .arg("--data-dir")
        .arg(data_dir)
        .args(["--host", "0.0.0.0", "--port", "0"])
        .env("PEON_LOG", "warn")
        .env_remove("PEON_AUTH_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn peon");
    let stdout = child.stdout.take().expect("stdout");
    let running = Running(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut lines = Vec::new();
    let mut started = false;
    loop {
        let wait = if started {
            Duration::from_millis(500)
        } else {
            deadline.saturating_duration_since(Instant::now())
        };
        match rx.recv_timeout(wait) {
            Ok(line) => {
                started |= line.contains("running at ");
                lines.push(line);
            }
            Err(_) if started => break,
            Err(e) => panic!("peon did not start beyond loopback ({e:?}); stdout: {lines:?}"),
        }
    }
    (running, lines)
}

/// `http://127.0.0.1:PORT` for the port in peon's "running at" line.
fn loopback_url(lines: &[String]) -> String {
    let line = lines
        .iter()
        .find(|l| l.contains("running at "))
        .expect("running line");
    let url = line
        .split("running at ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next());
    format!("http://127.0.0.1:{}", port_of(url.expect("URL")))
}

/// Beyond loopback anyone on the network can reach peon, so it never runs
/// open there: without a token it makes one, keeps it in a file only the
/// user can read, prints a one-time login link (never the token itself),
/// and reuses the same token on the next start.
#[tokio::test]
async fn beyond_loopback_peon_makes_a_token_once_and_keeps_it() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("dir");
    let data_dir = dir.path().join("data");
    let client = client();

    let (first, lines) = start_beyond_loopback(&data_dir);
    let file = data_dir.join("auth-token");
    let token = std::fs::read_to_string(&file).expect("auth-token file");
    let token = token.trim().to_string();
    assert_eq!(token.len(), 64);
    let mode = std::fs::metadata(&file)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600, "auth-token mode {mode:o}");
    let links: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains("/login?code="))
        .collect();
    assert_eq!(links.len(), 1, "one login link is printed: {lines:?}");
    assert!(
        lines.iter().all(|l| !l.contains(&token)),
        "the token itself is never printed: {lines:?}"
    );

    let url = loopback_url(&lines);
    let snapshot = format!("{url}/api/snapshot");
    let open = client.post(&snapshot).send().await.expect("snapshot");
    assert_eq!(
        open.status(),
        401,
        "beyond loopback, no credentials are refused"
    );
    let code = links[0]
        .split("/login?code=")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .expect("code");
    let followed = client
        .get(format!("{url}/login?code={code}"))
        .send()
        .await
        .expect("link");
    assert_eq!(followed.status(), 303, "the printed link logs in");
    let with_token = client
        .post(&snapshot)
        .bearer_auth(&token)
        .send()
        .await
        .expect("snapshot");
    assert_eq!(with_token.status(), 200, "the generated token works");
    drop(first);

    let (_second, lines) = start_beyond_loopback(&data_dir);
    assert!(
        lines.iter().any(|l| l.contains("auth-token")),
        "a line names the file: {lines:?}"
    );
    let again = std::fs::read_to_string(&file).expect("auth-token file");
    assert_eq!(again.trim(), token, "the token is reused");
    let url = loopback_url(&lines);
    let response = client
        .post(format!("{url}/api/snapshot"))
        .bearer_auth(&token)
        .send()
        .await;
    assert_eq!(
        response.expect("snapshot").status(),
        200,
        "the same token still works"
    );
}

/// Every response carries the security headers, and the page's inline
/// scripts carry the nonce its Content-Security-Policy allows (so the WASM
/// app still starts); a WebSocket upgrade riding on the login cookie
/// without an Origin is refused.
#[tokio::test]
async fn responses_carry_a_policy_that_fits_the_app() {
    let dir = tempfile::tempdir().expect("dir");
    let peon = Peon::start_with(dir.path(), &["--auth-token", TOKEN]);
    let client = client();
    let page = client
        .get(&peon.url)
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), 200);
    let header = |name: &str| {
        page.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let policy = header("content-security-policy");
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert!(policy.contains("'wasm-unsafe-eval'"), "{policy}");
    assert!(
        !policy.contains("'unsafe-inline' 'wasm"),
        "scripts are not unsafe-inline: {policy}"
    );
    let nonce = policy
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce in the policy")
        .to_string();
    let html = page.text().await.expect("html");
    let inline_scripts = html.matches("<script").count();
    assert!(inline_scripts > 0, "{html}");
    assert_eq!(
        html.matches(&format!("nonce=\"{nonce}\"")).count(),
        inline_scripts,
        "every script carries this response's nonce"
    );
    // Refusals carry the headers too.
    let refused = client.get(&peon.url).send().await.expect("refused");
    assert_eq!(refused.status(), 401);
    assert!(refused.headers().contains_key("content-security-policy"));

    let cookie = log_in(&client, &peon.url).await;
    let upgrade = websocket(client.get(format!("{}/api/events", peon.url)))
        .header("cookie", cookie)
        .send()
        .await
        .expect("upgrade");
    assert_eq!(upgrade.status(), 403);
    assert!(upgrade.text().await.unwrap_or_default().contains("Origin"));
}

/// Logs can be JSON, and no log line ever holds the token, whatever the
/// level and whatever was tried with it.
#[tokio::test]
async fn logs_never_hold_the_token() {
    let dir = tempfile::tempdir().expect("dir");
    let log = dir.path().join("stderr.log");
    let mut child = Command::new(peon_bin())
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .args([
            "--port",
            "0",
            "--log-level",
            "trace",
            "--log-format",
            "json",
        ])
        .args(["--auth-token", TOKEN])
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).expect("log file"))
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let mut url = String::new();
    for line in BufReader::new(stdout).lines().map_while(Result::ok) {
        if let Some(rest) = line.split("running at ").nth(1) {
            url = rest
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .trim_end_matches('/')
                .to_string();
            break;
        }
    }
    assert!(!url.is_empty(), "peon printed no URL");
    let client = client();
    assert_eq!(login(&client, &url, "wrong-guess").await.status(), 401);
    let cookie = log_in(&client, &url).await;
    for request in [
        client.get(&url).bearer_auth(TOKEN),
        client.get(&url).header("cookie", &cookie),
        client.get(format!("{url}/login?token={TOKEN}")),
    ] {
        request.send().await.expect("request");
    }
    let _ = child.kill();
    let _ = child.wait();
    let text = std::fs::read_to_string(&log).expect("log");
    assert!(
        text.lines().count() > 3,
        "trace logging wrote little: {text}"
    );
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        assert!(
            serde_json::from_str::<Value>(line).is_ok(),
            "not a JSON line: {line}"
        );
    }
    assert!(!text.contains(TOKEN), "the token reached the log");
    let session = cookie.trim_start_matches("peon_session=");
    assert!(
        !text.contains(session),
        "the session cookie reached the log"
    );
    assert!(text.contains("wrong token"), "the refused login is logged");
}

/// `peon rotate-token` makes a new token: a running peon notices within a
/// second, and from then on every login made with the old one is refused,
/// the old token too, and the new one works; a restart changes nothing.
#[tokio::test]
async fn rotating_the_token_ends_every_login() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    let peon = Peon::start_with(dir.path(), &["--allowed-host", "peon.test"]);
    let old = std::fs::read_to_string(data.join("auth-token")).expect("token");
    let client = client();
    let cookie =
        session_cookie(&login(&client, &peon.url, old.trim()).await).expect("a login cookie");
    let cookie = cookie.split(';').next().expect("name=value").to_string();
    let with_cookie = |url: String, cookie: String| {
        let client = client.clone();
        async move { snapshot_status(&client, &url, &cookie).await }
    };
    assert_eq!(with_cookie(peon.url.clone(), cookie.clone()).await, 200);

    let (ok, said) = run_peon(&["rotate-token", "--data-dir", &data.display().to_string()]);
    assert!(ok, "{said}");
    let new = std::fs::read_to_string(data.join("auth-token")).expect("token");
    assert_ne!(new.trim(), old.trim());
    assert!(
        said.contains(new.trim()),
        "the new token is printed: {said}"
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    while with_cookie(peon.url.clone(), cookie.clone()).await != 401 {
        assert!(
            Instant::now() < deadline,
            "the running peon still takes the old login"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let refused_then_new = |url: String| {
        let (client, cookie, old, new) = (client.clone(), cookie.clone(), old.clone(), new.clone());
        async move {
            assert_eq!(with_cookie(url.clone(), cookie).await, 401, "the old login");
            assert_eq!(
                login(&client, &url, old.trim()).await.status(),
                401,
                "the old token"
            );
            assert_eq!(
                login(&client, &url, new.trim()).await.status(),
                303,
                "the new token"
            );
        }
    };
    refused_then_new(peon.url.clone()).await;
    peon.stop();
    let peon = Peon::start_with(dir.path(), &["--allowed-host", "peon.test"]);
    refused_then_new(peon.url.clone()).await;

    // A configured token is the user's to change.
    let (ok, said) = run_peon(&[
        "--auth-token",
        TOKEN,
        "rotate-token",
        "--data-dir",
        &data.display().to_string(),
    ]);
    assert!(!ok);
    assert!(said.contains("change it there"), "{said}");
}
