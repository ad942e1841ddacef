//! What Enter does with a message while the agent works: queue it for the
//! next turn, or steer the running one. A choice of this browser (settings
//! page); Ctrl/⌘+Enter does the other.

/// Local storage key of the choice.
#[cfg(feature = "hydrate")]
pub const FOLLOW_UP_KEY: &str = "peon.follow-up";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FollowUp {
    Queue,
    Steer,
}

impl FollowUp {
    pub fn as_str(self) -> &'static str {
        match self {
            FollowUp::Queue => "queue",
            FollowUp::Steer => "steer",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "queue" => Some(FollowUp::Queue),
            "steer" => Some(FollowUp::Steer),
            _ => None,
        }
    }

    pub fn other(self) -> Self {
        match self {
            FollowUp::Queue => FollowUp::Steer,
            FollowUp::Steer => FollowUp::Queue,
        }
    }
}

/// The choice of this browser; queueing unless it chose to steer.
pub fn preferred() -> FollowUp {
    #[cfg(feature = "hydrate")]
    if super::notify::storage_get(FOLLOW_UP_KEY).as_deref() == Some("steer") {
        return FollowUp::Steer;
    }
    FollowUp::Queue
}

pub fn set_preferred(choice: FollowUp) {
    #[cfg(feature = "hydrate")]
    super::notify::storage_set(FOLLOW_UP_KEY, choice.as_str());
    #[cfg(not(feature = "hydrate"))]
    let _ = choice;
}
