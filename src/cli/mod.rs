//! The command-line interface: argument parsing and output, nothing more.
//! Every command calls the library's public API.

mod check;
mod columnar;
mod diff;
mod eval;
mod explain;
mod fmt;
mod log;
mod metrics;
mod policy;
mod progress;
#[cfg(feature = "server")]
mod serve;
mod test;
mod walk;

use std::ffi::OsString;
use std::io::{IsTerminal, Write};

use clap::{Parser, Subcommand, ValueEnum};

use handoff::diag::render::Format;

/// Exit codes, stable and documented in the README.
pub mod exit {
    /// Everything clean.
    pub const OK: i32 = 0;
    /// The policy has errors (or warnings under `--deny warnings`), or a
    /// test failed.
    pub const DIAGNOSTICS: i32 = 1;
    /// Bad usage or an I/O problem (a missing file, an unreadable input).
    pub const USAGE: i32 = 2;
    /// `eval`: some input records could not be evaluated (each has an error
    /// record in the output).
    pub const RECORD_ERRORS: i32 = 3;
}

#[derive(Parser, Debug)]
#[command(
    name = "handoff",
    version,
    about = "Lead handoff policies: check them, evaluate leads against them, explain the decisions"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Parse and check policy files; print every problem found.
    Check(check::CheckArgs),
    /// Evaluate leads against a policy and print one decision per lead.
    Eval(eval::EvalArgs),
    /// Explain the decision for one lead in words.
    Explain(explain::ExplainArgs),
    /// Read decision logs (`eval --decision-log`): what happened to a lead,
    /// which decisions a policy version made; torn lines reported and
    /// skipped.
    Log(log::LogArgs),
    /// Compare two versions of a policy over a batch of leads: which leads
    /// they decide differently, and what changed in the text.
    Diff(diff::DiffArgs),
    /// Measure a policy over a batch of leads: its metrics (median, p90,
    /// share within target), SLA breaches, verdicts and routes, by group;
    /// as a table, JSON, CSV or an HTML report with charts.
    Metrics(metrics::MetricsArgs),
    /// Format policy files in the canonical layout (whitespace only; the
    /// meaning is checked to be unchanged before anything is written).
    Fmt(fmt::FmtArgs),
    /// Run test suites (`*.test.toml`): example leads and the decisions
    /// they must get, with coverage by rule.
    Test(test::TestArgs),
    /// Serve policies over HTTP: evaluate leads one at a time or as a
    /// streamed NDJSON batch, check policy text; hot reload, metrics
    /// (docs/server.md).
    #[cfg(feature = "server")]
    Serve(serve::ServeArgs),
    /// Print the documentation of a diagnostic code, e.g. `handoff explain-code H101`.
    ExplainCode {
        /// A code such as H101, or its name such as unknown-field.
        code: String,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub(crate) enum DiagFormat {
    Human,
    Short,
    Json,
    Sarif,
    Github,
}

impl From<DiagFormat> for Format {
    fn from(f: DiagFormat) -> Format {
        match f {
            DiagFormat::Human => Format::Human,
            DiagFormat::Short => Format::Short,
            DiagFormat::Json => Format::Json,
            DiagFormat::Sarif => Format::Sarif,
            DiagFormat::Github => Format::Github,
        }
    }
}

/// Whether to colour output on stderr/stdout: a terminal, and `NO_COLOR` unset.
pub(crate) fn use_color(stream_is_terminal: bool) -> bool {
    stream_is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Runs the CLI with `args` and returns the process exit code.
pub fn run<I: IntoIterator<Item = OsString>>(args: I) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
        }
    };
    match cli.command {
        Command::Check(a) => check::run(a),
        Command::Eval(a) => eval::run(a),
        Command::Explain(a) => explain::run(a),
        Command::Log(a) => log::run(a),
        Command::Fmt(a) => fmt::run(a),
        Command::Diff(a) => diff::run(a),
        Command::Metrics(a) => metrics::run(a),
        Command::Test(a) => test::run(a),
        #[cfg(feature = "server")]
        Command::Serve(a) => serve::run(a),
        Command::ExplainCode { code } => explain_code(&code),
    }
}

fn explain_code(code: &str) -> i32 {
    match handoff::docs::diagnostic_entry(code) {
        Some(text) => print_or_fail(format!("{text}\n").as_bytes()),
        None => {
            eprintln!("error: `{code}` is not a diagnostic code; codes look like H101 (see docs/diagnostics.md)");
            exit::USAGE
        }
    }
}

/// Prints an I/O or usage problem in one line on stderr.
pub(crate) fn fail(message: impl std::fmt::Display) -> i32 {
    let color = use_color(std::io::stderr().is_terminal());
    if color {
        eprintln!("\x1b[1;31merror\x1b[0m: {message}");
    } else {
        eprintln!("error: {message}");
    }
    exit::USAGE
}

/// Writes `bytes` to stdout. A reader that went away (`| head`) ends the
/// command quietly with success, as Unix tools do; another failure is an
/// I/O error.
pub(crate) fn print_or_fail(bytes: &[u8]) -> i32 {
    match print(bytes) {
        Ok(()) => exit::OK,
        Err(code) => code,
    }
}

/// [`print_or_fail`] for a command with more to do after the output:
/// `Err` with the exit code when it must stop there (`exit::OK` when the
/// reader went away, so that nothing further happens on its behalf).
pub(crate) fn print(bytes: &[u8]) -> Result<(), i32> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(exit::OK),
        Err(e) => Err(fail(format!("cannot write the output: {e}"))),
    }
}
