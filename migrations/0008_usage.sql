-- Tokens each turn used and each thread in all, as the agents report them;
-- the context at the last report; the cost, when the agent reports one
-- (millionths of a US dollar).
ALTER TABLE projection_turns ADD COLUMN usage_input INTEGER NOT NULL DEFAULT 0;
ALTER TABLE projection_turns ADD COLUMN usage_cached_input INTEGER NOT NULL DEFAULT 0;
ALTER TABLE projection_turns ADD COLUMN usage_output INTEGER NOT NULL DEFAULT 0;
ALTER TABLE projection_turns ADD COLUMN usage_reasoning_output INTEGER NOT NULL DEFAULT 0;
ALTER TABLE projection_threads ADD COLUMN usage_input INTEGER NOT NULL DEFAULT 0;
ALTER TABLE projection_threads ADD COLUMN usage_cached_input INTEGER NOT NULL DEFAULT 0;
ALTER TABLE projection_threads ADD COLUMN usage_output INTEGER NOT NULL DEFAULT 0;
ALTER TABLE projection_threads ADD COLUMN usage_reasoning_output INTEGER NOT NULL DEFAULT 0;
ALTER TABLE projection_threads ADD COLUMN context_tokens INTEGER;
ALTER TABLE projection_threads ADD COLUMN context_window INTEGER;
ALTER TABLE projection_threads ADD COLUMN cost_micros INTEGER;
