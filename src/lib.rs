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

pub mod ast;
pub mod batch;
pub mod check;
pub mod cli;
pub mod compile;
pub mod decision;
pub mod diag;
pub mod docs;
pub mod eval;
pub mod explain;
pub mod ir;
pub mod load;
pub mod span;
pub mod syntax;

use std::path::Path as FsPath;

use diag::Diagnostic;
use span::SourceMap;

/// A policy that was loaded and checked: its sources and every diagnostic.
#[derive(Debug)]
pub struct Checked {
    pub sources: SourceMap,
    pub diagnostics: Vec<Diagnostic>,
    /// The checked program; `None` when the text did not parse.
    pub program: Option<check::Program>,
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
pub mod types;
pub mod write;

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

/// Why one input record could not be evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct RecordError {
    /// `invalid_json`, `not_an_object`, `too_deep`, `too_large`, `invalid_utf8` or `empty_line`.
    pub kind: &'static str,
    pub message: String,
}

/// The largest lead record accepted, in bytes.
pub const MAX_RECORD_BYTES: usize = 8 * 1024 * 1024;

/// Parses one lead record from raw bytes (one NDJSON line).
///
/// ```
/// let lead = handoff::parse_lead(br#"{"id": "lead_1", "company": {"employees": 1200}}"#).unwrap();
/// assert_eq!(lead["id"], "lead_1");
/// assert_eq!(handoff::parse_lead(b"[1, 2]").unwrap_err().kind, "not_an_object");
/// ```
pub fn parse_lead(bytes: &[u8]) -> Result<serde_json::Map<String, serde_json::Value>, RecordError> {
    let text = check_record(bytes)?;
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(m)) => Ok(m),
        Ok(other) => Err(RecordError {
            kind: "not_an_object",
            message: format!(
                "the record is {}, but a lead must be a JSON object",
                match other {
                    serde_json::Value::Array(_) => "an array",
                    serde_json::Value::String(_) => "a string",
                    serde_json::Value::Number(_) => "a number",
                    serde_json::Value::Bool(_) => "a boolean",
                    _ => "null",
                }
            ),
        }),
        Err(e) => {
            let too_deep = e.to_string().contains("recursion limit");
            Err(RecordError {
                kind: if too_deep { "too_deep" } else { "invalid_json" },
                message: if too_deep {
                    format!(
                        "the record nests more than 127 levels deep (column {})",
                        e.column()
                    )
                } else {
                    format!(
                        "invalid JSON at column {}: {}",
                        e.column(),
                        strip_position(&e.to_string())
                    )
                },
            })
        }
    }
}

/// The checks every record passes before parsing: size, emptiness, UTF-8.
pub(crate) fn check_record(bytes: &[u8]) -> Result<&str, RecordError> {
    if bytes.len() > MAX_RECORD_BYTES {
        return Err(RecordError {
            kind: "too_large",
            message: format!("the record is longer than the limit of {MAX_RECORD_BYTES} bytes"),
        });
    }
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(RecordError {
            kind: "empty_line",
            message: "the line is empty; each line must hold one lead as a JSON object".into(),
        });
    }
    // a byte-order mark some editors put at the start of a file
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    // checked with SIMD (most records are valid: the position of an error
    // comes from the standard check, which says where it is)
    if let Ok(text) = simdutf8::basic::from_utf8(bytes) {
        return Ok(text);
    }
    std::str::from_utf8(bytes).map_err(|e| RecordError {
        kind: "invalid_utf8",
        message: format!(
            "the record is not valid UTF-8 (byte {})",
            e.valid_up_to() + 1
        ),
    })
}

fn strip_position(s: &str) -> String {
    match s.find(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s.to_string(),
    }
}
