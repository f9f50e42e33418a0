"""Errors: a policy that does not check, a lead that is not one, broken
rows among good ones."""

import json

import pytest

import handoff
from conftest import NOW, normal, run_cli

BROKEN = 'policy "Broken" { version "1" }\nlead { id: strin }\n'


def test_policy_error_carries_the_diagnostics(cli, tmp_path):
    import subprocess

    with pytest.raises(handoff.PolicyError) as info:
        handoff.Policy.from_text(BROKEN, name="broken.handoff")
    err = info.value
    assert isinstance(err, ValueError)
    codes = [d["code"] for d in err.diagnostics]
    assert "H011" in codes
    d = err.diagnostics[codes.index("H011")]
    assert d.severity == "error"
    assert d["file"] == "broken.handoff"
    assert (d["line"], d["column"]) == (2, 12)
    assert "strin" in d["message"]
    assert "string" in d["help"]
    # str(err) is what `handoff check` prints
    path = tmp_path / "broken.handoff"
    path.write_text(BROKEN)
    out = subprocess.run([str(cli), "check", str(path)], capture_output=True, text=True)
    from_file = handoff.PolicyError
    with pytest.raises(from_file) as info2:
        handoff.Policy.from_file(path)
    assert "\x1b[" not in str(info2.value)
    assert str(info2.value).strip() in (out.stdout + out.stderr)


def test_missing_file_is_an_os_error(tmp_path):
    with pytest.raises(OSError, match="cannot read policy"):
        handoff.Policy.from_file(tmp_path / "nope.handoff")


def test_warnings_are_listed_by_check(root):
    policy = handoff.Policy.from_file(root / "examples" / "inbound" / "policy.handoff")
    assert all(d.severity == "warning" for d in policy.check())


@pytest.mark.parametrize(
    "lead, kind",
    [("{not json", "invalid_json"), ("[1, 2]", "not_an_object"), (b"\xff\xfe", "invalid_utf8"), ([1, 2], "not_an_object")],
)
def test_lead_error_has_the_cli_message(root, cli, tmp_path, lead, kind):
    folder = root / "examples" / "inbound"
    policy = handoff.Policy.from_file(folder / "policy.handoff")
    with pytest.raises(handoff.LeadError) as info:
        policy.evaluate(lead, now=NOW)
    assert info.value.kind == kind
    raw = lead if isinstance(lead, bytes) else (lead if isinstance(lead, str) else json.dumps(lead)).encode()
    f = tmp_path / "one.ndjson"
    f.write_bytes(raw + b"\n")
    [record] = run_cli(cli, folder / "policy.handoff", f, "--leads-format", "ndjson")
    assert str(info.value) == record["error"]["message"]
    assert info.value.record == record


def test_lead_without_json_form(root):
    policy = handoff.Policy.from_file(root / "examples" / "inbound" / "policy.handoff")
    with pytest.raises(handoff.LeadError, match="no JSON form") as info:
        policy.evaluate({"id": "x", "score": float("nan")}, now=NOW)
    assert info.value.record["error"]["lead_id"] == "x"


def test_evaluate_many_yields_error_records_in_place(root, cli, tmp_path):
    folder = root / "examples" / "inbound"
    good = (folder / "leads.ndjson").read_bytes().splitlines()[:5]
    lines = [good[0], b"{not json", good[1], b'"just a string"', good[2], b"", good[3]]
    f = tmp_path / "mixed.ndjson"
    f.write_bytes(b"\n".join(lines) + b"\n")
    expected = run_cli(cli, folder / "policy.handoff", f)
    policy = handoff.Policy.from_file(folder / "policy.handoff")
    got = list(policy.evaluate_many(lines, now=NOW, batch_size=2))
    assert [normal(x) for x in got] == [normal(x) for x in expected]
    assert [x["error"]["line"] for x in got if "error" in x] == [2, 4, 6]
    # a lead with no JSON form is a record of its own, in its place
    mixed = [json.loads(good[0]), {"id": "odd", "x": object()}, json.loads(good[1])]
    got = list(policy.evaluate_many(mixed, now=NOW))
    assert got[1]["error"]["line"] == 2
    assert got[1]["error"]["lead_id"] == "odd"
    assert got[1]["error"]["kind"] == "unsupported_value"
    assert normal(got[2]) == normal(expected[2])


def test_bad_state_is_refused(root):
    policy = handoff.Policy.from_file(root / "examples" / "inbound" / "policy.handoff")
    key = "sdr_pool_cursor"
    with pytest.raises(ValueError, match=key):
        policy.evaluate_many([], state={key: "three"})


def test_a_panic_is_a_runtime_error_not_an_abort():
    from handoff import _native

    with pytest.raises(RuntimeError, match="internal error in handoff"):
        _native._panic_in_guard()
    # the interpreter and the package still work
    policy = handoff.Policy.from_text(STATELESS_MINI)
    assert policy.evaluate({"id": "l1", "score": 72}, now=NOW)["verdict"] == "handoff"


STATELESS_MINI = """
policy "Demo" { version "1" }
lead { id: string  score: number? }
roles marketing, sdr
stages mql, sal
queue inbox
signal engaged = score >= 40 "Scored 40 or more"
handoff mql -> sal {
  initiated_by marketing
  validated_by sdr
  owned_by sdr
  ready when engaged
  route { otherwise -> queue inbox }
}
"""


def test_state_keys_no_team_reads_are_a_warning(root):
    policy = handoff.Policy.from_file(root / "examples" / "inbound" / "policy.handoff")
    with pytest.warns(UserWarning, match="no team of this policy reads"):
        d = list(policy.evaluate_many([b'{"id": "a"}'], now=NOW, state={"nobody_reads_this": 1}))
    assert d[0]["lead_id"] == "a"
