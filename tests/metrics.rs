//! `handoff metrics`: the example batches in every format, figures worked
//! out by hand, broken records, segments, periods, fields, error paths.

mod common;
use common::run_cli as run;

const NOW: &str = "2025-06-01T12:00:00Z";

/// (example, policy, leads, state)
const EXAMPLES: [(&str, &str, &str, Option<&str>); 4] = [
    (
        "inbound",
        "examples/inbound/policy.handoff",
        "examples/inbound/leads.ndjson",
        None,
    ),
    (
        "enterprise",
        "examples/enterprise/policy.handoff",
        "examples/enterprise/leads.ndjson",
        Some("examples/enterprise/state-strategic.json"),
    ),
    (
        "partner",
        "examples/partner/policy.handoff",
        "examples/partner/leads.ndjson",
        Some("examples/partner/state-emea.json"),
    ),
    (
        "salesforce",
        "examples/salesforce/policy.handoff",
        "examples/salesforce/export-devorg.json",
        Some("examples/salesforce/state-sdr-desk.json"),
    ),
];

fn metrics(extra: &[&str]) -> (i32, String, String) {
    let mut args = vec!["metrics"];
    args.extend_from_slice(extra);
    run(&args, b"")
}

#[test]
fn example_batches_in_every_format() {
    for (name, policy, leads, state) in EXAMPLES {
        for format in ["table", "json", "csv", "html"] {
            let mut args = vec![policy, "--leads", leads, "--now", NOW, "--by", "route"];
            args.extend(["--format", format]);
            if let Some(s) = state {
                args.extend(["--state", s]);
            }
            let (code, out, err) = metrics(&args);
            assert_eq!(code, 0, "{name} {format}: {err}");
            match format {
                "json" => {
                    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
                    let leads = doc["all"]["leads"].as_u64().unwrap();
                    let sum: u64 = doc["groups"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|g| g["leads"].as_u64().unwrap())
                        .sum();
                    assert_eq!(leads, sum, "{name}: the groups add up to the batch");
                    assert!(leads > 0);
                }
                "csv" => {
                    let mut r = csv::Reader::from_reader(out.as_bytes());
                    assert_eq!(&r.headers().unwrap()[0], "group");
                    assert!(r.records().all(|x| x.unwrap().len() == 23));
                }
                "html" => {
                    assert!(out.starts_with("<!DOCTYPE html>"));
                    // self-contained: nothing to fetch when it is viewed
                    for outside in ["http://", "https://", "<script", "src="] {
                        assert!(!out.contains(outside), "{name}: {outside}");
                    }
                }
                _ => {}
            }
            insta::assert_snapshot!(format!("{name}_{format}"), out);
        }
    }
}

/// Five leads a known time from handoff to first contact, and one not yet
/// contacted: the figures worked out by hand.
#[test]
fn figures_are_worked_out_as_by_hand() {
    let base: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string("examples/inbound/lead-ready.json").unwrap())
            .unwrap();
    let mut batch = String::new();
    for (i, hours) in [Some(1), Some(2), Some(3), Some(4), Some(10), None]
        .iter()
        .enumerate()
    {
        let mut lead = base.clone();
        lead["id"] = format!("l{i}").into();
        lead["lifecycle"]["handed_off_at"] = "2025-05-20T08:00:00Z".into();
        if let Some(h) = hours {
            lead["lifecycle"]["first_contact_at"] =
                format!("2025-05-20T{:02}:00:00Z", 8 + h).into();
        }
        batch.push_str(&serde_json::to_string(&lead).unwrap());
        batch.push('\n');
    }
    let path = std::env::temp_dir().join(format!("handoff-metrics-{}.ndjson", std::process::id()));
    std::fs::write(&path, &batch).unwrap();
    let (code, out, err) = metrics(&[
        "examples/inbound/policy.handoff",
        "--leads",
        path.to_str().unwrap(),
        "--now",
        NOW,
        "--format",
        "json",
    ]);
    std::fs::remove_file(&path).unwrap();
    assert_eq!(code, 0, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let m = &doc["all"]["metrics"][0];
    assert_eq!(m["name"], "time_to_first_contact");
    assert_eq!(m["count"], 5);
    assert_eq!(m["open"], 1, "the lead not contacted is open, not dropped");
    let h = 3600.0;
    assert_eq!(m["median"].as_f64(), Some(3.0 * h));
    // linear interpolation: 4h + 0.6 * (10h - 4h)
    assert!((m["p90"].as_f64().unwrap() - 7.6 * h).abs() < 1e-6);
    assert_eq!(m["mean"].as_f64(), Some(4.0 * h));
    assert_eq!(m["within_target"], 4);
    assert_eq!(m["share_within_target"].as_f64(), Some(0.8));
    let d = &doc["distributions"][0];
    let binned: u64 = d["bins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["count"].as_u64().unwrap())
        .sum();
    assert_eq!(binned + d["above"].as_u64().unwrap(), 5);
    assert_eq!(d["target"].as_f64(), Some(4.0 * h));
}

#[test]
fn broken_records_are_counted_and_named_and_the_rest_measured() {
    let good = std::fs::read_to_string("examples/inbound/leads.ndjson").unwrap();
    let lines: Vec<&str> = good.lines().collect();
    let mut batch = Vec::new();
    for l in &lines[..10] {
        batch.extend_from_slice(l.as_bytes());
        batch.push(b'\n');
    }
    batch.extend_from_slice(b"{not json\n[1, 2]\n\xff\xfe{}\n\n   \n\"text\"\n");
    for l in &lines[10..20] {
        batch.extend_from_slice(l.as_bytes());
        batch.push(b'\n');
    }
    batch.extend_from_slice(b"{\"id\": \"cut\", ");
    let (code, out, err) = run(
        &[
            "metrics",
            "examples/inbound/policy.handoff",
            "--leads",
            "-",
            "--now",
            NOW,
            "--format",
            "json",
        ],
        &batch,
    );
    assert_eq!(code, 3, "record errors exit 3, as eval does: {err}");
    assert!(err.contains("5 record(s) could not be read"), "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["all"]["leads"], 20);
    assert_eq!(doc["bad_records"]["count"], 5);
    let places: Vec<&str> = doc["bad_records"]["first"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["place"].as_str().unwrap())
        .collect();
    assert_eq!(
        places,
        ["line 11", "line 12", "line 13", "line 16", "line 27"]
    );
    // a JSON document with a broken record between good ones
    let doc_batch = format!("[{},\n {{\"id\": }},\n {}]", lines[0], lines[1]);
    let (code, out, _) = run(
        &[
            "metrics",
            "examples/inbound/policy.handoff",
            "--leads",
            "-",
            "--now",
            NOW,
            "--format",
            "json",
        ],
        doc_batch.as_bytes(),
    );
    assert_eq!(code, 3);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["all"]["leads"], 2);
    assert_eq!(doc["bad_records"]["first"][0]["place"], "record 2 (line 2)");
}

#[test]
fn a_pilot_segment_is_compared_with_the_rest() {
    let (code, out, err) = metrics(&[
        "examples/inbound/policy.handoff",
        "--leads",
        "examples/inbound/leads.ndjson",
        "--now",
        NOW,
        "--segment",
        "company.region == \"EMEA\"",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["grouped_by"], "segment");
    let names: Vec<&str> = doc["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"segment") && names.contains(&"rest"),
        "{names:?}"
    );
    // the segment is exactly the EMEA leads in scope: count them by field
    let (_, by_region, _) = metrics(&[
        "examples/inbound/policy.handoff",
        "--leads",
        "examples/inbound/leads.ndjson",
        "--now",
        NOW,
        "--by",
        "company.region",
        "--format",
        "json",
    ]);
    let regions: serde_json::Value = serde_json::from_str(&by_region).unwrap();
    let emea = regions["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "EMEA")
        .unwrap();
    let in_scope = |g: &serde_json::Value| {
        g["leads"].as_u64().unwrap() - g["verdicts"]["out_of_scope"].as_u64().unwrap()
    };
    let segment = doc["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "segment")
        .unwrap();
    assert_eq!(segment["leads"].as_u64().unwrap(), in_scope(emea));
}

/// Option texts are compiled as conditions of their own: one that ends in
/// a `//` comment is the condition before the comment (the comment must not
/// swallow the bracket the tool closes it with).
#[test]
fn option_texts_may_end_in_a_comment() {
    let run = |segment: &str, by: &str| {
        let (code, out, err) = metrics(&[
            "examples/inbound/policy.handoff",
            "--leads",
            "examples/inbound/leads.ndjson",
            "--now",
            NOW,
            "--segment",
            segment,
            "--format",
            "json",
        ]);
        assert_eq!(code, 0, "{segment}: {err}");
        let (code, by_out, err) = metrics(&[
            "examples/inbound/policy.handoff",
            "--leads",
            "examples/inbound/leads.ndjson",
            "--now",
            NOW,
            "--by",
            by,
            "--format",
            "json",
        ]);
        assert_eq!(code, 0, "{by}: {err}");
        (out, by_out)
    };
    let plain = run("company.region == \"EMEA\"", "company.region");
    let commented = run("company.region == \"EMEA\" // the pilot", "company.region");
    // the same groups and figures; the report echoes the text as given
    let json = |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap();
    let (plain_doc, commented_doc) = (json(&plain.0), json(&commented.0));
    assert_eq!(plain_doc["groups"], commented_doc["groups"]);
    assert_eq!(plain_doc["all"], commented_doc["all"]);
    assert_eq!(plain_doc["groups"].as_array().unwrap().len(), 3);
    assert_eq!(plain.1, commented.1);
    // a period's bounds each end their own line too
    let (code, _, err) = metrics(&[
        "examples/inbound/policy.handoff",
        "--leads",
        "examples/inbound/leads.ndjson",
        "--now",
        NOW,
        "--since",
        "2025-05-01",
        "--until",
        "2025-06-01",
        "--on",
        "lifecycle.handed_off_at",
    ]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn a_period_counts_the_leads_left_out() {
    let (code, out, err) = metrics(&[
        "examples/inbound/policy.handoff",
        "--leads",
        "examples/inbound/leads.ndjson",
        "--now",
        NOW,
        "--since",
        "2025-05-01",
        "--until",
        "2025-05-15T00:00:00Z",
        "--on",
        "lifecycle.handed_off_at",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let p = &doc["period"];
    let measured = doc["all"]["leads"].as_u64().unwrap();
    let left_out = p["outside"].as_u64().unwrap() + p["no_timestamp"].as_u64().unwrap();
    assert_eq!(measured + left_out, 300);
    assert!(measured > 0 && p["outside"].as_u64().unwrap() > 0);
    // the same count by hand
    let text = std::fs::read_to_string("examples/inbound/leads.ndjson").unwrap();
    let lo: jiff::Timestamp = "2025-05-01T00:00:00Z".parse().unwrap();
    let hi: jiff::Timestamp = "2025-05-15T00:00:00Z".parse().unwrap();
    let mut in_period = 0;
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let t = v["lifecycle"]["handed_off_at"]
            .as_str()
            .and_then(|s| s.parse::<jiff::Timestamp>().ok());
        if t.is_some_and(|t| t >= lo && t < hi) {
            in_period += 1;
        }
    }
    // out-of-scope leads are not placed (no signals): at most this many
    assert!(
        measured <= in_period && measured + 60 >= in_period,
        "{measured} vs {in_period}"
    );
}

#[test]
fn error_paths_say_what_to_do() {
    let p = "examples/inbound/policy.handoff";
    let l = "examples/inbound/leads.ndjson";
    let cases: [(&[&str], &str); 13] = [
        (
            &[p, "--leads", l, "--by", "company.regoin"],
            "did you mean `company.region`",
        ),
        (
            &[p, "--leads", l, "--by", "a b"],
            "neither route, stage, verdict, segment nor a lead field",
        ),
        (&[p, "--leads", l, "--by", "segment"], "give the segment"),
        (
            &[
                p,
                "--leads",
                l,
                "--segment",
                "company.region = \"EMEA\"",
                "--by",
                "route",
            ],
            "leave out `--by`",
        ),
        (
            &[p, "--leads", l, "--segment", "company.region = \"EMEA\""],
            "write `==` to compare",
        ),
        (
            &[
                p,
                "--leads",
                l,
                "--since",
                "yesterday",
                "--on",
                "lifecycle.handed_off_at",
            ],
            "is neither a date",
        ),
        (
            &[
                p,
                "--leads",
                l,
                "--until",
                "2025-01-01 or true",
                "--on",
                "lifecycle.handed_off_at",
            ],
            "is neither a date",
        ),
        (
            &[p, "--leads", l, "--segment", "true)\nsignal x = (true"],
            "takes one condition",
        ),
        (
            &[p, "--leads", l, "--segment", "true) signal x = (true"],
            "takes one condition",
        ),
        (
            &[p, "--leads", l, "--by", "contact.email"],
            "marks `contact.email` as personal data (pii)",
        ),
        (
            &[p, "--leads", "no/such.ndjson"],
            "cannot read leads `no/such.ndjson`",
        ),
        (&["no/such.handoff", "--leads", l], "cannot read policy"),
        (
            &[p, "--leads", l, "--now", "soon"],
            "is not an RFC 3339 timestamp",
        ),
    ];
    for (args, needle) in cases {
        let (code, out, err) = metrics(args);
        assert_ne!(code, 0, "{args:?}");
        assert!(out.is_empty(), "{args:?}: {out}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    // --on alone, and --since without --on (clap)
    let (code, _, err) = metrics(&[p, "--leads", l, "--on", "lifecycle.handed_off_at"]);
    assert_eq!(code, 2);
    assert!(err.contains("give one of them too"), "{err}");
    let (code, _, err) = metrics(&[p, "--leads", l, "--since", "2025-01-01"]);
    assert_eq!(code, 2);
    assert!(err.contains("--on"), "{err}");
    let (code, _, err) = run(&["metrics", "-", "--leads", "-"], b"");
    assert_eq!(code, 2);
    assert!(
        err.contains("cannot both come from standard input"),
        "{err}"
    );
    let (code, out, err) = run(
        &[
            "metrics", p, "--leads", "-", "--now", NOW, "--format", "json",
        ],
        b"\n\n",
    );
    assert_eq!(code, 0);
    assert!(err.contains("holds no leads"), "{err}");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&out).unwrap()["all"]["leads"],
        0
    );
    let (code, out, _) = metrics(&["--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("--segment <EXPR>"));
}

#[test]
fn the_report_can_be_written_to_a_file() {
    let path = std::env::temp_dir().join(format!("handoff-report-{}.html", std::process::id()));
    let (code, out, err) = metrics(&[
        "examples/inbound/policy.handoff",
        "--leads",
        "examples/inbound/leads.ndjson",
        "--now",
        NOW,
        "--format",
        "html",
        "-o",
        path.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.is_empty());
    let html = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert!(html.contains("<svg id=\"dist-0\""));
}

#[test]
fn a_field_of_many_values_folds_its_smallest_groups() {
    let text = std::fs::read_to_string("examples/inbound/leads.ndjson").unwrap();
    let mut batch = String::new();
    for i in 0..1500 {
        let line = text.lines().nth(i % 300).unwrap();
        let mut lead: serde_json::Value = serde_json::from_str(line).unwrap();
        lead["id"] = format!("x{i}").into();
        batch.push_str(&lead.to_string());
        batch.push('\n');
    }
    let (code, out, err) = run(
        &[
            "metrics",
            "examples/inbound/policy.handoff",
            "--leads",
            "-",
            "--now",
            NOW,
            "--by",
            "id",
            "--format",
            "json",
            "--jobs",
            "2",
        ],
        batch.as_bytes(),
    );
    assert_eq!(code, 0, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let groups = doc["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 1000);
    assert_eq!(groups.last().unwrap()["name"], "(other)");
    let sum: u64 = groups.iter().map(|g| g["leads"].as_u64().unwrap()).sum();
    assert_eq!(sum, 1500);
    assert!(doc["notes"][0]
        .as_str()
        .unwrap()
        .contains("more than 999 groups"));
}

/// Groups by a field are the field's values, whether the value comes from
/// the evaluation (a field the policy reads) or from reading the record
/// again (one it does not): both against a count by hand.
#[test]
fn groups_by_a_field_are_its_values() {
    let text = std::fs::read_to_string("examples/inbound/leads.ndjson").unwrap();
    let by_hand = |path: &[&str]| {
        let mut counts = std::collections::BTreeMap::<String, u64>::new();
        for line in text.lines() {
            let mut v: serde_json::Value = serde_json::from_str(line).unwrap();
            for p in path {
                v = v[*p].take();
            }
            let key = match v {
                serde_json::Value::String(s) => s,
                serde_json::Value::Null => "(missing)".to_string(),
                other => other.to_string(),
            };
            *counts.entry(key).or_default() += 1;
        }
        counts
    };
    let groups = |report: &serde_json::Value| {
        report["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| {
                (
                    g["name"].as_str().unwrap().to_string(),
                    g["leads"].as_u64().unwrap(),
                )
            })
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    // the CLI: the policy reads the field (its check adds a signal that does)
    for field in ["company.region", "company.industry", "engagement.score"] {
        let (code, out, err) = metrics(&[
            "examples/inbound/policy.handoff",
            "--leads",
            "examples/inbound/leads.ndjson",
            "--now",
            NOW,
            "--by",
            field,
            "--format",
            "json",
        ]);
        assert_eq!(code, 0, "{err}");
        let path: Vec<&str> = field.split('.').collect();
        assert_eq!(
            groups(&serde_json::from_str(&out).unwrap()),
            by_hand(&path),
            "{field}"
        );
    }
    // the library on the plain policy: `company.country` is not read, so
    // the record is read again
    let engine = handoff::Checked::from_file("examples/inbound/policy.handoff".as_ref())
        .unwrap()
        .compile()
        .unwrap();
    let opts = handoff::metrics::MetricsOptions {
        now: NOW.parse().unwrap(),
        jobs: 2,
        by: handoff::metrics::By::Field("company.country".into()),
        segment: None,
        period: None,
    };
    let report = handoff::metrics::measure(&engine, text.as_bytes(), &opts).unwrap();
    let got: std::collections::BTreeMap<String, u64> = report
        .groups
        .iter()
        .map(|g| (g.name.clone(), g.leads as u64))
        .collect();
    assert_eq!(got, by_hand(&["company", "country"]));
}
