"""evaluate_arrow: the decision columns agree with the CLI's decisions on
the example batches (struct columns and dotted names alike), Arrow types
become lead values, and a bad row is an error value, not an exception."""

import datetime as dt
import decimal
import json

import pyarrow as pa
import pytest

import handoff
from arrowish import flatten, representable, to_batch
from conftest import NOW, normal, run_cli

EXAMPLES = ["inbound", "enterprise", "partner"]


def _kept(root, tmp_path, example):
    folder = root / "examples" / example
    rows = [json.loads(x) for x in (folder / "leads.ndjson").read_text().splitlines() if x.strip()]
    kept = representable(rows)
    f = tmp_path / f"{example}.ndjson"
    f.write_text("".join(json.dumps(r) + "\n" for r in kept))
    return folder, kept, f


@pytest.mark.parametrize("example", EXAMPLES)
def test_arrow_decisions_match_the_cli(root, cli, tmp_path, example):
    folder, kept, f = _kept(root, tmp_path, example)
    assert len(kept) >= 0.9 * 150
    expected = run_cli(cli, folder / "policy.handoff", f)
    policy = handoff.Policy.from_file(folder / "policy.handoff")
    batch = to_batch(kept)
    for b in (batch, flatten(batch)):
        out = policy.evaluate_arrow(b, now=NOW, ordered=True)
        assert out.num_rows == len(expected)
        cols = out.to_pydict()
        got = [json.loads(x) for x in cols["decision"]]
        assert [normal(x) for x in got] == [normal(x) for x in expected]
        for i, d in enumerate(expected):
            route = d["route"] or {}
            target = route.get("target") or {}
            assert cols["lead_id"][i] == d["lead_id"]
            assert cols["verdict"][i] == d["verdict"]
            assert cols["route_kind"][i] == target.get("kind")
            assert cols["route_target"][i] == target.get("name")
            assert cols["route_member"][i] == route.get("member")
            for name, value in d["scores"].items():
                assert cols[f"score.{name}"][i] == value
            assert cols["missing_context"][i] == [m["field"] for m in d["missing_context"]]
            due = [e for e in d["escalations"] if e["status"] == "overdue"]
            assert json.loads(cols["escalations_due"][i]) == due
            assert cols["error"][i] is None


def test_round_robin_needs_ordered(root):
    policy = handoff.Policy.from_file(root / "examples" / "inbound" / "policy.handoff")
    batch = to_batch([{"id": "a"}])
    with pytest.raises(handoff.OrderError, match="sdr_pool"):
        policy.evaluate_arrow(batch, now=NOW)
    assert policy.evaluate_arrow(batch, now=NOW, ordered=True).num_rows == 1


def test_a_run_over_batches_assigns_as_one_sequence(root, tmp_path):
    folder, kept, _ = _kept(root, tmp_path, "inbound")
    policy = handoff.Policy.from_file(folder / "policy.handoff")
    whole = policy.evaluate_arrow(to_batch(kept), now=NOW, ordered=True).column("route_member").to_pylist()
    run = policy.run(now=NOW)
    parts = []
    for start in range(0, len(kept), 64):
        parts += run.evaluate_arrow(to_batch(kept[start:start + 64])).column("route_member").to_pylist()
    assert parts == whole
    assert run.state_after()["sdr_pool_cursor"] > 0


STATELESS = """
policy "Types" { version "1" }
lead { id: string  score: number?  seen_at: timestamp?  tags: list<string>?  company: { region: enum("EMEA", "NA")? }? }
roles marketing, sdr
stages mql, sal
queue inbox
signal engaged = score >= 40
signal recent = since(seen_at) <= 14d
signal emea = company.region == "EMEA"
signal tagged = "vip" in tags
handoff mql -> sal {
  initiated_by marketing
  validated_by sdr
  owned_by sdr
  ready when all { engaged, recent }
  route { otherwise -> queue inbox }
}
"""


def test_arrow_types_become_lead_values():
    policy = handoff.Policy.from_text(STATELESS)
    utc = dt.timezone.utc
    batch = pa.RecordBatch.from_pydict(
        {
            "id": ["a", "b", "c", "d"],
            "score": pa.array([decimal.Decimal("72.50"), decimal.Decimal("1"), None, decimal.Decimal("40")], pa.decimal128(6, 2)),
            "seen_at": pa.array(
                [dt.datetime(2025, 5, 30, 9, 0, tzinfo=utc), dt.datetime(2025, 1, 1, tzinfo=utc), None, dt.datetime(2025, 5, 31, tzinfo=utc)],
                pa.timestamp("us", tz="UTC"),
            ),
            "tags": [["vip"], [], None, ["x"]],
            "company.region": pa.array(["EMEA", None, "NA", "EMEA"]).dictionary_encode(),
            "day": pa.array([dt.date(2025, 5, 1)] * 4, pa.date32()),
        }
    )
    out = policy.evaluate_arrow(batch, now=NOW).to_pydict()
    assert out["verdict"] == ["handoff", "hold", "hold", "handoff"]
    a = json.loads(out["decision"][0])
    assert a["signals"]["recent"]["value"] is True
    assert a["signals"]["emea"]["value"] is True
    assert a["signals"]["tagged"]["value"] is True
    c = json.loads(out["decision"][2])
    assert c["signals"]["engaged"]["value"] is None
    assert out["error"] == [None] * 4


def test_a_bad_row_is_an_error_value():
    policy = handoff.Policy.from_text(STATELESS)
    batch = pa.RecordBatch.from_pydict(
        {
            "id": ["a", "b", "c"],
            "score": [72.0, float("nan"), 10.0],
            "company.region": pa.array([b"EMEA", b"NA", b"\xff\xfe"], pa.binary()),
            # a column no rule reads is not converted: its bad value is no error
            "blob": pa.array([b"\xff", None, None], pa.binary()),
        }
    )
    out = policy.evaluate_arrow(batch, now=NOW).to_pydict()
    assert out["verdict"][0] is not None and out["error"][0] is None
    assert json.loads(out["decision"][0])["signals"]["emea"]["value"] is True
    for i, column in [(1, "score"), (2, "company.region")]:
        assert out["verdict"][i] is None and out["decision"][i] is None
        err = json.loads(out["error"][i])["error"]
        assert err["line"] == i + 1
        assert err["lead_id"] == batch.column("id")[i].as_py()
        assert err["kind"] == "unsupported_value"
        assert f"column `{column}`" in err["message"]


def test_columns_that_clash_are_refused():
    policy = handoff.Policy.from_text(STATELESS)
    batch = pa.RecordBatch.from_pydict({"id": ["a"], "company": pa.array([{"region": "NA"}]), "company.region": ["EMEA"]})
    with pytest.raises(ValueError, match="company"):
        policy.evaluate_arrow(batch, now=NOW)
