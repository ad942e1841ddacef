//! Flow control for one terminal socket. A browser reads a WebSocket as
//! fast as the network allows and queues what xterm.js has not drawn yet,
//! so TCP never pushes back: under `yes` the page would fall minutes
//! behind the shell. A browser that acknowledges what it has drawn is sent
//! at most `HIGH_WATER` bytes ahead; output beyond that is skipped, and once
//! it has caught up it is sent the scrollback afresh (a resync), the way a
//! terminal multiplexer redraws. Sockets that never acknowledge (scripts,
//! API clients) are not held back.

/// Bytes a socket may be sent beyond what its browser has drawn.
pub const HIGH_WATER: u64 = 1024 * 1024;

#[derive(Debug, Default)]
pub struct Flow {
    sent: u64,
    /// What the browser said it has drawn; `None` until it first says.
    acked: Option<u64>,
    skipping: bool,
}

/// What to do with a piece of output.
#[derive(Debug, PartialEq, Eq)]
pub enum Pass {
    Send,
    Skip,
}

impl Flow {
    /// For a client that said up front that it acknowledges.
    pub fn acknowledged() -> Self {
        Self {
            acked: Some(0),
            ..Self::default()
        }
    }

    /// Output of `len` bytes is ready for the socket.
    pub fn output(&mut self, len: usize) -> Pass {
        let ahead = self.acked.map(|acked| self.sent.saturating_sub(acked));
        if self.skipping || ahead.is_some_and(|ahead| ahead >= HIGH_WATER) {
            self.skipping = true;
            return Pass::Skip;
        }
        self.sent += len as u64;
        Pass::Send
    }

    /// Whether the browser acknowledges what it draws.
    pub fn controlled(&self) -> bool {
        self.acked.is_some()
    }

    /// The terminal dropped this socket's output for falling behind; it
    /// is skipped from here on. True when the browser has already drawn
    /// all it was sent, so the resync is due now (no ack would come).
    pub fn fell_behind(&mut self) -> bool {
        self.skipping = true;
        if self.acked.is_some_and(|acked| acked >= self.sent) {
            self.skipping = false;
            return true;
        }
        false
    }

    /// `len` bytes were sent outside `output` (a replay).
    pub fn sent(&mut self, len: usize) {
        self.sent += len as u64;
    }

    /// The browser has drawn `total` bytes since the socket opened. True
    /// when output was skipped and the browser has now drawn all it was
    /// sent: time to resync.
    pub fn ack(&mut self, total: u64) -> bool {
        let acked = self.acked.unwrap_or(0).max(total.min(self.sent));
        self.acked = Some(acked);
        if self.skipping && acked >= self.sent {
            self.skipping = false;
            return true;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_socket_that_never_acks_is_never_held_back() {
        let mut flow = Flow::default();
        for _ in 0..1000 {
            assert_eq!(flow.output(16 * 1024), Pass::Send);
        }
    }

    #[test]
    fn output_is_skipped_past_the_high_water_mark_until_the_browser_catches_up() {
        let mut flow = Flow::default();
        assert!(!flow.ack(0));
        let chunk = 64 * 1024;
        let fits = (HIGH_WATER as usize).div_ceil(chunk);
        for _ in 0..fits {
            assert_eq!(flow.output(chunk), Pass::Send);
        }
        assert_eq!(flow.output(chunk), Pass::Skip);
        // Drawing part of it is not enough to resync, and output stays
        // skipped until the resync (no gap in what the browser shows).
        assert!(!flow.ack(HIGH_WATER / 2));
        assert_eq!(flow.output(10), Pass::Skip);
        // All of it drawn: resync, then output flows again.
        assert!(flow.ack((fits * chunk) as u64));
        assert_eq!(flow.output(10), Pass::Send);
    }

    #[test]
    fn falling_behind_resyncs_at_once_only_when_all_was_drawn() {
        let mut flow = Flow::default();
        flow.ack(0);
        flow.sent(100);
        assert!(!flow.fell_behind(), "100 bytes not drawn yet");
        assert_eq!(flow.output(1), Pass::Skip);
        assert!(flow.ack(100));
        flow.sent(50);
        flow.ack(150);
        assert!(flow.fell_behind());
    }

    #[test]
    fn an_ack_beyond_what_was_sent_counts_as_all_of_it() {
        let mut flow = Flow::default();
        flow.ack(0);
        flow.sent(100);
        flow.ack(u64::MAX);
        assert_eq!(flow.output(HIGH_WATER as usize), Pass::Send);
        assert_eq!(flow.output(1), Pass::Skip);
    }
}
