//! `peon`: serve the web app, check the machine, or maintain the database.

use clap::Parser;
use peon_server::backend::ServerBackend;
use peon_server::config::{Cli, CliCommand, LogFormat, Settings};
use peon_server::orchestration::Engine;
use peon_server::persistence::{Database, EventStore, projector};
use peon_server::providers::{AgentOptions, Agents};
use peon_server::security::{self, Security, SecurityConfig, Sessions, TokenOrigin};
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
        Some(CliCommand::LoginUrl) => login_url(&settings),
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
        "a new token is in {}: {token}\nevery login made with the old one has ended (a \
         running peon notices within a second)",
        path.display()
    ));
    Ok(())
}

/// A one-time login link for the peon running on this data folder, made
/// from its token (the link is signed with it).
fn login_url(settings: &Settings) -> Result<(), String> {
    if settings.no_auth {
        return Err("peon is set to run without a token (--no-auth): open it directly".to_string());
    }
    let token = match &settings.auth_token {
        Some(token) => token.trim().to_string(),
        None => {
            let path = settings.data_dir.join(security::TOKEN_FILE);
            match security::stored_token(&settings.data_dir) {
                Ok(Some(token)) => token,
                Ok(None) => {
                    return Err(format!(
                        "no token in {}: start peon once with this data folder and it makes one",
                        path.display()
                    ));
                }
                Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
            }
        }
    };
    let url_file = settings.data_dir.join(security::URL_FILE);
    let base = match std::fs::read_to_string(&url_file) {
        Ok(url) if !url.trim().is_empty() => url.trim().to_string(),
        _ => {
            let host = if settings.host.is_unspecified() {
                std::net::IpAddr::from([127, 0, 0, 1])
            } else {
                settings.host
            };
            let base = format!("http://{}", SocketAddr::new(host, settings.port));
            eprintln!(
                "peon does not seem to be running with {} (no {}): the link is for {base}",
                settings.data_dir.display(),
                url_file.display()
            );
            base
        }
    };
    say(&security::login_link(&base, &token, settings.login_link));
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
    // Whoever reaches peon can run commands as this user, and any user or
    // process of this machine can reach loopback: peon wants a token unless
    // told otherwise (`Settings` refuses --no-auth beyond loopback), and
    // makes one if none is set.
    let token =
        security::resolve_token(settings.auth_token.as_deref(), !settings.no_auth, &data_dir)
            .map_err(|e| format!("cannot keep the auth token in {}: {e}", data_dir.display()))?;
    if settings.no_auth {
        tracing::warn!(
            "--no-auth: peon lets in everyone who reaches it; every user and process on this \
             machine can drive its agents and shells as you"
        );
    }
    let db = Database::open(&settings.database_path())
        .await
        .map_err(|e| e.to_string())?;
    let sessions = Sessions::load(db.pool.clone(), token.as_ref().map(|(t, _)| t.as_str()))
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
        keymap: settings.keymap.clone(),
    };
    let security = Security::new(
        SecurityConfig {
            token: token.as_ref().map(|(t, _)| t.clone()),
            // A token of peon's own may be rotated while it runs.
            token_file: token
                .as_ref()
                .filter(|(_, origin)| *origin != TokenOrigin::Configured)
                .map(|_| data_dir.join(security::TOKEN_FILE)),
            allowed_hosts: settings.allowed_hosts.clone(),
            session: settings.session,
            link_lifetime: settings.login_link,
            max_body_bytes: settings.limits.max_body_bytes,
            trust_proxy: settings.trust_proxy,
            open_paths: http::install::paths(),
        },
        sessions,
    );
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
    let base = url.trim_end_matches('/').to_string();
    // For `peon login-url`; gone again when peon stops.
    let url_file = data_dir.join(security::URL_FILE);
    if let Err(e) = peon_server::private::write(&url_file, base.as_bytes()) {
        tracing::warn!("cannot write {}: {e}", url_file.display());
    }
    // On stdout (never logged): the way in. The link works once, briefly,
    // so one seen in a scrollback or in `ps` (of the browser opened with
    // it) is soon worthless; the token itself is never printed.
    let link = token.as_ref().map(|(t, origin)| {
        let link = security::login_link(&base, t, settings.login_link);
        let kept = match origin {
            TokenOrigin::Configured => "your configured token".to_string(),
            _ => format!(
                "the token in {}",
                data_dir.join(security::TOKEN_FILE).display()
            ),
        };
        say(&format!(
            "log in at {link}\n(the link works once, for {} min; `peon login-url` prints a \
             fresh one; scripts send \"Authorization: Bearer\" with {kept})",
            settings.login_link.as_secs().div_ceil(60)
        ));
        link
    });
    let open = settings
        .open
        .unwrap_or_else(|| loopback && std::io::stdout().is_terminal());
    if open {
        open_browser(link.as_deref().unwrap_or(&url));
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
    let outcome = tokio::select! {
        result = server => result.map_err(|e| e.to_string()),
        _ = async {
            let _ = stopping.wait_for(|s| *s).await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } => Ok(()),
        reason = vital.0.failed() => Err(format!("stopping: {reason}")),
        reason = vital.1.failed() => Err(format!("stopping: {reason}")),
        reason = vital.2.failed() => Err(format!("stopping: {reason}")),
    };
    let _ = std::fs::remove_file(&url_file);
    outcome
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
