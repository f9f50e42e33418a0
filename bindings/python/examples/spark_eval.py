"""Evaluate a handoff policy over a Parquet dataset with PySpark.

    python spark_eval.py POLICY LEADS.parquet OUT_DIR [--now T] [--master local[2]]
                         [--state FILE] [--state-out FILE]

Each partition's Arrow record batches go to `policy.evaluate_arrow` through
`DataFrame.mapInArrow`; Spark writes the decision columns (docs/columnar.md)
as Parquet under OUT_DIR. A policy whose teams assign members by the leads
before (round robin, least loaded) is evaluated on one partition in one
`Run`, in the order Spark reads the file, from `--state`; `--state-out`
is written by that one task (a path the executor can write: local mode
shares the driver's file system). Prints the leads evaluated and leads/s.
"""

import argparse
import json
import os
import sys
import time

import pyarrow as pa
from pyspark.sql import SparkSession
from pyspark.sql import types as T

import handoff


def spark_schema(arrow_schema: pa.Schema) -> T.StructType:
    """The decision columns as a Spark schema."""
    fields = []
    for f in arrow_schema:
        if pa.types.is_string(f.type):
            t = T.StringType()
        elif pa.types.is_floating(f.type):
            t = T.DoubleType()
        elif pa.types.is_list(f.type):
            t = T.ArrayType(T.StringType())
        else:
            raise TypeError(f"unexpected decision column {f}")
        fields.append(T.StructField(f.name, t, True))
    return T.StructType(fields)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("policy")
    ap.add_argument("leads")
    ap.add_argument("out")
    ap.add_argument("--now", default=None, help="RFC 3339 time of evaluation (default: the clock)")
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--state", default=None, help="state file for round-robin / least-loaded teams")
    ap.add_argument("--state-out", default=None, help="where the single ordered task writes the state after")
    args = ap.parse_args()

    # checked on the driver: a policy with errors stops here, with its diagnostics
    try:
        policy = handoff.Policy.from_file(args.policy)
    except handoff.PolicyError as e:
        print(e, file=sys.stderr)
        return 1
    now = args.now or policy.run().now  # one time for every partition
    state = json.load(open(args.state)) if args.state else None
    empty = pa.RecordBatch.from_pydict({"id": pa.array([], pa.string())})
    out_schema = policy.evaluate_arrow(empty, now=now, ordered=True).schema
    ordered = bool(policy.stateful_teams)
    policy_path, state_out = args.policy, args.state_out

    # the workers run this interpreter (the one with handoff installed)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    spark = (
        SparkSession.builder.master(args.master)
        .appName("handoff-eval")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "8192")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    df = spark.read.parquet(args.leads)
    if ordered:
        # members depend on the leads before: one partition, one sequence
        df = df.coalesce(1)

    def evaluate(batches):
        # runs on the executors: each Python worker loads the policy once
        p = handoff.Policy.from_file(policy_path)
        if ordered:
            run = p.run(now=now, state=state)
            for b in batches:
                yield run.evaluate_arrow(b)
            if state_out:
                with open(state_out, "w") as f:
                    json.dump(run.state_after(), f, indent=2)
        else:
            for b in batches:
                yield p.evaluate_arrow(b, now=now)

    started = time.perf_counter()
    decisions = df.mapInArrow(evaluate, spark_schema(out_schema))
    decisions.write.mode("overwrite").parquet(args.out)
    elapsed = time.perf_counter() - started
    n = spark.read.parquet(args.out).count()
    print(f"{n} leads in {elapsed:.1f} s: {n / elapsed:,.0f} leads/s on {args.master}")
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
