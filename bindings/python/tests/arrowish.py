"""Leads -> pyarrow record batches for the tests: a Parquet column has one
type, so a lead whose field has another type than most leads give it (the
examples' deliberately messy records, `"employees": "250"`) cannot be a
row; `representable` keeps the others."""

import collections

import pyarrow as pa
import pyarrow.compute as pc


def _kind(v):
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "str"
    if isinstance(v, list):
        return "list"
    if isinstance(v, dict):
        return "dict"
    return None


def _paths(v, p, out):
    k = _kind(v)
    if k is None:
        return
    out.append((p, k))
    if k == "dict":
        for key, x in v.items():
            _paths(x, p + (key,), out)
    elif k == "list":
        for x in v:
            _paths(x, p + ("[]",), out)


def representable(rows):
    seen = collections.defaultdict(collections.Counter)
    per_row = []
    for r in rows:
        ps = []
        _paths(r, (), ps)
        per_row.append(ps)
        for p, k in ps:
            seen[p][k] += 1
    major = {p: c.most_common(1)[0][0] for p, c in seen.items()}
    return [r for r, ps in zip(rows, per_row) if all(major[p] == k for p, k in ps)]


def to_batch(rows):
    """Nested struct columns, the union of every row's fields."""
    return pa.RecordBatch.from_struct_array(pa.array(rows))


def flatten(batch):
    """The same batch with dotted column names instead of struct columns
    (one level of structs, lists kept)."""
    names, arrays = [], []
    for name, col in zip(batch.schema.names, batch.columns):
        if pa.types.is_struct(col.type):
            for i in range(col.type.num_fields):
                f = col.type.field(i)
                names.append(f"{name}.{f.name}")
                arrays.append(pc.struct_field(col, [i]))
        else:
            names.append(name)
            arrays.append(col)
    return pa.RecordBatch.from_arrays(arrays, names=names)
