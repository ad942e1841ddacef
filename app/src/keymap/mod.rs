//! What the user can do from the keyboard, and which keys do it: one list
//! of actions (names, labels, default keys) read by the server, which
//! validates the config file's `[keybindings]` at start, and by the
//! browser, which matches key presses against the same map.

use std::fmt;

/// What the user can do from anywhere: the palette lists these and keys
/// run them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum UiAction {
    Palette,
    Help,
    NewThread,
    NextThread,
    PreviousThread,
    FocusComposer,
    StopAgent,
    Approve,
    Decline,
    ToggleTerminal,
    ToggleDiff,
    OpenSettings,
    ToggleTheme,
}

impl UiAction {
    /// In the order the help and the palette list them.
    pub const ALL: [UiAction; 13] = [
        UiAction::Palette,
        UiAction::Help,
        UiAction::NewThread,
        UiAction::NextThread,
        UiAction::PreviousThread,
        UiAction::FocusComposer,
        UiAction::StopAgent,
        UiAction::Approve,
        UiAction::Decline,
        UiAction::ToggleTerminal,
        UiAction::ToggleDiff,
        UiAction::OpenSettings,
        UiAction::ToggleTheme,
    ];

    /// Its name in the config file's `[keybindings]`.
    pub fn name(self) -> &'static str {
        match self {
            UiAction::Palette => "palette",
            UiAction::Help => "help",
            UiAction::NewThread => "new-thread",
            UiAction::NextThread => "next-thread",
            UiAction::PreviousThread => "previous-thread",
            UiAction::FocusComposer => "focus-composer",
            UiAction::StopAgent => "stop-agent",
            UiAction::Approve => "approve",
            UiAction::Decline => "decline",
            UiAction::ToggleTerminal => "toggle-terminal",
            UiAction::ToggleDiff => "toggle-diff",
            UiAction::OpenSettings => "open-settings",
            UiAction::ToggleTheme => "toggle-theme",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            UiAction::Palette => "Command palette",
            UiAction::Help => "Keyboard shortcuts",
            UiAction::NewThread => "New thread",
            UiAction::NextThread => "Next thread",
            UiAction::PreviousThread => "Previous thread",
            UiAction::FocusComposer => "Focus the message box",
            UiAction::StopAgent => "Stop the agent",
            UiAction::Approve => "Accept the waiting approval",
            UiAction::Decline => "Decline the waiting approval",
            UiAction::ToggleTerminal => "Toggle terminal",
            UiAction::ToggleDiff => "Toggle the thread's diff",
            UiAction::OpenSettings => "Open settings",
            UiAction::ToggleTheme => "Toggle light/dark theme",
        }
    }

    /// The keys it has unless the config file says otherwise. Alt rather
    /// than Ctrl where the browser keeps Ctrl+letter for itself.
    fn default_keys(self) -> Option<&'static str> {
        Some(match self {
            UiAction::Palette => "Mod+K",
            UiAction::Help => "?",
            UiAction::NewThread => "Alt+N",
            UiAction::NextThread => "Alt+ArrowDown",
            UiAction::PreviousThread => "Alt+ArrowUp",
            UiAction::FocusComposer => "/",
            UiAction::StopAgent => "Escape",
            UiAction::Approve => "Alt+A",
            UiAction::Decline => "Alt+X",
            UiAction::ToggleTerminal => "Ctrl+`",
            UiAction::ToggleDiff => "Alt+G",
            UiAction::OpenSettings => "Mod+,",
            UiAction::ToggleTheme => return None,
        })
    }

    pub fn from_name(name: &str) -> Option<UiAction> {
        UiAction::ALL.into_iter().find(|a| a.name() == name)
    }
}

/// Keys the user cannot have: the browser acts on them before the page.
const BROWSER_KEEPS: [&str; 3] = ["n", "t", "w"];

/// Named keys, as `KeyboardEvent.key` spells them, with the short forms
/// accepted in the config file.
const NAMED: [(&str, &str); 16] = [
    ("Escape", "esc"),
    ("Enter", "return"),
    ("Tab", "tab"),
    ("Space", " "),
    ("ArrowUp", "up"),
    ("ArrowDown", "down"),
    ("ArrowLeft", "left"),
    ("ArrowRight", "right"),
    ("Backspace", "backspace"),
    ("Delete", "del"),
    ("Home", "home"),
    ("End", "end"),
    ("PageUp", "pageup"),
    ("PageDown", "pagedown"),
    ("Insert", "ins"),
    ("F1", "f1"),
];

/// Where Escape and Space are in `NAMED`.
const ESCAPE: usize = 0;
const SPACE: usize = 3;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Key {
    /// A printed character, lower case for letters.
    Char(char),
    /// An index into `NAMED`, or for F2–F12 `NAMED.len() + n - 2`.
    Named(usize),
}

impl Key {
    fn name(self) -> String {
        match self {
            Key::Char(c) => c.to_ascii_uppercase().to_string(),
            Key::Named(i) if i < NAMED.len() => NAMED[i].0.to_string(),
            Key::Named(i) => format!("F{}", i - NAMED.len() + 2),
        }
    }

    fn parse(text: &str) -> Option<Key> {
        let mut chars = text.chars();
        if let (Some(c), None) = (chars.next(), chars.next()) {
            return (!c.is_whitespace() && !c.is_control())
                .then(|| Key::Char(c.to_ascii_lowercase()));
        }
        let lower = text.to_ascii_lowercase();
        if let Some(i) = NAMED
            .iter()
            .position(|(name, short)| name.eq_ignore_ascii_case(&lower) || *short == lower)
        {
            return Some(Key::Named(i));
        }
        let n: usize = lower.strip_prefix('f')?.parse().ok()?;
        (2..=12)
            .contains(&n)
            .then(|| Key::Named(NAMED.len() + n - 2))
    }

    /// Whether Shift is part of saying it: a letter, a digit or a named key
    /// (Shift+A), not a symbol (`?` already is Shift+/ on most layouts).
    fn takes_shift(self) -> bool {
        match self {
            Key::Char(c) => c.is_ascii_alphanumeric(),
            Key::Named(_) => true,
        }
    }
}

/// Why keys from the config file are refused. Displayed on the server
/// only: the browser is given keys the server has already checked.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum KeyError {
    #[error("\"{0}\" names no key")]
    NoKey(String),
    #[error("\"{key}\" in \"{text}\" is not a key peon knows")]
    UnknownKey { key: String, text: String },
    #[error("\"{part}\" in \"{text}\" is not a modifier (Ctrl, Alt, Shift, Meta or Mod)")]
    UnknownModifier { part: String, text: String },
    #[error("\"{0}\": Mod already means Ctrl (⌘ on a Mac); write one of them")]
    ModAndCtrl(String),
    #[error("\"{0}\": write the character Shift makes instead of Shift with a symbol")]
    ShiftedSymbol(String),
    #[error("\"{0}\": the browser keeps this key for itself and never lets a page see it")]
    BrowserKeeps(String),
    #[error("\"{name}\" is not an action; the actions are {known}")]
    UnknownAction { name: String, known: String },
    #[error("{action}: {error}")]
    Keys {
        action: &'static str,
        error: Box<KeyError>,
    },
    #[error("{a} ({a_keys}) and {b} ({b_keys}) share a key; give one of them other keys")]
    Clash {
        a: &'static str,
        a_keys: String,
        b: &'static str,
        b_keys: String,
    },
}

/// A key with its modifiers, as written in the config file: `Mod+K`,
/// `Alt+ArrowDown`, `?`, `Escape`. `Mod` is Ctrl, or ⌘ on a Mac.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chord {
    ctrl: bool,
    alt: bool,
    shift: bool,
    meta: bool,
    /// Ctrl or ⌘, whichever is pressed.
    either: bool,
    key: Key,
}

/// A key press, as the browser reports it.
#[derive(Clone, Debug, Default)]
pub struct Pressed {
    pub key: String,
    pub code: String,
    pub ctrl: bool,
    pub alt: bool,
    pub shift: bool,
    pub meta: bool,
}

impl Pressed {
    /// Whether the browser reported a printable ASCII character (not a
    /// composed one, a dead key or a named key).
    fn key_is_plain(&self) -> bool {
        let mut chars = self.key.chars();
        matches!((chars.next(), chars.next()), (Some(c), None) if c.is_ascii_graphic())
    }
}

impl Chord {
    pub fn parse(text: &str) -> Result<Chord, KeyError> {
        let text = text.trim();
        // The last part is the key; `Ctrl++` would be Ctrl and `+`.
        let (mods, key) = match text.strip_suffix("++") {
            Some(mods) => (mods, "+"),
            None => text.rsplit_once('+').unwrap_or(("", text)),
        };
        let key = Key::parse(key).ok_or_else(|| {
            if key.is_empty() {
                KeyError::NoKey(text.into())
            } else {
                KeyError::UnknownKey {
                    key: key.into(),
                    text: text.into(),
                }
            }
        })?;
        let mut chord = Chord {
            ctrl: false,
            alt: false,
            shift: false,
            meta: false,
            either: false,
            key,
        };
        for part in mods.split('+').filter(|p| !p.is_empty()) {
            let flag = match part.to_ascii_lowercase().as_str() {
                "ctrl" | "control" => &mut chord.ctrl,
                "alt" | "option" => &mut chord.alt,
                "shift" => &mut chord.shift,
                "meta" | "cmd" | "command" | "super" => &mut chord.meta,
                "mod" => &mut chord.either,
                _ => {
                    return Err(KeyError::UnknownModifier {
                        part: part.into(),
                        text: text.into(),
                    });
                }
            };
            *flag = true;
        }
        if chord.either && (chord.ctrl || chord.meta) {
            return Err(KeyError::ModAndCtrl(text.into()));
        }
        if chord.shift && !key.takes_shift() {
            return Err(KeyError::ShiftedSymbol(text.into()));
        }
        if let Key::Char(c) = key
            && (chord.ctrl || chord.meta || chord.either)
            && !chord.alt
            && BROWSER_KEEPS.contains(&c.to_string().as_str())
        {
            return Err(KeyError::BrowserKeeps(text.into()));
        }
        Ok(chord)
    }

    /// Whether it has Ctrl or ⌘: a command everywhere, never typing.
    pub fn is_command(&self) -> bool {
        self.ctrl || self.meta || self.either
    }

    /// Whether this press of it would type into a text field, where it
    /// must not run: a bare key (Escape excepted: it types nothing), or
    /// Alt composing a character (Option+N is "ñ" on a Mac) rather than
    /// reporting its letter (Alt+N elsewhere).
    pub fn types_text(&self, p: &Pressed) -> bool {
        if self.is_command() {
            false
        } else if self.alt {
            // Alt with an arrow or another named key types nothing.
            matches!(self.key, Key::Char(_)) && !p.key_is_plain()
        } else {
            self.key != Key::Named(ESCAPE)
        }
    }

    /// The (ctrl, meta) pairs it accepts.
    fn commands(&self) -> &'static [(bool, bool)] {
        match (self.either, self.ctrl, self.meta) {
            (true, _, _) => &[(true, false), (false, true)],
            (false, false, false) => &[(false, false)],
            (false, true, false) => &[(true, false)],
            (false, false, true) => &[(false, true)],
            (false, true, true) => &[(true, true)],
        }
    }

    /// Whether one key press could run both.
    pub fn clashes(&self, other: &Chord) -> bool {
        self.key == other.key
            && self.alt == other.alt
            && self.shift == other.shift
            && self.commands().iter().any(|c| other.commands().contains(c))
    }

    pub fn matches(&self, p: &Pressed) -> bool {
        if p.alt != self.alt || !self.commands().contains(&(p.ctrl, p.meta)) {
            return false;
        }
        if self.key.takes_shift() && p.shift != self.shift {
            return false;
        }
        // By position only when the key reports no plain character (Alt+N
        // is "˜" or "Dead" on a Mac): a layout that prints "a" where
        // QWERTY has Q means "a", and a position must not match twice.
        let by_position = !p.key_is_plain();
        match self.key {
            Key::Char(c) if c.is_ascii_alphabetic() => {
                p.key.eq_ignore_ascii_case(&c.to_string())
                    || by_position
                        && p.code.strip_prefix("Key") == Some(&c.to_ascii_uppercase().to_string())
            }
            Key::Char(c) if c.is_ascii_digit() => {
                p.key == c.to_string()
                    || by_position && p.code.strip_prefix("Digit") == Some(&c.to_string())
            }
            Key::Char('`') => p.key == "`" || by_position && p.code == "Backquote",
            Key::Char(c) => p.key == c.to_string(),
            Key::Named(SPACE) => p.key == " ",
            Key::Named(_) => p.key.eq_ignore_ascii_case(&self.key.name()),
        }
    }

    /// As shown to the user: `Ctrl/⌘+K`.
    pub fn label(&self) -> String {
        self.to_string().replace("Mod+", "Ctrl/⌘+")
    }
}

/// The canonical spelling, which `parse` reads back.
impl fmt::Display for Chord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (on, name) in [
            (self.either, "Mod+"),
            (self.ctrl, "Ctrl+"),
            (self.alt, "Alt+"),
            (self.shift, "Shift+"),
            (self.meta, "Meta+"),
        ] {
            if on {
                f.write_str(name)?;
            }
        }
        f.write_str(&self.key.name())
    }
}

/// Every action's keys (none for an unbound one).
#[derive(Clone, Debug, PartialEq)]
pub struct Keymap {
    bound: Vec<(UiAction, Option<Chord>)>,
}

impl Default for Keymap {
    fn default() -> Self {
        Keymap {
            bound: UiAction::ALL
                .into_iter()
                .map(|a| {
                    let chord = a.default_keys().and_then(|k| Chord::parse(k).ok());
                    (a, chord)
                })
                .collect(),
        }
    }
}

impl Keymap {
    /// The defaults with `changes` (action name, keys; empty keys unbind)
    /// applied: an unknown action, keys that do not parse, or two actions
    /// on one key is an error that says which.
    pub fn with<'a>(
        changes: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Keymap, KeyError> {
        let mut map = Keymap::default();
        for (name, keys) in changes {
            let action = UiAction::from_name(name).ok_or_else(|| KeyError::UnknownAction {
                name: name.into(),
                known: UiAction::ALL.map(UiAction::name).join(", "),
            })?;
            let chord = match keys.trim() {
                "" | "none" => None,
                keys => Some(Chord::parse(keys).map_err(|e| KeyError::Keys {
                    action: action.name(),
                    error: Box::new(e),
                })?),
            };
            map.set(action, chord);
        }
        for (i, (a, chord)) in map.bound.iter().enumerate() {
            let Some(chord) = chord else { continue };
            if let Some((b, Some(other))) = map.bound[i + 1..]
                .iter()
                .find(|(_, c)| c.is_some_and(|c| c.clashes(chord)))
            {
                return Err(KeyError::Clash {
                    a: a.name(),
                    a_keys: chord.to_string(),
                    b: b.name(),
                    b_keys: other.to_string(),
                });
            }
        }
        Ok(map)
    }

    fn set(&mut self, action: UiAction, chord: Option<Chord>) {
        if let Some(slot) = self.bound.iter_mut().find(|(a, _)| *a == action) {
            slot.1 = chord;
        }
    }

    pub fn keys(&self, action: UiAction) -> Option<Chord> {
        self.bound
            .iter()
            .find(|(a, _)| *a == action)
            .and_then(|(_, c)| *c)
    }

    /// The action a key press runs, if any.
    pub fn action_for(&self, pressed: &Pressed) -> Option<(UiAction, Chord)> {
        self.bound.iter().find_map(|(a, c)| match c {
            Some(c) if c.matches(pressed) => Some((*a, *c)),
            _ => None,
        })
    }

    pub fn iter(&self) -> impl Iterator<Item = (UiAction, Option<Chord>)> + '_ {
        self.bound.iter().copied()
    }

    /// For the page: `name=keys` pairs separated by spaces (no key is
    /// written with a space), every action listed so an unbound one stays
    /// unbound.
    pub fn encode(&self) -> String {
        self.bound
            .iter()
            .map(|(a, c)| {
                format!(
                    "{}={}",
                    a.name(),
                    c.map(|c| c.to_string()).unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Reads `encode`'s text, which the server checked (`with`): a pair
    /// that does not read keeps that action's default. (No validation
    /// here, so the browser carries none of its messages.)
    pub fn decode(text: &str) -> Keymap {
        let mut map = Keymap::default();
        for (name, keys) in text.split_whitespace().filter_map(|p| p.split_once('=')) {
            let Some(action) = UiAction::from_name(name) else {
                continue;
            };
            match keys {
                "" => map.set(action, None),
                keys => {
                    if let Ok(chord) = Chord::parse(keys) {
                        map.set(action, Some(chord));
                    }
                }
            }
        }
        map
    }
}

#[cfg(test)]
mod tests;
