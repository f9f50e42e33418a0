#!/usr/bin/env bash
# Where a batch's time goes, by stage of the pipeline, from a perf profile
# (sampled, not estimated): input (reading the file and cutting lines),
# read (scanning each record and converting the values the policy reads),
# rules (evaluating the policy), write (rendering the decisions), and the
# allocator and libc copies the stages share.
#
#   bench/profile.sh [POLICY] [N_LEADS] [BINARY]
#       POLICY   default examples/inbound/policy.handoff
#       N_LEADS  default 200000 (the corpus of bench/run.sh)
#       BINARY   default: target/profiling/handoff, built here (the release
#                build with line tables, `cargo build --profile profiling`);
#                give another build with symbols to compare two versions
#
# Needs perf. Runs `eval --jobs 1` (one thread: every sample is the batch's
# own work) and prints each stage's share of the samples, its time per lead
# (the share of the run's wall time), and the ten hottest functions.
set -euo pipefail
cd "$(dirname "$0")/.."

POLICY=${1:-examples/inbound/policy.handoff}
N=${2:-200000}
BIN=${3:-}
CORPUS=bench/out/leads_$N.ndjson
NOW=2025-06-01T12:00:00Z

command -v perf > /dev/null || { echo "error: perf is not installed (apt-get install linux-perf)" >&2; exit 2; }
mkdir -p bench/out
if [ ! -s "$CORPUS" ]; then
  echo "generating $N leads into $CORPUS ..." >&2
  python3 ../shared/bench/gen_leads.py "$N" > "$CORPUS.tmp" && mv "$CORPUS.tmp" "$CORPUS"
fi
if [ -z "$BIN" ]; then
  cargo build --profile profiling --quiet --bin handoff
  BIN=target/profiling/handoff
fi

# the wall time without perf (median of 3 runs): sampling slows the run,
# so the shares of the profile are applied to this time
wall=$(python3 - "$BIN" "$POLICY" "$CORPUS" "$NOW" <<'PY'
import statistics, subprocess, sys, time
b, policy, corpus, now = sys.argv[1:]
times = []
for _ in range(3):
    t0 = time.perf_counter()
    subprocess.run([b, "eval", policy, "--leads", corpus, "--now", now, "--jobs", "1"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    times.append(time.perf_counter() - t0)
print(statistics.median(times))
PY
)
DATA=bench/out/profile.perf.data
perf record -q -F 10000 -o "$DATA" "$BIN" eval "$POLICY" --leads "$CORPUS" --now "$NOW" --jobs 1 > /dev/null 2> bench/out/profile.stderr

perf report -i "$DATA" --no-children --sort symbol --stdio -g none --percent-limit 0 2> /dev/null |
  python3 -c '
import re, sys
n, wall = int(sys.argv[1]), float(sys.argv[2])
# a function belongs to the first stage whose pattern it matches
stages = [
    ("input: read(2), page cache, line cutting", r"^\[k\]|batch::lines|batch::records|count_raw|memchr::arch|default_read_to_end|^\[\.\] read$"),
    ("write: render the decision", r"handoff::write|handoff::batch::output|zmij|itoa|ryu"),
    ("read: scan the record, convert values", r"eval::scan|eval::extract|simdutf8|smol_str|text::Strings|Workspace::slots|record::check_record|evaluate_bytes|drop_in_place<\[handoff::value::Val\]>"),
    ("rules: evaluate the policy", r"eval::expr|eval::decide|eval::calendar|eval::distribute|eval::handoff|handoff::ops|jiff|Engine::decide|DurText|value::|exp2|round|fmod|pow"),
    ("allocator and libc copies (shared)", r"malloc|free|realloc|memmove|memcpy|memset|memcmp|Arc<|drop_slow|Vec<T,A>"),
]
share = {name: 0.0 for name, _ in stages}
share["other"] = 0.0
top = []
for line in sys.stdin:
    m = re.match(r"\s+([\d.]+)%\s+(\[.\])\s+(.*?)[\s-]*$", line)
    if not m:
        continue
    p, kind, sym = float(m.group(1)), m.group(2), m.group(3)
    key = kind + " " + sym
    for name, pat in stages:
        if re.search(pat, key):
            share[name] += p
            break
    else:
        share["other"] += p
    top.append((p, sym))
print(f"{n} leads, {wall:.3f} s wall, median of 3 without perf ({wall / n * 1e6:.2f} us a lead)")
for name, p in sorted(share.items(), key=lambda kv: -kv[1]):
    print(f"  {name:<42} {p:5.1f}%  {wall * p / 100 / n * 1e6:5.2f} us a lead")
print("hottest functions (self time):")
for p, sym in sorted(top, reverse=True)[:10]:
    print(f"  {p:5.2f}%  {sym[:100]}")
' "$N" "$wall"
