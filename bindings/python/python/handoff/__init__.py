"""Lead handoff policies from Python.

Load a policy, check it, and evaluate leads against it: one lead (a dict,
or JSON text or bytes), many leads in order (``evaluate_many``), or the rows
of a pyarrow ``RecordBatch`` (``evaluate_arrow``). Every decision is the
dict that ``handoff eval`` prints as JSON, made by the same code, and
evaluation runs in Rust with the GIL released.

    >>> import handoff
    >>> policy = handoff.Policy.from_file("examples/inbound/policy.handoff")
    >>> decision = policy.evaluate({"id": "l1"}, now="2025-06-01T12:00:00Z")
    >>> decision["verdict"]
    'hold'

See docs/python.md in the repository for the whole API.
"""

from __future__ import annotations

import datetime as _dt
import decimal as _decimal
import itertools as _itertools
import json as _json
import os as _os
import warnings as _warnings
from typing import Any, Dict, Iterable, Iterator, List, Optional, Union

from . import _native

__all__ = [
    "Policy",
    "Run",
    "Decisions",
    "PolicyError",
    "LeadError",
    "OrderError",
    "Diagnostic",
]

__version__ = _native.__version__

Lead = Union[Dict[str, Any], str, bytes]
Now = Union[_dt.datetime, str, None]


class Diagnostic(dict):
    """One problem found in a policy: a dict with ``code`` (``H101``),
    ``name``, ``severity`` (``error`` or ``warning``), ``message``,
    ``label``, ``file``, ``line``, ``column`` (1-based), ``end_line``,
    ``end_column``, ``help``, ``suggestion`` and ``related``; its keys are
    also attributes (``d.code``)."""

    def __getattr__(self, key: str) -> Any:
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None


def _diagnostic(raw: Dict[str, Any]) -> Diagnostic:
    return Diagnostic(
        code=raw["code"],
        name=raw["name"],
        severity=raw["severity"],
        message=raw["message"],
        label=raw["label"],
        file=raw["file"],
        line=raw["start"]["line"],
        column=raw["start"]["column"],
        end_line=raw["end"]["line"],
        end_column=raw["end"]["column"],
        help=raw["help"],
        suggestion=raw["suggestion"],
        related=raw["related"],
    )


class PolicyError(ValueError):
    """The policy does not check: ``diagnostics`` lists every problem
    (errors and warnings), and ``str(err)`` is what ``handoff check``
    prints for it (without colour)."""

    def __init__(self, rendered: str, diagnostics: List[Diagnostic]):
        super().__init__(rendered)
        self.diagnostics = diagnostics

    def __str__(self) -> str:
        return str(self.args[0])


class LeadError(ValueError):
    """A lead that could not be evaluated (not a JSON object, invalid
    JSON, too large or too deep, or a value with no JSON form). The
    message is the one of the error record ``handoff eval`` writes;
    ``record`` is that whole record (a dict with ``error``: ``line``,
    ``lead_id``, ``kind``, ``message``)."""

    def __init__(self, record: Dict[str, Any]):
        super().__init__(record["error"]["message"])
        self.record = record
        self.kind = record["error"]["kind"]


class OrderError(ValueError):
    """The policy routes leads to round-robin or least-loaded teams, whose
    member depends on the leads before: ``evaluate_arrow`` needs
    ``ordered=True`` (one sequence in input order) for it."""


def _now_text(now: Now) -> Optional[str]:
    if now is None:
        return None
    if isinstance(now, _dt.datetime):
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("`now` must be an aware datetime (with a tzinfo), or RFC 3339 text")
        return now.isoformat()
    if isinstance(now, str):
        return now
    raise TypeError(f"`now` must be a datetime or RFC 3339 text, not {type(now).__name__}")


def _json_default(value: Any) -> Any:
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            raise TypeError(f"a datetime without a time zone has no RFC 3339 form: {value!r}")
        return value.isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, _decimal.Decimal):
        return float(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"a value of type {type(value).__name__} has no JSON form: {value!r}")


def _lead_bytes(lead: Any) -> bytes:
    """The JSON bytes of a lead; ValueError/TypeError when it has none."""
    if isinstance(lead, bytes):
        return lead
    if isinstance(lead, (bytearray, memoryview)):
        return bytes(lead)
    if isinstance(lead, str):
        return lead.encode("utf-8")
    return _json.dumps(
        lead, ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=_json_default
    ).encode("utf-8")


def _id_only(lead: Any) -> bytes:
    """What can be read of a lead with no JSON form: its id, if any."""
    if isinstance(lead, dict):
        for key in ("id", "Id", "ID", "lead_id", "LeadId"):
            v = lead.get(key)
            if isinstance(v, (str, int)) and not isinstance(v, bool):
                return _json.dumps({key: v}).encode("utf-8")
    return b"{}"


class Run:
    """Leads evaluated in input order across calls, from one state: the
    members of round-robin and least-loaded teams are assigned as one
    ``handoff eval`` run over all of them would, and error records number
    the leads from 1 across calls. Make one with :meth:`Policy.run`."""

    def __init__(self, native: Any, compiled: Any):
        self._native = native
        self._compiled = compiled

    @property
    def now(self) -> str:
        """The time every lead of the run is evaluated at (RFC 3339)."""
        return self._native.now

    def evaluate_many(self, leads: Iterable[Lead], batch_size: int = 1024) -> Iterator[Dict[str, Any]]:
        """Decisions of ``leads`` in order, evaluated ``batch_size`` at a
        time with the GIL released. A lead that cannot be evaluated yields
        its error record (``{"error": {...}}``) in its place."""
        if batch_size < 1:
            raise ValueError("batch_size must be 1 or more")
        it = iter(leads)
        while True:
            chunk = list(_itertools.islice(it, batch_size))
            if not chunk:
                return
            texts: List[Optional[bytes]] = []
            problems: List[Optional[str]] = []
            for lead in chunk:
                try:
                    texts.append(_lead_bytes(lead))
                    problems.append(None)
                except (TypeError, ValueError) as e:
                    texts.append(None)
                    problems.append(f"the lead has no JSON form: {e}")
            start = 0
            while start < len(chunk):
                if texts[start] is None:
                    msg = problems[start]
                    yield _json.loads(self._native.error_line(_id_only(chunk[start]), msg))
                    start += 1
                    continue
                end = start
                while end < len(chunk) and texts[end] is not None:
                    end += 1
                for line, _ok in self._native.evaluate_lines(texts[start:end]):
                    yield _json.loads(line)
                start = end

    def evaluate_arrow(self, batch: Any) -> Any:
        """The decision columns (a pyarrow ``RecordBatch``) of the rows of
        ``batch`` (a pyarrow ``RecordBatch``; for a ``Table``, call this on
        each of ``table.to_batches()``), continuing the run."""
        return self._native.evaluate_arrow(batch)

    def state_after(self) -> Dict[str, Any]:
        """The state the next run starts from after the leads evaluated
        so far: round-robin turns and least-loaded loads advanced, keys no
        team reads kept (what ``handoff eval --state-out`` writes)."""
        return _json.loads(self._native.state_after())


class Decisions(Iterator[Dict[str, Any]]):
    """The decisions of :meth:`Policy.evaluate_many`, in input order; once
    consumed, :meth:`state_after` is the state the next run starts from."""

    def __init__(self, run: Run, leads: Iterable[Lead], batch_size: int):
        self._run = run
        self._it = run.evaluate_many(leads, batch_size)

    def __iter__(self) -> "Decisions":
        return self

    def __next__(self) -> Dict[str, Any]:
        return next(self._it)

    def state_after(self) -> Dict[str, Any]:
        """The state after the leads evaluated so far (whole batches of
        ``batch_size``): after the last decision, after every lead."""
        return self._run.state_after()


class Policy:
    """A policy that checked without errors, ready to evaluate leads.

    Load one with :meth:`from_file` or :meth:`from_text`; both raise
    :class:`PolicyError` when the policy has errors."""

    def __init__(self, compiled: Any, diagnostics: List[Diagnostic]):
        self._compiled = compiled
        self._diagnostics = diagnostics
        self._variants: Dict[bool, Any] = {False: compiled}

    @classmethod
    def from_file(cls, path: Union[str, "_os.PathLike[str]"], *, allow_outside_imports: bool = False) -> "Policy":
        """Loads and checks the policy file at ``path`` and what it
        imports. Raises :class:`PolicyError` when it has errors and
        ``OSError`` when it cannot be read."""
        return cls._load(_native.load(path=_os.fspath(path), allow_outside_imports=allow_outside_imports))

    @classmethod
    def from_text(cls, text: str, name: str = "<text>") -> "Policy":
        """Loads and checks policy text (it cannot import); ``name`` is the
        file name diagnostics give. Raises :class:`PolicyError`."""
        return cls._load(_native.load(text=text, name=name))

    @classmethod
    def _load(cls, loaded: Any) -> "Policy":
        compiled, diags_json, rendered = loaded
        diagnostics = [_diagnostic(d) for d in _json.loads(diags_json)]
        if compiled is None:
            raise PolicyError(rendered, diagnostics)
        return cls(compiled, diagnostics)

    def check(self) -> List[Diagnostic]:
        """Every diagnostic of the policy (warnings; a policy with errors
        does not load)."""
        return list(self._diagnostics)

    @property
    def name(self) -> str:
        """The name in the policy's header."""
        return self._compiled.name

    @property
    def version(self) -> Optional[str]:
        """The header's ``version``, or ``None``."""
        return self._compiled.version

    @property
    def hash(self) -> str:
        """The SHA-256 of the policy's source files, in hex (as decisions
        record it)."""
        return self._compiled.hash

    @property
    def stateful_teams(self) -> List[str]:
        """The teams whose member depends on earlier leads (round robin,
        least loaded)."""
        return self._compiled.stateful_teams()

    def _engine(self, explain: bool, state: Optional[Dict[str, Any]]) -> Any:
        if state is not None:
            if not isinstance(state, dict):
                raise TypeError("`state` must be a dict, such as {\"sdr_pool_cursor\": 2}")
            compiled, warnings = self._compiled.with_options(explain, _json.dumps(state))
            for w in warnings:
                _warnings.warn(f"state: {w}", stacklevel=3)
            return compiled
        if explain not in self._variants:
            self._variants[explain] = self._compiled.with_options(explain, None)[0]
        return self._variants[explain]

    def run(self, now: Now = None, explain: bool = False, state: Optional[Dict[str, Any]] = None) -> Run:
        """A :class:`Run`: leads evaluated in input order across calls at
        one time ``now`` (the clock when ``None``), starting from
        ``state`` (what ``handoff eval --state`` reads)."""
        compiled = self._engine(explain, state)
        return Run(_native.Run(compiled, _now_text(now)), compiled)

    def evaluate(self, lead: Lead, now: Now = None, explain: bool = False) -> Dict[str, Any]:
        """The decision for one lead (a dict, or JSON text or bytes), as
        ``handoff eval --lead`` prints it. ``now`` is an aware datetime or
        RFC 3339 text; the clock when ``None``. Raises :class:`LeadError`
        when the lead is not a JSON object."""
        run = self.run(now, explain)
        try:
            text = _lead_bytes(lead)
        except (TypeError, ValueError) as e:
            raise LeadError(_json.loads(run._native.error_line(_id_only(lead), f"the lead has no JSON form: {e}"))) from None
        [(line, ok)] = run._native.evaluate_lines([text])
        value = _json.loads(line)
        if not ok:
            raise LeadError(value)
        return value

    def evaluate_many(
        self,
        leads: Iterable[Lead],
        now: Now = None,
        explain: bool = False,
        state: Optional[Dict[str, Any]] = None,
        batch_size: int = 1024,
    ) -> Decisions:
        """The decisions of ``leads`` (dicts, JSON texts or bytes), lazily
        and in order, as ``handoff eval --leads`` writes them: a lead that
        cannot be evaluated yields its error record (``{"error": {"line",
        "lead_id", "kind", "message"}}``) and the others go on. Members of
        round-robin and least-loaded teams are assigned in input order
        from ``state``; the result's ``state_after()`` gives the state to
        start the next run from."""
        return Decisions(self.run(now, explain, state), leads, batch_size)

    def evaluate_arrow(
        self,
        batch: Any,
        now: Now = None,
        explain: bool = False,
        ordered: bool = False,
        state: Optional[Dict[str, Any]] = None,
    ) -> Any:
        """The decision columns of the rows of a pyarrow ``RecordBatch``,
        as a ``RecordBatch``: ``lead_id``, ``verdict``, ``route_kind``,
        ``route_target``, ``route_member``, ``score.NAME`` per score,
        ``missing_context``, ``escalations_due`` (JSON), ``decision`` (the
        decision's JSON) and ``error`` (the error record of a row that
        failed, else null). Struct columns and dotted names
        (``company.region``) both make nested fields.

        A policy with round-robin or least-loaded teams raises
        :class:`OrderError` unless ``ordered=True``: then the rows are one
        sequence in input order from ``state`` (for a sequence of batches,
        use :meth:`run` and ``Run.evaluate_arrow``)."""
        teams = self.stateful_teams
        if teams and not ordered:
            raise OrderError(
                "team(s) "
                + ", ".join(f"`{t}`" for t in teams)
                + " assign members in input order (round robin or least loaded), which rows evaluated "
                "in parallel pieces cannot honour: pass ordered=True to evaluate this batch as one "
                "sequence (with state= for where the last run stopped), or use policy.run() for "
                "several batches in order"
            )
        return self.run(now, explain, state).evaluate_arrow(batch)

    def __repr__(self) -> str:
        return f"<handoff.Policy {self.name!r} version={self.version!r}>"
