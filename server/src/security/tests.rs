use super::*;
use std::time::Duration;

#[test]
fn a_session_cookie_is_tied_to_the_token_and_expires() {
    let cookie = session::issue("the-token-1", Duration::from_secs(60));
    assert!(session::valid("the-token-1", &cookie));
    assert!(!session::valid("another-token", &cookie), "other token");
    assert!(
        !cookie.contains("the-token-1"),
        "the token is not in the cookie"
    );
    let (expires, mac) = cookie.split_once('.').expect("shape");
    let later = format!("{}.{mac}", expires.parse::<u64>().expect("n") + 1000);
    assert!(
        !session::valid("the-token-1", &later),
        "a moved expiry breaks the MAC"
    );
    let expired = session::issue("the-token-1", Duration::ZERO);
    assert!(!session::valid("the-token-1", &expired));
    for junk in ["", ".", "x.y", "1.", "99999999999.00"] {
        assert!(!session::valid("the-token-1", junk), "{junk}");
    }
}

#[test]
fn secrets_compare_equal_only_when_equal() {
    assert!(token::same_secret("abcdefgh", "abcdefgh"));
    assert!(!token::same_secret("abcdefgh", "abcdefgi"));
    assert!(!token::same_secret("abcdefgh", "abcdefgh0"));
    assert!(!token::same_secret("", "x"));
}

#[test]
fn a_made_token_is_kept_private_and_reused() {
    let dir = tempfile::tempdir().expect("temp");
    assert_eq!(resolve_token(None, false, dir.path()).expect("none"), None);
    let (made, origin) = resolve_token(None, true, dir.path())
        .expect("made")
        .expect("token");
    assert_eq!(origin, TokenOrigin::Generated);
    assert_eq!(made.len(), 64);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join(TOKEN_FILE))
            .expect("file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let again = resolve_token(None, true, dir.path())
        .expect("read")
        .expect("token");
    assert_eq!(again, (made, TokenOrigin::Stored));
    let configured = resolve_token(Some("configured-1"), true, dir.path())
        .expect("given")
        .expect("token");
    assert_eq!(configured.1, TokenOrigin::Configured);
}

#[test]
fn host_names_lose_their_port() {
    let name = guard::host_name_for_tests;
    assert_eq!(name("localhost:4747"), "localhost");
    assert_eq!(name("[::1]:4747"), "::1");
    assert_eq!(name("example.com"), "example.com");
    assert_eq!(name("127.0.0.1"), "127.0.0.1");
    assert_eq!(name("[::1]"), "::1");
    // A bracket must end the name or come before the port.
    for host in [
        "[::1].attacker.example:4747",
        "[::1]x",
        "[::1]:",
        "[::1]:47a",
    ] {
        assert_eq!(name(host), host);
        assert!(name(host).parse::<std::net::IpAddr>().is_err(), "{host}");
    }
}

#[test]
fn failed_logins_are_limited_per_address() {
    let security = Security::new(Some("token-123".into()), &[], Duration::from_secs(60), 1024);
    let ip: std::net::IpAddr = [10, 0, 0, 1].into();
    for _ in 0..LOGIN_ATTEMPTS {
        assert_eq!(security.login_blocked(ip), None);
        security.login_failed(ip);
    }
    assert!(security.login_blocked(ip).is_some());
    assert_eq!(
        security.login_blocked([10, 0, 0, 2].into()),
        None,
        "others unaffected"
    );
}
