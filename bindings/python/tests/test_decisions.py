"""Decisions from Python equal the CLI's, after JSON normalisation, on
every example batch: NDJSON lines given as bytes and as dicts, the
Salesforce exports' records, one lead at a time, and with a state."""

import json

import pytest

import handoff
from conftest import NOW, normal, run_cli

EXAMPLES = ["inbound", "enterprise", "partner"]


@pytest.mark.parametrize("example", EXAMPLES)
def test_evaluate_many_matches_the_cli(root, cli, example):
    folder = root / "examples" / example
    expected = run_cli(cli, folder / "policy.handoff", folder / "leads.ndjson")
    policy = handoff.Policy.from_file(folder / "policy.handoff")
    lines = [line for line in (folder / "leads.ndjson").read_bytes().splitlines() if line.strip()]
    got_bytes = list(policy.evaluate_many(lines, now=NOW, batch_size=37))
    got_dicts = list(policy.evaluate_many((json.loads(x) for x in lines), now=NOW))
    assert len(got_bytes) == len(expected) == len(lines)
    for a, b, c in zip(expected, got_bytes, got_dicts):
        assert normal(a) == normal(b)
        assert normal(a) == normal(c)


@pytest.mark.parametrize("export", ["export-devorg.json", "export-easyspaces.json"])
def test_salesforce_export_records_match_the_cli(root, cli, export):
    folder = root / "examples" / "salesforce"
    expected = run_cli(cli, folder / "policy.handoff", folder / export)
    policy = handoff.Policy.from_file(folder / "policy.handoff")
    records = json.loads((folder / export).read_text())["records"]
    got = list(policy.evaluate_many(records, now=NOW))
    assert [normal(x) for x in got] == [normal(x) for x in expected]


def test_explain_matches_the_cli(root, cli):
    folder = root / "examples" / "inbound"
    expected = run_cli(cli, folder / "policy.handoff", folder / "leads.ndjson", "--explain")
    policy = handoff.Policy.from_file(folder / "policy.handoff")
    got = list(policy.evaluate_many((folder / "leads.ndjson").read_bytes().splitlines(), now=NOW, explain=True))
    assert [normal(x) for x in got] == [normal(x) for x in expected]
    assert any(s.get("reads") for d in got for s in d["signals"].values())


@pytest.mark.parametrize("example", EXAMPLES)
def test_evaluate_one_lead_matches_eval_lead(root, cli, example):
    import subprocess

    folder = root / "examples" / example
    policy = handoff.Policy.from_file(str(folder / "policy.handoff"))
    for lead in sorted(folder.glob("lead*.json")):
        out = subprocess.run(
            [str(cli), "eval", str(folder / "policy.handoff"), "--lead", str(lead), "--now", NOW],
            capture_output=True,
            check=True,
        )
        expected = json.loads(out.stdout)
        assert normal(policy.evaluate(json.loads(lead.read_text()), now=NOW)) == normal(expected)
        assert normal(policy.evaluate(lead.read_bytes(), now=NOW)) == normal(expected)
        assert normal(policy.evaluate(lead.read_text(), now=NOW)) == normal(expected)


def test_state_in_and_out_match_the_cli(root, cli, tmp_path):
    folder = root / "examples" / "enterprise"
    state_file = folder / "state-strategic.json"
    state_out = tmp_path / "state-out.json"
    expected = run_cli(
        cli, folder / "policy.handoff", folder / "leads.ndjson",
        "--state", str(state_file), "--state-out", str(state_out),
    )
    policy = handoff.Policy.from_file(folder / "policy.handoff")
    decisions = policy.evaluate_many(
        (folder / "leads.ndjson").read_bytes().splitlines(), now=NOW,
        state=json.loads(state_file.read_text()), batch_size=50,
    )
    got = list(decisions)
    assert [normal(x) for x in got] == [normal(x) for x in expected]
    assert decisions.state_after() == json.loads(state_out.read_text())


def test_two_runs_over_halves_assign_as_one(root):
    folder = root / "examples" / "inbound"
    policy = handoff.Policy.from_file(folder / "policy.handoff")
    lines = (folder / "leads.ndjson").read_bytes().splitlines()
    whole = list(policy.evaluate_many(lines, now=NOW))
    first = policy.evaluate_many(lines[:150], now=NOW)
    a = list(first)
    b = list(policy.evaluate_many(lines[150:], now=NOW, state=first.state_after()))
    members = lambda ds: [(d.get("route") or {}).get("member") for d in ds]
    assert members(a + b) == members(whole)


def test_now_as_datetime_and_metadata(root):
    import datetime as dt

    policy = handoff.Policy.from_file(root / "examples" / "inbound" / "policy.handoff")
    when = dt.datetime(2025, 6, 1, 14, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    a = policy.evaluate({"id": "x"}, now=when)
    b = policy.evaluate({"id": "x"}, now=NOW)
    assert a == b
    assert a["policy"] == {"name": policy.name, "version": policy.version, "hash": policy.hash}
    with pytest.raises(ValueError, match="aware"):
        policy.evaluate({"id": "x"}, now=dt.datetime(2025, 6, 1))
    with pytest.raises(ValueError, match="RFC 3339"):
        policy.evaluate({"id": "x"}, now="yesterday")
