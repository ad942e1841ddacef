//! Helpers for integration tests that run the real `peon` binary.
