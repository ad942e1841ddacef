-- Messages queued behind a running turn, in the order they will be sent
-- (`position` 0 goes next).
CREATE TABLE projection_queue (
    id TEXT PRIMARY KEY,
    thread_id TEXT NOT NULL,
    turn_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    text TEXT NOT NULL,
    attachments TEXT
);
CREATE INDEX projection_queue_thread ON projection_queue (thread_id, position);
