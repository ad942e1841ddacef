-- Paths a checkpoint left out for their size, shown with the turn.
ALTER TABLE projection_checkpoints ADD COLUMN skipped TEXT NOT NULL DEFAULT '[]';
