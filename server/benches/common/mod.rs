//! Helpers shared by the benchmark binaries.

use std::time::Duration;

/// The value at fraction `p` of a sorted sample.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// A duration in milliseconds, to the microsecond.
#[allow(dead_code)] // not every bench prints milliseconds this way
pub fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

/// A project on `folder`, created through the engine.
#[allow(dead_code)] // not every bench needs one
pub async fn project(
    engine: &peon_server::orchestration::Engine,
    folder: &std::path::Path,
) -> peon_app::contracts::ProjectId {
    use peon_app::contracts::*;
    let project_id = ProjectId::new();
    engine
        .dispatch(CommandEnvelope::new(Command::ProjectCreate {
            project_id,
            title: "bench".into(),
            workspace_root: folder.display().to_string(),
            default_model: None,
        }))
        .await
        .expect("project");
    project_id
}

/// peon's HTTP app (with the agents running) on a free loopback port.
#[allow(dead_code)] // not every bench serves HTTP
pub async fn serve(
    engine: &peon_server::orchestration::Engine,
    db: &peon_server::persistence::Database,
    data_dir: &std::path::Path,
) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let agents = peon_server::providers::Agents::start(
        engine.clone(),
        db.pool.clone(),
        peon_server::providers::AgentOptions::default(),
    )
    .await
    .expect("agents");
    let backend = peon_server::backend::ServerBackend {
        engine: engine.clone(),
        agents,
        diffs: Default::default(),
        db: db.clone(),
        data_dir: data_dir.to_path_buf(),
        limits: Default::default(),
        allowed_roots: Vec::new(),
        terminals: peon_server::terminals::Terminals::start(data_dir.join("terminals")),
        keymap: Default::default(),
    };
    let security = peon_server::security::Security::open(backend.limits.max_body_bytes);
    let app = peon_server::http::router(backend, None, addr, security);
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}
