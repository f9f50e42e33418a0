//! The benchmark references `bench/run.sh` compares `handoff eval` with,
//! one NDJSON file in, nothing but the reading (and a few rules) done:
//!
//!   ndjson-baseline FILE.ndjson           every line parsed into a full
//!                                         `serde_json::Value`, nothing else:
//!                                         the baseline of the ratios
//!   ndjson-baseline eight FILE.ndjson     serde derive structs naming only
//!                                         the ~8 fields of the issue's
//!                                         reference, plus a few rules
//!   ndjson-baseline flagship FILE.ndjson  serde derive structs naming the
//!                                         ~35 values examples/inbound/
//!                                         policy.handoff reads; no rules
//!   ndjson-baseline sonic-eight FILE      `eight` and `flagship` read with
//!   ndjson-baseline sonic-flagship FILE   sonic-rs (SIMD) instead of
//!                                         serde_json, same structs
//!   ndjson-baseline sonic-value FILE      every line into a full
//!                                         `sonic_rs::Value`
//!   ndjson-baseline sonic-flagship-read FILE
//!                                         `sonic-flagship` without parsing
//!                                         the timestamps: sonic-rs's floor
//!                                         for reading the flagship's values
//!   ndjson-baseline sonic-value-write FILE
//!                                         every line into a `sonic_rs::Value`
//!                                         and written back out with sonic-rs:
//!                                         the floor for reading a record whole
//!                                         and writing a record of its size
//!
//! A package of its own (`cargo build --release --manifest-path
//! bench/reference/Cargo.toml`), so that neither sonic-rs nor these
//! programs are in `handoff`'s build: `cargo test` never compiles them.
//!
//! `eight` and `flagship` are what a hand-written program costs when it
//! reads leads the usual Rust way (serde skips the fields it does not name,
//! strings are borrowed from the line, timestamps parsed with jiff): the
//! first reproduces the issue's "serde_json extracting only the fields a policy
//! reads, plus the rules" row; the second is a floor for any serde-based
//! evaluator of the flagship policy, before it evaluates a single rule or
//! writes a byte. The sonic-rs modes are the issue's "sonic-rs extracting
//! only those fields, plus the rules" row, and the same floor for the
//! fastest JSON reader in Rust.

use std::io::{BufRead, BufReader, Write};

use serde::Deserialize;

/// A timestamp as text; parsed after reading (as any program must).
type Ts<'a> = Option<&'a str>;

fn ts(t: Ts<'_>) -> Option<jiff::Timestamp> {
    t.and_then(|s| s.parse().ok())
}

/// The company fields both modes read.
#[derive(Deserialize, Default)]
struct Company<'a> {
    employees: Option<i64>,
    #[serde(borrow)]
    region: Option<&'a str>,
}

mod eight {
    use super::*;

    #[derive(Deserialize)]
    pub struct Lead<'a> {
        #[serde(borrow)]
        pub source: Option<&'a str>,
        #[serde(default, borrow)]
        pub company: Company<'a>,
        #[serde(default, borrow)]
        pub engagement: Engagement<'a>,
        #[serde(default, borrow)]
        pub context: Context<'a>,
        #[serde(default, borrow)]
        pub lifecycle: Lifecycle<'a>,
        #[serde(default)]
        pub consent: Consent,
    }

    #[derive(Deserialize, Default)]
    pub struct Engagement<'a> {
        pub score: Option<f64>,
        #[serde(borrow)]
        pub last_activity_at: Ts<'a>,
    }

    #[derive(Deserialize, Default)]
    pub struct Context<'a> {
        #[serde(borrow)]
        pub buying_timeline: Option<&'a str>,
    }

    #[derive(Deserialize, Default)]
    pub struct Lifecycle<'a> {
        #[serde(borrow)]
        pub stage: Option<&'a str>,
    }

    #[derive(Deserialize, Default)]
    pub struct Consent {
        pub email: Option<bool>,
    }

    /// A handful of rules in the spirit of the flagship's signals, and a
    /// short verdict line.
    pub fn decide(l: &Lead<'_>, now: jiff::Timestamp, out: &mut Vec<u8>) {
        let engaged = l.engagement.score.is_some_and(|s| s >= 40.0);
        let recent = ts(l.engagement.last_activity_at)
            .is_some_and(|t| now.duration_since(t).as_secs() <= 14 * 86_400);
        let enterprise = l.company.employees.is_some_and(|e| e >= 1000);
        let emea = l.company.region == Some("EMEA");
        let near_term = matches!(
            l.context.buying_timeline,
            Some("immediate" | "this_quarter")
        );
        let in_scope = matches!(
            l.source,
            Some("web_form" | "webinar" | "chat" | "event" | "partner")
        );
        let verdict = if !in_scope {
            "out_of_scope"
        } else if l.lifecycle.stage != Some("mql") {
            "hold"
        } else if engaged && recent && l.consent.email == Some(true) {
            "handoff"
        } else {
            "hold"
        };
        let _ = writeln!(
            out,
            r#"{{"verdict":"{verdict}","enterprise":{enterprise},"emea":{emea},"near_term":{near_term}}}"#
        );
    }
}

mod flagship {
    use super::*;

    #[derive(Deserialize)]
    pub struct Lead<'a> {
        #[serde(borrow)]
        pub id: Option<&'a str>,
        #[serde(borrow)]
        pub source: Option<&'a str>,
        #[serde(default, borrow)]
        pub contact: Contact<'a>,
        #[serde(default, borrow)]
        pub company: Company<'a>,
        #[serde(default, borrow)]
        pub engagement: Engagement<'a>,
        #[serde(default, borrow)]
        pub intent: Vec<&'a str>,
        #[serde(default, borrow)]
        pub context: Context<'a>,
        #[serde(default)]
        pub consent: Consent,
        #[serde(default, borrow)]
        pub lifecycle: Lifecycle<'a>,
    }

    #[derive(Deserialize, Default)]
    pub struct Contact<'a> {
        #[serde(borrow)]
        pub email: Option<&'a str>,
        #[serde(borrow)]
        pub phone: Option<&'a str>,
        #[serde(borrow)]
        pub updated_at: Ts<'a>,
    }

    #[derive(Deserialize, Default)]
    pub struct Engagement<'a> {
        pub score: Option<f64>,
        #[serde(borrow)]
        pub last_activity_at: Ts<'a>,
        #[serde(default, borrow)]
        pub activities: Vec<Activity<'a>>,
    }

    #[derive(Deserialize)]
    pub struct Activity<'a> {
        #[serde(borrow)]
        pub kind: Option<&'a str>,
        #[serde(borrow)]
        pub at: Ts<'a>,
    }

    #[derive(Deserialize, Default)]
    pub struct Context<'a> {
        #[serde(borrow)]
        pub reason_for_interest: Option<&'a str>,
        #[serde(default, borrow)]
        pub pain_points: Vec<&'a str>,
        #[serde(default, borrow)]
        pub decision_criteria: Option<Vec<&'a str>>,
        #[serde(borrow)]
        pub buying_timeline: Option<&'a str>,
        #[serde(borrow)]
        pub budget: Option<Budget<'a>>,
    }

    #[derive(Deserialize)]
    pub struct Budget<'a> {
        pub amount: Option<f64>,
        #[serde(borrow)]
        pub currency: Option<&'a str>,
    }

    #[derive(Deserialize, Default)]
    pub struct Consent {
        pub email: Option<bool>,
        pub phone: Option<bool>,
    }

    #[derive(Deserialize, Default)]
    pub struct Lifecycle<'a> {
        #[serde(borrow)]
        pub stage: Option<&'a str>,
        #[serde(borrow)]
        pub handed_off_at: Ts<'a>,
        #[serde(borrow)]
        pub first_contact_at: Ts<'a>,
        #[serde(borrow)]
        pub qualified_at: Ts<'a>,
        #[serde(borrow)]
        pub debrief: Option<&'a str>,
    }

    /// Parses the timestamps (as any evaluator must) and counts the
    /// values present: no rule, no output.
    pub fn touch(l: &Lead<'_>) -> usize {
        let times = [
            l.contact.updated_at,
            l.engagement.last_activity_at,
            l.lifecycle.handed_off_at,
            l.lifecycle.first_contact_at,
            l.lifecycle.qualified_at,
        ];
        let texts = [
            l.id,
            l.source,
            l.contact.email,
            l.contact.phone,
            l.company.region,
            l.context.reason_for_interest,
            l.context.buying_timeline,
            l.lifecycle.stage,
            l.lifecycle.debrief,
        ];
        let budget = l.context.budget.as_ref();
        let mut n = times.iter().filter(|t| ts(**t).is_some()).count();
        n += texts.iter().flatten().count();
        n += usize::from(l.company.employees.is_some()) + usize::from(l.engagement.score.is_some());
        n += usize::from(l.consent.email.is_some()) + usize::from(l.consent.phone.is_some());
        n += budget.map_or(0, |b| {
            usize::from(b.amount.is_some()) + usize::from(b.currency.is_some())
        });
        n += l
            .engagement
            .activities
            .iter()
            .filter(|a| ts(a.at).is_some())
            .count();
        n += l
            .engagement
            .activities
            .iter()
            .filter(|a| a.kind.is_some())
            .count();
        n += l.context.decision_criteria.as_ref().map_or(0, Vec::len);
        n + l.intent.len() + l.context.pain_points.len()
    }
}

const MODES: [&str; 8] = [
    "value",
    "eight",
    "flagship",
    "sonic-value",
    "sonic-eight",
    "sonic-flagship",
    "sonic-flagship-read",
    "sonic-value-write",
];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mode, path) = match args.as_slice() {
        [p] => ("value", p.as_str()),
        [m, p] if MODES.contains(&m.as_str()) => (m.as_str(), p.as_str()),
        _ => {
            eprintln!("usage: ndjson-baseline [{}] FILE.ndjson", MODES.join("|"));
            std::process::exit(2);
        }
    };
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: cannot read `{path}`: {e}");
            std::process::exit(2);
        }
    };
    let now: jiff::Timestamp = "2025-06-01T12:00:00Z".parse().expect("a valid timestamp");
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let stdout = std::io::stdout();
    let mut sink = stdout.lock();
    let (mut ok, mut bad, mut touched) = (0usize, 0usize, 0usize);
    let mut line = Vec::new();
    let mut out = Vec::with_capacity(1 << 20);
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                eprintln!("error: {e}");
                std::process::exit(2);
            }
        }
        let read = match mode {
            "eight" => serde_json::from_slice::<eight::Lead<'_>>(&line)
                .map(|l| eight::decide(&l, now, &mut out))
                .map_err(|_| ()),
            "flagship" => serde_json::from_slice::<flagship::Lead<'_>>(&line)
                .map(|l| touched += flagship::touch(&l))
                .map_err(|_| ()),
            "sonic-eight" => sonic_rs::from_slice::<eight::Lead<'_>>(&line)
                .map(|l| eight::decide(&l, now, &mut out))
                .map_err(|_| ()),
            "sonic-flagship" => sonic_rs::from_slice::<flagship::Lead<'_>>(&line)
                .map(|l| touched += flagship::touch(&l))
                .map_err(|_| ()),
            "sonic-flagship-read" => sonic_rs::from_slice::<flagship::Lead<'_>>(&line)
                .map(|l| {
                    std::hint::black_box(&l);
                })
                .map_err(|_| ()),
            "sonic-value-write" => sonic_rs::from_slice::<sonic_rs::Value>(&line)
                .map(|v| {
                    let _ = sonic_rs::to_writer(&mut out, &v);
                    out.push(b'\n');
                })
                .map_err(|_| ()),
            "sonic-value" => sonic_rs::from_slice::<sonic_rs::Value>(&line)
                .map(|v| {
                    std::hint::black_box(v);
                })
                .map_err(|_| ()),
            _ => serde_json::from_slice::<serde_json::Value>(&line)
                .map(|v| {
                    std::hint::black_box(v);
                })
                .map_err(|_| ()),
        };
        match read {
            Ok(()) => ok += 1,
            Err(_) => bad += 1,
        }
        if out.len() > (1 << 20) - 4096 {
            let _ = sink.write_all(&out);
            out.clear();
        }
    }
    let _ = sink.write_all(&out);
    eprintln!("{ok} read, {bad} not read ({touched} values touched)");
}
