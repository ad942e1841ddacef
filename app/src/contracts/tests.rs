use super::event::*;
use super::*;
use std::collections::BTreeSet;

fn t() -> ThreadId {
    ThreadId::from_u128(1)
}
fn turn() -> TurnId {
    TurnId::from_u128(2)
}

/// One instance of every event variant.
fn samples() -> Vec<OrchestrationEvent> {
    let p = ProjectId::from_u128(3);
    vec![
        ProjectCreated {
            project_id: p,
            title: "p".into(),
            workspace_root: "/w".into(),
            default_model: None,
        }
        .into(),
        ProjectUpdated {
            project_id: p,
            title: Some("q".into()),
            default_model: None,
        }
        .into(),
        ProjectDeleted { project_id: p }.into(),
        ThreadCreated {
            thread_id: t(),
            project_id: p,
            title: "t".into(),
            provider: Provider::Claude,
            model: Some("m".into()),
            runtime_mode: RuntimeMode::FullAccess,
            interaction_mode: InteractionMode::Plan,
            branch: None,
            worktree_path: None,
        }
        .into(),
        ThreadUpdated {
            thread_id: t(),
            title: None,
            model: None,
            runtime_mode: Some(RuntimeMode::ApprovalRequired),
            interaction_mode: None,
            branch: None,
            provider: Some(Provider::Claude),
        }
        .into(),
        ThreadArchived { thread_id: t() }.into(),
        ThreadUnarchived { thread_id: t() }.into(),
        ThreadDeleted {
            thread_id: t(),
            project_id: p,
        }
        .into(),
        TurnRequested {
            thread_id: t(),
            turn_id: turn(),
            number: 1,
        }
        .into(),
        TurnStarted {
            thread_id: t(),
            turn_id: turn(),
        }
        .into(),
        TurnInterruptRequested {
            thread_id: t(),
            turn_id: turn(),
        }
        .into(),
        TurnCompleted {
            thread_id: t(),
            turn_id: turn(),
            status: TurnOutcome::Failed,
            error: Some("boom".into()),
        }
        .into(),
        MessageAdded {
            thread_id: t(),
            turn_id: turn(),
            message_id: MessageId::from_u128(4),
            role: Role::User,
            text: "hi".into(),
            attachments: vec![Attachment {
                name: "a.png".into(),
                mime_type: "image/png".into(),
                size_bytes: 3,
            }],
            streaming: false,
            steer: true,
        }
        .into(),
        MessageDelta {
            thread_id: t(),
            message_id: MessageId::from_u128(4),
            text: "more".into(),
        }
        .into(),
        MessageCompleted {
            thread_id: t(),
            message_id: MessageId::from_u128(4),
        }
        .into(),
        ActivityRecorded {
            thread_id: t(),
            turn_id: turn(),
            activity_id: ActivityId::from_u128(5),
            kind: ActivityKind::Command,
            summary: "ls".into(),
            detail: None,
            status: ActivityStatus::Completed,
        }
        .into(),
        ApprovalRequested {
            thread_id: t(),
            turn_id: turn(),
            approval_id: ApprovalId::from_u128(6),
            kind: ApprovalKind::FileChange,
            detail: "diff".into(),
        }
        .into(),
        ApprovalResolved {
            thread_id: t(),
            approval_id: ApprovalId::from_u128(6),
            decision: ApprovalDecision::AcceptForSession,
        }
        .into(),
        SessionChanged {
            thread_id: t(),
            status: SessionStatus::Ready,
            provider_thread_id: Some("x".into()),
            last_error: None,
        }
        .into(),
        SessionStopRequested { thread_id: t() }.into(),
        CheckpointCreated {
            thread_id: t(),
            turn_id: None,
            turn_count: 0,
            git_ref: "refs/peon/checkpoints/t/0".into(),
            files: vec![FileStat {
                path: "a".into(),
                kind: FileChangeKind::Added,
                additions: 1,
                deletions: 0,
            }],
            skipped: vec!["big.bin".into()],
        }
        .into(),
        RevertRequested {
            thread_id: t(),
            turn_count: 0,
        }
        .into(),
        ThreadReverted {
            thread_id: t(),
            turn_count: 0,
        }
        .into(),
        RevertFailed {
            thread_id: t(),
            turn_count: 0,
            error: "no checkpoint".into(),
        }
        .into(),
        SettingsUpdated {
            key: "theme".into(),
            value: serde_json::json!("dark"),
        }
        .into(),
        ThreadDeleteRequested {
            thread_id: t(),
            discard_changes: true,
        }
        .into(),
        ThreadDeleteFailed {
            thread_id: t(),
            error: "the worktree has uncommitted changes".into(),
        }
        .into(),
        ProjectDeleteRequested { project_id: p }.into(),
        ProjectDeleteFailed {
            project_id: p,
            error: "e".into(),
        }
        .into(),
        MessageQueued {
            thread_id: t(),
            message_id: MessageId::from_u128(40),
            turn_id: TurnId::from_u128(41),
            text: "then this".into(),
            attachments: vec![],
        }
        .into(),
        MessageUnqueued {
            thread_id: t(),
            message_id: MessageId::from_u128(40),
        }
        .into(),
        QueueMoved {
            thread_id: t(),
            message_id: MessageId::from_u128(40),
            to: 0,
        }
        .into(),
        UsageRecorded {
            thread_id: t(),
            turn_id: turn(),
            added: TokenUsage {
                input: 1200,
                cached_input: 200,
                output: 300,
                reasoning_output: 40,
            },
            context_tokens: Some(1500),
            context_window: Some(258_400),
            cost_micros: Some(1240),
        }
        .into(),
    ]
}

#[test]
fn every_variant_has_one_wire_name_equal_to_its_serde_tag() {
    let samples = samples();
    let covered: BTreeSet<&str> = samples.iter().map(|e| e.event_type()).collect();
    let all: BTreeSet<&str> = OrchestrationEvent::TYPES.iter().copied().collect();
    assert_eq!(covered, all, "samples must cover every variant");
    assert_eq!(
        all.len(),
        OrchestrationEvent::TYPES.len(),
        "wire names are unique"
    );
    for event in samples {
        let json = serde_json::to_value(&event).expect("serialise");
        assert_eq!(json["type"], event.event_type(), "{event:?}");
        let back: OrchestrationEvent = serde_json::from_value(json).expect("deserialise");
        assert_eq!(back, event);
    }
}

#[test]
fn unknown_event_and_command_types_are_refused() {
    let bad = serde_json::json!({"type": "thread.exploded", "thread_id": t()});
    assert!(serde_json::from_value::<OrchestrationEvent>(bad).is_err());
    let bad =
        serde_json::json!({"command_id": CommandId::from_u128(9), "command": {"type": "nope"}});
    assert!(serde_json::from_value::<CommandEnvelope>(bad).is_err());
}

#[test]
fn a_client_envelope_cannot_carry_an_internal_command() {
    let internal = InternalCommand::CompleteTurn {
        thread_id: t(),
        turn_id: turn(),
        status: TurnOutcome::Completed,
        error: None,
    };
    let json = serde_json::to_value(&internal).expect("serialise");
    assert_eq!(json["type"], "internal.turn-complete");
    let envelope = serde_json::json!({"command_id": CommandId::from_u128(9), "command": json});
    let refused = serde_json::from_value::<CommandEnvelope>(envelope).expect_err("refused");
    assert!(
        refused.to_string().contains("internal.turn-complete"),
        "{refused}"
    );
    // Either kind hashes (in receipts) as the command itself.
    assert_eq!(
        serde_json::to_value(AnyCommand::from(&internal)).expect("any"),
        json
    );
    let client = Command::TurnInterrupt { thread_id: t() };
    assert_eq!(
        serde_json::to_value(AnyCommand::from(&client)).expect("any"),
        serde_json::to_value(&client).expect("client")
    );
}

#[test]
fn ids_travel_as_strings_and_parse_back() {
    let id = ThreadId::new();
    let json = serde_json::to_string(&id).expect("serialise");
    assert_eq!(json, format!("\"{id}\""));
    assert_eq!(id.to_string().parse::<ThreadId>().ok(), Some(id));
    assert!("not-a-uuid".parse::<ThreadId>().is_err());
    assert_ne!(ThreadId::new(), ThreadId::new());
}

#[test]
fn thread_state_follows_turns_and_approvals() {
    let mut model = ReadModel::full();
    let mut seq = 0;
    let mut apply = |model: &mut ReadModel, event: OrchestrationEvent| {
        seq += 1;
        let (stream_kind, stream_id) = event.stream();
        model.apply(&StoredEvent {
            sequence: seq,
            event_id: EventId::from_u128(seq as u128),
            stream_kind,
            stream_id,
            stream_version: seq,
            occurred_at: chrono::DateTime::from_timestamp(seq as i64, 0).unwrap_or_default(),
            command_id: None,
            causation_event_id: None,
            correlation_id: None,
            actor: Actor::Server,
            event,
        });
    };
    let s = samples();
    apply(&mut model, s[0].clone());
    apply(&mut model, s[3].clone());
    assert_eq!(model.threads[&t()].state(), ThreadState::Idle);
    apply(&mut model, s[8].clone()); // turn requested
    assert_eq!(model.threads[&t()].state(), ThreadState::Running);
    apply(&mut model, s[16].clone()); // approval requested
    assert_eq!(model.threads[&t()].state(), ThreadState::AwaitingApproval);
    apply(&mut model, s[11].clone()); // turn failed
    let thread = &model.threads[&t()];
    assert_eq!(thread.state(), ThreadState::Error);
    assert!(
        thread.pending_approvals.is_empty(),
        "a finished turn leaves no pending approval"
    );
    assert_eq!(thread.last_error.as_deref(), Some("boom"));
    assert_eq!(model.pages[&t()].turns.len(), 1);
    assert_eq!(model.pages[&t()].turns[0].status, TurnStatus::Failed);
}
