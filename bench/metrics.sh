#!/usr/bin/env bash
# What `handoff metrics` and `handoff diff` cost next to one `eval` pass over
# the same corpus (issue #20: diff at most ~2x, metrics at most ~1.2x).
#
#   bench/metrics.sh [N] [ROUNDS]
#
# Generates N leads (default 200000) with ../shared/bench/gen_leads.py,
# then times, interleaved for ROUNDS rounds (default 7), on the flagship
# policy with every core: `eval` writing its decisions to /dev/null (and
# `eval --jobs 1`, for the record),
# `metrics` (grouped by route, and by a lead field), and `diff` against the
# shipped change. Prints the median of each and the ratio to eval, and the
# peak memory of each (max RSS).
set -euo pipefail
cd "$(dirname "$0")/.."

N=${1:-200000}
ROUNDS=${2:-7}
OUT=bench/out
CORPUS=$OUT/leads_$N.ndjson
POLICY=examples/inbound/policy.handoff
CHANGE=examples/inbound/changes/raise-threshold.handoff
NOW=2025-06-01T12:00:00Z

mkdir -p "$OUT"
if [ ! -s "$CORPUS" ]; then
  echo "generating $N leads into $CORPUS ..." >&2
  python3 ../shared/bench/gen_leads.py "$N" > "$CORPUS.tmp" && mv "$CORPUS.tmp" "$CORPUS"
fi
cargo build --release --quiet --bin handoff
BIN=target/release/handoff

python3 - "$BIN" "$POLICY" "$CHANGE" "$CORPUS" "$NOW" "$ROUNDS" <<'PY'
import resource, statistics, subprocess, sys, time
bin, policy, change, corpus, now, rounds = sys.argv[1:7]
cmds = {
    "eval": [bin, "eval", policy, "--leads", corpus, "--now", now],
    "eval --jobs 1": [bin, "eval", policy, "--leads", corpus, "--now", now, "--jobs", "1"],
    "metrics --by route": [bin, "metrics", policy, "--leads", corpus, "--now", now, "--by", "route", "--format", "json"],
    "metrics --by company.region": [bin, "metrics", policy, "--leads", corpus, "--now", now, "--by", "company.region", "--format", "json"],
    "diff": [bin, "diff", policy, change, "--leads", corpus, "--now", now, "--format", "json"],
}
times = {k: [] for k in cmds}
rss = {}
for _ in range(int(rounds)):
    for name, cmd in cmds.items():
        t = time.perf_counter()
        p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times[name].append(time.perf_counter() - t)
        if p.returncode not in (0, 1, 3):
            sys.exit(f"{name} failed with {p.returncode}")
# peak memory, one run each under /usr/bin/time
for name, cmd in cmds.items():
    p = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    rss[name] = int(p.stderr.strip().splitlines()[-1]) / 1024
base = statistics.median(times["eval"])
print(f"{'command':<30} {'median s':>9} {'x eval':>7} {'max RSS MB':>11}")
for name in cmds:
    m = statistics.median(times[name])
    print(f"{name:<30} {m:>9.3f} {m / base:>7.2f} {rss[name]:>11.1f}")
PY
