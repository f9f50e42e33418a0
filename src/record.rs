//! One lead record as raw bytes -> checked text or a JSON object: the
//! limits and errors every reader of leads shares (the evaluator's fast
//! path, `parse_lead`, the batch readers).

/// Why one input record could not be evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct RecordError {
    /// `invalid_json`, `not_an_object`, `too_deep`, `too_large`, `invalid_utf8` or `empty_line`.
    pub kind: &'static str,
    /// What is wrong, for people, with the position in the record.
    pub message: String,
}

impl RecordError {
    /// `too_large`: a record over [`MAX_RECORD_BYTES`] (for a reader that
    /// stopped at the limit).
    pub fn too_large() -> RecordError {
        RecordError {
            kind: "too_large",
            message: format!("the record is longer than the limit of {MAX_RECORD_BYTES} bytes"),
        }
    }
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
        return Err(RecordError::too_large());
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
