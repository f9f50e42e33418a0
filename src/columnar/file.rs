//! A whole run over a file for `handoff eval`: Parquet leads streamed a
//! record batch at a time (memory stays flat), or NDJSON leads; decisions
//! out as NDJSON or as a Parquet file of decision columns.

use std::fs::File;
use std::io::{Read, Write};
use std::ops::Range;
use std::path::PathBuf;

use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder, RowSelection,
    RowSelector,
};
use parquet::arrow::{ArrowWriter, ProjectionMask};
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use arrow_array::{RecordBatch, RecordBatchReader};

use super::{evaluate_batch, DecisionColumns, LeadShape};
use crate::batch::{Answer, ChunkReader, Lines, Sequence, Summary};
use crate::eval::{Engine, Spare};

/// Rows read from Parquet, and decisions handed to the Parquet writer, at
/// a time.
const BATCH_ROWS: usize = 8192;
/// The rows of a row group of `--output`.
const ROW_GROUP_ROWS: usize = 65_536;
/// Of rows that could not be read together, the reads at most spent on
/// finding those that can (halving the rows each time).
const NARROWING_READS: usize = 64;

/// Where the leads come from.
pub enum Input {
    /// A Parquet file of leads, one row each, and its name (for messages).
    Parquet(File, PathBuf),
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
/// field); a row group, or a part of one, that cannot be decoded gives an
/// error record ([`super::UNREADABLE_ROW`], naming the file) for each of
/// its rows, and the reading goes on; a failure to write is the summary's
/// `io_error`.
pub fn run_file(
    engine: &Engine,
    input: Input,
    output: Output<'_>,
    now: jiff::Timestamp,
) -> Result<Summary, String> {
    let mut seq = Sequence::new(engine);
    let mut sink = Sink::new(engine, output)?;
    let failed = match input {
        Input::Parquet(file, path) => {
            let name = path.display().to_string();
            let leads = Parquet::open(engine, file, name)?;
            leads.run(engine, now, &mut seq, &mut sink)
        }
        Input::Ndjson(read) => ndjson_leads(engine, read, now, &mut seq, &mut sink),
    };
    let failed = failed.or_else(|| sink.close().err());
    let mut summary = seq.into_summary();
    summary.io_error = failed;
    Ok(summary)
}

/// A Parquet file of leads, read a row group at a time: a row group (or a
/// page of one) that cannot be read costs its own rows, not the file's.
struct Parquet {
    file: File,
    name: String,
    meta: ArrowReaderMetadata,
    mask: ProjectionMask,
    shape: LeadShape,
}

impl Parquet {
    /// The file's footer and the shape of its leads; `Err` when it is not
    /// Parquet or its columns clash.
    fn open(engine: &Engine, file: File, name: String) -> Result<Parquet, String> {
        let bad = |e: parquet::errors::ParquetError| format!("not a Parquet file of leads: {e}");
        let meta = ArrowReaderMetadata::load(&file, ArrowReaderOptions::default()).map_err(bad)?;
        // only the columns the policy can read are decoded
        let read = engine.top_level_fields();
        let roots: Vec<usize> = meta
            .schema()
            .fields()
            .iter()
            .enumerate()
            .filter(|(_, f)| read.contains(&f.name().split('.').next().unwrap_or_default()))
            .map(|(i, _)| i)
            .collect();
        let mask = ProjectionMask::roots(meta.parquet_schema(), roots);
        let clone = file.try_clone().map_err(|e| e.to_string())?;
        let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(clone, meta.clone())
            .with_projection(mask.clone())
            .with_row_groups(Vec::new())
            .build()
            .map_err(bad)?;
        let shape = LeadShape::for_engine(&reader.schema(), engine)?;
        Ok(Parquet {
            file,
            name,
            meta,
            mask,
            shape,
        })
    }

    /// Evaluates every row, row group by row group; a part that cannot be
    /// read gets an error record for each of its rows. The error of the
    /// output, if any.
    fn run(
        &self,
        engine: &Engine,
        now: jiff::Timestamp,
        seq: &mut Sequence,
        sink: &mut Sink<'_>,
    ) -> Option<String> {
        for group in 0..self.meta.metadata().num_row_groups() {
            let rows = self.meta.metadata().row_group(group).num_rows();
            let rows = usize::try_from(rows).unwrap_or(0);
            let first = seq.next_line();
            let mut at = 0;
            while at < rows {
                let (read, failed) = self.read(group, at..rows, |batch| {
                    evaluate_batch(engine, &self.shape, batch, now, seq, |a, line| {
                        sink.push(&a, line)
                    });
                });
                at += read;
                if let Some(e) = failed {
                    // the batch that failed: the rows of it that read
                    // are evaluated, the others get error records
                    let part = at..rows.min(at + BATCH_ROWS);
                    let mut budget = NARROWING_READS;
                    self.narrow(
                        group,
                        first,
                        part.clone(),
                        e,
                        &mut budget,
                        engine,
                        now,
                        seq,
                        sink,
                    );
                    at = part.end;
                }
                if let Err(e) = sink.flush() {
                    return Some(e);
                }
            }
        }
        None
    }

    /// Reads `rows` of row group `group` a batch at a time, handing each to
    /// `each`: how many rows were read, and the error that stopped the
    /// reading before the end.
    fn read(
        &self,
        group: usize,
        rows: Range<usize>,
        mut each: impl FnMut(&RecordBatch),
    ) -> (usize, Option<String>) {
        let mut read = 0;
        let reader = match self.reader(group, rows.clone()) {
            Ok(r) => r,
            Err(e) => return (0, Some(e)),
        };
        for batch in reader {
            match batch {
                Ok(b) => {
                    read += b.num_rows();
                    each(&b);
                }
                Err(e) => return (read, Some(e.to_string())),
            }
        }
        if read < rows.len() {
            let e = format!("the row group ends after {read} of the rows asked for");
            return (read, Some(e));
        }
        (read, None)
    }

    fn reader(
        &self,
        group: usize,
        rows: Range<usize>,
    ) -> Result<impl Iterator<Item = Result<RecordBatch, arrow_schema::ArrowError>>, String> {
        let file = self.file.try_clone().map_err(|e| e.to_string())?;
        let selection = RowSelection::from(vec![
            RowSelector::skip(rows.start),
            RowSelector::select(rows.len()),
        ]);
        ParquetRecordBatchReaderBuilder::new_with_metadata(file, self.meta.clone())
            .with_projection(self.mask.clone())
            .with_row_groups(vec![group])
            .with_row_selection(selection)
            .with_batch_size(BATCH_ROWS)
            .build()
            .map_err(|e| e.to_string())
    }

    /// `rows` of row group `group` (whose first row is row `first` of the
    /// file) could not be read together (`e`): halves are read again while
    /// `budget` lasts; rows still unread get error records.
    #[allow(clippy::too_many_arguments)]
    fn narrow(
        &self,
        group: usize,
        first: usize,
        rows: Range<usize>,
        e: String,
        budget: &mut usize,
        engine: &Engine,
        now: jiff::Timestamp,
        seq: &mut Sequence,
        sink: &mut Sink<'_>,
    ) {
        if rows.len() > 1 && *budget >= 2 {
            let mid = rows.start + rows.len() / 2;
            for half in [rows.start..mid, mid..rows.end] {
                *budget = budget.saturating_sub(1);
                let mut batches = Vec::new();
                match self.read(group, half.clone(), |b| batches.push(b.clone())) {
                    (_, None) => {
                        for batch in &batches {
                            evaluate_batch(engine, &self.shape, batch, now, seq, |a, line| {
                                sink.push(&a, line)
                            });
                        }
                    }
                    (_, Some(e)) => {
                        self.narrow(group, first, half, e, budget, engine, now, seq, sink)
                    }
                }
            }
            return;
        }
        let (from, to) = (first + rows.start, first + rows.end - 1);
        let rows_text = if from == to {
            format!("row {from}")
        } else {
            format!("rows {from} to {to}")
        };
        let mut line = Vec::new();
        for _ in rows {
            line.clear();
            let message = format!(
                "`{}`: the row cannot be read ({rows_text}, in row group {} of {}): {e}",
                self.name,
                group + 1,
                self.meta.metadata().num_row_groups()
            );
            let answer = seq.error(b"", super::UNREADABLE_ROW, message, &mut line);
            sink.push(&answer, &line);
        }
    }
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
