//! The time of evaluation as callers give it: an RFC 3339 text, checked
//! the same way wherever it comes from (`eval --now`, the server's `now=`).

/// Parses an RFC 3339 time whose UTC offset is at most 23:59, in the range
/// the evaluator supports. `label` starts the quoted text in messages
/// (`"--now "` gives "`--now 2025-…` is not …").
///
/// ```
/// let t = handoff::eval::parse_now("--now ", "2025-06-01T14:00:00+02:00").unwrap();
/// assert_eq!(t.to_string(), "2025-06-01T12:00:00Z");
/// let e = handoff::eval::parse_now("now=", "yesterday").unwrap_err();
/// assert!(e.starts_with("`now=yesterday` is not an RFC 3339 timestamp"), "{e}");
/// ```
pub fn parse_now(label: &str, s: &str) -> Result<jiff::Timestamp, String> {
    let example = "such as 2025-06-01T12:00:00Z or 2025-06-01T14:00:00+02:00";
    // jiff reads offsets up to 25:59; RFC 3339 allows 23:59
    let offset = s
        .rfind(['+', '-'])
        .filter(|i| s[..*i].contains('T') || s[..*i].contains('t'))
        .map(|i| &s[i + 1..]);
    if let Some(hours) = offset.and_then(|o| o.get(..2)?.parse::<u32>().ok()) {
        if hours > 23 {
            return Err(format!(
                "`{label}{s}` has a UTC offset of {hours} hours; offsets run from -23:59 to +23:59: write the time {example}"
            ));
        }
    }
    match s.parse::<jiff::Timestamp>() {
        Ok(t) => Ok(t),
        Err(e) => {
            let text = e.to_string();
            // jiff names the timestamp's range when the civil time is
            // valid but does not fit
            if text.contains("overflow") || text.contains("Unix timestamp") {
                Err(format!(
                    "`{label}{s}` is an RFC 3339 time outside the supported range (from -009999-01-02T01:59:59Z to 9999-12-30T22:00:00Z): {e}"
                ))
            } else {
                Err(format!(
                    "`{label}{s}` is not an RFC 3339 timestamp {example}: {e}"
                ))
            }
        }
    }
}
