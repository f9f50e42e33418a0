#!/usr/bin/env bash
# Time `handoff test` on a generated suite of 1,000 cases (a table of 1,000
# variants of the inbound example's ready lead), and `handoff fmt --check`
# on a generated 10,000-line policy. Release build; median of 5 runs.
#
#   bench/suite.sh
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/out
cargo build --release --quiet --bin handoff
python3 - <<'PY'
rows = []
for i in range(1000):
    employees = 20 + (i * 37) % 5000
    region = ["EMEA", "NA", "APAC"][i % 3]
    if employees >= 1000:
        route = "team emea_ae" if region == "EMEA" else "team enterprise_ae"
    else:
        route = "team emea_sdr" if region == "EMEA" else "team sdr_pool"
    rows.append(f'  [{employees}, "{region}", "{route}"],')
open("bench/out/suite-1000.test.toml", "w").write(
    'policy = "../../examples/inbound/policy.handoff"\n'
    'now = "2025-06-01T12:00:00Z"\n\n'
    '[[table]]\nname = "variants"\nlead = "../../examples/inbound/lead-ready.json"\n'
    'columns = ["company.employees", "company.region", "route"]\nrows = [\n'
    + "\n".join(rows) + "\n]\n")
PY
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
time_it() { for _ in 1 2 3 4 5; do s=$(date +%s.%N); "$@" > /dev/null 2>&1 || true; e=$(date +%s.%N); echo "$e - $s" | bc; done | median; }
echo "handoff test, 1000 cases:        $(time_it target/release/handoff test bench/out/suite-1000.test.toml) s"
