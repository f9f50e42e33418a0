#!/usr/bin/env bash
# Spark end to end: N generated leads (default 1,000,000) as Parquet,
# evaluated by bindings/python/examples/spark_eval.py on local[2], and every
# decision checked against `handoff eval` on the same leads as NDJSON, byte
# for byte, by lead id. Prints leads/s of each and peak memory.
#
#   bindings/python/spark_check.sh [N] [POLICY]      (from anywhere)
#   LEADS=/path/leads.ndjson bindings/python/spark_check.sh   # an existing corpus
#   SHARED=/path/to/shared bindings/python/spark_check.sh     # where bench/gen_leads.py is
#
# Needs Java 17 and Python 3; installs pyspark, pyarrow and maturin in
# target/spark-venv; works in target/spark-check (gitignored). Not in CI:
# it takes minutes.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
N=${1:-1000000}
POLICY=${2:-bench/eight.handoff}
NOW=2025-06-01T12:00:00Z
SHARED=${SHARED:-$root/../shared}
work=target/spark-check
venv=target/spark-venv
mkdir -p "$work"

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check pyspark pyarrow 'pandas<3' 'maturin>=1.9,<2'
cargo build --release --quiet --bin handoff
(
  cd bindings/python
  CARGO_TARGET_DIR="$root/bindings/python/target" "$root/$venv/bin/maturin" build --release --quiet --out "$root/$work/wheels"
)
"$venv/bin/pip" install --quiet --force-reinstall --no-deps "$work"/wheels/handoff-*.whl

leads=${LEADS:-$work/leads_$N.ndjson}
if [ ! -s "$leads" ]; then
  echo "generating $N leads"
  python3 "$SHARED/bench/gen_leads.py" "$N" --now "$NOW" > "$leads.part"
  mv "$leads.part" "$leads"
fi
parquet=$work/$(basename "$leads" .ndjson).parquet
if [ ! -s "$parquet" ] || [ "$parquet" -ot "$leads" ]; then
  echo "converting to Parquet"
  "$venv/bin/python" - "$leads" "$parquet" <<'PY'
import sys
import pyarrow.json as pj, pyarrow.parquet as pq
table = pj.read_json(sys.argv[1], read_options=pj.ReadOptions(block_size=64 << 20))
pq.write_table(table, sys.argv[2], row_group_size=65536)
print(f"{table.num_rows} rows, {len(table.schema)} top-level columns")
PY
fi

exec 3>&1 # the figures, whatever a command's output is redirected to
timed() { # label, command...: runs it, prints wall seconds and max RSS
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$@"
  read -r secs kb < "$work/time"
  echo "$label: ${secs} s, max RSS $((kb / 1024)) MB" >&3
}
timed "handoff eval, NDJSON, --jobs 1" ./target/release/handoff eval "$POLICY" --leads "$leads" --now "$NOW" --jobs 1 > "$work/cli.ndjson" 2> "$work/cli.err"
timed "handoff eval, NDJSON, --jobs 2" ./target/release/handoff eval "$POLICY" --leads "$leads" --now "$NOW" --jobs 2 > /dev/null 2>&1
timed "handoff eval, Parquet" ./target/release/handoff eval "$POLICY" --leads "$parquet" --now "$NOW" > "$work/cli-parquet.ndjson" 2> /dev/null
timed "handoff eval, Parquet -> Parquet" ./target/release/handoff eval "$POLICY" --leads "$parquet" --now "$NOW" --output "$work/cli-decisions.parquet" 2> /dev/null
if cmp -s "$work/cli.ndjson" "$work/cli-parquet.ndjson"; then
  echo "Parquet and NDJSON decisions: identical"
else
  echo "Parquet and NDJSON decisions differ" >&2
  exit 1
fi
timed "evaluate_arrow (Python, one thread)" "$venv/bin/python" - "$POLICY" "$parquet" "$NOW" <<'PY'
import sys, time
import pyarrow.parquet as pq
import handoff
policy = handoff.Policy.from_file(sys.argv[1])
f = pq.ParquetFile(sys.argv[2])
n, spent = 0, 0.0
for batch in f.iter_batches(batch_size=8192):
    t = time.perf_counter()
    out = policy.evaluate_arrow(batch, now=sys.argv[3], ordered=True)
    spent += time.perf_counter() - t
    n += out.num_rows
print(f"evaluate_arrow: {n} leads, {n / spent:,.0f} leads/s in the call ({spent:.1f} s)")
PY
rm -rf "$work/spark-out"
timed "Spark local[2]" "$venv/bin/python" bindings/python/examples/spark_eval.py "$POLICY" "$parquet" "$work/spark-out" --now "$NOW"

"$venv/bin/python" - "$work/cli.ndjson" "$work/spark-out" <<'PY'
import hashlib, json, sys
import pyarrow.dataset as ds
cli = {}
with open(sys.argv[1], "rb") as f:
    for line in f:
        line = line.rstrip(b"\n")
        lead = json.loads(line).get("lead_id")
        cli[lead] = hashlib.blake2b(line, digest_size=16).digest()
seen = same = 0
for batch in ds.dataset(sys.argv[2], format="parquet").to_batches(columns=["lead_id", "decision", "error"]):
    for lead, decision, error in zip(*(c.to_pylist() for c in batch.columns)):
        seen += 1
        text = (decision or error).encode()
        same += cli.get(lead) == hashlib.blake2b(text, digest_size=16).digest()
print(f"Spark: {seen} decisions, CLI: {len(cli)}; equal byte for byte: {same}")
sys.exit(0 if seen == len(cli) == same else 1)
PY
