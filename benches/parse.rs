//! Front-end benchmarks: parse, and parse + check, a generated policy of
//! about 10,000 lines.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

/// A realistic policy of roughly `lines` lines: the flagship example's
/// schema, then many signals, scores and handoffs in its style.
pub fn generated_policy(lines: usize) -> String {
    let base =
        std::fs::read_to_string("examples/inbound/policy.handoff").expect("run from the repo root");
    let mut src = base.clone();
    let mut i = 0;
    while src.lines().count() < lines {
        src.push_str(&format!(
            "\n/// Generated signal group {i}\nsignal g{i}_engaged = engagement.score >= {} and recent\n  \"Engaged past {}\"\nsignal g{i}_big = company.employees >= {} or any(intent, x -> x in [\"pricing_research\", \"demo_request\"])\nscore g{i}_fit {{\n  points 10 when g{i}_engaged\n  points 5 when g{i}_big\n  points 1 per count(engagement.activities)\n  cap 100\n}}\nmetric g{i}_ttfc = lifecycle.first_contact_at - lifecycle.handed_off_at target <= {}h\n",
            i % 100,
            i % 100,
            (i * 37) % 5000,
            1 + i % 24
        ));
        i += 1;
    }
    src
}

fn bench(c: &mut Criterion) {
    let src = generated_policy(10_000);
    let mut g = c.benchmark_group("front end, 10k-line policy");
    g.throughput(Throughput::Bytes(src.len() as u64));
    g.bench_function("parse", |b| {
        b.iter(|| handoff::syntax::parse_module(handoff::span::FileId(0), &src));
    });
    g.bench_function("fmt (with its two checking parses)", |b| {
        b.iter(|| handoff::fmt::format_source(&src).expect("formats"));
    });
    g.bench_function("parse + check", |b| {
        b.iter(|| handoff::Checked::from_bytes("gen.handoff", src.as_bytes()));
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
