//! The decision log (the audit trail): one JSON line per decision,
//! appended to a file that runs share and that outlives them. What a line
//! holds, and what the writer guarantees, is in docs/audit.md; the line's
//! body is written by [`crate::write::log_entry`], beside the decision's
//! own writer.
//!
//! [`LogWriter`] appends: each line gets an [`id`](Ids) (a ULID: sortable
//! by time, unique across processes) and `logged_at`; lines are buffered
//! and written in batches of whole lines, one `write` call each, on a file
//! opened with `O_APPEND`, and the file is synced at the end. A file that
//! a writer killed mid-line left without a final newline gets one first,
//! so the next line starts on a line of its own. [`read`] reads logs back
//! (a torn or invalid line is reported by its number and skipped) and
//! selects lines by lead, policy, verdict and time.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;

pub mod read;

pub use crate::write::{log_entry, log_error, LogInput};

/// The most bytes one `write` call puts out: a batch of whole lines (a
/// longer line goes alone). Lines of one call never interleave with another
/// writer's (docs/audit.md says where that holds).
pub const BATCH_BYTES: usize = 256 * 1024;

/// Decision ids: [ULIDs](https://github.com/ulid/spec), 26 characters that
/// sort as the time they were made. The 48-bit time (milliseconds) is
/// followed by the 32-bit node (the process id) and a 48-bit counter that
/// starts at a seed and goes up by one an id: the ids of one writer only
/// increase (a clock that steps back is held at its last reading), and two
/// writers at the same millisecond differ in their node.
#[derive(Debug, Clone)]
pub struct Ids {
    node: u32,
    last_ms: u64,
    counter: u64,
}

const COUNTER_MASK: u64 = (1 << 48) - 1;

impl Ids {
    /// Ids for the process `node`; `seed` varies the counter's start (the
    /// nanoseconds of the start time, say), so that a process id used
    /// again at the same millisecond still gives other ids.
    pub fn new(node: u32, seed: u64) -> Ids {
        Ids {
            node,
            last_ms: 0,
            counter: (seed & 0xffff) << 32,
        }
    }

    /// The next id at `ms` (milliseconds since 1970).
    pub fn next(&mut self, ms: u64) -> ulid::Ulid {
        self.last_ms = self.last_ms.max(ms);
        self.counter = (self.counter + 1) & COUNTER_MASK;
        if self.counter == 0 {
            // 2^48 ids in one run: the next millisecond keeps them in order
            self.last_ms += 1;
        }
        let random = (u128::from(self.node) << 48) | u128::from(self.counter);
        ulid::Ulid::from_parts(self.last_ms, random)
    }
}

/// Appends lines to a decision log. Give it the bodies that
/// [`log_entry`] and [`log_error`] write, each followed by a newline;
/// call [`LogWriter::finish`] at the end (it writes what is buffered and
/// syncs the file).
#[derive(Debug)]
pub struct LogWriter {
    file: File,
    buf: Vec<u8>,
    ids: Ids,
    clock: fn() -> jiff::Timestamp,
    lines: usize,
}

impl LogWriter {
    /// Opens (or creates) the log at `path` for appending. `clock` gives
    /// `logged_at` and the time in the ids, `node` their node (the process
    /// id). A regular file only: the guarantees need one.
    pub fn open(path: &Path, clock: fn() -> jiff::Timestamp, node: u32) -> io::Result<LogWriter> {
        let file = OpenOptions::new().append(true).create(true).open(path)?;
        if !file.metadata()?.is_file() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a regular file (the log appends whole lines to a file)",
            ));
        }
        let seed = u64::from(clock().subsec_nanosecond().unsigned_abs());
        let mut w = LogWriter {
            file,
            buf: Vec::with_capacity(BATCH_BYTES + BATCH_BYTES / 4),
            ids: Ids::new(node, seed),
            clock,
            lines: 0,
        };
        if torn_tail(path)? {
            // a writer stopped mid-line: ours start on a line of their own
            write_once(&mut w.file, b"\n")?;
        }
        Ok(w)
    }

    /// Adds lines: `bodies` holds line bodies ([`log_entry`],
    /// [`log_error`]), each ended by a newline. They get their id and
    /// `logged_at` here, and are written once a batch is full.
    pub fn add(&mut self, bodies: &[u8]) -> io::Result<()> {
        if bodies.is_empty() {
            return Ok(());
        }
        let now = (self.clock)();
        let ms = u64::try_from(now.as_millisecond()).unwrap_or(0);
        let at = now.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
        let mut id = [0u8; ulid::ULID_LEN];
        for body in bodies.split_inclusive(|b| *b == b'\n') {
            let body = body.strip_suffix(b"\n").unwrap_or(body);
            self.buf.extend_from_slice(b"{\"id\":\"");
            self.buf
                .extend_from_slice(self.ids.next(ms).array_to_str(&mut id).as_bytes());
            self.buf.extend_from_slice(b"\",\"logged_at\":\"");
            self.buf.extend_from_slice(at.as_bytes());
            self.buf.extend_from_slice(b"\",");
            self.buf.extend_from_slice(body);
            self.buf.push(b'\n');
            self.lines += 1;
        }
        if self.buf.len() >= BATCH_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes the buffered lines: batches of whole lines, one `write` call
    /// each.
    pub fn flush(&mut self) -> io::Result<()> {
        let buf = &self.buf;
        let mut start = 0;
        while start < buf.len() {
            let end = batch_end(buf, start);
            write_once(&mut self.file, &buf[start..end])?;
            start = end;
        }
        self.buf.clear();
        Ok(())
    }

    /// Writes what is buffered and syncs the file's data to the disk; the
    /// number of lines added.
    pub fn finish(mut self) -> io::Result<usize> {
        self.flush()?;
        self.file.sync_data()?;
        Ok(self.lines)
    }

    /// The lines added so far.
    pub fn lines(&self) -> usize {
        self.lines
    }
}

/// Where the batch of whole lines that starts at `start` ends: as many
/// lines as fit in [`BATCH_BYTES`], or the one line that does not.
fn batch_end(buf: &[u8], start: usize) -> usize {
    let rest = &buf[start..];
    if rest.len() <= BATCH_BYTES {
        return buf.len();
    }
    match memchr::memrchr(b'\n', &rest[..BATCH_BYTES]) {
        Some(i) => start + i + 1,
        None => memchr::memchr(b'\n', rest).map_or(buf.len(), |i| start + i + 1),
    }
}

/// One `write` call for `bytes`; only a short write (a full disk, a signal
/// that ends the process) takes another call for the rest.
fn write_once(file: &mut File, mut bytes: &[u8]) -> io::Result<()> {
    while !bytes.is_empty() {
        match file.write(bytes) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => bytes = &bytes[n..],
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Whether the file at `path` is not empty and does not end with a
/// newline: a writer stopped in the middle of a line.
fn torn_tail(path: &Path) -> io::Result<bool> {
    let mut f = File::open(path)?;
    if f.metadata()?.len() == 0 {
        return Ok(false);
    }
    f.seek(SeekFrom::End(-1))?;
    let mut last = [0u8; 1];
    f.read_exact(&mut last)?;
    Ok(last[0] != b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_only_increase_and_differ_by_node() {
        let mut a = Ids::new(7, 0);
        let mut b = Ids::new(8, 0);
        let mut last = a.next(1000);
        // the clock steps back: the ids still go up
        for ms in [1000, 1000, 999, 1001, 5] {
            let id = a.next(ms);
            assert!(id > last, "{id} after {last}");
            last = id;
        }
        assert_ne!(a.next(2000), b.next(2000));
        assert_eq!(b.next(3000).timestamp_ms(), 3000);
        let mut c = Ids {
            node: 1,
            last_ms: 10,
            counter: COUNTER_MASK,
        };
        let before = c.next(10);
        assert!(c.next(10) > before);
    }

    #[test]
    fn batches_end_at_line_ends() {
        let line = vec![b'x'; 1000];
        let mut buf = Vec::new();
        for _ in 0..600 {
            buf.extend_from_slice(&line);
            buf.push(b'\n');
        }
        let mut start = 0;
        while start < buf.len() {
            let end = batch_end(&buf, start);
            assert!(end - start <= BATCH_BYTES);
            assert_eq!(buf[end - 1], b'\n');
            start = end;
        }
        // a line longer than a batch goes alone, whole
        let mut long = vec![b'y'; BATCH_BYTES + 10];
        long.push(b'\n');
        long.extend_from_slice(b"z\n");
        assert_eq!(batch_end(&long, 0), BATCH_BYTES + 11);
    }
}
