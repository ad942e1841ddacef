//! `peon`: serve the web app, check the machine, or maintain the database.

use clap::Parser;
use peon_server::backend::ServerBackend;
use peon_server::config::{Cli, CliCommand, LogFormat, Settings};
use peon_server::orchestration::Engine;
use peon_server::persistence::{Database, EventStore, projector};
use peon_server::providers::{AgentOptions, Agents};
use peon_server::security::{self, Security, TokenOrigin};
use peon_server::{doctor, http, site};
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load(&cli) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("peon: {e}");
            return ExitCode::FAILURE;
        }
    };
    init_logging(&settings);
    if peon_server::config::token_on_command_line(std::env::args_os()) {
        tracing::warn!("{}", peon_server::config::TOKEN_ON_COMMAND_LINE);
    }
    let result = match cli.command {
        Some(CliCommand::RebuildProjections) => rebuild(&settings).await,
        Some(CliCommand::Doctor) => check(&settings).await,
        Some(CliCommand::RotateToken) => rotate(&settings),
        Some(CliCommand::Serve) | None => serve(&settings).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("peon: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Readable lines on stderr, or JSON ones; the level takes a plain level
/// or a `tracing` filter.
fn init_logging(settings: &Settings) {
    let filter = tracing_subscriber::EnvFilter::try_new(&settings.log_level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match settings.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

async fn rebuild(settings: &Settings) -> Result<(), String> {
    let db = Database::open(&settings.database_path())
        .await
        .map_err(|e| e.to_string())?;
    let mut conn = db.writer().await.map_err(|e| e.to_string())?;
    let count = projector::rebuild(&EventStore::new(db.pool.clone()), &mut conn)
        .await
        .map_err(|e| e.to_string())?;
    println!("rebuilt the projections from {count} events");
    Ok(())
}

/// A new token in the data folder; a token set in the configuration is the
/// user's to change there.
fn rotate(settings: &Settings) -> Result<(), String> {
    if settings.auth_token.is_some() {
        return Err(
            "the token is set by --auth-token, PEON_AUTH_TOKEN or auth_token in the config \
             file: change it there (every login made with the old one ends)"
                .to_string(),
        );
    }
    let path = settings.data_dir.join(security::TOKEN_FILE);
    let token = security::rotate_token(&settings.data_dir)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    say(&format!(
        "a new token is in {}: {token}
restart peon to use it; every login made with the old \
         one then ends",
        path.display()
    ));
    Ok(())
}

async fn check(settings: &Settings) -> Result<(), String> {
    let checks = doctor::run(settings).await;
    for c in &checks {
        println!("{c}");
    }
    match checks.iter().filter(|c| c.essential && !c.ok).count() {
        0 => Ok(()),
        n => Err(format!("{n} essential check(s) failed")),
    }
}

async fn serve(settings: &Settings) -> Result<(), String> {
    let data_dir = settings.data_dir.clone();
    keep_private(settings)?;
    let loopback = settings.host.is_loopback();
    // Whoever reaches peon can run commands on this machine: beyond
    // loopback, or behind a proxy (extra Host names), it always wants a
    // token, and makes one if none is set.
    let exposed = !loopback || !settings.allowed_hosts.is_empty();
    let token = security::resolve_token(settings.auth_token.as_deref(), exposed, &data_dir)
        .map_err(|e| format!("cannot keep the auth token in {}: {e}", data_dir.display()))?;
    let db = Database::open(&settings.database_path())
        .await
        .map_err(|e| e.to_string())?;
    let engine = Engine::start(&db).await.map_err(|e| e.to_string())?;
    let addr = SocketAddr::new(settings.host, settings.port);
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
        AgentOptions {
            idle_timeout: settings.agent_idle,
            max_agents: settings.max_agents,
            checkpoints: settings.checkpoints.clone(),
        },
    )
    .await
    .map_err(|e| e.to_string())?;
    let terminals = peon_server::terminals::Terminals::start(data_dir.join(TERMINALS_DIR));
    let worktree_reactor = peon_server::worktrees::start(
        engine.clone(),
        db.pool.clone(),
        terminals.clone(),
        data_dir.join(peon_server::backend::WORKTREES_DIR),
    )
    .await
    .map_err(|e| e.to_string())?;
    // Any of these failing leaves a peon that cannot write, run turns or
    // clean up: exit.
    let vital = (engine.clone(), agents.clone(), worktree_reactor);
    let backend = ServerBackend {
        engine,
        agents,
        diffs: Default::default(),
        db,
        data_dir: data_dir.clone(),
        limits: settings.limits.clone(),
        allowed_roots: settings.allowed_roots.clone(),
        terminals,
    };
    let security = Security::new(
        token.as_ref().map(|(t, _)| t.clone()),
        &settings.allowed_hosts,
        settings.session,
        settings.limits.max_body_bytes,
    )
    .trusting_proxy(settings.trust_proxy);
    let app = http::router(backend, site_root, addr, security);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let bound = listener.local_addr().map_err(|e| e.to_string())?;
    let url = if bound.ip().is_unspecified() {
        format!("http://127.0.0.1:{}/", bound.port())
    } else {
        format!("http://{bound}/")
    };
    say(&format!(
        "peon is running at {url} (listening on {bound}, data in {})",
        data_dir.display()
    ));
    match &token {
        // Printed once, on stdout (never logged): the way in.
        Some((t, TokenOrigin::Generated)) => say(&format!(
            "log in at {url}login?token={t} (the token is kept in {})",
            data_dir.join(security::TOKEN_FILE).display()
        )),
        Some((_, TokenOrigin::Stored)) => say(&format!(
            "log in with the token in {}",
            data_dir.join(security::TOKEN_FILE).display()
        )),
        Some((_, TokenOrigin::Configured)) => say(&format!("log in at {url}login with your token")),
        None => {}
    }
    let open = settings
        .open
        .unwrap_or_else(|| loopback && std::io::stdout().is_terminal());
    if open {
        open_browser(&url);
    }
    // On a signal, stop accepting and give open requests a moment; event
    // streams never end by themselves, so they are cut after the grace.
    let (stopping_tx, mut stopping) = tokio::sync::watch::channel(false);
    let server = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown_signal().await;
        let _ = stopping_tx.send(true);
    });
    tokio::select! {
        result = server => result.map_err(|e| e.to_string()),
        _ = async {
            let _ = stopping.wait_for(|s| *s).await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } => Ok(()),
        reason = vital.0.failed() => Err(format!("stopping: {reason}")),
        reason = vital.1.failed() => Err(format!("stopping: {reason}")),
        reason = vital.2.failed() => Err(format!("stopping: {reason}")),
    }
}

/// Only this user may read the data folder: looser modes left by an older
/// peon or a umask are tightened, and said so.
fn keep_private(settings: &Settings) -> Result<(), String> {
    let data_dir = &settings.data_dir;
    let tightened = peon_server::private::secure_data_dir(
        data_dir,
        &settings.database_path(),
        &[&data_dir.join(security::TOKEN_FILE)],
        &[
            &data_dir.join(TERMINALS_DIR),
            &data_dir.join(peon_server::backend::WORKTREES_DIR),
        ],
    )
    .map_err(|e| format!("cannot make {} private: {e}", data_dir.display()))?;
    for (path, old) in tightened {
        tracing::warn!(
            "{} could be read by other users of this machine (mode {old:o}); it is now \
             readable by you only",
            path.display()
        );
    }
    Ok(())
}

/// A line for the person who started peon. Whoever reads stdout may have
/// gone away; that must not stop the server.
fn say(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}").and_then(|()| out.flush());
}

/// Opens `url` in the desktop's browser; failing to is only worth a note.
fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    let started = std::process::Command::new(opener)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    if let Err(e) = started {
        tracing::info!("could not open the browser ({opener}: {e}); open {url} yourself");
    }
}

/// The folder inside the data folder that holds terminals' scrollback.
const TERMINALS_DIR: &str = "terminals";

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
