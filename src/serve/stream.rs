//! The batch endpoint's bodies as the blocking reader and writer the batch
//! evaluator takes: the request body arrives frame by frame through a
//! bounded channel, and the output leaves in pieces through another, so a
//! body of any length is never held whole on either side.

use std::io::{self, Read, Write};

use axum::body::Bytes;
use tokio::sync::mpsc;

/// Reads the request body's frames as they arrive (on a blocking thread).
pub struct BodyReader {
    rx: mpsc::Receiver<Result<Bytes, io::Error>>,
    current: Bytes,
}

impl BodyReader {
    /// A reader of what arrives on `rx`; the channel closing is the end.
    pub fn new(rx: mpsc::Receiver<Result<Bytes, io::Error>>) -> BodyReader {
        BodyReader {
            rx,
            current: Bytes::new(),
        }
    }
}

impl Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(b)) => self.current = b,
                Some(Err(e)) => return Err(e),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        let _ = self.current.split_to(n);
        Ok(n)
    }
}

/// Sends what the batch writes to the response body, in pieces of about
/// `PIECE` bytes; a client that went away is a broken pipe, which stops
/// the batch.
pub struct BodyWriter {
    tx: mpsc::Sender<Result<Bytes, io::Error>>,
    buf: Vec<u8>,
}

const PIECE: usize = 64 * 1024;

impl BodyWriter {
    /// A writer into `tx`.
    pub fn new(tx: mpsc::Sender<Result<Bytes, io::Error>>) -> BodyWriter {
        BodyWriter {
            tx,
            buf: Vec::with_capacity(PIECE),
        }
    }

    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let piece = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(PIECE)));
        self.tx
            .blocking_send(Ok(piece))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client went away"))
    }
}

impl Write for BodyWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        if bytes.len() >= PIECE && self.buf.is_empty() {
            self.buf.extend_from_slice(bytes);
            self.send()?;
            return Ok(bytes.len());
        }
        self.buf.extend_from_slice(bytes);
        if self.buf.len() >= PIECE {
            self.send()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}
