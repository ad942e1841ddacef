use super::*;
use std::time::Duration;

#[tokio::test]
async fn a_session_is_tied_to_the_token_and_ends_when_signed_out() {
    let sessions = Sessions::in_memory();
    let cookie = sessions
        .create(
            "the-token-1",
            Duration::from_secs(60),
            "Firefox",
            "10.0.0.1",
        )
        .await
        .expect("created");
    let key = sessions.check("the-token-1", &cookie).expect("live");
    assert!(
        sessions.check("another-token", &cookie).is_none(),
        "other token"
    );
    assert!(
        !cookie.contains("the-token-1"),
        "the token is not in the cookie"
    );
    let (id, mac) = cookie.split_once('.').expect("shape");
    assert!(
        sessions
            .check("the-token-1", &format!("{id}x.{mac}"))
            .is_none(),
        "a changed id breaks the MAC"
    );
    for junk in ["", ".", "x.y", "1.", &format!("{id}.")] {
        assert!(sessions.check("the-token-1", junk).is_none(), "{junk}");
    }
    let listed = sessions.list("the-token-1");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].0, key);
    assert_eq!(listed[0].1.user_agent, "Firefox");
    assert!(sessions.list("another-token").is_empty());

    assert!(sessions.end(&key).await.expect("ended"));
    assert!(
        sessions.check("the-token-1", &cookie).is_none(),
        "a signed-out cookie is refused although its MAC is right"
    );
    assert!(!sessions.end(&key).await.expect("second end"), "gone");

    let expired = sessions
        .create("the-token-1", Duration::ZERO, "", "")
        .await
        .expect("created");
    assert!(sessions.check("the-token-1", &expired).is_none(), "expired");
}

#[test]
fn a_login_link_is_signed_and_expires() {
    let code = link::issue("the-token-1", Duration::from_secs(300), 1_000);
    let (nonce, expires) = link::verify("the-token-1", &code, 1_000).expect("valid");
    assert_eq!(expires, 1_300);
    assert_eq!(nonce.len(), 32);
    assert_eq!(
        link::verify("the-token-1", &code, 1_300),
        Err(LinkError::Expired)
    );
    assert_eq!(
        link::verify("another-token", &code, 1_000),
        Err(LinkError::Forged)
    );
    let (_, rest) = code.split_once('.').expect("shape");
    assert_eq!(
        link::verify("the-token-1", &format!("9999999.{rest}"), 1_000),
        Err(LinkError::Forged),
        "a moved expiry breaks the MAC"
    );
    for junk in ["", "1.2", "x.y.z", "1300..", "..."] {
        assert_eq!(link::verify("the-token-1", junk, 0), Err(LinkError::Forged));
    }
}

#[tokio::test]
async fn a_login_link_is_taken_once() {
    let sessions = Sessions::in_memory();
    let far = sessions::now() + 300;
    assert!(sessions.use_link("n1", far).await.expect("first"));
    assert!(!sessions.use_link("n1", far).await.expect("again"));
    assert!(sessions.use_link("n2", far).await.expect("another"));
}

#[tokio::test]
async fn a_new_token_in_the_file_replaces_the_old_one() {
    let dir = tempfile::tempdir().expect("temp");
    let file = dir.path().join(TOKEN_FILE);
    std::fs::write(&file, "first-token-1").expect("write");
    let mut config = SecurityConfig::new(Some("first-token-1".into()), 1024);
    config.token_file = Some(file.clone());
    let security = Security::new(config, Sessions::in_memory());
    assert_eq!(security.token().as_deref(), Some("first-token-1"));
    std::thread::sleep(TOKEN_RECHECK);
    rotate_token(dir.path()).expect("rotated");
    let new = std::fs::read_to_string(&file).expect("read");
    assert_eq!(security.token().as_deref(), Some(new.as_str()));
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
    let security = Security::new(
        SecurityConfig::new(Some("token-123".into()), 1024),
        Sessions::in_memory(),
    );
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
