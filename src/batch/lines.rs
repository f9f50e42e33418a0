//! NDJSON input in chunks of whole lines, numbered; blank lines at the end
//! of the input are no lines.

use std::io::{self, Read};

use super::CHUNK;

/// The lines of a chunk, without their newline; a last empty piece after
/// the final newline is not a line.
pub(crate) struct Lines<'a>(pub(crate) &'a [u8]);

impl<'a> Iterator for Lines<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.0.is_empty() {
            return None;
        }
        match memchr::memchr(b'\n', self.0) {
            Some(i) => {
                let line = &self.0[..i];
                self.0 = &self.0[i + 1..];
                Some(line)
            }
            None => Some(std::mem::take(&mut self.0)),
        }
    }
}

/// Reads the input in chunks of whole lines. A line longer than
/// [`crate::record::MAX_RECORD_BYTES`] is cut to the limit plus one byte, so it is
/// reported as too large while memory stays bounded.
pub(crate) struct ChunkReader<R> {
    input: R,
    carry: Vec<u8>,
    eof: bool,
    /// The number of the next line.
    line: usize,
    streaming: bool,
    /// Blank lines read last, not yet given: they are given once a line
    /// that is not blank follows them, and dropped at the end of the input
    /// (an editor's trailing newlines are no records).
    blank: usize,
    /// Blank lines to give before `ahead`.
    owed: usize,
    /// Lines read, given after the `owed` blank lines.
    ahead: Vec<u8>,
}

impl<R: Read> ChunkReader<R> {
    pub(crate) fn new(input: R, streaming: bool) -> Self {
        ChunkReader {
            input,
            carry: Vec::new(),
            eof: false,
            line: 1,
            streaming,
            blank: 0,
            owed: 0,
            ahead: Vec::new(),
        }
    }

    /// Appends what one read gives; returns how many bytes.
    fn read_more(&mut self, buf: &mut Vec<u8>, want: usize) -> io::Result<usize> {
        let n = if self.streaming {
            let start = buf.len();
            buf.resize(start + want, 0);
            let got = loop {
                match self.input.read(&mut buf[start..]) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    other => break other,
                }
            };
            buf.truncate(start + *got.as_ref().unwrap_or(&0));
            got?
        } else {
            (&mut self.input).take(want as u64).read_to_end(buf)?
        };
        if n == 0 {
            self.eof = true;
        }
        Ok(n)
    }

    /// Fills `buf` with the next whole lines; returns the number of the
    /// first, or `None` at the end of the input. Blank lines at the end of
    /// the input are not given.
    pub(crate) fn next(&mut self, buf: &mut Vec<u8>) -> io::Result<Option<usize>> {
        loop {
            buf.clear();
            if self.owed > 0 {
                // at most a chunk of them at a time: memory stays flat
                let n = self.owed.min(CHUNK);
                self.owed -= n;
                buf.resize(n, b'\n');
            } else if !self.ahead.is_empty() {
                std::mem::swap(buf, &mut self.ahead);
            } else {
                if !self.next_raw(buf)? {
                    return Ok(None);
                }
                // the blank lines at the end of the chunk wait for more
                let body = blank_tail(buf);
                let tail = &buf[body..];
                let tail_lines = memchr::memchr_iter(b'\n', tail).count()
                    + usize::from(tail.last().is_some_and(|b| *b != b'\n'));
                buf.truncate(body);
                let before = std::mem::replace(&mut self.blank, tail_lines);
                if buf.is_empty() {
                    self.blank += before;
                    continue;
                }
                if before > 0 {
                    self.owed = before;
                    std::mem::swap(buf, &mut self.ahead);
                    continue;
                }
            }
            let first = self.line;
            self.line += memchr::memchr_iter(b'\n', buf).count();
            if buf.last() != Some(&b'\n') {
                self.line += 1;
            }
            return Ok(Some(first));
        }
    }

    /// Fills `buf` with the next whole lines, as read; `false` at the end
    /// of the input.
    fn next_raw(&mut self, buf: &mut Vec<u8>) -> io::Result<bool> {
        buf.clear();
        buf.append(&mut self.carry);
        while buf.len() < CHUNK && !self.eof {
            let start = buf.len();
            let n = self.read_more(buf, CHUNK - buf.len())?;
            // a pipe gives what it has: answer the complete lines now
            if self.streaming && n > 0 && memchr::memchr(b'\n', &buf[start..]).is_some() {
                break;
            }
        }
        if buf.is_empty() {
            return Ok(false);
        }
        match memchr::memrchr(b'\n', buf) {
            Some(p) => {
                self.carry.extend_from_slice(&buf[p + 1..]);
                buf.truncate(p + 1);
            }
            None if self.eof => {}
            None => self.long_line(buf)?,
        }
        Ok(true)
    }

    /// `buf` holds the start of a line longer than a chunk: reads to its
    /// end, keeping at most the limit plus one byte.
    fn long_line(&mut self, buf: &mut Vec<u8>) -> io::Result<()> {
        let keep = crate::record::MAX_RECORD_BYTES + 1;
        loop {
            if buf.len() > keep {
                buf.truncate(keep);
            }
            let start = buf.len();
            if self.read_more(buf, CHUNK)? == 0 {
                return Ok(());
            }
            if let Some(q) = memchr::memchr(b'\n', &buf[start..]) {
                let nl = start + q;
                self.carry.extend_from_slice(&buf[nl + 1..]);
                buf.truncate(nl + 1);
                if nl > keep {
                    buf.drain(keep..nl);
                }
                return Ok(());
            }
        }
    }
}

/// Where the blank lines (white space only) at the end of `chunk` start:
/// just after the last line that is not blank.
fn blank_tail(chunk: &[u8]) -> usize {
    match chunk.iter().rposition(|b| !b.is_ascii_whitespace()) {
        None => 0,
        Some(i) => memchr::memchr(b'\n', &chunk[i..]).map_or(chunk.len(), |n| i + n + 1),
    }
}

/// A chunk of whole lines cut into `n` parts at line ends, each with the
/// number of its first line.
pub(crate) fn split_lines(chunk: &[u8], first: usize, n: usize) -> Vec<(&[u8], usize)> {
    let mut out = Vec::with_capacity(n);
    let (mut rest, mut line) = (chunk, first);
    for left in (1..=n).rev() {
        if rest.is_empty() {
            break;
        }
        let cut = if left == 1 {
            rest.len()
        } else {
            let at = rest.len() / left;
            memchr::memchr(b'\n', &rest[at..]).map_or(rest.len(), |i| at + i + 1)
        };
        let (part, after) = rest.split_at(cut);
        out.push((part, line));
        line += memchr::memchr_iter(b'\n', part).count();
        rest = after;
    }
    out
}
