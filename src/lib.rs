//! `handoff`: a declarative rules language for marketing-to-sales lead
//! handoff policies.
//!
//! The pipeline, one module per stage:
//!
//! ```text
//! source -> syntax (pest) -> ast -> check -> compile (IR) -> eval -> decision
//! ```
//!
//! The public face is small: [`Checked`] loads and checks a policy (from a
//! file, following imports, or from text), [`Checked::compile`] turns a
//! policy without errors into an [`eval::Engine`], and the engine evaluates
//! leads given as JSON into [`decision::Decision`]s.
//!
//! ```
//! let policy = r#"
//!   policy "Demo" { version "1" }
//!   lead { id: string  score: number?  region: enum("EMEA", "NA")? }
//!   roles marketing, sdr
//!   stages mql, sal
//!   queue inbox
//!   signal engaged = score >= 40 "Scored 40 or more"
//!   handoff mql -> sal {
//!     initiated_by marketing
//!     validated_by sdr
//!     owned_by sdr
//!     ready when engaged
//!     route { otherwise -> queue inbox }
//!   }
//! "#;
//! let checked = handoff::Checked::from_bytes("demo.handoff", policy.as_bytes());
//! assert!(checked.is_ok(), "{:?}", checked.diagnostics);
//! let engine = checked.compile().expect("no errors");
//! let now: jiff::Timestamp = "2025-06-01T12:00:00Z".parse().unwrap();
//!
//! // a lead as raw JSON bytes (one NDJSON line): the fast path
//! let d = engine.evaluate_bytes(br#"{"id": "l1", "score": 72}"#, now).unwrap();
//! assert_eq!(d.verdict, handoff::decision::Verdict::Handoff);
//! assert_eq!(d.signals["engaged"].value, Some(true));
//!
//! // a missing field is not a crash: the condition is not met, and says so
//! let d = engine.evaluate_bytes(br#"{"id": "l2"}"#, now).unwrap();
//! assert_eq!(d.verdict, handoff::decision::Verdict::Hold);
//! assert_eq!(d.stages[0].unmet[0].result, "missing");
//!
//! // or an already parsed serde_json object
//! let lead = handoff::parse_lead(br#"{"id": "l3", "score": 12}"#).unwrap();
//! let json = serde_json::to_value(engine.evaluate(&lead, now)).unwrap();
//! assert_eq!(json["verdict"], "hold");
//! ```

// The public surface: load and check, evaluate, decisions, diagnostics
// and their renderers, batches. Everything a consumer (the CLI included)
// needs is here; each module documents its items.
#![warn(missing_docs)]

pub mod audit;
pub mod batch;
#[cfg(feature = "parquet")]
pub mod columnar;
pub mod decision;
pub mod diag;
pub mod diff;
pub mod docs;
pub mod eval;
pub mod explain;
pub mod files;
pub mod fmt;
pub mod load;
pub mod metrics;
#[cfg(feature = "server")]
pub mod serve;
pub mod span;
pub mod testing;
pub mod write;

// The stages between text and evaluator. `syntax` and `ast` stay
// reachable, hidden from the docs, for the front-end benchmark and the
// parser's robustness tests, which drive the parser alone; they are not
// part of the API and change without notice.
#[doc(hidden)]
pub mod ast;
pub(crate) mod check;
pub(crate) mod compile;
pub(crate) mod ir;
pub(crate) mod ops;
mod record;
#[doc(hidden)]
pub mod syntax;
pub(crate) mod types;
pub(crate) mod value;

use std::path::Path as FsPath;

use diag::Diagnostic;
use span::SourceMap;

/// A policy that was loaded and checked: its sources and every diagnostic.
#[derive(Debug)]
pub struct Checked {
    /// The text of the policy and of every file it imports, which the
    /// diagnostics' spans point into.
    pub sources: SourceMap,
    /// Every problem found, sorted by file and position.
    pub diagnostics: Vec<Diagnostic>,
    /// The checked program; `None` when the text did not parse.
    pub(crate) program: Option<check::Program>,
}

impl Checked {
    /// Loads, parses and checks a policy file and its imports.
    pub fn from_file(path: &FsPath) -> std::io::Result<Checked> {
        Ok(Checked::from_loaded(load::load_file(path)?))
    }

    /// [`Checked::from_file`] with the reach of imports given.
    pub fn from_file_with(path: &FsPath, options: load::LoadOptions) -> std::io::Result<Checked> {
        Ok(Checked::from_loaded(load::load_file_with(path, options)?))
    }

    /// [`Checked::from_file_with`] plus declarations given as text (see
    /// [`load::load_file_with_extra`]).
    pub fn from_file_with_extra(
        path: &FsPath,
        options: load::LoadOptions,
        extra: &[(&str, &str)],
    ) -> std::io::Result<Checked> {
        Ok(Checked::from_loaded(load::load_file_with_extra(
            path, options, extra,
        )?))
    }

    /// [`Checked::from_bytes`] plus declarations given as text.
    pub fn from_bytes_with_extra(name: &str, bytes: &[u8], extra: &[(&str, &str)]) -> Checked {
        Checked::from_loaded(load::load_bytes_with_extra(name, bytes, extra))
    }

    /// Loads, parses and checks a policy read from a stream (standard
    /// input), no further than the size limit (see [`load::load_reader`]),
    /// with declarations given as text beside it.
    pub fn from_reader(
        name: &str,
        input: impl std::io::Read,
        extra: &[(&str, &str)],
    ) -> std::io::Result<Checked> {
        Ok(Checked::from_loaded(load::load_reader(name, input, extra)?))
    }

    /// Loads, parses and checks policy text (imports are not available).
    pub fn from_bytes(name: &str, bytes: &[u8]) -> Checked {
        Checked::from_loaded(load::load_bytes(name, bytes, None))
    }

    fn from_loaded(l: load::Loaded) -> Checked {
        let mut diagnostics = l.diagnostics;
        // check only what parsed: a file that failed to parse would make
        // every name it defines look undefined
        let parsed_all = !diag::has_errors(&diagnostics);
        let program = if parsed_all {
            let result = check::check(l.modules);
            diagnostics.extend(result.diagnostics);
            diag::sort(&mut diagnostics);
            Some(result.program)
        } else {
            None
        };
        Checked {
            sources: l.sources,
            diagnostics,
            program,
        }
    }
}

impl Checked {
    /// Whether the policy checked without errors.
    pub fn is_ok(&self) -> bool {
        !diag::has_errors(&self.diagnostics)
    }

    /// Compiles a policy that checked without errors into an evaluator.
    pub fn compile(&self) -> Option<eval::Engine> {
        if !self.is_ok() {
            return None;
        }
        let program = self.program.as_ref()?;
        let (policy, frames) = compile::compile(program, &self.sources);
        Some(eval::Engine::new(policy, frames))
    }
}

pub use record::{parse_lead, RecordError, MAX_RECORD_BYTES};
