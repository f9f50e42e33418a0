//! What a batch writes: a decision's line, a record's error record, a
//! chunk's output in pieces with one vectored write, and the last write
//! and flush.

use std::io::{self, Write};

use crate::decision::Decision;

use super::lead_id::lead_id_guess;

/// Writes one decision as its output line.
pub fn write_line(d: &Decision, pretty: bool, out: &mut Vec<u8>) {
    if pretty {
        // serializing a decision into memory cannot fail
        let _ = serde_json::to_writer_pretty(&mut *out, d);
    } else {
        crate::write::write_decision(d, out);
    }
    out.push(b'\n');
}

/// The error record of a line (or of a JSON document's `record`, from 1)
/// that could not be evaluated.
pub(super) fn write_error(
    bytes: &[u8],
    line: usize,
    record: Option<usize>,
    e: &crate::record::RecordError,
    out: &mut Vec<u8>,
) {
    let mut rec = serde_json::json!({ "error": {
        "line": line,
        "lead_id": lead_id_guess(bytes),
        "kind": e.kind,
        "message": e.message,
    }});
    if let Some(n) = record {
        rec["error"]["record"] = n.into();
    }
    let _ = serde_json::to_writer(&mut *out, &rec);
    out.push(b'\n');
}

/// Writes what is left in `buf` and flushes, unless the batch already
/// failed; the first failure.
pub(super) fn finish(
    out: &mut impl Write,
    buf: &[u8],
    io_error: Option<io::Error>,
) -> Option<io::Error> {
    io_error.or_else(|| out.write_all(buf).and_then(|_| out.flush()).err())
}

/// A piece of a chunk's output, for the writer.
pub(super) enum Piece<'p> {
    /// Bytes `a..b` of the chunk's output.
    Out(usize, usize),
    /// A member's name, as JSON.
    Member(&'p str),
    /// Bytes `a..b` of the chunk's at-capacity forms.
    Side(usize, usize),
    /// Bytes `a..b` of the decisions the writer wrote whole.
    Whole(usize, usize),
}

/// Writes `pieces` in order with as few calls as `out` allows (one
/// `writev` each thousand pieces for a file or a pipe); `bufs` are the
/// chunk's output, its side buffer and the writer's own.
pub(super) fn write_pieces(
    out: &mut impl Write,
    pieces: &[Piece<'_>],
    bufs: [&[u8]; 3],
) -> io::Result<()> {
    let [bytes, side, whole] = bufs;
    let mut slices: Vec<io::IoSlice<'_>> = pieces
        .iter()
        .map(|p| match *p {
            Piece::Out(a, b) => &bytes[a..b],
            Piece::Member(m) => m.as_bytes(),
            Piece::Side(a, b) => &side[a..b],
            Piece::Whole(a, b) => &whole[a..b],
        })
        .filter(|s| !s.is_empty())
        .map(io::IoSlice::new)
        .collect();
    let mut rest = &mut slices[..];
    while !rest.is_empty() {
        match out.write_vectored(rest) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => io::IoSlice::advance_slices(&mut rest, n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
