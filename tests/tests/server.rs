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
    let body = response.text().await.expect("body");
    assert!(
        body.contains("the workspace /no/such/folder cannot be used: it does not exist"),
        "{body}"
    );
    let response = dispatch(
        &client,
        &peon,
        json!({"type": "internal.turn-started", "thread_id": new_id(), "turn_id": new_id()}),
    )
    .await;
    assert_eq!(response.status(), 422);
    let body = response.text().await.expect("body");
    assert!(body.contains("sent only by the server itself"), "{body}");
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

#[test]
fn refuses_to_listen_beyond_loopback_without_authentication() {
    let dir = tempfile::tempdir().expect("dir");
    let mut child = std::process::Command::new(peon_tests::peon_bin())
        .arg("--data-dir")
        .arg(dir.path())
        .args(["--host", "0.0.0.0", "--port", "0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("peon started listening on 0.0.0.0 without authentication");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let out = child.wait_with_output().expect("output");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!status.success());
    assert!(stderr.contains("refusing to listen on 0.0.0.0"), "{stderr}");
}
