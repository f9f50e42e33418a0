//! Evaluation latency: one already-parsed lead through the flagship policy.

use criterion::{criterion_group, criterion_main, Criterion};

fn bench(c: &mut Criterion) {
    let checked =
        handoff::Checked::from_file(std::path::Path::new("examples/inbound/policy.handoff"))
            .unwrap();
    let engine = checked.compile().unwrap();
    let now: jiff::Timestamp = "2025-06-01T12:00:00Z".parse().unwrap();
    let ready =
        handoff::parse_lead(&std::fs::read("examples/inbound/lead-ready.json").unwrap()).unwrap();
    let lines = std::fs::read_to_string("examples/inbound/leads.ndjson").unwrap();
    let batch: Vec<_> = lines
        .lines()
        .take(200)
        .map(|l| handoff::parse_lead(l.as_bytes()).unwrap())
        .collect();
    let mut g = c.benchmark_group("evaluate");
    g.bench_function("one parsed lead (ready)", |b| {
        b.iter(|| engine.evaluate(&ready, now))
    });
    let prepared = engine.prepare(&ready);
    g.bench_function("one prepared lead (ready): the rules alone", |b| {
        b.iter(|| engine.evaluate_prepared(&prepared, now))
    });
    g.bench_function("one parsed lead, written", |b| {
        let mut out = Vec::with_capacity(4096);
        b.iter(|| {
            out.clear();
            handoff::write::write_decision(&engine.evaluate(&ready, now), &mut out);
            out.len()
        })
    });
    g.bench_function("200 generated leads", |b| {
        b.iter(|| {
            batch
                .iter()
                .map(|l| engine.evaluate(l, now).verdict as u8 as usize)
                .sum::<usize>()
        })
    });
    g.bench_function(
        "one raw NDJSON line, fast path: scan + evaluate + write",
        |b| {
            let line = lines.lines().next().unwrap().as_bytes();
            let mut out = Vec::with_capacity(4096);
            b.iter(|| {
                out.clear();
                handoff::write::write_decision(
                    &engine.evaluate_bytes(line, now).unwrap(),
                    &mut out,
                );
                out.len()
            })
        },
    );
    g.bench_function(
        "one raw NDJSON line, Value path: parse + evaluate + serialize",
        |b| {
            let line = lines.lines().next().unwrap().as_bytes();
            b.iter(|| {
                serde_json::to_string(&engine.evaluate(&handoff::parse_lead(line).unwrap(), now))
                    .unwrap()
            })
        },
    );
    g.finish();
    // the batch commands over the example's 300 leads, on one thread:
    // `metrics` against evaluation alone (the same work without tallies)
    let mut g = c.benchmark_group("batch of 300");
    let bytes = lines.as_bytes();
    g.bench_function("evaluate every line (no output)", |b| {
        b.iter(|| {
            bytes
                .split(|c| *c == b'\n')
                .filter(|l| !l.is_empty())
                .map(|l| {
                    engine
                        .evaluate_bytes(l, now)
                        .map_or(0, |d| d.verdict as usize)
                })
                .sum::<usize>()
        })
    });
    for (name, by) in [
        ("metrics", handoff::metrics::By::Nothing),
        ("metrics --by route", handoff::metrics::By::Route),
        (
            "metrics --by company.region",
            handoff::metrics::By::Field("company.region".into()),
        ),
    ] {
        let opts = handoff::metrics::MetricsOptions {
            now,
            jobs: 1,
            by,
            segment: None,
            period: None,
        };
        g.bench_function(name, |b| {
            b.iter(|| {
                handoff::metrics::measure(&engine, bytes, &opts)
                    .unwrap()
                    .all
                    .leads
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
