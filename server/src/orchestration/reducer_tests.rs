//! Properties of the shared reducer over generated valid histories.

use super::simulate::Simulation;
use peon_app::contracts::*;
use proptest::prelude::*;

fn fold(events: &[StoredEvent], mut model: ReadModel) -> ReadModel {
    for e in events {
        model.apply(e);
    }
    model
}

/// The reducer keeps each fact twice, in a thread's summary and in its
/// timeline page, by separate code: the two must tell the same story.
fn assert_summaries_match_pages(model: &ReadModel, context: &str) {
    for (id, t) in &model.threads {
        let page = &model.pages[id];
        let numbers: Vec<u32> = page.turns.iter().map(|t| t.number).collect();
        let expected: Vec<u32> = (1..=t.turn_count).collect();
        assert_eq!(numbers, expected, "{context}: turns of {id}");
        let open_turn = page
            .turns
            .last()
            .filter(|v| matches!(v.status, TurnStatus::Requested | TurnStatus::Running));
        let active = open_turn.map(|v| ActiveTurn {
            id: v.id,
            number: v.number,
            status: v.status,
            interrupt_requested: v.interrupt_requested,
        });
        assert_eq!(t.active_turn, active, "{context}: active turn of {id}");
        let mut pending = std::collections::BTreeMap::new();
        let mut streaming = std::collections::BTreeMap::new();
        for turn in &page.turns {
            for item in &turn.items {
                match item {
                    TimelineItem::Approval(a)
                        if a.decision.is_none() && open_turn.is_some_and(|o| o.id == turn.id) =>
                    {
                        pending.insert(a.id, turn.id);
                    }
                    TimelineItem::Message(m) if m.streaming => {
                        streaming.insert(m.id, turn.id);
                    }
                    _ => {}
                }
            }
        }
        assert_eq!(t.pending_approvals, pending, "{context}: approvals of {id}");
        assert_eq!(t.open_messages, streaming, "{context}: streaming in {id}");
    }
    assert_eq!(
        model.pages.keys().collect::<Vec<_>>(),
        model.threads.keys().collect::<Vec<_>>(),
        "{context}: a page for each thread"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Folding from zero equals applying in chunks, with each chunk
    /// overlapping the previous one (as a reconnecting client's catch-up
    /// does) and the model passing through JSON between chunks (as the
    /// browser's cache does).
    #[test]
    fn folding_from_zero_equals_overlapping_chunks(
        seed in any::<u64>(),
        cuts in proptest::collection::vec((0usize..400, 0usize..20), 1..12),
    ) {
        let sim = Simulation::run(seed, 400);
        let mut whole = ReadModel::full();
        for (i, event) in sim.events.iter().enumerate() {
            whole.apply(event);
            prop_assert_eq!(whole.sequence, event.sequence);
            assert_summaries_match_pages(&whole, &format!("seed {seed} event {i}"));
        }

        let mut chunked = ReadModel::full();
        let mut at = 0usize;
        let mut cuts = cuts;
        cuts.sort();
        for (cut, overlap) in cuts {
            let end = cut.min(sim.events.len()).max(at);
            let start = at.saturating_sub(overlap);
            chunked = fold(&sim.events[start..end], chunked);
            let json = serde_json::to_string(&chunked).expect("serialise");
            chunked = serde_json::from_str(&json).expect("deserialise");
            at = end;
        }
        chunked = fold(&sim.events[at.saturating_sub(3)..], chunked);
        prop_assert_eq!(chunked, whole);
    }

    /// A model that holds no pages keeps every summary right, and a page
    /// loaded part-way through (as a client opening a thread) ends equal to
    /// the full model's page.
    #[test]
    fn partial_models_keep_summaries_and_loaded_pages_right(
        seed in any::<u64>(),
        cut in 0usize..600,
    ) {
        let sim = Simulation::run(seed, 600);
        let partial = fold(&sim.events, ReadModel::default());
        prop_assert!(partial.pages.is_empty());
        prop_assert_eq!(&partial.threads, &sim.model.threads);
        prop_assert_eq!(&partial.projects, &sim.model.projects);
        prop_assert_eq!(partial.sequence, sim.model.sequence);

        let cut = cut.min(sim.events.len());
        let at_cut = fold(&sim.events[..cut], ReadModel::full());
        let mut client = fold(&sim.events[..cut], ReadModel::default());
        // Open every thread that exists at the cut.
        client.pages = at_cut.pages.clone();
        let client = fold(&sim.events[cut..], client);
        for (thread, page) in &client.pages {
            prop_assert_eq!(Some(page), sim.model.pages.get(thread));
        }
    }

    /// Every event survives JSON unchanged, envelope included.
    #[test]
    fn every_event_round_trips_through_json(seed in any::<u64>()) {
        let sim = Simulation::run(seed, 300);
        for event in &sim.events {
            let json = serde_json::to_string(event).expect("serialise");
            let back: StoredEvent = serde_json::from_str(&json).expect("deserialise");
            prop_assert_eq!(&back, event);
        }
    }
}

#[test]
fn histories_exercise_most_of_the_catalogue() {
    let mut seen = std::collections::BTreeSet::new();
    for seed in 0..20 {
        for e in Simulation::run(seed, 1_000).events {
            seen.insert(e.event.event_type());
        }
    }
    // Everything but explicit stop requests is reached by the simulation.
    let missing: Vec<_> = OrchestrationEvent::TYPES
        .iter()
        .filter(|t| !seen.contains(**t) && **t != "session.stop-requested")
        .collect();
    assert!(missing.is_empty(), "never generated: {missing:?}");
}
