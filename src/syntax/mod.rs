//! Source text -> pest pairs -> AST.
//!
//! [`parse_module`] is the whole public face: it takes the bytes of one file
//! and returns the best AST it could build plus every diagnostic found on
//! the way. Before pest runs, a cheap pre-flight rejects what must never
//! reach a recursive parser: oversized input, invalid UTF-8 and runaway
//! bracket nesting.

mod errors;
mod lower;
pub(crate) mod mistakes;

use crate::ast::Module;
use crate::diag::{Code, Diagnostic};
use crate::span::{FileId, Span};

/// The pest parser generated from `grammar/handoff.pest`.
#[derive(pest_derive::Parser)]
#[grammar = "../grammar/handoff.pest"]
pub struct HandoffParser;

/// The largest policy file accepted, in bytes.
pub const MAX_SOURCE_BYTES: usize = 8 * 1024 * 1024;
/// The deepest bracket nesting accepted: `(`, `[` and `{` together.
pub const MAX_NESTING: usize = 64;
/// The deepest operator nesting accepted in one expression.
pub const MAX_EXPR_DEPTH: usize = 128;

/// The outcome of parsing one file: the module (absent when the text could
/// not be parsed at all) and the diagnostics.
#[derive(Debug)]
pub struct Parsed {
    pub module: Option<Module>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Decodes `bytes` as UTF-8 for a source map. Invalid sequences become
/// U+FFFD so the text can still be shown; [`check_bytes`] reports them.
pub fn decode(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The pre-flight on raw bytes: size and encoding.
pub fn check_bytes(file: FileId, bytes: &[u8]) -> Option<Diagnostic> {
    if bytes.len() > MAX_SOURCE_BYTES {
        return Some(too_large(file, Some(bytes.len() as u64)));
    }
    if let Err(e) = std::str::from_utf8(bytes) {
        let at = e.valid_up_to();
        let len = e.error_len().unwrap_or(1);
        return Some(
            Diagnostic::new(
                Code::InvalidUtf8,
                Span::new(file, at, at + len),
                format!("the file is not valid UTF-8 text (byte {at})"),
            )
            .label("invalid byte sequence")
            .help("save the policy as UTF-8 text; a binary or differently encoded file cannot be read"),
        );
    }
    None
}

/// H003: a policy file over [`MAX_SOURCE_BYTES`]; `size` is its size when
/// known (a regular file; a stream is read no further than the limit).
pub fn too_large(file: FileId, size: Option<u64>) -> Diagnostic {
    let message = match size {
        Some(n) => {
            format!("the policy file is {n} bytes, more than the limit of {MAX_SOURCE_BYTES} bytes")
        }
        None => format!("the policy file is longer than the limit of {MAX_SOURCE_BYTES} bytes"),
    };
    Diagnostic::new(Code::FileTooLarge, Span::new(file, 0, 0), message)
        .label("file starts here")
        .help("split the policy into several files joined with `import`")
}

/// Parses one source file. `text` must be the decoded text of the file.
///
/// One thread: a policy of 10,000 lines (430 KB, far past what teams
/// write) parses in about 22 ms, and the parallel parser that once cut
/// it at declarations saved 8 ms of that (see ARCHITECTURE.md).
pub fn parse_module(file: FileId, text: &str) -> Parsed {
    if let Some(d) = nesting_check(file, text) {
        return Parsed {
            module: None,
            diagnostics: vec![d],
        };
    }
    // parse fast first; only a failed parse is repeated with error detail,
    // which makes pest record the literal tokens it tried (the messages
    // name them) at a cost on every token
    let first = <HandoffParser as pest::Parser<Rule>>::parse(Rule::file, text);
    let result = match first {
        Ok(p) => Ok(p),
        Err(_) => {
            // the setting is process-wide: one detailed re-parse at a time,
            // so no thread turns it off under another (a fast parse that
            // runs meanwhile only records more than it needs)
            static DETAIL: std::sync::Mutex<()> = std::sync::Mutex::new(());
            let _guard = DETAIL.lock().unwrap_or_else(|e| e.into_inner());
            pest::set_error_detail(true);
            let r = <HandoffParser as pest::Parser<Rule>>::parse(Rule::file, text);
            pest::set_error_detail(false);
            r
        }
    };
    match result {
        Ok(mut pairs) => {
            let pair = pairs
                .next()
                .expect("the `file` rule always yields one pair");
            let (module, diagnostics) = lower::lower_file(file, text, 0, pair);
            finish(file, module, diagnostics)
        }
        Err(err) => Parsed {
            module: None,
            diagnostics: vec![errors::convert(file, text, &err)],
        },
    }
}

/// The checks on a lowered module that need all of it.
fn finish(file: FileId, module: Module, mut diagnostics: Vec<Diagnostic>) -> Parsed {
    if module.items.is_empty() && diagnostics.is_empty() {
        diagnostics.push(
            Diagnostic::new(
                Code::EmptyPolicy,
                Span::new(file, 0, 0),
                "the policy file declares nothing",
            )
            .label("empty file")
            .help("start with a `policy \"Name\" { ... }` header and a `lead { ... }` schema"),
        );
    }
    crate::diag::sort(&mut diagnostics);
    Parsed {
        module: Some(module),
        diagnostics,
    }
}

/// Calls `f` with the position and byte of every character outside
/// strings and comments, until it returns `false`. A string is passed as
/// one `"` at its end; it ends at its closing quote or, unclosed, before
/// the line end (which is passed). A comment is not passed; the line end
/// after it is.
fn code_bytes(text: &str, mut f: impl FnMut(usize, u8) -> bool) {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                if bytes.get(i) != Some(&b'"') {
                    // unclosed: the line end (if any) is ordinary
                    if !f(i.min(bytes.len()).saturating_sub(1), b'"') {
                        return;
                    }
                    continue;
                }
                if !f(i, b'"') {
                    return;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            c => {
                if !f(i, c) {
                    return;
                }
            }
        }
        i += 1;
    }
}

/// Scans bracket nesting outside strings and comments, so that deeply
/// nested input gets a clear message instead of exhausting the stack.
fn nesting_check(file: FileId, text: &str) -> Option<Diagnostic> {
    let mut depth = 0usize;
    let mut list_depth = 0usize;
    let mut too_deep_at = None;
    code_bytes(text, |i, c| {
        match c {
            // `list<...>` nests like a bracket (`<` elsewhere compares)
            b'<' if text[..i].trim_end().ends_with("list") => {
                depth += 1;
                list_depth += 1;
            }
            b'>' if list_depth > 0 => {
                list_depth -= 1;
                depth = depth.saturating_sub(1);
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth > MAX_NESTING {
            too_deep_at = Some(i);
            return false;
        }
        true
    });
    too_deep_at.map(|at| too_deep(file, at))
}

fn too_deep(file: FileId, at: usize) -> Diagnostic {
    Diagnostic::new(
        Code::TooDeep,
        Span::new(file, at, at + 1),
        format!("brackets are nested more than {MAX_NESTING} levels deep"),
    )
    .label("too deep here")
    .help("split the condition into named signals; each can use the others by name")
}

/// A line's code and its `//` comment (a `//` inside a string is text).
pub(crate) fn split_comment(line: &str) -> (&str, Option<&str>) {
    let bytes = line.as_bytes();
    let mut in_string = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if in_string => i += 1,
            b'"' => in_string = !in_string,
            b'/' if !in_string && bytes.get(i + 1) == Some(&b'/') => {
                return (&line[..i], Some(&line[i..]));
            }
            _ => {}
        }
        i += 1;
    }
    (line, None)
}
