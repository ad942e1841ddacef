//! Messages sent while the agent works: the queue behind the running turn
//! (what the decider accepts and refuses, how the next message follows a
//! turn) and steering into it.

use super::decider::{Rejection, decide};
use super::simulate::Simulation;
use peon_app::contracts::*;

fn thread() -> ThreadId {
    ThreadId::from_u128(2)
}

/// One project, one thread, a turn running (turn 1).
fn running() -> Simulation {
    let mut sim = Simulation::new(0);
    assert!(sim.submit(Command::ProjectCreate {
        project_id: ProjectId::from_u128(1),
        title: "p".into(),
        workspace_root: "/w".into(),
        default_model: None,
    }));
    assert!(sim.submit(Command::new_thread(
        thread(),
        ProjectId::from_u128(1),
        "t",
        Provider::Codex,
    )));
    assert!(sim.submit(queue(1, "first")));
    sim
}

fn queue(n: u128, text: &str) -> Command {
    Command::TurnQueue {
        thread_id: thread(),
        turn_id: TurnId::from_u128(n),
        message_id: MessageId::from_u128(n),
        text: text.into(),
        attachments: vec![],
    }
}

fn complete(sim: &Simulation, status: TurnOutcome) -> InternalCommand {
    InternalCommand::CompleteTurn {
        thread_id: thread(),
        turn_id: sim.model.threads[&thread()]
            .active_turn
            .as_ref()
            .expect("running")
            .id,
        status,
        error: None,
    }
}

fn queued_texts(sim: &Simulation) -> Vec<String> {
    sim.model.threads[&thread()]
        .queue
        .iter()
        .map(|q| q.text.clone())
        .collect()
}

fn rejected(sim: &Simulation, command: impl Into<AnyCommand>) -> Rejection {
    decide(&sim.model, &command.into()).expect_err("rejected")
}

/// The user messages of the page, in order.
fn sent(sim: &Simulation) -> Vec<String> {
    sim.model.pages[&thread()]
        .turns
        .iter()
        .flat_map(|t| &t.items)
        .filter_map(|i| match i {
            TimelineItem::Message(m) if m.role == Role::User => Some(m.text.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn queueing_with_nothing_running_and_nothing_waiting_starts_the_turn() {
    let sim = running();
    let t = &sim.model.threads[&thread()];
    assert_eq!(t.active_turn.as_ref().map(|a| a.number), Some(1));
    assert!(t.queue.is_empty());
    assert_eq!(sent(&sim), ["first"]);
}

#[test]
fn queued_messages_follow_completed_turns_in_order() {
    let mut sim = running();
    assert!(sim.submit(queue(2, "second")));
    assert!(sim.submit(queue(3, "third")));
    assert_eq!(queued_texts(&sim), ["second", "third"]);
    assert_eq!(sent(&sim), ["first"], "queued, not sent");

    let done = complete(&sim, TurnOutcome::Completed);
    assert!(sim.submit(done));
    let t = &sim.model.threads[&thread()];
    assert_eq!(
        t.active_turn.as_ref().map(|a| a.id),
        Some(TurnId::from_u128(2))
    );
    assert_eq!(t.turn_count, 2);
    assert_eq!(queued_texts(&sim), ["third"]);
    assert_eq!(sent(&sim), ["first", "second"]);
    // The turn's end and the next turn are one batch: one command.
    let last = &sim.events[sim.events.len() - 4..];
    assert!(matches!(
        last[0].event,
        OrchestrationEvent::TurnCompleted(_)
    ));
    assert!(matches!(
        last[1].event,
        OrchestrationEvent::MessageUnqueued(_)
    ));
    assert!(matches!(
        last[2].event,
        OrchestrationEvent::TurnRequested(_)
    ));
    assert!(matches!(last[3].event, OrchestrationEvent::MessageAdded(_)));
    assert!(last.iter().all(|e| e.command_id == last[0].command_id));

    let done = complete(&sim, TurnOutcome::Completed);
    assert!(sim.submit(done));
    let done = complete(&sim, TurnOutcome::Completed);
    assert!(sim.submit(done));
    assert!(sim.model.threads[&thread()].active_turn.is_none());
    assert_eq!(sent(&sim), ["first", "second", "third"]);
}

#[test]
fn a_failed_or_interrupted_turn_leaves_the_queue_waiting() {
    for outcome in [TurnOutcome::Failed, TurnOutcome::Interrupted] {
        let mut sim = running();
        assert!(sim.submit(queue(2, "second")));
        let done = complete(&sim, outcome);
        assert!(sim.submit(done));
        assert!(sim.model.threads[&thread()].active_turn.is_none());
        assert_eq!(queued_texts(&sim), ["second"], "{outcome:?}");
        // Queueing more keeps the order; nothing jumps ahead.
        assert!(sim.submit(queue(3, "third")));
        assert_eq!(queued_texts(&sim), ["second", "third"]);
        assert!(sim.model.threads[&thread()].active_turn.is_none());
        // The user sends the one they choose; the rest follow it.
        assert!(sim.submit(Command::QueueSend {
            thread_id: thread(),
            message_id: MessageId::from_u128(3),
        }));
        assert_eq!(sent(&sim), ["first", "third"]);
        let done = complete(&sim, TurnOutcome::Completed);
        assert!(sim.submit(done));
        assert_eq!(sent(&sim), ["first", "third", "second"]);
    }
}

#[test]
fn after_a_restart_the_next_queued_message_is_sent_once() {
    let mut sim = running();
    assert!(sim.submit(queue(2, "second")));
    let done = complete(&sim, TurnOutcome::Interrupted);
    assert!(sim.submit(done));
    let again = InternalCommand::SendQueued {
        thread_id: thread(),
    };
    assert!(sim.submit(again.clone()));
    assert_eq!(sent(&sim), ["first", "second"]);
    // Twice is refused: it is running, and the queue is empty.
    assert_eq!(rejected(&sim, again.clone()), Rejection::NothingToChange);
    let done = complete(&sim, TurnOutcome::Completed);
    assert!(sim.submit(done));
    assert_eq!(rejected(&sim, again), Rejection::NothingToChange);
}

#[test]
fn cancel_and_move_change_only_the_queue() {
    let mut sim = running();
    for (n, text) in [(2, "a"), (3, "b"), (4, "c")] {
        assert!(sim.submit(queue(n, text)));
    }
    assert!(sim.submit(Command::QueueMove {
        thread_id: thread(),
        message_id: MessageId::from_u128(4),
        to: 0,
    }));
    assert_eq!(queued_texts(&sim), ["c", "a", "b"]);
    // A place past the end is the end.
    assert!(sim.submit(Command::QueueMove {
        thread_id: thread(),
        message_id: MessageId::from_u128(4),
        to: 99,
    }));
    assert_eq!(queued_texts(&sim), ["a", "b", "c"]);
    assert!(sim.submit(Command::QueueCancel {
        thread_id: thread(),
        message_id: MessageId::from_u128(3),
    }));
    assert_eq!(queued_texts(&sim), ["a", "c"]);
    assert_eq!(sent(&sim), ["first"]);
}

#[test]
fn bad_queue_commands_are_refused_by_name() {
    let mut sim = running();
    let missing = MessageId::from_u128(77);
    let cases: Vec<(Command, Rejection)> = vec![
        (queue(5, "  "), Rejection::EmptyMessage),
        (
            Command::QueueCancel {
                thread_id: thread(),
                message_id: missing,
            },
            Rejection::NotQueued(missing),
        ),
        (
            Command::QueueMove {
                thread_id: thread(),
                message_id: missing,
                to: 0,
            },
            Rejection::NotQueued(missing),
        ),
        (
            Command::QueueSend {
                thread_id: thread(),
                message_id: missing,
            },
            Rejection::NotQueued(missing),
        ),
    ];
    for (command, rejection) in cases {
        assert_eq!(rejected(&sim, command), rejection);
    }
    assert!(sim.submit(queue(2, "second")));
    assert_eq!(
        rejected(&sim, queue(2, "again")),
        Rejection::DuplicateMessage(MessageId::from_u128(2))
    );
    // Sending from the queue while a turn runs is refused: it waits.
    let send = Command::QueueSend {
        thread_id: thread(),
        message_id: MessageId::from_u128(2),
    };
    assert_eq!(rejected(&sim, send), Rejection::TurnAlreadyRunning);
    let same_place = Command::QueueMove {
        thread_id: thread(),
        message_id: MessageId::from_u128(2),
        to: 0,
    };
    assert_eq!(rejected(&sim, same_place), Rejection::NothingToChange);
    for n in 3..(MAX_QUEUED as u128 + 2) {
        assert!(sim.submit(queue(n, "more")));
    }
    let full = rejected(&sim, queue(999, "one too many"));
    assert_eq!(full, Rejection::QueueFull);
    assert!(full.to_string().contains(&MAX_QUEUED.to_string()));
    assert!(sim.submit(Command::ThreadArchive {
        thread_id: thread(),
    }));
    let done = complete(&sim, TurnOutcome::Completed);
    assert!(sim.submit(done));
    assert!(
        sim.model.threads[&thread()].active_turn.is_none(),
        "an archived thread sends nothing from its queue"
    );
    assert_eq!(rejected(&sim, queue(1000, "x")), Rejection::ThreadArchived);
}

#[test]
fn a_steering_message_joins_the_running_turn() {
    let mut sim = running();
    let turn = sim.model.threads[&thread()]
        .active_turn
        .clone()
        .expect("running");
    assert!(sim.submit(Command::TurnSteer {
        thread_id: thread(),
        message_id: MessageId::from_u128(9),
        text: "use the other file".into(),
    }));
    let Some(OrchestrationEvent::MessageAdded(added)) = sim.events.last().map(|e| &e.event) else {
        panic!("a message")
    };
    assert!(added.steer && added.turn_id == turn.id && added.role == Role::User);
    let t = &sim.model.threads[&thread()];
    assert_eq!(
        t.active_turn.as_ref().map(|a| a.id),
        Some(turn.id),
        "the same turn"
    );
    assert_eq!(t.turn_count, 1);
    assert_eq!(sent(&sim), ["first", "use the other file"]);
}

#[test]
fn steering_needs_a_running_turn_and_words() {
    let mut sim = running();
    let steer = |text: &str| Command::TurnSteer {
        thread_id: thread(),
        message_id: MessageId::from_u128(9),
        text: text.into(),
    };
    assert_eq!(rejected(&sim, steer(" ")), Rejection::EmptyMessage);
    let done = complete(&sim, TurnOutcome::Completed);
    assert!(sim.submit(done));
    assert_eq!(rejected(&sim, steer("late")), Rejection::NothingRunning);
    assert!(sim.submit(queue(5, "again")));
    assert!(sim.submit(Command::ThreadArchive {
        thread_id: thread(),
    }));
    assert_eq!(rejected(&sim, steer("archived")), Rejection::ThreadArchived);
}
