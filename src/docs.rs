//! The documentation shipped inside the binary: `docs/diagnostics.md`,
//! which `handoff explain-code` prints from.

const DIAGNOSTICS_MD: &str = include_str!("../docs/diagnostics.md");

/// The section of `docs/diagnostics.md` for a code (`H101`) or its name.
///
/// ```
/// let entry = handoff::docs::diagnostic_entry("unknown-field").unwrap();
/// assert!(entry.starts_with("## H101 unknown-field"));
/// assert!(handoff::docs::diagnostic_entry("H999").is_none());
/// ```
pub fn diagnostic_entry(code: &str) -> Option<String> {
    let code = crate::diag::Code::lookup(code)?;
    let heading = format!("## {}", code.as_str());
    let start = DIAGNOSTICS_MD.find(&format!("\n{heading}"))? + 1;
    let rest = &DIAGNOSTICS_MD[start..];
    let end = rest[heading.len()..]
        .find("\n## ")
        .map(|i| i + heading.len())
        .unwrap_or(rest.len());
    Some(rest[..end].trim_end().to_string())
}
