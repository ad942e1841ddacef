//! What the user can do from anywhere: the palette lists these and keys run
//! them. An action whose effect belongs to a page part (the terminal panel)
//! is heard there with `Actions::on`; the rest run in `palette.rs`.

use leptos::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UiAction {
    NewThread,
    ToggleTerminal,
    StopAgent,
    OpenSettings,
    ToggleTheme,
}

impl UiAction {
    /// In the order the palette lists them.
    pub const ALL: [UiAction; 5] = [
        UiAction::NewThread,
        UiAction::ToggleTerminal,
        UiAction::StopAgent,
        UiAction::OpenSettings,
        UiAction::ToggleTheme,
    ];

    pub fn label(self) -> &'static str {
        match self {
            UiAction::NewThread => "New thread",
            UiAction::ToggleTerminal => "Toggle terminal",
            UiAction::StopAgent => "Stop the agent",
            UiAction::OpenSettings => "Open settings",
            UiAction::ToggleTheme => "Toggle light/dark theme",
        }
    }

    /// The key that runs it, as shown beside it.
    pub fn keys(self) -> Option<&'static str> {
        match self {
            UiAction::ToggleTerminal => Some("Ctrl+`"),
            _ => None,
        }
    }
}

/// The last action run, with a count so running one twice is two changes.
#[derive(Clone, Copy)]
pub struct Actions {
    last: RwSignal<Option<(UiAction, u64)>>,
}

impl Actions {
    pub fn run(&self, action: UiAction) {
        self.last
            .update(|last| *last = Some((action, last.map_or(1, |(_, n)| n + 1))));
    }

    /// Calls `f` each time `action` is run from now on (not for runs before
    /// the caller existed), for as long as the calling owner lives.
    pub fn on(&self, action: UiAction, f: impl Fn() + 'static) {
        let last = self.last;
        Effect::watch(
            move || last.get(),
            move |now, _, _| {
                if now.is_some_and(|(a, _)| a == action) {
                    f();
                }
            },
            false,
        );
    }
}

/// The page's actions, created on first use.
pub fn use_actions() -> Actions {
    match use_context::<Actions>() {
        Some(actions) => actions,
        None => {
            let actions = Actions {
                last: RwSignal::new(None),
            };
            provide_context(actions);
            actions
        }
    }
}
