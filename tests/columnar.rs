//! Parquet leads and decisions (`--leads FILE.parquet`, `--output
//! FILE.parquet`): the inbound example written as Parquet with nested
//! structs evaluates to exactly the NDJSON output; a broken row is an error
//! record in its place; the decision columns read back.
#![cfg(feature = "parquet")]

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use arrow_array::{Array, ArrayRef, Float64Array, RecordBatch, StringArray};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;
use serde_json::Value;

const NOW: &str = "2025-06-01T12:00:00Z";

fn handoff(args: &[&str]) -> (i32, Vec<u8>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_handoff"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("handoff-columnar-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// NDJSON -> record batches with nested struct columns, the schema
/// inferred from every line (as arrow-json reads JSON).
fn batches(ndjson: &[u8]) -> Vec<RecordBatch> {
    let (schema, _) =
        arrow_json::reader::infer_json_schema(std::io::BufReader::new(ndjson), None).unwrap();
    arrow_json::ReaderBuilder::new(Arc::new(schema))
        .with_batch_size(64)
        .build(std::io::BufReader::new(ndjson))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn write_parquet(path: &Path, batches: &[RecordBatch]) {
    let file = std::fs::File::create(path).unwrap();
    let props = WriterProperties::builder()
        .set_max_row_group_row_count(Some(100))
        .build();
    let mut w = ArrowWriter::try_new(file, batches[0].schema(), Some(props)).unwrap();
    for b in batches {
        w.write(b).unwrap();
    }
    w.close().unwrap();
}

/// A JSON value with nulls dropped from objects and numbers as floats.
fn normal(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(_, x)| !x.is_null())
                .map(|(k, x)| (k.clone(), normal(x)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(normal).collect()),
        Value::Number(n) => serde_json::json!(n.as_f64().unwrap()),
        other => other.clone(),
    }
}

/// The JSON kind of every value of a lead, by path (`[]` for list items).
fn kinds(v: &Value, path: String, out: &mut Vec<(String, &'static str)>) {
    let kind = match v {
        Value::Null => return,
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(a) => {
            for x in a {
                kinds(x, format!("{path}[]"), out);
            }
            "list"
        }
        Value::Object(m) => {
            for (k, x) in m {
                kinds(x, format!("{path}.{k}"), out);
            }
            "object"
        }
    };
    out.push((path, kind));
}

/// The lines of the inbound example that a Parquet row holds as they are:
/// a column has one type, so a lead whose field has another type than
/// most leads give it (`"employees": "250"`) is left out. Each kept line
/// reads back from its row as the same lead (nulls being absent fields).
fn representable() -> Vec<u8> {
    let text = std::fs::read("examples/inbound/leads.ndjson").unwrap();
    let lines: Vec<&[u8]> = text
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let values: Vec<Value> = lines
        .iter()
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    let mut count: std::collections::HashMap<(String, &str), usize> = Default::default();
    let per_line: Vec<Vec<(String, &str)>> = values
        .iter()
        .map(|v| {
            let mut k = Vec::new();
            kinds(v, String::new(), &mut k);
            for p in &k {
                *count.entry(p.clone()).or_default() += 1;
            }
            k
        })
        .collect();
    let major = |path: &str, kind: &str| {
        let mine = count[&(path.to_string(), kind)];
        count.iter().all(|((p, _), n)| p != path || *n <= mine)
    };
    let mut kept = Vec::new();
    for (line, k) in lines.iter().zip(&per_line) {
        if k.iter().all(|(p, kind)| major(p, kind)) {
            kept.extend_from_slice(line);
            kept.push(b'\n');
        }
    }
    let all = batches(&kept);
    let shape = handoff::columnar::LeadShape::new(&all[0].schema()).unwrap();
    let mut row = 0;
    let kept_values: Vec<Value> = kept
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    for b in &all {
        for i in 0..b.num_rows() {
            let mut json = Vec::new();
            shape.write_row(b, i, &mut json).unwrap();
            let back: Value = serde_json::from_slice(&json).unwrap();
            assert_eq!(normal(&back), normal(&kept_values[row]), "row {row}");
            row += 1;
        }
    }
    assert_eq!(row, kept_values.len());
    kept
}

#[test]
fn inbound_as_parquet_evaluates_to_exactly_the_ndjson_output() {
    let kept = representable();
    let n = kept.iter().filter(|b| **b == b'\n').count();
    assert!(n >= 295, "only {n} of 300 leads fit one type per column");
    let ndjson = scratch("inbound.ndjson");
    std::fs::write(&ndjson, &kept).unwrap();
    let parquet = scratch("inbound.parquet");
    let b = batches(&kept);
    assert!(b[0]
        .schema()
        .fields()
        .iter()
        .any(|f| matches!(f.data_type(), arrow_schema::DataType::Struct(_))));
    write_parquet(&parquet, &b);
    let policy = "examples/inbound/policy.handoff";
    let (c1, want, _) = handoff(&[
        "eval",
        policy,
        "--leads",
        ndjson.to_str().unwrap(),
        "--now",
        NOW,
    ]);
    let (c2, got, err) = handoff(&[
        "eval",
        policy,
        "--leads",
        parquet.to_str().unwrap(),
        "--now",
        NOW,
    ]);
    assert_eq!((c1, c2), (0, 0), "{err}");
    assert_eq!(
        String::from_utf8(got).unwrap(),
        String::from_utf8(want.clone()).unwrap()
    );
    assert!(err.contains(&format!("{n} lead(s)")), "{err}");

    // told by its magic number too, whatever its name
    let renamed = scratch("inbound.data");
    std::fs::copy(&parquet, &renamed).unwrap();
    let (_, got, _) = handoff(&[
        "eval",
        policy,
        "--leads",
        renamed.to_str().unwrap(),
        "--now",
        NOW,
    ]);
    assert_eq!(got, want);

    // --output: the decision columns, read back
    let out = scratch("decisions.parquet");
    let (code, stdout, err) = handoff(&[
        "eval",
        policy,
        "--leads",
        parquet.to_str().unwrap(),
        "--now",
        NOW,
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(stdout.is_empty());
    let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&out).unwrap())
        .unwrap()
        .build()
        .unwrap();
    let mut rows = 0;
    let lines: Vec<&str> = std::str::from_utf8(&want).unwrap().lines().collect();
    for batch in reader {
        let batch = batch.unwrap();
        let col = |name: &str| -> StringArray {
            let a: &ArrayRef = batch.column_by_name(name).unwrap();
            a.as_any().downcast_ref::<StringArray>().unwrap().clone()
        };
        let (decision, verdict, id, error) = (
            col("decision"),
            col("verdict"),
            col("lead_id"),
            col("error"),
        );
        let fit = batch.column_by_name("score.fit").unwrap();
        let fit = fit.as_any().downcast_ref::<Float64Array>().unwrap();
        for i in 0..batch.num_rows() {
            let d: Value = serde_json::from_str(lines[rows]).unwrap();
            assert_eq!(decision.value(i), lines[rows]);
            assert_eq!(verdict.value(i), d["verdict"]);
            assert_eq!(id.value(i), d["lead_id"]);
            let have = (!fit.is_null(i)).then(|| fit.value(i));
            assert_eq!(have, d["scores"]["fit"].as_f64());
            assert!(error.is_null(i));
            rows += 1;
        }
    }
    assert_eq!(rows, n);
}

#[test]
fn a_broken_row_is_an_error_record_in_its_place() {
    let batch = RecordBatch::try_from_iter([
        (
            "id",
            Arc::new(StringArray::from(vec!["a", "b", "c"])) as ArrayRef,
        ),
        (
            "engagement.score",
            Arc::new(Float64Array::from(vec![50.0, f64::NAN, 10.0])) as ArrayRef,
        ),
    ])
    .unwrap();
    let parquet = scratch("broken.parquet");
    write_parquet(&parquet, &[batch]);
    let policy = "examples/inbound/policy.handoff";
    let (code, out, _) = handoff(&[
        "eval",
        policy,
        "--leads",
        parquet.to_str().unwrap(),
        "--now",
        NOW,
    ]);
    assert_eq!(code, 3);
    let lines: Vec<Value> = out
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["lead_id"], "a");
    let e = &lines[1]["error"];
    assert_eq!(e["line"], 2);
    assert_eq!(e["lead_id"], "b");
    assert_eq!(e["kind"], "unsupported_value");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("column `engagement.score`"),
        "{e}"
    );
    assert_eq!(lines[2]["lead_id"], "c");
}

#[test]
fn output_must_be_a_parquet_file_and_a_bad_file_is_named() {
    let policy = "examples/inbound/policy.handoff";
    let (code, _, err) = handoff(&[
        "eval",
        policy,
        "--leads",
        "examples/inbound/leads.ndjson",
        "--output",
        "x.ndjson",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("ends in `.parquet`"), "{err}");
    let (code, _, err) = handoff(&[
        "eval",
        "examples/salesforce/policy.handoff",
        "--leads",
        "examples/salesforce/export-devorg.json",
        "--output",
        scratch("export.parquet").to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("is a JSON document"), "{err}");
    let fake = scratch("fake.parquet");
    std::fs::write(&fake, b"PAR1 but nothing else").unwrap();
    let (code, _, err) = handoff(&[
        "eval",
        policy,
        "--leads",
        fake.to_str().unwrap(),
        "--now",
        NOW,
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("not a Parquet file of leads"), "{err}");
}

#[test]
fn ndjson_in_parquet_out() {
    let policy = "examples/inbound/policy.handoff";
    let out = scratch("from-ndjson.parquet");
    let (code, _, err) = handoff(&[
        "eval",
        policy,
        "--leads",
        "examples/inbound/leads.ndjson",
        "--now",
        NOW,
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let rows: usize = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&out).unwrap())
        .unwrap()
        .build()
        .unwrap()
        .map(|b| b.unwrap().num_rows())
        .sum();
    assert_eq!(rows, 300);
}

/// A Parquet file of 300 leads in three row groups of 100, written plain
/// (no dictionary, no compression) so that each id is in the file as it is.
fn three_row_groups(path: &Path) {
    let ids: Vec<String> = (0..300).map(|i| format!("lead-{i:03}")).collect();
    let scores: Vec<f64> = (0..300).map(|i| f64::from(i % 100)).collect();
    let batch = RecordBatch::try_from_iter([
        ("id", Arc::new(StringArray::from(ids)) as ArrayRef),
        (
            "engagement.score",
            Arc::new(Float64Array::from(scores)) as ArrayRef,
        ),
    ])
    .unwrap();
    let props = WriterProperties::builder()
        .set_max_row_group_row_count(Some(100))
        .set_dictionary_enabled(false)
        .set_compression(parquet::basic::Compression::UNCOMPRESSED)
        .build();
    let file = std::fs::File::create(path).unwrap();
    let mut w = ArrowWriter::try_new(file, batch.schema(), Some(props)).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

/// The byte range of column `column` of row group `group`, from the footer.
fn chunk_range(path: &Path, group: usize, column: usize) -> Range<usize> {
    let file = std::fs::File::open(path).unwrap();
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    let (start, len) = builder
        .metadata()
        .row_group(group)
        .column(column)
        .byte_range();
    start as usize..(start + len) as usize
}

fn eval_parquet(path: &Path) -> (i32, Vec<Value>, String) {
    let (code, out, err) = handoff(&[
        "eval",
        "examples/inbound/policy.handoff",
        "--leads",
        path.to_str().unwrap(),
        "--now",
        NOW,
    ]);
    let lines = out
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    (code, lines, err)
}

/// A bit flipped in one row group's data page: every row that can still be
/// read is answered, in its place; the rows that cannot get error records
/// naming the file, their rows and the row group.
#[test]
fn a_damaged_page_costs_its_rows_not_the_file() {
    let path = scratch("damaged.parquet");
    three_row_groups(&path);
    let mut bytes = std::fs::read(&path).unwrap();
    // text that is not UTF-8 in the id of row 151 (row group 2)
    let ids = chunk_range(&path, 1, 0);
    let at = ids.start
        + bytes[ids.clone()]
            .windows(8)
            .position(|w| w == b"lead-150")
            .unwrap();
    bytes[at + 5] = 0xFF;
    std::fs::write(&path, &bytes).unwrap();
    let (code, lines, err) = eval_parquet(&path);
    assert_eq!(code, 3, "{err}");
    assert_eq!(lines.len(), 300, "{err}");
    let name = path.display().to_string();
    for (i, line) in lines.iter().enumerate() {
        if i == 150 {
            let e = &line["error"];
            assert_eq!(e["kind"], "unreadable_row", "{e}");
            assert_eq!(e["line"], 151, "{e}");
            let message = e["message"].as_str().unwrap();
            assert!(message.contains(&name), "{message}");
            assert!(
                message.contains("row 151, in row group 2 of 3"),
                "{message}"
            );
            assert!(message.contains("UTF-8"), "{message}");
        } else {
            assert_eq!(line["lead_id"], format!("lead-{i:03}"), "{line}");
        }
    }
    // a page whose header is garbage: its row group's rows are errors,
    // the others decided
    three_row_groups(&path);
    let mut bytes = std::fs::read(&path).unwrap();
    let ids = chunk_range(&path, 1, 0);
    for b in &mut bytes[ids.start..ids.start + 8] {
        *b = 0xFF;
    }
    std::fs::write(&path, &bytes).unwrap();
    let (code, lines, err) = eval_parquet(&path);
    assert_eq!(code, 3, "{err}");
    assert_eq!(lines.len(), 300, "{err}");
    for (i, line) in lines.iter().enumerate() {
        if (100..200).contains(&i) {
            let e = &line["error"];
            assert_eq!(e["kind"], "unreadable_row", "{e}");
            assert_eq!(e["line"], i + 1, "{e}");
            let message = e["message"].as_str().unwrap();
            assert!(message.contains(&name), "{message}");
            assert!(message.contains("in row group 2 of 3"), "{message}");
        } else {
            assert_eq!(line["lead_id"], format!("lead-{i:03}"), "{line}");
        }
    }
}
