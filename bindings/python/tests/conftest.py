"""Shared fixtures: the repository, the CLI's debug binary (built with
`cargo build` when missing), and the CLI's answers to compare with."""

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
NOW = "2025-06-01T12:00:00Z"


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def cli() -> Path:
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    exe = target / "debug" / "handoff"
    if not exe.exists():
        subprocess.run(["cargo", "build", "--quiet"], cwd=ROOT, check=True)
    return exe


def run_cli(cli: Path, policy: Path, leads: Path, *extra: str) -> list:
    """`handoff eval POLICY --leads LEADS --now NOW`: one JSON value per line."""
    out = subprocess.run(
        [str(cli), "eval", str(policy), "--leads", str(leads), "--now", NOW, *extra],
        cwd=ROOT,
        capture_output=True,
        check=False,
    )
    assert out.returncode in (0, 3), out.stderr.decode()
    return [json.loads(line) for line in out.stdout.splitlines()]


def normal(value) -> str:
    """JSON normalised: keys sorted, no spaces."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))
