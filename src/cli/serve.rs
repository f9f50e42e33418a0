//! `handoff serve`: the evaluator over HTTP (docs/server.md). Options in,
//! the library's server (`handoff::serve`) run.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::{exit, fail};

#[derive(Args, Debug)]
pub(crate) struct ServeArgs {
    /// The policy files to serve (several: requests name one with
    /// `?policy=NAME`, the name in its header).
    #[arg(long, required = true, num_args = 1.., value_name = "PATH")]
    policy: Vec<PathBuf>,
    /// The address to listen on, HOST:PORT (an IP address or a name such
    /// as localhost); port 0 takes a free port. The address bound is the
    /// first line on standard output.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "HOST:PORT")]
    listen: String,
    /// State of round-robin and least-loaded teams: read at the start (a
    /// missing file is an empty state), written atomically every
    /// `--state-interval` and at shutdown, so a restart continues the
    /// rotation.
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// How often the state is written and the decision log synced, such
    /// as 10s, 500ms or 1m.
    #[arg(long, default_value = "10s", value_parser = duration)]
    state_interval: Duration,
    /// Append a line per decision (and per record that could not be
    /// evaluated) to this file, personal data masked, as `eval
    /// --decision-log` (docs/audit.md).
    #[arg(long, value_name = "FILE")]
    decision_log: Option<PathBuf>,
    /// A file holding the bearer token requests must send
    /// (`Authorization: Bearer TOKEN`); or set HANDOFF_TOKEN. `/healthz`
    /// and `/readyz` stay open.
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,
    /// The largest body of /v1/evaluate and /v1/check, in bytes (KiB and
    /// MiB suffixes taken); the batch endpoint streams, each record up to
    /// 8 MiB.
    #[arg(long, default_value = "1MiB", value_parser = bytes)]
    max_body: usize,
    /// The longest a request may take to its response's start; 504 after.
    #[arg(long, default_value = "30s", value_parser = duration)]
    timeout: Duration,
    /// The most requests handled at once; more are answered 503 at once.
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    max_concurrency: u32,
    /// Worker threads of one batch request (default: the number of cores).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=1024))]
    jobs: Option<u16>,
    /// Reload only on SIGHUP, not when a policy file changes (files are
    /// looked at every second).
    #[arg(long)]
    no_watch: bool,
    /// No JSON line per request on standard error.
    #[arg(long)]
    no_access_log: bool,
    /// Follow imports with absolute paths or paths that leave the policy's
    /// folder.
    #[arg(long)]
    allow_outside_imports: bool,
}

/// `10s`, `500ms`, `2m`, or seconds.
fn duration(s: &str) -> Result<Duration, String> {
    let (n, unit) = match s.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let n: u64 = n
        .parse()
        .map_err(|_| format!("`{s}` is not a duration such as 10s, 500ms or 2m"))?;
    let d = match unit {
        "ms" => Duration::from_millis(n),
        "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n.saturating_mul(60)),
        _ => return Err(format!("`{s}` is not a duration such as 10s, 500ms or 2m")),
    };
    if d.is_zero() {
        return Err("the duration must be more than zero".into());
    }
    Ok(d)
}

/// `1048576`, `64KiB`, `1MiB`.
fn bytes(s: &str) -> Result<usize, String> {
    let (n, mult) = if let Some(n) = s.strip_suffix("MiB") {
        (n, 1 << 20)
    } else if let Some(n) = s.strip_suffix("KiB") {
        (n, 1 << 10)
    } else {
        (s, 1)
    };
    let n: usize = n
        .parse()
        .map_err(|_| format!("`{s}` is not a size such as 1048576, 64KiB or 1MiB"))?;
    match n.checked_mul(mult) {
        Some(0) | None => Err(format!("`{s}` must be between 1 byte and 1 TiB")),
        Some(b) if b > 1 << 40 => Err(format!("`{s}` must be between 1 byte and 1 TiB")),
        Some(b) => Ok(b),
    }
}

/// The largest `--token-file` read: a token is a line of printable ASCII.
const MAX_TOKEN_FILE_BYTES: u64 = 4096;

/// The token from `--token-file` or `HANDOFF_TOKEN`.
fn token(a: &ServeArgs) -> Result<Option<String>, i32> {
    let token = match &a.token_file {
        Some(p) => Some(
            handoff::files::read_limited_string(p, MAX_TOKEN_FILE_BYTES).map_err(|e| {
                let hint = match e {
                    handoff::files::ReadError::TooLarge { .. } => {
                        "; the file holds the token alone, on one line"
                    }
                    handoff::files::ReadError::Io(_) => "",
                };
                fail(format!(
                    "cannot read the token file `{}`: {e}{hint}",
                    p.display()
                ))
            })?,
        ),
        None => std::env::var("HANDOFF_TOKEN").ok(),
    };
    match token.map(|t| t.trim().to_string()) {
        Some(t) if t.is_empty() => Err(fail(
            "the token is empty: put the token in the file (or HANDOFF_TOKEN), or give neither to serve without one",
        )),
        Some(t) if !t.bytes().all(|b| b.is_ascii_graphic()) => Err(fail(
            "the token must be printable ASCII without spaces (it travels in an HTTP header)",
        )),
        t => Ok(t),
    }
}

pub(crate) fn run(a: ServeArgs) -> i32 {
    let token = match token(&a) {
        Ok(t) => t,
        Err(code) => return code,
    };
    if a.decision_log.as_deref() == Some(std::path::Path::new("-")) {
        return fail("the decision log must be a file");
    }
    let listen = match listen_address(&a.listen) {
        Ok(addr) => addr,
        Err(m) => return fail(m),
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let config = handoff::serve::Config {
        policies: a.policy,
        listen,
        state: a.state,
        state_interval: a.state_interval,
        decision_log: a.decision_log,
        token,
        max_body: a.max_body,
        timeout: a.timeout,
        max_concurrency: a.max_concurrency as usize,
        jobs: a.jobs.map_or(cores, usize::from).min(cores),
        allow_outside_imports: a.allow_outside_imports,
        watch: (!a.no_watch).then_some(Duration::from_secs(1)),
        access_log: !a.no_access_log,
    };
    let bound = |addr: SocketAddr| {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "listening on http://{addr}");
        let _ = out.flush();
    };
    match handoff::serve::run(config, bound) {
        Ok(()) => exit::OK,
        Err(e) => fail(e),
    }
}

/// `--listen HOST:PORT`: an IP address as it is, a name (`localhost`)
/// resolved to its first address.
fn listen_address(text: &str) -> Result<SocketAddr, String> {
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(addr);
    }
    let hint = "give HOST:PORT, such as 127.0.0.1:8080, [::1]:8080 or localhost:8080 (port 0 takes a free port)";
    if text
        .rsplit_once(':')
        .is_none_or(|(host, port)| host.is_empty() || port.parse::<u16>().is_err())
    {
        return Err(format!("`--listen {text}` is not an address: {hint}"));
    }
    match std::net::ToSocketAddrs::to_socket_addrs(text) {
        Ok(mut addrs) => addrs
            .next()
            .ok_or_else(|| format!("`--listen {text}`: the name resolves to no address: {hint}")),
        Err(e) => Err(format!(
            "`--listen {text}`: cannot resolve the name ({e}): {hint}"
        )),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn durations_and_sizes_parse() {
        assert_eq!(
            super::duration("10s"),
            Ok(std::time::Duration::from_secs(10))
        );
        assert_eq!(
            super::duration("250ms"),
            Ok(std::time::Duration::from_millis(250))
        );
        assert_eq!(
            super::duration("2m"),
            Ok(std::time::Duration::from_secs(120))
        );
        assert_eq!(super::duration("3"), Ok(std::time::Duration::from_secs(3)));
        assert!(super::duration("0s").is_err());
        assert!(super::duration("1h").is_err());
        assert_eq!(super::bytes("1MiB"), Ok(1 << 20));
        assert_eq!(super::bytes("64KiB"), Ok(65536));
        assert_eq!(super::bytes("100"), Ok(100));
        assert!(super::bytes("0").is_err());
        assert!(super::bytes("1GB").is_err());
    }
}
