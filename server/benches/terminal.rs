//! Terminal output: a shell prints 20 MB (`seq`), one attached reader
//! keeps up and one never reads. Throughput to the reader, and peon's
//! memory with the stalled one attached. `cargo bench -p peon-server
//! --bench terminal`.

use peon_app::contracts::ThreadId;
use peon_server::terminals::{Output, Terminals};
use std::time::{Duration, Instant};

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let terminals = Terminals::start(dir.path().join("terminals"));
    let thread = ThreadId::new();
    for run in 1..=3 {
        let info = terminals.open(thread, dir.path()).expect("open");
        let terminal = terminals.get(&info.id).expect("terminal");
        let (_, _, mut reader) = terminal.attach();
        // Never read: the terminal must drop it rather than wait or grow.
        let (_, _, _stalled) = terminal.attach();
        let before = rss_kib();
        // 2,600,000 lines of "NNNNNNN\n": about 20 MB.
        let bytes_expected: usize = (1..=2_600_000u32).map(|n| n.to_string().len() + 1).sum();
        terminal
            .input(b"stty -echo; seq 1 2600000; echo DONE-$((1+1))\n")
            .expect("type");
        let start = Instant::now();
        let mut received = 0usize;
        let mut tail = Vec::new();
        let mut peak = before;
        while let Ok(Some(out)) = tokio::time::timeout(Duration::from_secs(60), reader.recv()).await
        {
            if let Output::Bytes(b) = out {
                received += b.len();
                tail.extend_from_slice(&b);
                let keep = tail.len().saturating_sub(64);
                tail.drain(..keep);
                if tail.windows(6).any(|w| w == b"DONE-2") {
                    break;
                }
            }
            peak = peak.max(rss_kib());
        }
        let elapsed = start.elapsed();
        println!(
            "run {run}: {:.1} MB in {:.2} s = {:.0} MB/s to the reader ({} bytes of seq); \
             memory {} → peak {} KiB (+{} KiB) with a stalled socket attached; \
             scrollback {} bytes",
            received as f64 / 1e6,
            elapsed.as_secs_f64(),
            received as f64 / 1e6 / elapsed.as_secs_f64(),
            bytes_expected,
            before,
            peak,
            peak.saturating_sub(before),
            terminal.scrollback_len(),
        );
        terminals.close(&info.id).expect("close");
    }
}
