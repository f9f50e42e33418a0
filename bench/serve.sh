#!/usr/bin/env bash
# handoff serve under load, on 127.0.0.1 only (docs/performance.md, "The
# server"): single-lead evaluation at fixed concurrency, the batch
# endpoint against `handoff eval --leads` on the same corpus, and valid
# requests during a flood of malformed ones.
#
#   bench/serve.sh                 # defaults below
#   N=200000 DURATION=20s bench/serve.sh
#
# Installs oha (the HTTP load generator) with `cargo install oha --locked`
# into bench/out/tools when it is not there.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=bench/out
TOOLS=$OUT/tools
N=${N:-100000}
DURATION=${DURATION:-10s}
NOW=2025-06-01T12:00:00Z
POLICY=examples/inbound/policy.handoff
LEAD=examples/inbound/lead-ready.json
TARGET=${CARGO_TARGET_DIR:-target}
mkdir -p "$OUT"

if [ ! -x "$TOOLS/bin/oha" ]; then
  echo "installing oha into $TOOLS (once)" >&2
  cargo install oha --locked --root "$TOOLS"
fi
OHA=$TOOLS/bin/oha
cargo build --release --quiet
BIN=$TARGET/release/handoff

# the corpus: the shared 200,000-lead file when present (read in place,
# its first N lines), else generated
CORPUS=$OUT/leads_$N.ndjson
if [ ! -s "$CORPUS" ]; then
  BIG=""
  for f in bench/out/leads_200000.ndjson /work/main/bench/out/leads_200000.ndjson; do
    [ -s "$f" ] && BIG=$f && break
  done
  if [ -n "$BIG" ]; then
    head -n "$N" "$BIG" > "$CORPUS"
  else
    python3 ../shared/bench/gen_leads.py "$N" > "$CORPUS"
  fi
fi

"$BIN" serve --policy "$POLICY" --listen 127.0.0.1:0 --no-access-log > "$OUT/serve.addr" 2> "$OUT/serve.log" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  [ -s "$OUT/serve.addr" ] && break
  sleep 0.1
done
BASE=$(sed -n 's/^listening on //p' "$OUT/serve.addr")
echo "server at $BASE, $(nproc) cores"

# requests/s, p50 and p99 (ms) and the share of 2xx from oha's JSON
report() {
  python3 - "$1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
s = r["summary"]; p = r["latencyPercentiles"]
codes = r.get("statusCodeDistribution", {})
ok = sum(v for k, v in codes.items() if k.startswith("2")); total = sum(codes.values()) or 1
print(f"{s['requestsPerSec']:10.0f} req/s   p50 {p['p50']*1000:6.2f} ms   p99 {p['p99']*1000:6.2f} ms   2xx {100*ok/total:.1f}% of {total}")
PY
}

URL="$BASE/v1/evaluate?now=$NOW"
"$OHA" -z 2s -c 16 -m POST -H 'content-type: application/json' -D "$LEAD" --no-tui --output-format json "$URL" > /dev/null
for c in 16 64; do
  "$OHA" -z "$DURATION" -c "$c" -m POST -H 'content-type: application/json' -D "$LEAD" \
    --no-tui --output-format json "$URL" > "$OUT/serve_c$c.json"
  printf 'single lead, %2d connections: ' "$c"; report "$OUT/serve_c$c.json"
done

# the batch endpoint against the CLI, same corpus and time
t0=$(date +%s.%N)
"$BIN" eval "$POLICY" --leads "$CORPUS" --now "$NOW" > "$OUT/serve_cli.ndjson" 2> /dev/null || true
t1=$(date +%s.%N)
curl -sS -X POST -T "$CORPUS" -H 'content-type: application/x-ndjson' \
  "$BASE/v1/evaluate/batch?now=$NOW" -o "$OUT/serve_batch.ndjson"
t2=$(date +%s.%N)
python3 - "$N" "$t0" "$t1" "$t2" <<'PY'
import sys
n, t0, t1, t2 = int(sys.argv[1]), *map(float, sys.argv[2:])
cli, srv = n / (t1 - t0), n / (t2 - t1)
print(f"batch, {n} leads: eval --leads {cli:,.0f} leads/s ({t1-t0:.2f} s); /v1/evaluate/batch {srv:,.0f} leads/s ({t2-t1:.2f} s); CLI/server {cli/srv:.2f}x")
PY
if cmp -s "$OUT/serve_cli.ndjson" "$OUT/serve_batch.ndjson"; then
  echo "batch output: byte-identical to eval --leads"
else
  echo "batch output: DIFFERS from eval --leads" >&2
fi

# a flood of malformed requests while valid ones go on
printf '{"id": "broken", ' > "$OUT/malformed.json"
"$OHA" -z "$DURATION" -c 48 -m POST -H 'content-type: application/json' -D "$OUT/malformed.json" \
  --no-tui --output-format json "$URL" > "$OUT/serve_flood.json" &
FLOOD=$!
"$OHA" -z "$DURATION" -c 16 -m POST -H 'content-type: application/json' -D "$LEAD" \
  --no-tui --output-format json "$URL" > "$OUT/serve_valid.json"
wait $FLOOD
printf 'malformed flood, 48 conns:   '; report "$OUT/serve_flood.json"
printf 'valid during it, 16 conns:   '; report "$OUT/serve_valid.json"
