//! `peon-seed`: fills a data folder with a project and a thread of N
//! finished turns, through the engine, for demos, benchmarks and browser
//! tests of long threads. Prints the thread id.
//!
//! `peon-seed --data-dir DIR --workspace PATH --turns 5000`

use peon_app::contracts::*;
use peon_server::orchestration::Engine;
use peon_server::persistence::Database;
use std::process::ExitCode;

struct Args {
    data_dir: std::path::PathBuf,
    workspace: String,
    turns: u32,
}

fn parse() -> Result<Args, String> {
    let mut data_dir = None;
    let mut workspace = None;
    let mut turns = 100;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--data-dir" => data_dir = Some(value()?.into()),
            "--workspace" => workspace = Some(value()?),
            "--turns" => turns = value()?.parse().map_err(|e| format!("--turns: {e}"))?,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(Args {
        data_dir: data_dir.ok_or("--data-dir is required")?,
        workspace: workspace.ok_or("--workspace is required")?,
        turns,
    })
}

async fn seed(args: Args) -> Result<ThreadId, String> {
    let db = Database::open(&args.data_dir.join(peon_server::config::DATABASE_FILE))
        .await
        .map_err(|e| e.to_string())?;
    let engine = Engine::start(&db).await.map_err(|e| e.to_string())?;
    let send = |command: Command| {
        let engine = engine.clone();
        async move {
            engine
                .dispatch_as(CommandEnvelope::new(command), Actor::Server, None)
                .await
                .map_err(|e| e.to_string())
        }
    };
    let record = |command: InternalCommand| {
        let engine = engine.clone();
        async move {
            engine
                .dispatch_internal(command, Actor::Server, None)
                .await
                .map_err(|e| e.to_string())
        }
    };
    let project_id = ProjectId::new();
    send(Command::ProjectCreate {
        project_id,
        title: String::new(),
        workspace_root: args.workspace.clone(),
        default_model: None,
    })
    .await?;
    let thread_id = ThreadId::new();
    send(Command::new_thread(
        thread_id,
        project_id,
        format!("A thread of {} turns", args.turns),
        Provider::Codex,
    ))
    .await?;
    for n in 1..=args.turns {
        let turn_id = TurnId::new();
        send(Command::TurnStart {
            thread_id,
            turn_id,
            message_id: MessageId::new(),
            text: format!("Question number {n}: what does this code do?"),
            attachments: vec![],
        })
        .await?;
        record(InternalCommand::MarkTurnStarted { thread_id, turn_id }).await?;
        let message_id = MessageId::new();
        record(InternalCommand::MessageDelta {
            thread_id,
            message_id,
            text: format!("Answer number {n}. "),
        })
        .await?;
        record(InternalCommand::MessageDelta {
            thread_id,
            message_id,
            text: "It reads the log and folds it into a model.".into(),
        })
        .await?;
        record(InternalCommand::MessageComplete {
            thread_id,
            message_id,
        })
        .await?;
        record(InternalCommand::CompleteTurn {
            thread_id,
            turn_id,
            status: TurnOutcome::Completed,
            error: None,
        })
        .await?;
    }
    Ok(thread_id)
}

#[tokio::main]
async fn main() -> ExitCode {
    let result = match parse() {
        Ok(args) => seed(args).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(thread) => {
            println!("{thread}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("peon-seed: {e}");
            ExitCode::FAILURE
        }
    }
}
