//! A whole run over a file for `handoff eval`: Parquet leads streamed a
//! record batch at a time (memory stays flat), or NDJSON leads; decisions
//! out as NDJSON or as a Parquet file of decision columns.

use std::fs::File;
use std::io::{Read, Write};

use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::{ArrowWriter, ProjectionMask};
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use arrow_array::RecordBatchReader;

use super::{evaluate_batch, DecisionColumns, LeadShape};
use crate::batch::{Answer, ChunkReader, Lines, Sequence, Summary};
use crate::eval::{Engine, Spare};

/// Rows read from Parquet, and decisions handed to the Parquet writer, at
/// a time.
const BATCH_ROWS: usize = 8192;
/// The rows of a row group of `--output`.
const ROW_GROUP_ROWS: usize = 65_536;

/// Where the leads come from.
pub enum Input {
    /// A Parquet file of leads, one row each.
    Parquet(File),
    /// NDJSON, one lead per line.
    Ndjson(Box<dyn Read + Send>),
}

/// Where the decisions go.
pub enum Output<'w> {
    /// One JSON line per lead, as `handoff eval --leads` writes them.
    Ndjson(&'w mut dyn Write),
    /// A Parquet file of decision columns ([`super::decision_schema`]).
    Parquet(File),
}

/// Whether the start of a file is Parquet's magic number `PAR1`.
pub fn is_parquet(head: &[u8]) -> bool {
    head.starts_with(b"PAR1")
}

/// Evaluates every lead of `input` in order on this thread and writes the
/// decisions to `output`. `Err` before anything is written when the input
/// cannot be read as leads at all (not Parquet, two columns giving one
/// field); a failure part way is the summary's `io_error`.
pub fn run_file(
    engine: &Engine,
    input: Input,
    output: Output<'_>,
    now: jiff::Timestamp,
) -> Result<Summary, String> {
    let mut seq = Sequence::new(engine);
    let mut sink = Sink::new(engine, output)?;
    let failed = match input {
        Input::Parquet(file) => parquet_leads(engine, file, now, &mut seq, &mut sink)?,
        Input::Ndjson(read) => ndjson_leads(engine, read, now, &mut seq, &mut sink),
    };
    let failed = failed.or_else(|| sink.close().err());
    let mut summary = seq.into_summary();
    summary.io_error = failed;
    Ok(summary)
}

fn parquet_leads(
    engine: &Engine,
    file: File,
    now: jiff::Timestamp,
    seq: &mut Sequence,
    sink: &mut Sink<'_>,
) -> Result<Option<String>, String> {
    let bad = |e: parquet::errors::ParquetError| format!("not a Parquet file of leads: {e}");
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(bad)?;
    // only the columns the policy can read are decoded
    let read = engine.top_level_fields();
    let roots: Vec<usize> = builder
        .schema()
        .fields()
        .iter()
        .enumerate()
        .filter(|(_, f)| read.contains(&f.name().split('.').next().unwrap_or_default()))
        .map(|(i, _)| i)
        .collect();
    let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
    let reader = builder
        .with_projection(mask)
        .with_batch_size(BATCH_ROWS)
        .build()
        .map_err(bad)?;
    let shape = LeadShape::for_engine(&reader.schema(), engine)?;
    for batch in reader {
        let batch = match batch {
            Ok(b) => b,
            Err(e) => {
                let at = seq.next_line();
                return Ok(Some(format!("reading Parquet at row {at}: {e}")));
            }
        };
        evaluate_batch(engine, &shape, &batch, now, seq, |a, line| {
            sink.push(&a, line)
        });
        if let Err(e) = sink.flush() {
            return Ok(Some(e));
        }
    }
    Ok(None)
}

fn ndjson_leads(
    engine: &Engine,
    read: Box<dyn Read + Send>,
    now: jiff::Timestamp,
    seq: &mut Sequence,
    sink: &mut Sink<'_>,
) -> Option<String> {
    let mut reader = ChunkReader::new(read, false);
    let mut chunk = Vec::new();
    let mut spare = Spare::default();
    let mut line = Vec::new();
    loop {
        match reader.next(&mut chunk) {
            Ok(Some(_)) => {}
            Ok(None) => return None,
            Err(e) => return Some(format!("reading leads: {e}")),
        }
        for lead in Lines(&chunk) {
            let lead = lead.strip_suffix(b"\r").unwrap_or(lead);
            line.clear();
            let answer = seq.eval(engine, lead, now, &mut spare, &mut line);
            sink.push(&answer, &line);
        }
        if let Err(e) = sink.flush() {
            return Some(e);
        }
    }
}

/// Decisions on their way out.
enum Sink<'w> {
    Ndjson(&'w mut dyn Write, Vec<u8>),
    Parquet(Box<(ArrowWriter<File>, DecisionColumns)>),
}

impl<'w> Sink<'w> {
    fn new(engine: &Engine, output: Output<'w>) -> Result<Sink<'w>, String> {
        Ok(match output {
            Output::Ndjson(w) => Sink::Ndjson(w, Vec::with_capacity(1 << 20)),
            Output::Parquet(file) => {
                let columns = DecisionColumns::new(engine);
                // row groups of a bounded size: the writer holds one in
                // memory, so memory stays flat whatever the number of leads
                let props = WriterProperties::builder()
                    .set_compression(Compression::SNAPPY)
                    .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
                    .build();
                let writer =
                    ArrowWriter::try_new(file, super::decision_schema(engine), Some(props))
                        .map_err(|e| format!("cannot start the Parquet output: {e}"))?;
                Sink::Parquet(Box::new((writer, columns)))
            }
        })
    }

    fn push(&mut self, answer: &Answer<'_, '_>, line: &[u8]) {
        match self {
            Sink::Ndjson(_, buf) => buf.extend_from_slice(line),
            Sink::Parquet(p) => p.1.push(answer, line),
        }
    }

    /// Writes what was pushed once there is a buffer's or a row group's
    /// worth.
    fn flush(&mut self) -> Result<(), String> {
        match self {
            Sink::Ndjson(w, buf) if buf.len() >= 1 << 20 => {
                w.write_all(buf)
                    .map_err(|e| format!("writing decisions: {e}"))?;
                buf.clear();
            }
            Sink::Parquet(p) if p.1.len() >= BATCH_ROWS => {
                let (writer, columns) = &mut **p;
                writer
                    .write(&columns.finish())
                    .map_err(|e| format!("writing decisions: {e}"))?;
            }
            _ => {}
        }
        Ok(())
    }

    fn close(self) -> Result<(), String> {
        let e = |e: &dyn std::fmt::Display| format!("writing decisions: {e}");
        match self {
            Sink::Ndjson(w, buf) => w.write_all(&buf).and_then(|_| w.flush()).map_err(|x| e(&x)),
            Sink::Parquet(p) => {
                let (mut writer, mut columns) = *p;
                if !columns.is_empty() {
                    writer.write(&columns.finish()).map_err(|x| e(&x))?;
                }
                writer.close().map(|_| ()).map_err(|x| e(&x))
            }
        }
    }
}
