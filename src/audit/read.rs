//! Reading decision logs back: the lines of a log, whole and valid ones
//! as JSON objects and the others as problems with their line number; the
//! selection `handoff log` makes (by lead, policy, verdict, time); a line
//! in words.

use std::io::{self, BufRead, Read};

use serde_json::{Map, Value};

/// The longest log line read, in bytes: 16 MiB. A decision-log line is a
/// few kilobytes (a decision with its lead's fields under the 8 MiB record
/// limit stays below this); a longer line is skipped, read no further than
/// its newline, and reported by its number.
pub const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

/// One line of a log that is not a decision-log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// Its line number, from 1.
    pub line: usize,
    /// What is wrong with it.
    pub problem: String,
}

/// Reads the lines of a log in order: `entry` gets each line that is a
/// JSON object with a string `id` and `logged_at`, with its line number
/// and its text;
/// `skipped` each other line that is not blank. A last line without its
/// newline is torn (a writer stopped in it) and skipped as such; so is a
/// line another writer ended, when it does not parse. A line longer than
/// [`MAX_LINE_BYTES`] is skipped too: no more of it is held than the limit
/// (the file may be endless: `/dev/zero`). Only a failure to read is an
/// error.
pub fn read_lines<R: BufRead>(
    input: R,
    entry: impl FnMut(usize, Map<String, Value>, &str),
    skipped: impl FnMut(Skipped),
) -> io::Result<()> {
    read_lines_limited(input, MAX_LINE_BYTES, entry, skipped)
}

fn read_lines_limited<R: BufRead>(
    mut input: R,
    limit: usize,
    mut entry: impl FnMut(usize, Map<String, Value>, &str),
    mut skipped: impl FnMut(Skipped),
) -> io::Result<()> {
    let mut buf = Vec::new();
    let mut line = 0;
    loop {
        buf.clear();
        // at most one byte past the limit, to tell a line of the limit
        // from a longer one
        let take = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
        if (&mut input).take(take).read_until(b'\n', &mut buf)? == 0 {
            return Ok(());
        }
        line += 1;
        if buf.len() > limit && buf.last() != Some(&b'\n') {
            let ended = skip_line(&mut input)?;
            skipped(Skipped {
                line,
                problem: if ended {
                    format!("the line is longer than the limit of {limit} bytes (a decision-log line is a few kilobytes)")
                } else {
                    format!("the line is longer than the limit of {limit} bytes, and the file ends in the middle of it")
                },
            });
            buf = Vec::new(); // give the limit's memory back
            continue;
        }
        let whole = buf.last() == Some(&b'\n');
        let text = buf.strip_suffix(b"\n").unwrap_or(&buf);
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        if text.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if !whole {
            skipped(Skipped {
                line,
                problem: "torn line: the file ends in the middle of it (a writer stopped while writing it)".into(),
            });
            continue;
        }
        match serde_json::from_slice::<Value>(text) {
            Ok(Value::Object(m)) => {
                let has = |k: &str| m.get(k).is_some_and(Value::is_string);
                if has("id") && has("logged_at") && logged_at(&m).is_none() {
                    // a filter by time could not place it: say so, not drop it
                    skipped(Skipped {
                        line,
                        problem: "not a decision-log line: its `logged_at` is not an RFC 3339 time".into(),
                    });
                } else if has("id") && has("logged_at") {
                    // valid JSON is UTF-8
                    entry(line, m, std::str::from_utf8(text).unwrap_or_default());
                } else {
                    skipped(Skipped {
                        line,
                        problem: "not a decision-log line: it has no `id` and `logged_at`".into(),
                    });
                }
            }
            Ok(_) => skipped(Skipped {
                line,
                problem: "not a decision-log line: not a JSON object".into(),
            }),
            Err(e) => skipped(Skipped {
                line,
                problem: format!(
                    "not valid JSON ({e}); a line cut short by a writer that stopped, then ended by the next one, looks like this"
                ),
            }),
        }
    }
}

/// Reads past the rest of a line, holding none of it: whether its newline
/// was found (else the input ended).
fn skip_line<R: BufRead>(input: &mut R) -> io::Result<bool> {
    loop {
        let chunk = match input.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            return Ok(false);
        }
        if let Some(i) = memchr::memchr(b'\n', chunk) {
            input.consume(i + 1);
            return Ok(true);
        }
        let n = chunk.len();
        input.consume(n);
    }
}

/// Which lines to select; every condition given must hold.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// The lead id.
    pub lead: Option<String>,
    /// The policy's `version`, exactly.
    pub policy_version: Option<String>,
    /// The policy's hash, or a prefix of it.
    pub policy_hash: Option<String>,
    /// A verdict (`handoff`, `hold`, ...), or `error` for records that
    /// could not be evaluated.
    pub verdict: Option<String>,
    /// Logged at or after.
    pub since: Option<jiff::Timestamp>,
    /// Logged before.
    pub until: Option<jiff::Timestamp>,
}

impl Query {
    /// Whether the line `e` is selected.
    pub fn matches(&self, e: &Map<String, Value>) -> bool {
        let s = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
        let policy = e.get("policy");
        if let Some(lead) = &self.lead {
            if s(e.get("lead_id")).as_deref() != Some(lead.as_str()) {
                return false;
            }
        }
        if let Some(v) = &self.policy_version {
            if s(policy.and_then(|p| p.get("version"))).as_deref() != Some(v.as_str()) {
                return false;
            }
        }
        if let Some(h) = &self.policy_hash {
            let hash = s(policy.and_then(|p| p.get("hash"))).unwrap_or_default();
            if h.is_empty() || !hash.starts_with(h.as_str()) {
                return false;
            }
        }
        if let Some(v) = &self.verdict {
            if verdict(e) != v {
                return false;
            }
        }
        if self.since.is_some() || self.until.is_some() {
            let Some(at) = logged_at(e) else {
                return false;
            };
            if self.since.is_some_and(|t| at < t) || self.until.is_some_and(|t| at >= t) {
                return false;
            }
        }
        true
    }
}

/// The line's verdict, `error` for a record that could not be evaluated.
pub fn verdict(e: &Map<String, Value>) -> &str {
    match e.get("verdict").and_then(Value::as_str) {
        Some(v) => v,
        None if e.contains_key("error") => "error",
        None => "unknown",
    }
}

/// When the line was logged.
pub fn logged_at(e: &Map<String, Value>) -> Option<jiff::Timestamp> {
    e.get("logged_at")?.as_str()?.parse().ok()
}

/// A log line in words: one line with time, id, lead, verdict, route and
/// policy, and indented lines for what else it says.
pub fn describe(e: &Map<String, Value>) -> String {
    let s = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or("?").to_string();
    let policy = e.get("policy");
    let input = e.get("input");
    let mut out = format!(
        "{}  {}  lead {}  {}",
        s(e.get("logged_at")),
        s(e.get("id")),
        e.get("lead_id")
            .and_then(Value::as_str)
            .unwrap_or("(no id)"),
        verdict(e),
    );
    if let Some(r) = e.get("route").filter(|r| r.is_object()) {
        out.push_str(&format!(
            " -> {} {}",
            s(r.pointer("/target/kind")),
            s(r.pointer("/target/name"))
        ));
        if let Some(m) = r.get("member").and_then(Value::as_str) {
            out.push_str(&format!(" ({m})"));
        }
        out.push_str(&format!(
            " by rule {} (line {}: {})",
            r.get("rule").unwrap_or(&Value::Null),
            r.get("line").unwrap_or(&Value::Null),
            s(r.get("condition"))
        ));
    }
    let version = policy
        .and_then(|p| p.get("version"))
        .and_then(Value::as_str)
        .map(|v| format!(" {v}"))
        .unwrap_or_default();
    let hash = s(policy.and_then(|p| p.get("hash")));
    out.push_str(&format!(
        "\n    policy {}{} ({}), input line {}",
        s(policy.and_then(|p| p.get("name"))),
        version,
        hash.get(..12).unwrap_or(&hash),
        input.and_then(|i| i.get("line")).unwrap_or(&Value::Null),
    ));
    if let Some(n) = input.and_then(|i| i.get("record")).and_then(Value::as_u64) {
        out.push_str(&format!(" (record {n})"));
    }
    out.push_str(&format!(", evaluated at {}", s(e.get("evaluated_at"))));
    let list = |key: &str, f: &dyn Fn(&Value) -> String| -> Option<String> {
        let items = e.get(key)?.as_array()?;
        (!items.is_empty()).then(|| items.iter().map(f).collect::<Vec<_>>().join(", "))
    };
    if let Some(r) = list("reasons", &|x| s(Some(x))) {
        out.push_str(&format!("\n    reasons: {r}"));
    }
    if let Some(err) = e.get("error") {
        out.push_str(&format!(
            "\n    error {}: {}",
            s(err.get("kind")),
            s(err.get("message"))
        ));
    }
    if let Some(p) = e.get("playbook").and_then(Value::as_str) {
        out.push_str(&format!("\n    playbook {p}"));
    }
    if let Some(due) = list("escalations_due", &|x| {
        format!(
            "{} {} (due {})",
            s(x.get("name")),
            s(x.get("status")),
            x.get("due_at").and_then(Value::as_str).unwrap_or("-")
        )
    }) {
        out.push_str(&format!("\n    escalations due: {due}"));
    }
    if let Some(m) = list("missing_context", &|x| {
        format!("{} ({})", s(x.get("field")), s(x.get("problem")))
    }) {
        out.push_str(&format!("\n    missing context: {m}"));
    }
    if let Some(q) = list("quality", &|x| {
        format!("{} ({})", s(x.get("name")), s(x.get("severity")))
    }) {
        out.push_str(&format!("\n    quality gates: {q}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> (Vec<usize>, Vec<Skipped>) {
        let (mut ok, mut bad) = (Vec::new(), Vec::new());
        read_lines(text.as_bytes(), |n, _, _| ok.push(n), |s| bad.push(s)).unwrap();
        (ok, bad)
    }

    #[test]
    fn torn_and_invalid_lines_are_skipped_by_number() {
        let good = r#"{"id":"01J","logged_at":"2025-06-01T12:00:00.000Z","verdict":"hold"}"#;
        let text = format!("{good}\n\n{{\"id\":\"01K\",\"logg\n{good}\n[1]\n{{}}\n{good}");
        let (ok, bad) = read(&text);
        assert_eq!(ok, vec![1, 4]);
        let lines: Vec<usize> = bad.iter().map(|s| s.line).collect();
        assert_eq!(lines, vec![3, 5, 6, 7]);
        assert!(bad[0].problem.contains("not valid JSON"), "{bad:?}");
        assert!(bad[3].problem.starts_with("torn line"), "{bad:?}");
        // a `logged_at` that is no time is named, not dropped by a filter
        for at in ["x", "", "2025-13-45T00:00:00Z"] {
            let line = format!("{{\"id\":\"01L\",\"logged_at\":\"{at}\"}}\n{good}\n");
            let (ok, bad) = read(&line);
            assert_eq!(ok, vec![2], "{at}");
            assert_eq!(bad.len(), 1, "{at}");
            assert!(
                bad[0]
                    .problem
                    .contains("`logged_at` is not an RFC 3339 time"),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn an_over_long_line_is_skipped_to_its_newline() {
        let good = r#"{"id":"01J","logged_at":"2025-06-01T12:00:00.000Z","verdict":"hold"}"#;
        let limit = good.len() + 1;
        let mut text = format!("{good}\n");
        text.push_str(&"x".repeat(limit + 100));
        text.push_str(&format!("\n{good}\n"));
        // a line of the limit exactly (newline apart) is read
        text.push_str(&format!("{good} \n"));
        text.push_str(&"y".repeat(limit + 1));
        let (mut ok, mut bad) = (Vec::new(), Vec::new());
        read_lines_limited(
            text.as_bytes(),
            limit,
            |n, _, _| ok.push(n),
            |s| bad.push(s),
        )
        .unwrap();
        assert_eq!(ok, vec![1, 3, 4]);
        assert_eq!(bad.iter().map(|s| s.line).collect::<Vec<_>>(), vec![2, 5]);
        assert!(bad[0].problem.contains("longer than the limit"), "{bad:?}");
        assert!(!bad[0].problem.contains("file ends"), "{bad:?}");
        assert!(
            bad[1].problem.contains("file ends in the middle"),
            "{bad:?}"
        );
    }

    #[test]
    fn an_endless_line_is_not_held_in_memory() {
        // 40 MiB without a newline, then a good line: one skipped line of
        // 16 MiB at most held, not an allocation of the whole
        let good = r#"{"id":"01J","logged_at":"2025-06-01T12:00:00.000Z","verdict":"hold"}"#;
        let tail = format!("\n{good}\n");
        let input = io::BufReader::new(io::repeat(b'x').take(40 << 20).chain(tail.as_bytes()));
        let (mut ok, mut bad) = (Vec::new(), Vec::new());
        read_lines(input, |n, _, _| ok.push(n), |s| bad.push(s)).unwrap();
        assert_eq!(ok, vec![2]);
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].line, 1);
        assert!(
            bad[0].problem.contains(&MAX_LINE_BYTES.to_string()),
            "{bad:?}"
        );
    }

    #[test]
    fn queries_select_by_lead_policy_verdict_and_time() {
        let e: Map<String, Value> = serde_json::from_str(
            r#"{"id":"x","logged_at":"2025-06-01T12:00:00.000Z","lead_id":"a",
                "policy":{"name":"P","version":"2","hash":"abcdef"},"verdict":"hold"}"#,
        )
        .unwrap();
        let q = |f: fn(&mut Query)| {
            let mut q = Query::default();
            f(&mut q);
            q.matches(&e)
        };
        assert!(q(|_| {}));
        assert!(q(|q| q.lead = Some("a".into())));
        assert!(!q(|q| q.lead = Some("b".into())));
        assert!(q(|q| q.policy_hash = Some("abc".into())));
        assert!(!q(|q| q.policy_hash = Some("abd".into())));
        assert!(!q(|q| q.policy_version = Some("1".into())));
        assert!(!q(|q| q.verdict = Some("error".into())));
        assert!(q(
            |q| q.since = Some("2025-06-01T12:00:00Z".parse().unwrap())
        ));
        assert!(!q(
            |q| q.until = Some("2025-06-01T12:00:00Z".parse().unwrap())
        ));
    }
}
