-- A project whose threads' worktrees are being removed before it is
-- deleted, and why its last delete could not be done.
ALTER TABLE projection_projects ADD COLUMN delete_requested INTEGER NOT NULL DEFAULT 0;
ALTER TABLE projection_projects ADD COLUMN delete_error TEXT;
