//! One test per rejection: each names the problem and appends nothing.

use super::decider::{Rejection, decide, decide_client};
use super::simulate::Simulation;
use super::workspace::prepare;
use peon_app::contracts::*;

const P: u128 = 1;
const T: u128 = 2;
const TURN: u128 = 3;

fn project() -> ProjectId {
    ProjectId::from_u128(P)
}
fn thread() -> ThreadId {
    ThreadId::from_u128(T)
}

fn create_project() -> Command {
    Command::ProjectCreate {
        project_id: project(),
        title: "p".into(),
        workspace_root: "/w".into(),
        default_model: None,
    }
}

fn create_thread() -> Command {
    Command::new_thread(thread(), project(), "t", Provider::Codex)
}

fn start_turn(n: u128) -> Command {
    Command::TurnStart {
        thread_id: thread(),
        turn_id: TurnId::from_u128(n),
        message_id: MessageId::from_u128(n),
        text: "hello".into(),
        attachments: vec![],
    }
}

/// A model with one project and one idle thread.
fn with_thread() -> Simulation {
    let mut sim = Simulation::new(0);
    assert!(sim.submit(create_project()));
    assert!(sim.submit(create_thread()));
    sim
}

fn rejected(sim: &Simulation, command: impl Into<AnyCommand>) -> Rejection {
    decide(&sim.model, &command.into()).expect_err("rejected")
}

#[test]
fn unknown_project() {
    let sim = Simulation::new(0);
    let r = rejected(&sim, create_thread());
    assert_eq!(r, Rejection::UnknownProject(project()));
    assert_eq!(r.to_string(), format!("project {} not found", project()));
}

#[test]
fn unknown_thread() {
    let sim = with_thread();
    let other = ThreadId::from_u128(99);
    let r = rejected(&sim, Command::ThreadArchive { thread_id: other });
    assert_eq!(r, Rejection::UnknownThread(other));
    assert!(r.to_string().contains("not found"));
}

#[test]
fn unknown_approval() {
    let mut sim = with_thread();
    assert!(sim.submit(start_turn(TURN)));
    let approval = ApprovalId::from_u128(42);
    let r = rejected(
        &sim,
        Command::ApprovalRespond {
            thread_id: thread(),
            approval_id: approval,
            decision: ApprovalDecision::Accept,
        },
    );
    assert_eq!(r, Rejection::UnknownApproval(approval));
}

#[test]
fn an_answered_approval_cannot_be_answered_again() {
    let mut sim = with_thread();
    assert!(sim.submit(start_turn(TURN)));
    let approval_id = ApprovalId::from_u128(42);
    assert!(sim.submit(&InternalCommand::RequestApproval {
        thread_id: thread(),
        approval_id,
        kind: ApprovalKind::Command,
        detail: "rm -rf build".into(),
    }));
    let respond = Command::ApprovalRespond {
        thread_id: thread(),
        approval_id,
        decision: ApprovalDecision::Decline,
    };
    assert!(sim.submit(&respond));
    assert_eq!(
        rejected(&sim, respond),
        Rejection::UnknownApproval(approval_id)
    );
}

#[test]
fn duplicate_creates() {
    let sim = with_thread();
    assert_eq!(
        rejected(&sim, create_project()),
        Rejection::DuplicateProject(project())
    );
    assert_eq!(
        rejected(&sim, create_thread()),
        Rejection::DuplicateThread(thread())
    );
}

#[test]
fn a_turn_already_running() {
    let mut sim = with_thread();
    assert!(sim.submit(start_turn(TURN)));
    let r = rejected(&sim, start_turn(TURN + 1));
    assert_eq!(r, Rejection::TurnAlreadyRunning);
    assert!(r.to_string().contains("already running"));
}

#[test]
fn interrupt_with_nothing_running() {
    let sim = with_thread();
    assert_eq!(
        rejected(
            &sim,
            Command::TurnInterrupt {
                thread_id: thread()
            }
        ),
        Rejection::NothingRunning
    );
}

#[test]
fn revert_beyond_the_last_checkpoint() {
    let mut sim = with_thread();
    let revert = |n| Command::CheckpointRevert {
        thread_id: thread(),
        turn_count: n,
    };
    assert!(matches!(
        rejected(&sim, revert(0)),
        Rejection::RevertOutOfRange { requested: 0, .. }
    ));
    assert!(sim.submit(start_turn(TURN)));
    assert!(sim.submit(&InternalCommand::RecordCheckpoint {
        thread_id: thread(),
        turn_id: Some(TurnId::from_u128(TURN)),
        turn_count: 1,
        git_ref: "refs/peon/checkpoints/t/1".into(),
        files: vec![],
        skipped: vec![],
    }));
    assert!(sim.submit(&InternalCommand::CompleteTurn {
        thread_id: thread(),
        turn_id: TurnId::from_u128(TURN),
        status: TurnOutcome::Completed,
        error: None,
    }));
    let r = rejected(&sim, revert(2));
    assert_eq!(
        r.to_string(),
        "cannot revert to turn 2: the latest checkpoint is turn 1"
    );
    assert!(decide(&sim.model, &revert(1).into()).is_ok());
}

#[test]
fn empty_message() {
    let sim = with_thread();
    let r = rejected(
        &sim,
        Command::TurnStart {
            thread_id: thread(),
            turn_id: TurnId::from_u128(TURN),
            message_id: MessageId::from_u128(TURN),
            text: "  \n\t".into(),
            attachments: vec![],
        },
    );
    assert_eq!(r, Rejection::EmptyMessage);
    assert_eq!(r.to_string(), "a message cannot be empty");
}

#[test]
fn archived_threads_take_no_turns() {
    let mut sim = with_thread();
    assert!(sim.submit(&Command::ThreadArchive {
        thread_id: thread()
    }));
    assert_eq!(rejected(&sim, start_turn(TURN)), Rejection::ThreadArchived);
    assert_eq!(
        rejected(
            &sim,
            Command::ThreadArchive {
                thread_id: thread()
            }
        ),
        Rejection::AlreadyArchived
    );
}

#[test]
fn workspace_that_does_not_exist() {
    let r = prepare(&Command::ProjectCreate {
        project_id: project(),
        title: String::new(),
        workspace_root: "/definitely/not/here".into(),
        default_model: None,
    })
    .expect_err("missing folder");
    assert_eq!(
        r.to_string(),
        "the workspace /definitely/not/here cannot be used: it does not exist"
    );
}

#[test]
fn workspace_that_is_a_file() {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("notes.txt");
    std::fs::write(&file, "x").expect("write");
    let r = prepare(&Command::ProjectCreate {
        project_id: project(),
        title: String::new(),
        workspace_root: file.display().to_string(),
        default_model: None,
    })
    .expect_err("a file");
    assert!(r.to_string().ends_with("it is not a folder"), "{r}");
}

#[test]
fn workspace_given_relative_is_refused() {
    let r = prepare(&Command::ProjectCreate {
        project_id: project(),
        title: String::new(),
        workspace_root: "some/relative/dir".into(),
        default_model: None,
    })
    .expect_err("relative");
    assert!(r.to_string().contains("must be absolute"), "{r}");
}

#[test]
fn workspace_paths_are_canonicalised_and_titled() {
    let dir = tempfile::tempdir().expect("dir");
    let inner = dir.path().join("my repo");
    std::fs::create_dir(&inner).expect("mkdir");
    let dotted = format!("{}/../my repo/.", inner.display());
    let command = Command::ProjectCreate {
        project_id: project(),
        title: String::new(),
        workspace_root: dotted,
        default_model: None,
    };
    let prepared = prepare(&command).expect("valid");
    let Command::ProjectCreate {
        title,
        workspace_root,
        ..
    } = prepared.into_owned()
    else {
        panic!("same command kind");
    };
    assert_eq!(title, "my repo");
    assert_eq!(
        workspace_root,
        inner
            .canonicalize()
            .expect("canonical")
            .display()
            .to_string()
    );
}

#[test]
fn deleting_a_project_deletes_its_threads_first() {
    let sim = with_thread();
    let events = decide_client(
        &sim.model,
        &Command::ProjectDelete {
            project_id: project(),
        },
    )
    .expect("ok");
    let types: Vec<_> = events.iter().map(|e| e.event_type()).collect();
    assert_eq!(types, vec!["thread.deleted", "project.deleted"]);
}

#[test]
fn a_turn_start_records_the_request_and_the_user_message() {
    let sim = with_thread();
    let events = decide(&sim.model, &start_turn(TURN).into()).expect("ok");
    let types: Vec<_> = events.iter().map(|e| e.event_type()).collect();
    assert_eq!(types, vec!["turn.requested", "message.added"]);
}

#[test]
fn the_agent_is_chosen_before_the_first_turn_only() {
    let mut sim = with_thread();
    let switch = Command::ThreadUpdate {
        thread_id: thread(),
        title: None,
        model: None,
        branch: None,
        provider: Some(Provider::Claude),
    };
    assert!(sim.submit(&switch), "a new thread may change its agent");
    assert_eq!(sim.model.threads[&thread()].provider, Provider::Claude);
    assert!(sim.submit(start_turn(TURN)));
    let back = Command::ThreadUpdate {
        thread_id: thread(),
        title: None,
        model: None,
        branch: None,
        provider: Some(Provider::Codex),
    };
    let r = rejected(&sim, back);
    assert_eq!(r, Rejection::AgentFixed);
    assert!(r.to_string().contains("before its first turn"));
}

#[test]
fn plan_mode_needs_an_agent_that_has_one() {
    let mut sim = with_thread();
    let plan = Command::ThreadSetInteractionMode {
        thread_id: thread(),
        interaction_mode: InteractionMode::Plan,
    };
    let r = rejected(&sim, plan.clone());
    assert_eq!(r, Rejection::NoPlanMode("Codex"));
    assert_eq!(r.to_string(), "Codex has no plan mode");
    let to_claude = Command::ThreadUpdate {
        thread_id: thread(),
        title: None,
        model: None,
        branch: None,
        provider: Some(Provider::Claude),
    };
    assert!(sim.submit(&to_claude));
    assert!(sim.submit(&plan), "Claude Code plans");
    let back = Command::ThreadUpdate {
        thread_id: thread(),
        title: None,
        model: None,
        branch: None,
        provider: Some(Provider::Codex),
    };
    assert_eq!(rejected(&sim, back), Rejection::NoPlanMode("Codex"));
}

#[test]
fn a_revert_can_fail_only_while_requested() {
    let sim = with_thread();
    let fail = InternalCommand::FailRevert {
        thread_id: thread(),
        turn_count: 0,
        error: "boom".into(),
    };
    let r = rejected(&sim, fail);
    assert_eq!(r, Rejection::NoRevertPending);
    assert_eq!(r.to_string(), "no revert to that turn is under way");
}

/// A thread with one finished turn, checkpointed, and a revert to turn 0
/// asked for but not yet carried out.
fn reverting() -> Simulation {
    let mut sim = with_thread();
    assert!(sim.submit(start_turn(TURN)));
    for (n, turn_id) in [(0, None), (1, Some(TurnId::from_u128(TURN)))] {
        assert!(sim.submit(&InternalCommand::RecordCheckpoint {
            thread_id: thread(),
            turn_id,
            turn_count: n,
            git_ref: format!("refs/peon/checkpoints/t/{n}"),
            files: vec![],
            skipped: vec![],
        }));
    }
    assert!(sim.submit(&InternalCommand::CompleteTurn {
        thread_id: thread(),
        turn_id: TurnId::from_u128(TURN),
        status: TurnOutcome::Completed,
        error: None,
    }));
    assert!(sim.submit(&Command::CheckpointRevert {
        thread_id: thread(),
        turn_count: 0,
    }));
    sim
}

#[test]
fn nothing_joins_a_thread_while_it_reverts() {
    let sim = reverting();
    let r = rejected(&sim, start_turn(TURN + 1));
    assert_eq!(r, Rejection::RevertPending(0));
    assert_eq!(
        r.to_string(),
        "the thread is being reverted to turn 0; wait for the revert to finish"
    );
    let again = Command::CheckpointRevert {
        thread_id: thread(),
        turn_count: 1,
    };
    assert_eq!(rejected(&sim, again), Rejection::RevertPending(0));
    let answer = Command::ApprovalRespond {
        thread_id: thread(),
        approval_id: ApprovalId::from_u128(9),
        decision: ApprovalDecision::Accept,
    };
    assert_eq!(rejected(&sim, answer), Rejection::RevertPending(0));
}

#[test]
fn a_revert_completes_only_the_revert_asked_for() {
    let idle = with_thread();
    let complete = |n| InternalCommand::CompleteRevert {
        thread_id: thread(),
        turn_count: n,
    };
    assert_eq!(rejected(&idle, complete(0)), Rejection::NoRevertPending);
    let mut sim = reverting();
    assert_eq!(rejected(&sim, complete(1)), Rejection::NoRevertPending);
    assert!(sim.submit(complete(0)));
    assert_eq!(sim.model.threads[&thread()].turn_count, 0);
    assert_eq!(rejected(&sim, complete(0)), Rejection::NoRevertPending);
    // Done: the thread takes turns again, numbered from the revert.
    assert!(sim.submit(start_turn(TURN + 1)));
    assert_eq!(sim.model.threads[&thread()].turn_count, 1);
}

/// A project and one thread in a worktree of its own.
fn with_worktree_thread() -> Simulation {
    let mut sim = Simulation::new(0);
    assert!(sim.submit(create_project()));
    assert!(sim.submit(Command::ThreadCreate {
        thread_id: thread(),
        project_id: project(),
        title: "t".into(),
        provider: Provider::Codex,
        model: None,
        runtime_mode: RuntimeMode::FullAccess,
        interaction_mode: InteractionMode::Default,
        branch: Some("peon/t".into()),
        worktree: true,
        worktree_path: Some("/data/worktrees/w-t".into()),
    }));
    sim
}

#[test]
fn a_project_with_worktree_threads_is_deleted_through_the_reactor() {
    let mut sim = with_worktree_thread();
    let complete = InternalCommand::CompleteProjectDelete {
        project_id: project(),
    };
    assert_eq!(
        rejected(&sim, complete.clone()),
        Rejection::NoProjectDeletePending
    );
    let delete = Command::ProjectDelete {
        project_id: project(),
    };
    let events = decide_client(&sim.model, &delete).expect("asked for");
    assert_eq!(
        events.iter().map(|e| e.event_type()).collect::<Vec<_>>(),
        vec!["project.delete-requested"]
    );
    assert!(sim.submit(delete.clone()));
    // Nothing may start in it while its worktrees are being removed.
    assert_eq!(
        rejected(&sim, start_turn(TURN)),
        Rejection::ProjectBeingDeleted
    );
    assert_eq!(
        rejected(&sim, delete.clone()),
        Rejection::ProjectBeingDeleted
    );
    let other = Command::new_thread(ThreadId::from_u128(77), project(), "u", Provider::Codex);
    assert_eq!(rejected(&sim, other), Rejection::ProjectBeingDeleted);
    let thread_delete = Command::ThreadDelete {
        thread_id: thread(),
        discard_changes: true,
    };
    assert_eq!(
        rejected(&sim, thread_delete.clone()),
        Rejection::ProjectBeingDeleted
    );
    assert!(sim.submit(InternalCommand::FailProjectDelete {
        project_id: project(),
        error: "uncommitted".into(),
    }));
    let p = &sim.model.projects[&project()];
    assert!(!p.delete_requested);
    assert_eq!(p.delete_error.as_deref(), Some("uncommitted"));
    assert!(sim.submit(start_turn(TURN)), "the project is usable again");

    // A thread being deleted on its own holds the project's delete back.
    assert!(sim.submit(thread_delete));
    assert_eq!(
        rejected(&sim, delete.clone()),
        Rejection::ThreadBeingDeleted("t".into())
    );
    assert!(sim.submit(InternalCommand::FailDelete {
        thread_id: thread(),
        error: "x".into(),
    }));
    assert!(sim.submit(delete));
    let events = decide(&sim.model, &complete.clone().into()).expect("completes");
    assert_eq!(
        events.iter().map(|e| e.event_type()).collect::<Vec<_>>(),
        vec!["thread.deleted", "project.deleted"]
    );
    assert!(sim.submit(complete));
    assert!(sim.model.projects.is_empty());
    assert!(sim.model.threads.is_empty());
}

#[test]
fn a_thread_in_a_worktree_is_deleted_through_its_reactor() {
    let mut sim = with_worktree_thread();
    let complete = InternalCommand::CompleteDelete {
        thread_id: thread(),
    };
    assert_eq!(rejected(&sim, complete.clone()), Rejection::NoDeletePending);
    let delete = Command::ThreadDelete {
        thread_id: thread(),
        discard_changes: false,
    };
    let events = decide_client(&sim.model, &delete).expect("asked for");
    assert_eq!(
        events.iter().map(|e| e.event_type()).collect::<Vec<_>>(),
        vec!["thread.delete-requested"]
    );
    assert!(sim.submit(delete.clone()));
    assert_eq!(rejected(&sim, start_turn(TURN)), Rejection::BeingDeleted);
    assert_eq!(rejected(&sim, delete), Rejection::BeingDeleted);
    assert!(sim.submit(InternalCommand::FailDelete {
        thread_id: thread(),
        error: "uncommitted".into(),
    }));
    let t = &sim.model.threads[&thread()];
    assert!(!t.delete_requested);
    assert_eq!(t.last_error.as_deref(), Some("uncommitted"));
    assert!(sim.submit(Command::ThreadDelete {
        thread_id: thread(),
        discard_changes: true,
    }));
    assert!(sim.submit(complete));
    assert!(!sim.model.threads.contains_key(&thread()));
}

#[test]
fn a_thread_made_without_a_title_is_named_by_its_first_message() {
    let mut sim = Simulation::new(0);
    assert!(sim.submit(create_project()));
    assert!(sim.submit(Command::new_thread(
        thread(),
        project(),
        NEW_THREAD_TITLE,
        Provider::Codex
    )));
    let first = Command::TurnStart {
        thread_id: thread(),
        turn_id: TurnId::from_u128(TURN),
        message_id: MessageId::from_u128(TURN),
        text: "\n  Fix the flaky login test in CI  \nIt fails one run in ten.".into(),
        attachments: vec![],
    };
    let events = decide_client(&sim.model, &first).expect("ok");
    assert_eq!(
        events.iter().map(|e| e.event_type()).collect::<Vec<_>>(),
        vec!["turn.requested", "message.added", "thread.updated"]
    );
    assert!(sim.submit(first));
    assert_eq!(
        sim.model.threads[&thread()].title,
        "Fix the flaky login test in CI"
    );
    // Only the first message names it.
    assert!(sim.submit(InternalCommand::CompleteTurn {
        thread_id: thread(),
        turn_id: TurnId::from_u128(TURN),
        status: TurnOutcome::Completed,
        error: None,
    }));
    let second = decide(&sim.model, &start_turn(TURN + 1).into()).expect("ok");
    assert_eq!(second.len(), 2, "no rename on a later turn");
}

#[test]
fn titles_from_messages_are_one_short_line() {
    assert_eq!(
        title_from_message("  \n\n hello \nworld").as_deref(),
        Some("hello")
    );
    assert_eq!(title_from_message(" \n "), None);
    let long = "Refactor the session supervisor so that every agent restart is recorded in the log";
    let title = title_from_message(long).expect("title");
    assert!(title.chars().count() <= MESSAGE_TITLE_CHARS, "{title}");
    assert!(title.ends_with('…'), "{title}");
    assert!(
        long.starts_with(title.trim_end_matches('…')),
        "cut at a word: {title}"
    );
    let unbroken = "x".repeat(100);
    assert_eq!(
        title_from_message(&unbroken).expect("t").chars().count(),
        MESSAGE_TITLE_CHARS
    );
}
