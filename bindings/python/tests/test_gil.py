"""Evaluation releases the GIL: a Python thread keeps running during one
long native call. The control is the same thread's progress while the
main thread holds the GIL in a tight native loop of its own (it makes
none), so no timing threshold is involved."""

import json
import threading

import pyarrow as pa

import handoff
from arrowish import representable, to_batch
from conftest import NOW


class Counter(threading.Thread):
    def __init__(self):
        super().__init__(daemon=True)
        self.count = 0
        self.stop = False

    def run(self):
        while not self.stop:
            self.count += 1


def _during(call):
    """How far the counter thread got while `call` ran."""
    t = Counter()
    t.start()
    while t.count == 0:
        pass
    before = t.count
    call()
    after = t.count
    t.stop = True
    t.join()
    return after - before


def test_evaluation_runs_without_the_gil(root):
    folder = root / "examples" / "inbound"
    policy = handoff.Policy.from_file(folder / "policy.handoff")
    lines = [x for x in (folder / "leads.ndjson").read_bytes().splitlines() if x.strip()]
    rows = representable([json.loads(x) for x in lines])
    big = to_batch(rows * 40)
    run = policy.run(now=NOW)
    many = lines * 40
    # one native call each, with nothing for Python to do inside
    arrow_progress = _during(lambda: run.evaluate_arrow(big))
    lines_progress = _during(lambda: run._native.evaluate_lines(many))
    # control: a native call of similar length that holds the GIL
    # (sorting a long list of bytes in C never lets another thread in)
    control = _during(lambda: sorted(many * 20))
    assert arrow_progress > 1000
    assert lines_progress > 1000
    assert control < arrow_progress and control < lines_progress
