use super::*;

fn press(key: &str, code: &str) -> Pressed {
    Pressed {
        key: key.into(),
        code: code.into(),
        ..Pressed::default()
    }
}

#[test]
fn chords_parse_and_print_back_the_same() {
    for text in [
        "Mod+K",
        "Alt+ArrowDown",
        "?",
        "Escape",
        "Ctrl+`",
        "Mod+,",
        "Ctrl+Shift+P",
        "F5",
        "Ctrl++",
    ] {
        let chord = Chord::parse(text).unwrap();
        assert_eq!(Chord::parse(&chord.to_string()).unwrap(), chord, "{text}");
    }
    assert_eq!(
        Chord::parse("ctrl+shift+p").unwrap().to_string(),
        "Ctrl+Shift+P"
    );
    assert_eq!(
        Chord::parse("alt+down").unwrap().to_string(),
        "Alt+ArrowDown"
    );
    assert_eq!(Chord::parse("Mod+K").unwrap().label(), "Ctrl/⌘+K");
}

#[test]
fn bad_chords_say_what_is_wrong() {
    let cases = [
        ("Ctrl+Foo", "\"Foo\" in \"Ctrl+Foo\" is not a key"),
        ("Hyper+K", "\"Hyper\" in \"Hyper+K\" is not a modifier"),
        ("Ctrl+", "names no key"),
        ("Mod+Ctrl+K", "Mod already means Ctrl"),
        ("Shift+?", "write the character Shift makes"),
        ("Ctrl+W", "the browser keeps this key"),
        ("Mod+T", "the browser keeps this key"),
        ("F13", "is not a key"),
    ];
    for (text, says) in cases {
        let err = Chord::parse(text).unwrap_err().to_string();
        assert!(err.contains(says), "{text}: {err}");
    }
    assert!(Chord::parse("Alt+W").is_ok(), "Alt is the page's");
}

#[test]
fn a_chord_matches_only_its_own_presses() {
    let palette = Chord::parse("Mod+K").unwrap();
    let ctrl_k = Pressed {
        ctrl: true,
        ..press("k", "KeyK")
    };
    let cmd_k = Pressed {
        meta: true,
        ..press("k", "KeyK")
    };
    assert!(palette.matches(&ctrl_k) && palette.matches(&cmd_k));
    assert!(!palette.matches(&press("k", "KeyK")), "no modifier");
    assert!(
        !palette.matches(&Pressed {
            shift: true,
            ..ctrl_k.clone()
        }),
        "Shift too"
    );
    assert!(!palette.matches(&Pressed {
        ctrl: true,
        meta: true,
        ..press("k", "KeyK")
    }));

    // Alt+N on a Mac prints "˜": matched by where the key is.
    let new_thread = Chord::parse("Alt+N").unwrap();
    assert!(new_thread.matches(&Pressed {
        alt: true,
        ..press("˜", "KeyN")
    }));
    assert!(!new_thread.matches(&Pressed {
        alt: true,
        ..press("m", "KeyM")
    }));

    // "?" is Shift+/ and stays "?" whatever Shift says.
    let help = Chord::parse("?").unwrap();
    assert!(help.matches(&Pressed {
        shift: true,
        ..press("?", "Slash")
    }));
    assert!(!help.matches(&press("/", "Slash")));

    let terminal = Chord::parse("Ctrl+`").unwrap();
    assert!(terminal.matches(&Pressed {
        ctrl: true,
        ..press("Dead", "Backquote")
    }));
    // A position is used only when no plain character came with it:
    // Ctrl+Shift+` ("~") is not Ctrl+`, and on AZERTY the key where
    // QWERTY has A prints "q", so Alt+A is where "a" is.
    assert!(!terminal.matches(&Pressed {
        ctrl: true,
        shift: true,
        ..press("~", "Backquote")
    }));
    let approve = Chord::parse("Alt+A").unwrap();
    assert!(!approve.matches(&Pressed {
        alt: true,
        ..press("q", "KeyA")
    }));
    assert!(approve.matches(&Pressed {
        alt: true,
        ..press("a", "KeyQ")
    }));
    let down = Chord::parse("Alt+ArrowDown").unwrap();
    assert!(down.matches(&Pressed {
        alt: true,
        ..press("ArrowDown", "ArrowDown")
    }));
    assert!(!down.matches(&press("ArrowDown", "ArrowDown")));
}

#[test]
fn keys_that_would_type_are_known() {
    let chord = |t| Chord::parse(t).unwrap();
    let (slash, shift_a) = (
        press("/", "Slash"),
        Pressed {
            shift: true,
            ..press("A", "KeyA")
        },
    );
    assert!(chord("/").types_text(&slash));
    assert!(chord("Shift+A").types_text(&shift_a));
    assert!(!chord("Escape").types_text(&press("Escape", "Escape")));
    // Alt+N reports "n" on Linux and Windows, and types "ñ" on a Mac.
    assert!(!chord("Alt+N").types_text(&Pressed {
        alt: true,
        ..press("n", "KeyN")
    }));
    assert!(chord("Alt+N").types_text(&Pressed {
        alt: true,
        ..press("Dead", "KeyN")
    }));
    assert!(chord("Alt+A").types_text(&Pressed {
        alt: true,
        ..press("å", "KeyA")
    }));
    assert!(!chord("Mod+K").types_text(&Pressed {
        ctrl: true,
        ..press("k", "KeyK")
    }));
    let down = Pressed {
        alt: true,
        ..press("ArrowDown", "ArrowDown")
    };
    assert!(
        !chord("Alt+ArrowDown").types_text(&down),
        "an arrow types nothing"
    );
}

#[test]
fn the_defaults_are_valid_and_every_action_is_listed() {
    let map = Keymap::with([]).unwrap();
    assert_eq!(map.iter().count(), UiAction::ALL.len());
    for a in UiAction::ALL {
        assert_eq!(
            map.keys(a).is_some(),
            a.default_keys().is_some(),
            "{a:?}'s default keys parse"
        );
    }
    assert_eq!(map.keys(UiAction::Palette).unwrap().to_string(), "Mod+K");
    assert_eq!(map.keys(UiAction::ToggleTheme), None);
    for a in UiAction::ALL {
        assert_eq!(UiAction::from_name(a.name()), Some(a));
    }
}

#[test]
fn the_config_rebinds_unbinds_and_refuses_clashes_and_unknown_actions() {
    let map = Keymap::with([("toggle-terminal", "Ctrl+J"), ("help", "")]).unwrap();
    assert_eq!(
        map.keys(UiAction::ToggleTerminal).unwrap().to_string(),
        "Ctrl+J"
    );
    assert_eq!(map.keys(UiAction::Help), None);
    let j = Pressed {
        ctrl: true,
        ..press("j", "KeyJ")
    };
    assert_eq!(
        map.action_for(&j).map(|(a, _)| a),
        Some(UiAction::ToggleTerminal)
    );

    let err = Keymap::with([("toggle-terminal", "Ctrl+K")])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("palette (Mod+K) and toggle-terminal (Ctrl+K) share a key"),
        "{err}"
    );
    let err = Keymap::with([("open-terminal", "Ctrl+J")])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("\"open-terminal\" is not an action; the actions are palette, help"),
        "{err}"
    );
    let err = Keymap::with([("help", "Ctrl+Nope")])
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("help: "), "{err}");
    // Moving the palette off Mod+K frees it.
    assert!(Keymap::with([("palette", "Alt+P"), ("toggle-terminal", "Ctrl+K")]).is_ok());
}

#[test]
fn the_page_reads_back_the_map_it_was_given() {
    let map = Keymap::with([
        ("toggle-theme", "Alt+T"),
        ("help", "none"),
        ("open-settings", "Ctrl++"),
    ])
    .unwrap();
    assert_eq!(Keymap::decode(&map.encode()), map);
    assert_eq!(
        Keymap::decode("nonsense=Ctrl+Q help=Hyper+H"),
        Keymap::default()
    );
}
