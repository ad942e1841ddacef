//! The real `peon` binary, started on a free port with a temporary data
//! folder, over HTTP.

use peon_tests::{Peon, new_id, run_peon};
use serde_json::json;

async fn dispatch(
    client: &reqwest::Client,
    peon: &Peon,
    command: serde_json::Value,
) -> reqwest::Response {
    peon_tests::dispatch(client, &peon.url, command).await
}

#[tokio::test]
async fn serves_pages_and_keeps_commands_across_restarts() {
    let dir = tempfile::tempdir().expect("dir");
    let workspace = dir.path().join("my-project");
    std::fs::create_dir(&workspace).expect("mkdir");
    let client = reqwest::Client::new();

    let peon = Peon::start(dir.path());
    assert!(
        peon.data_dir.join("peon.sqlite3").is_file(),
        "database created"
    );
    let home = client.get(&peon.url).send().await.expect("home");
    assert_eq!(home.status(), 200);
    assert!(home.text().await.expect("body").contains("No projects yet"));

    let project_id = new_id();
    let response = dispatch(
        &client,
        &peon,
        json!({"type": "project.create", "project_id": project_id, "title": "",
               "workspace_root": workspace.display().to_string()}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let outcome: serde_json::Value = response.json().await.expect("json");
    assert_eq!(outcome["last_sequence"], 1);

    let page = client
        .get(format!("{}/projects/{project_id}", peon.url))
        .send()
        .await
        .expect("project page");
    assert_eq!(page.status(), 200);
    assert!(page.text().await.expect("body").contains("my-project"));
    peon.stop();

    // Rebuilding the projections from the log keeps everything.
    let data_dir = dir.path().join("data");
    let (ok, out) = run_peon(&[
        "rebuild-projections",
        "--data-dir",
        &data_dir.display().to_string(),
    ]);
    assert!(ok, "{out}");
    assert!(out.contains("from 1 events"), "{out}");

    let peon = Peon::start(dir.path());
    let html = client
        .get(&peon.url)
        .send()
        .await
        .expect("home")
        .text()
        .await
        .expect("body");
    assert!(
        html.contains("my-project"),
        "the project survived a restart"
    );
}

#[tokio::test]
async fn a_rejected_command_gets_a_clear_message_and_changes_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let client = reqwest::Client::new();
    let peon = Peon::start(dir.path());
    let response = dispatch(
        &client,
        &peon,
        json!({"type": "project.create", "project_id": new_id(), "title": "x",
               "workspace_root": "/no/such/folder"}),
    )
    .await;
    assert_eq!(response.status(), 422);
    assert_eq!(
        response.headers()["content-type"],
        "application/json",
        "errors are JSON"
    );
    let body: serde_json::Value = response.json().await.expect("JSON body");
    assert_eq!(
        body,
        json!({"kind": "rejected", "rejection": "invalid_workspace",
               "message": "the workspace /no/such/folder cannot be used: it does not exist"})
    );
    let thread = new_id();
    let response = dispatch(
        &client,
        &peon,
        json!({"type": "turn.start", "thread_id": thread, "turn_id": new_id(),
               "message_id": new_id(), "text": "hello"}),
    )
    .await;
    assert_eq!(response.status(), 404, "an unknown thread");
    let body: serde_json::Value = response.json().await.expect("JSON body");
    assert_eq!(
        body,
        json!({"kind": "not_found", "resource": "thread", "id": thread,
               "message": format!("thread {thread} not found")})
    );
    let response = dispatch(
        &client,
        &peon,
        json!({"type": "internal.turn-started", "thread_id": new_id(), "turn_id": new_id()}),
    )
    .await;
    // Internal commands are another type: a client's cannot even decode.
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.expect("JSON body");
    assert_eq!(body["kind"], "malformed");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("unknown variant `internal.turn-started`")),
        "{body}"
    );
    let snapshot = peon_tests::snapshot(&client, &peon.url).await;
    assert_eq!(snapshot["sequence"], 0);
    assert_eq!(snapshot["projects"], json!([]));
}

#[test]
fn help_names_the_commands_and_flags() {
    let (ok, out) = run_peon(&["--help"]);
    assert!(ok, "{out}");
    for needle in [
        "rebuild-projections",
        "--data-dir",
        "--port",
        "PEON_DATA_DIR",
    ] {
        assert!(out.contains(needle), "--help lacks {needle}: {out}");
    }
}

/// The config file's keys reach the browser, in the served page and in the
/// offline app shell alike, escaped for HTML (a key may be `"`).
#[tokio::test]
async fn keybindings_from_the_config_file_reach_the_page_and_the_offline_shell() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).expect("mkdir");
    std::fs::write(
        data.join("config.toml"),
        "[keybindings]\ntoggle-terminal = \"Ctrl+J\"\nhelp = '\"'\npalette = \"\"\n",
    )
    .expect("file");
    let peon = Peon::start(dir.path());
    let client = reqwest::Client::new();
    for path in ["/", "/app-shell"] {
        let page = client
            .get(format!("{}{path}", peon.url))
            .send()
            .await
            .expect(path)
            .text()
            .await
            .expect("text");
        let meta = page
            .split("<meta")
            .find(|m| m.contains("name=\"peon-keys\""))
            .unwrap_or_else(|| panic!("{path} names the keys: {page}"));
        for pair in ["palette= ", "help=&quot; ", "toggle-terminal=Ctrl+J "] {
            assert!(meta.contains(pair), "{path}: {pair} in {meta}");
        }
        assert!(
            meta.contains("new-thread=Alt+N"),
            "{path}: defaults stay: {meta}"
        );
    }
}

/// Flags beat `PEON_*` variables, which beat the config file, which beats
/// the defaults; a bad file or token stops peon with the reason.
#[tokio::test]
async fn settings_come_from_flags_then_environment_then_file() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).expect("mkdir");
    std::fs::write(data.join("config.toml"), "max_body_bytes = 300\n").expect("file");
    let client = reqwest::Client::new();
    let big = json!({"type": "project.create", "project_id": new_id(), "title": "x".repeat(400),
        "workspace_root": "/nonexistent"});
    {
        let peon = Peon::start(dir.path());
        let r = dispatch(&client, &peon, big.clone()).await;
        assert_eq!(r.status(), 413, "the file's body limit applies");
        assert!(
            r.text()
                .await
                .unwrap_or_default()
                .contains("the limit is 300")
        );
    }
    {
        let env = [("PEON_MAX_BODY_BYTES".to_string(), "200".to_string())];
        let peon = Peon::start_with_env(dir.path(), &[], &env);
        let r = dispatch(&client, &peon, big.clone()).await;
        assert!(
            r.text()
                .await
                .unwrap_or_default()
                .contains("the limit is 200"),
            "env over file"
        );
        let peon = Peon::start_with_env(dir.path(), &["--max-body-bytes", "100000"], &env);
        let r = dispatch(&client, &peon, big).await;
        assert_eq!(r.status(), 422, "flag over env: the body is let through");
    }
    std::fs::write(data.join("config.toml"), "prot = 80\n").expect("file");
    let data_arg = data.display().to_string();
    let (ok, out) = run_peon(&["--data-dir", &data_arg, "--port", "0"]);
    assert!(!ok);
    assert!(
        out.contains("config.toml is not valid") && out.contains("prot"),
        "{out}"
    );
    // Keys: an unknown action and two actions on one key are named.
    for (text, says) in [
        (
            "[keybindings]\nopen-terminal = \"Ctrl+J\"\n",
            "[keybindings] in the config file: \"open-terminal\" is not an action",
        ),
        (
            "[keybindings]\ntoggle-terminal = \"Ctrl+K\"\n",
            "palette (Mod+K) and toggle-terminal (Ctrl+K) share a key",
        ),
        (
            "[keybindings]\nhelp = \"Ctrl+W\"\n",
            "help: \"Ctrl+W\": the browser keeps",
        ),
    ] {
        std::fs::write(data.join("config.toml"), text).expect("file");
        let (ok, out) = run_peon(&["--data-dir", &data_arg, "--port", "0"]);
        assert!(!ok, "{text}");
        assert!(out.contains(says), "{text}: {out}");
    }
    std::fs::remove_file(data.join("config.toml")).expect("rm");
    let (ok, out) = run_peon(&["--data-dir", &data_arg, "--auth-token", "short"]);
    assert!(!ok);
    assert!(out.contains("at least 8 characters"), "{out}");
    let (ok, out) = run_peon(&["--help"]);
    assert!(ok);
    for flag in [
        "--host",
        "--port",
        "--data-dir",
        "--auth-token",
        "--open",
        "--no-open",
        "--log-level",
        "doctor",
        "rebuild-projections",
    ] {
        assert!(out.contains(flag), "--help lacks {flag}: {out}");
    }
}

/// `peon doctor` names each tool and says whether the data folder and the
/// database are usable; a damaged database fails it.
#[test]
fn doctor_reports_tools_and_a_damaged_database() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().display().to_string();
    let (ok, out) = run_peon(&["doctor", "--data-dir", &data]);
    assert!(ok, "{out}");
    for name in ["git", "codex", "claude", "gh", "data dir", "database"] {
        assert!(
            out.lines()
                .any(|l| l.split_whitespace().nth(1) == name.split(' ').next()),
            "no line for {name}: {out}"
        );
    }
    assert!(out.contains("is writable"), "{out}");
    std::fs::write(dir.path().join("peon.sqlite3"), b"this is not a database").expect("write");
    let (ok, out) = run_peon(&["doctor", "--data-dir", &data]);
    assert!(!ok, "{out}");
    assert!(out.contains("FAIL database"), "{out}");
}

/// Folder completion over HTTP: suggestions as JSON, bad input a 422 whose
/// message names the problem, and nothing outside `--allowed-root`.
#[tokio::test]
async fn folder_completion_lists_subfolders_and_names_bad_input() {
    let dir = tempfile::tempdir().expect("dir");
    let root = dir.path().join("code");
    for sub in ["app/.git", "lib"] {
        std::fs::create_dir_all(root.join(sub)).expect("mkdir");
    }
    std::fs::create_dir(dir.path().join("elsewhere")).expect("mkdir");
    let root_arg = root.display().to_string();
    let peon = Peon::start_with(dir.path(), &["--allowed-root", &root_arg]);
    let client = reqwest::Client::new();
    let ask = |typed: String| {
        let client = client.clone();
        let url = format!("{}/api/folders", peon.url);
        async move {
            let response = client
                .post(url)
                .form(&[("typed", typed)])
                .send()
                .await
                .expect("folders");
            let status = response.status().as_u16();
            (
                status,
                response.json::<serde_json::Value>().await.expect("json"),
            )
        }
    };

    let (status, found) = ask(format!("{root_arg}/")).await;
    assert_eq!(status, 200, "{found}");
    let names: Vec<&str> = found
        .as_array()
        .expect("list")
        .iter()
        .map(|f| f["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["app", "lib"]);
    assert_eq!(found[0]["git"], true);
    assert_eq!(found[0]["path"], format!("{root_arg}/app"));

    let (status, error) = ask(format!("{root_arg}/nope/x")).await;
    assert_eq!(status, 422, "{error}");
    let message = error.to_string();
    assert!(message.contains("no such folder"), "{message}");

    let (status, error) = ask(format!("{}/elsewhere/", dir.path().display())).await;
    assert_eq!(status, 422, "{error}");
    assert!(
        error
            .to_string()
            .contains("outside the folders peon may open"),
        "{error}"
    );
    peon.stop();
}

/// The palette's search over HTTP: a seeded thread's messages are found on
/// their turn, best first; blank text finds nothing, query syntax is only
/// words, and text over the limit is refused with its reason.
#[tokio::test]
async fn search_finds_messages_on_their_turn_and_names_bad_input() {
    let dir = tempfile::tempdir().expect("dir");
    let workspace = tempfile::tempdir().expect("workspace");
    let seed = peon_tests::peon_bin().with_file_name("peon-seed");
    // `Peon::start` keeps its data in `dir/data`.
    let out = std::process::Command::new(&seed)
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .arg("--workspace")
        .arg(workspace.path())
        .args(["--turns", "30"])
        .output()
        .unwrap_or_else(|e| panic!("{} (built with the server): {e}", seed.display()));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let thread = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let peon = Peon::start(dir.path());
    let client = reqwest::Client::new();
    let ask = |text: String| {
        let client = client.clone();
        let url = format!("{}/api/search", peon.url);
        async move {
            let response = client
                .post(url)
                .form(&[("text", text)])
                .send()
                .await
                .expect("search");
            let status = response.status().as_u16();
            (
                status,
                response.json::<serde_json::Value>().await.expect("json"),
            )
        }
    };

    // "Question number 7: ..." and "Answer number 7. ..." only: the last
    // word is a prefix, and no other turn number starts with 7 below 30.
    let (status, hits) = ask("number 7".into()).await;
    assert_eq!(status, 200, "{hits}");
    let hits = hits.as_array().expect("list");
    assert_eq!(hits.len(), 2, "{hits:?}");
    for hit in hits {
        assert_eq!(hit["thread_id"], thread.as_str());
        assert_eq!(hit["turn"], 7);
        assert_eq!(hit["thread_title"], "A thread of 30 turns");
    }
    let roles: Vec<&str> = hits
        .iter()
        .map(|h| h["source"]["message"]["role"].as_str().expect("a message"))
        .collect();
    assert!(
        roles.contains(&"user") && roles.contains(&"assistant"),
        "{roles:?}"
    );

    let (status, many) = ask("folds".into()).await;
    assert_eq!(status, 200);
    assert_eq!(many.as_array().expect("list").len(), 20, "at most 20 hits");
    let (_, none) = ask("   ".into()).await;
    assert_eq!(none, serde_json::json!([]));
    let (status, odd) = ask("\"number 7\" NEAR(".into()).await;
    assert_eq!(status, 200, "syntax is words: {odd}");
    let (status, error) = ask("x".repeat(201)).await;
    assert_eq!(status, 422, "{error}");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("longer than 200 characters")),
        "{error}"
    );
    peon.stop();
}
