//! Progress of a long batch on a terminal: after a couple of seconds, a
//! bar on stderr (bytes read of the input's size, or a spinner on a pipe)
//! with the leads answered. Never when stderr is not a terminal, and never
//! in the decision stream.

use std::io::{IsTerminal, Read};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a batch runs before its progress is shown.
const QUIET_FOR: Duration = Duration::from_secs(2);

/// Counts the bytes read through it.
pub(crate) struct Counting<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// The progress of one batch; shown from its own thread, ended on drop.
pub(crate) struct Progress {
    /// Records answered, set by the batch.
    pub records: Arc<AtomicUsize>,
    read: Arc<AtomicU64>,
    done: Arc<AtomicBool>,
    shower: Option<std::thread::JoinHandle<()>>,
}

impl Progress {
    /// Starts watching a batch over an input of `size` bytes (when known).
    /// Nothing is shown unless stderr is a terminal.
    pub fn start(size: Option<u64>) -> Progress {
        let mut p = Progress {
            records: Arc::default(),
            read: Arc::default(),
            done: Arc::default(),
            shower: None,
        };
        if std::io::stderr().is_terminal() {
            let (records, read, done) = (p.records.clone(), p.read.clone(), p.done.clone());
            p.shower = std::thread::Builder::new()
                .name("progress".into())
                .spawn(move || show(size, &records, &read, &done))
                .ok();
        }
        p
    }

    /// `input`, counted for the bar.
    pub fn reader<R: Read>(&self, input: R) -> Counting<R> {
        Counting {
            inner: input,
            read: self.read.clone(),
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(h) = self.shower.take() {
            let _ = h.join();
        }
    }
}

fn show(size: Option<u64>, records: &AtomicUsize, read: &AtomicU64, done: &AtomicBool) {
    let start = Instant::now();
    while start.elapsed() < QUIET_FOR {
        if done.load(Ordering::Relaxed) {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let bar = match size {
        Some(n) if n > 0 => indicatif::ProgressBar::new(n).with_style(
            indicatif::ProgressStyle::with_template(
                "{bar:30} {bytes}/{total_bytes} {msg} ({elapsed}, {eta} left)",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        ),
        _ => indicatif::ProgressBar::new_spinner().with_style(
            indicatif::ProgressStyle::with_template("{spinner} {bytes} read, {msg} ({elapsed})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        ),
    };
    // the time and the rate count from the start of the batch, not of the bar
    let bar = bar.with_elapsed(start.elapsed());
    bar.set_position(read.load(Ordering::Relaxed));
    bar.reset_eta();
    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    while !done.load(Ordering::Relaxed) {
        bar.set_position(read.load(Ordering::Relaxed));
        let n = records.load(Ordering::Relaxed) as u64;
        bar.set_message(format!("{} leads", indicatif::HumanCount(n)));
        std::thread::sleep(Duration::from_millis(100));
    }
    bar.finish_and_clear();
}
