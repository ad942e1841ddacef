//! SQLite: opening the database, the event store, and the projection
//! writers and readers.

pub mod database;
pub mod event_store;
pub mod projection_reader;
pub mod projector;
mod rows;
pub mod search;

pub use rows::time_text as rows_time_text;

pub use database::{Database, DatabaseError};
pub use event_store::{EventStore, NewEvent, StoreError};

#[cfg(test)]
mod event_store_tests;
#[cfg(test)]
mod golden_tests;
#[cfg(test)]
mod projection_tests;
#[cfg(test)]
mod search_tests;
