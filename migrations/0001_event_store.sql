-- The append-only event log, command receipts and projection tables.

CREATE TABLE events (
    sequence INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    stream_kind TEXT NOT NULL,
    stream_id TEXT NOT NULL,
    stream_version INTEGER NOT NULL,
    event_type TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    command_id TEXT,
    causation_event_id TEXT,
    correlation_id TEXT,
    actor TEXT NOT NULL,
    payload TEXT NOT NULL,
    UNIQUE (stream_kind, stream_id, stream_version)
);

CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;

CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;

CREATE TABLE command_receipts (
    command_id TEXT PRIMARY KEY,
    command_hash TEXT NOT NULL,
    first_sequence INTEGER NOT NULL,
    last_sequence INTEGER NOT NULL,
    received_at TEXT NOT NULL
);

CREATE TABLE projection_state (
    projector TEXT PRIMARY KEY,
    last_sequence INTEGER NOT NULL
);

CREATE TABLE projection_projects (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    workspace_root TEXT NOT NULL,
    default_model TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL
);

CREATE TABLE projection_threads (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    title TEXT NOT NULL,
    provider TEXT NOT NULL,
    model TEXT,
    runtime_mode TEXT NOT NULL,
    interaction_mode TEXT NOT NULL,
    branch TEXT,
    worktree_path TEXT,
    archived INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL,
    turn_count INTEGER NOT NULL DEFAULT 0,
    active_turn_id TEXT,
    last_turn_status TEXT,
    last_error TEXT,
    checkpoint_turn_count INTEGER,
    revert_requested INTEGER
);
CREATE INDEX projection_threads_project ON projection_threads (project_id, created_at);

CREATE TABLE projection_turns (
    id TEXT PRIMARY KEY,
    thread_id TEXT NOT NULL,
    number INTEGER NOT NULL,
    status TEXT NOT NULL,
    error TEXT,
    requested_at TEXT NOT NULL,
    completed_at TEXT,
    interrupt_requested INTEGER NOT NULL DEFAULT 0,
    UNIQUE (thread_id, number)
);

-- Every item of a turn's timeline (message, activity, approval) in order.
CREATE TABLE projection_messages (
    id TEXT PRIMARY KEY,
    thread_id TEXT NOT NULL,
    turn_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    role TEXT NOT NULL,
    text TEXT NOT NULL,
    attachments TEXT,
    streaming INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX projection_messages_turn ON projection_messages (turn_id, position);
CREATE INDEX projection_messages_open ON projection_messages (thread_id) WHERE streaming = 1;

CREATE TABLE projection_activities (
    id TEXT PRIMARY KEY,
    thread_id TEXT NOT NULL,
    turn_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    kind TEXT NOT NULL,
    summary TEXT NOT NULL,
    detail TEXT,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX projection_activities_turn ON projection_activities (turn_id, position);

CREATE TABLE projection_approvals (
    id TEXT PRIMARY KEY,
    thread_id TEXT NOT NULL,
    turn_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL,
    decision TEXT,
    pending INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX projection_approvals_turn ON projection_approvals (turn_id, position);
CREATE INDEX projection_approvals_pending ON projection_approvals (thread_id) WHERE pending = 1;

CREATE TABLE projection_checkpoints (
    thread_id TEXT NOT NULL,
    turn_count INTEGER NOT NULL,
    turn_id TEXT,
    git_ref TEXT NOT NULL,
    files TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (thread_id, turn_count)
);

CREATE TABLE projection_sessions (
    thread_id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    provider_thread_id TEXT,
    last_error TEXT,
    updated_at TEXT NOT NULL
);

CREATE TABLE projection_settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    version INTEGER NOT NULL
);
