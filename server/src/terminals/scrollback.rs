//! A terminal's scrollback: the newest bytes of its output, bounded, and a
//! filter that removes the sequences by which a program asks the terminal
//! something (cursor position, device attributes, colours): replayed into
//! a fresh xterm.js they would make it answer into the shell.

use std::collections::VecDeque;

/// The newest `capacity` bytes written.
#[derive(Debug)]
pub struct Ring {
    bytes: VecDeque<u8>,
    capacity: usize,
}

impl Ring {
    pub fn new(capacity: usize) -> Self {
        Self {
            bytes: VecDeque::with_capacity(capacity.min(64 * 1024)),
            capacity,
        }
    }

    pub fn push(&mut self, chunk: &[u8]) {
        let chunk = &chunk[chunk.len().saturating_sub(self.capacity)..];
        let overflow = (self.bytes.len() + chunk.len()).saturating_sub(self.capacity);
        self.bytes.drain(..overflow);
        self.bytes.extend(chunk);
    }

    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// What to show a terminal that attaches now: the bytes without query
    /// sequences.
    pub fn replay(&self) -> Vec<u8> {
        let (a, b) = self.bytes.as_slices();
        strip_queries(&[a, b].concat())
    }
}

const ESC: u8 = 0x1b;
const BEL: u8 = 0x07;

/// `bytes` without terminal queries: CSI `n` (status and cursor reports),
/// CSI `c` (device attributes), CSI `t` (window reports), CSI `>q`
/// (version), OSC colour queries (`…;?`) and DCS `$q` / `+q` requests.
/// Everything else, colours and cursor movement included, is kept.
pub fn strip_queries(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != ESC || i + 1 >= bytes.len() {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        let (end, query) = match bytes[i + 1] {
            b'[' => csi(bytes, i + 2),
            b']' => osc(bytes, i + 2),
            b'P' => dcs(bytes, i + 2),
            _ => (i + 1, false),
        };
        if !query {
            out.extend_from_slice(&bytes[i..end]);
        }
        i = end;
    }
    out
}

/// End of a CSI sequence starting at `start` (after `ESC [`), and whether
/// it is a query.
fn csi(bytes: &[u8], start: usize) -> (usize, bool) {
    let mut j = start;
    while j < bytes.len() && (0x20..=0x3f).contains(&bytes[j]) {
        j += 1;
    }
    let Some(&last) = bytes.get(j) else {
        return (bytes.len(), false);
    };
    let params = &bytes[start..j];
    let query = match last {
        b'n' | b'c' => true,
        b't' => params.first().is_some_and(|p| matches!(p, b'1' | b'2')),
        b'q' => params.first() == Some(&b'>'),
        // DECRQM: `CSI ? Ps $ p` asks whether a mode is set.
        b'p' => params.last() == Some(&b'$'),
        _ => false,
    };
    (j + 1, query)
}

/// End of a string sequence (OSC/DCS) at `start`: BEL or `ESC \`.
fn string_end(bytes: &[u8], start: usize) -> (usize, usize) {
    let mut j = start;
    while j < bytes.len() {
        if bytes[j] == BEL {
            return (j, j + 1);
        }
        if bytes[j] == ESC && bytes.get(j + 1) == Some(&b'\\') {
            return (j, j + 2);
        }
        j += 1;
    }
    (bytes.len(), bytes.len())
}

fn osc(bytes: &[u8], start: usize) -> (usize, bool) {
    let (body_end, end) = string_end(bytes, start);
    let body = &bytes[start..body_end];
    let query = body.ends_with(b";?") || body.windows(3).any(|w| w == b";?;");
    (end, query)
}

fn dcs(bytes: &[u8], start: usize) -> (usize, bool) {
    let (_, end) = string_end(bytes, start);
    let body = &bytes[start..end.min(bytes.len())];
    (end, body.starts_with(b"$q") || body.starts_with(b"+q"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ring_keeps_the_newest_bytes() {
        let mut ring = Ring::new(5);
        ring.push(b"abc");
        ring.push(b"defg");
        assert_eq!(ring.replay(), b"cdefg");
        ring.push(b"0123456789");
        assert_eq!(ring.replay(), b"56789");
        assert_eq!(ring.len(), 5);
    }

    #[test]
    fn queries_go_and_everything_else_stays() {
        let input = b"a\x1b[6nb\x1b[31mred\x1b[0m\x1b[c\x1b[>0c\x1b]11;?\x07\x1b]0;title\x07\
            \x1b[18t\x1b[>q\x1bP$qm\x1b\\\x1b[2J\x1b[?25l\x1b[?2004$pz";
        assert_eq!(
            strip_queries(input),
            b"ab\x1b[31mred\x1b[0m\x1b]0;title\x07\x1b[2J\x1b[?25lz".to_vec()
        );
        assert_eq!(strip_queries(b"plain\r\n"), b"plain\r\n");
        // A sequence cut off at the end is kept as it is.
        assert_eq!(strip_queries(b"x\x1b["), b"x\x1b[");
    }
}
