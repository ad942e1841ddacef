//! `peon`: serve the web app, or maintain its database.

use clap::Parser;
use peon_server::backend::ServerBackend;
use peon_server::config::{Cli, CliCommand};
use peon_server::orchestration::Engine;
use peon_server::persistence::{Database, EventStore, projector};
use peon_server::providers::Agents;
use peon_server::{http, site};
use std::net::SocketAddr;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PEON_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Some(CliCommand::RebuildProjections) => rebuild(&cli).await,
        Some(CliCommand::Serve) | None => serve(&cli).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("peon: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn rebuild(cli: &Cli) -> Result<(), String> {
    let db = Database::open(&cli.common.database_path())
        .await
        .map_err(|e| e.to_string())?;
    let mut conn = db.writer().await.map_err(|e| e.to_string())?;
    let count = projector::rebuild(&EventStore::new(db.pool.clone()), &mut conn)
        .await
        .map_err(|e| e.to_string())?;
    println!("rebuilt the projections from {count} events");
    Ok(())
}

async fn serve(cli: &Cli) -> Result<(), String> {
    let data_dir = cli.common.data_dir();
    let db = Database::open(&cli.common.database_path())
        .await
        .map_err(|e| e.to_string())?;
    let engine = Engine::start(&db).await.map_err(|e| e.to_string())?;
    if !cli.serve.host.is_loopback() {
        // Whoever reaches peon can run commands on this machine; until
        // token auth and Host/Origin checks exist, it stays on loopback.
        return Err(format!(
            "refusing to listen on {}: peon has no authentication yet, so it only listens on a \
             loopback address such as 127.0.0.1",
            cli.serve.host
        ));
    }
    let addr = SocketAddr::new(cli.serve.host, cli.serve.port);
    let site_root = site::find_site_root();
    if site_root.is_none() {
        tracing::warn!(
            "site files (pkg/peon.js) not found: pages render without styles or interactivity; \
             build them with scripts/build-site or set PEON_SITE_ROOT"
        );
    }
    let agents = Agents::start(
        engine.clone(),
        db.pool.clone(),
        std::time::Duration::from_secs(cli.serve.agent_idle_secs),
    )
    .await
    .map_err(|e| e.to_string())?;
    let backend = ServerBackend {
        engine,
        agents,
        diffs: Default::default(),
        db,
        data_dir: data_dir.clone(),
    };
    let app = http::router(backend, site_root, addr);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let bound = listener.local_addr().map_err(|e| e.to_string())?;
    println!(
        "peon is running at http://{bound}/ (data in {})",
        data_dir.display()
    );
    // On a signal, stop accepting and give open requests a moment; event
    // streams never end by themselves, so they are cut after the grace.
    let (stopping_tx, mut stopping) = tokio::sync::watch::channel(false);
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        shutdown_signal().await;
        let _ = stopping_tx.send(true);
    });
    tokio::select! {
        result = server => result.map_err(|e| e.to_string()),
        _ = async {
            let _ = stopping.wait_for(|s| *s).await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } => Ok(()),
    }
}

/// How long open connections may finish after a shutdown signal.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
