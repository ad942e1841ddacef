-- Logins, kept on the server so that logging out (or signing a session out
-- from the settings page) ends them. Not part of the event log: they are
-- credentials, never synced to browsers. `key` is a hash of the secret id
-- the cookie carries, so this table holds nothing a cookie can be made from.
CREATE TABLE auth_sessions (
    key          TEXT PRIMARY KEY,
    token_hash   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    user_agent   TEXT NOT NULL DEFAULT '',
    address      TEXT NOT NULL DEFAULT ''
);

-- One-time login links already used (until they would have expired anyway),
-- so a link works once even across a restart.
CREATE TABLE login_links_used (
    nonce      TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
);
