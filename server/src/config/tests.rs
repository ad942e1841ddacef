use super::*;
use clap::Parser;

fn parse(args: &[&str]) -> Cli {
    Cli::try_parse_from(std::iter::once("peon").chain(args.iter().copied())).expect("flags")
}

fn file(text: &str) -> FileConfig {
    toml::from_str(text).expect("toml")
}

#[test]
fn a_flag_beats_the_file_which_beats_the_default() {
    let cli = parse(&["--port", "9000", "--max-agents", "3"]);
    let from_file =
        file("port = 8000\nhost = \"0.0.0.0\"\nmax_agents = 5\nmax_body_bytes = 1024\n");
    let s = Settings::resolve("/d".into(), &cli.common, &cli.serve, from_file).expect("settings");
    assert_eq!(s.port, 9000, "flag over file");
    assert_eq!(s.max_agents, 3);
    assert_eq!(s.host.to_string(), "0.0.0.0", "file over default");
    assert_eq!(s.limits.max_body_bytes, 1024);
    assert_eq!(
        s.limits.max_message_chars,
        Limits::default().max_message_chars
    );
    assert_eq!(s.session, Duration::from_secs(DEFAULT_SESSION_SECS));
    assert_eq!(s.open, None);
}

#[test]
fn open_and_no_open_override_the_file() {
    let cli = parse(&["--no-open"]);
    let s = Settings::resolve("/d".into(), &cli.common, &cli.serve, file("open = true"))
        .expect("settings");
    assert_eq!(s.open, Some(false));
    let cli = parse(&[]);
    let s = Settings::resolve("/d".into(), &cli.common, &cli.serve, file("open = true"))
        .expect("settings");
    assert_eq!(s.open, Some(true));
}

#[test]
fn trusting_a_proxy_is_off_unless_the_flag_or_the_file_says() {
    let resolve = |args: &[&str], text: &str| {
        let cli = parse(args);
        Settings::resolve("/d".into(), &cli.common, &cli.serve, file(text))
            .expect("settings")
            .trust_proxy
    };
    assert!(!resolve(&[], ""));
    assert!(resolve(&[], "trust_proxy = true"));
    assert!(resolve(&["--trust-proxy"], "trust_proxy = false"));
}

#[test]
fn lists_from_flags_replace_the_files() {
    let cli = parse(&["--allowed-host", "a.example", "--allowed-host", "b.example"]);
    let s = Settings::resolve(
        "/d".into(),
        &cli.common,
        &cli.serve,
        file("allowed_hosts = [\"file.example\"]\nallowed_roots = [\"/srv\"]"),
    )
    .expect("settings");
    assert_eq!(s.allowed_hosts, ["a.example", "b.example"]);
    assert_eq!(s.allowed_roots, [PathBuf::from("/srv")]);
}

#[test]
fn bad_config_is_refused_with_the_reason() {
    let typo = toml::from_str::<FileConfig>("prot = 80").expect_err("unknown key");
    assert!(typo.to_string().contains("prot"), "{typo}");
    let cli = parse(&["--auth-token", "short"]);
    let e = Settings::resolve("/d".into(), &cli.common, &cli.serve, FileConfig::default())
        .expect_err("short token");
    assert!(e.to_string().contains("at least 8"), "{e}");
    let dir = tempfile::tempdir().expect("temp");
    let missing = FileConfig::load(&dir.path().join("nope.toml"), true).expect_err("named");
    assert!(missing.to_string().contains("nope.toml"), "{missing}");
    assert!(FileConfig::load(&dir.path().join("nope.toml"), false).is_ok());
}

#[test]
fn a_token_on_the_command_line_is_noticed() {
    let args = |a: &[&str]| a.iter().map(std::ffi::OsString::from).collect::<Vec<_>>();
    assert!(token_on_command_line(args(&[
        "peon",
        "--auth-token",
        "secret-123"
    ])));
    assert!(token_on_command_line(args(&[
        "peon",
        "--auth-token=secret-123"
    ])));
    assert!(!token_on_command_line(args(&["peon", "--port", "4747"])));
    assert!(!token_on_command_line(args(&["peon", "--auth-tokens"])));
}

#[test]
fn keybindings_from_the_file_change_the_defaults_or_name_the_problem() {
    let cli = parse(&[]);
    let s = Settings::resolve(
        "/d".into(),
        &cli.common,
        &cli.serve,
        file("[keybindings]\ntoggle-terminal = \"Ctrl+J\"\nhelp = \"\"\n"),
    )
    .expect("settings");
    let keys = |a| s.keymap.keys(a).map(|c| c.to_string());
    assert_eq!(
        keys(peon_app::keymap::UiAction::ToggleTerminal).as_deref(),
        Some("Ctrl+J")
    );
    assert_eq!(keys(peon_app::keymap::UiAction::Help), None);
    assert_eq!(
        keys(peon_app::keymap::UiAction::Palette).as_deref(),
        Some("Mod+K")
    );
    let e = Settings::resolve(
        "/d".into(),
        &cli.common,
        &cli.serve,
        file("[keybindings]\nnew-thread = \"Alt+Banana\"\n"),
    )
    .expect_err("no such key");
    assert!(
        e.to_string()
            .contains("[keybindings] in the config file: new-thread: \"Banana\" in \"Alt+Banana\""),
        "{e}"
    );
}
