#!/usr/bin/env bash
# The Python package's CI step, run by .ci/run from the repository root:
# a venv under target/, maturin, pytest and pyarrow from PyPI, the
# extension built in debug (the tests run in seconds) into the venv, and
# the tests against the CLI's debug binary (target/debug/handoff, which
# `cargo test` has built). The bindings have their own target directory.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
venv=target/py-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check 'maturin>=1.9,<2' pytest pyarrow
cargo build --quiet
(
  cd bindings/python
  export VIRTUAL_ENV="$root/$venv"
  export CARGO_TARGET_DIR="$root/bindings/python/target"
  cargo fmt --check
  cargo clippy --quiet --all-targets -- -D warnings
  "$root/$venv/bin/maturin" develop --quiet
)
"$venv/bin/python" -m pytest bindings/python/tests -q
