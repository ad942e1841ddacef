-- A thread whose worktree is being removed before it is deleted.
ALTER TABLE projection_threads ADD COLUMN delete_requested INTEGER NOT NULL DEFAULT 0;
