//! `handoff`: a declarative rules language for marketing-to-sales lead
//! handoff policies.
//!
//! The pipeline, one module per stage:
//!
//! ```text
//! source -> syntax (pest) -> ast -> check -> compile (IR) -> eval -> decision
//! ```

pub mod ast;
pub mod check;
pub mod diag;
pub mod span;
pub mod syntax;
pub mod load;
pub mod cli;
pub mod docs;

use std::path::Path as FsPath;

use diag::Diagnostic;
use span::SourceMap;

/// A policy that was loaded and checked: its sources and every diagnostic.
#[derive(Debug)]
pub struct Checked {
    pub sources: SourceMap,
    pub diagnostics: Vec<Diagnostic>,
    pub modules: Vec<ast::Module>,
    /// The checked program; `None` when the text did not parse.
    pub program: Option<check::Program>,
}

impl Checked {
    /// Loads, parses and checks a policy file and its imports.
    pub fn from_file(path: &FsPath) -> std::io::Result<Checked> {
        Ok(Checked::from_loaded(load::load_file(path)?))
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
            let result = check::check(&l.modules);
            diagnostics.extend(result.diagnostics);
            diag::sort(&mut diagnostics);
            Some(result.program)
        } else {
            None
        };
        Checked {
            sources: l.sources,
            diagnostics,
            modules: l.modules,
            program,
        }
    }
}
pub mod types;
