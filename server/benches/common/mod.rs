//! Helpers shared by the benchmark binaries.

use std::time::Duration;

/// The value at fraction `p` of a sorted sample.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// A duration in milliseconds, to the microsecond.
#[allow(dead_code)] // not every bench prints milliseconds this way
pub fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}
