//! Leads in Arrow record batches and Parquet files, decisions as Arrow
//! columns (behind the `parquet` cargo feature, on by default).
//!
//! A row becomes the JSON object of its lead ([`LeadShape`]: struct
//! columns and dotted column names both nest), and is evaluated as
//! `handoff eval --leads` evaluates a line ([`crate::batch::Sequence`]):
//! the same decision, the same error record, members of round-robin and
//! least-loaded teams assigned in row order. [`DecisionColumns`] puts the
//! answers in columns. `handoff eval --leads FILE.parquet` and the Python
//! binding's `evaluate_arrow` both go through [`evaluate_batch`], so they
//! agree with each other and with NDJSON. docs/columnar.md has the rules.
//!
//! ```
//! use std::sync::Arc;
//! use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray};
//! let engine = handoff::Checked::from_file(std::path::Path::new("examples/inbound/policy.handoff"))
//!     .unwrap()
//!     .compile()
//!     .unwrap();
//! let now = "2025-06-01T12:00:00Z".parse().unwrap();
//! let batch = RecordBatch::try_from_iter([
//!     ("id", Arc::new(StringArray::from(vec!["a", "b"])) as ArrayRef),
//!     ("engagement.score", Arc::new(Int64Array::from(vec![Some(72), None])) as ArrayRef),
//! ])
//! .unwrap();
//! let shape = handoff::columnar::LeadShape::new(&batch.schema()).unwrap();
//! let mut seq = handoff::batch::Sequence::new(&engine);
//! let mut columns = handoff::columnar::DecisionColumns::new(&engine);
//! handoff::columnar::evaluate_batch(&engine, &shape, &batch, now, &mut seq, |answer, line| {
//!     columns.push(&answer, line)
//! });
//! let decisions = columns.finish();
//! assert_eq!(decisions.num_rows(), 2);
//! assert!(decisions.column_by_name("verdict").is_some());
//! ```

use arrow_array::RecordBatch;

use crate::batch::{Answer, Sequence};
use crate::eval::{Engine, Spare};

mod decisions;
mod file;
mod leads;

pub use decisions::{decision_schema, DecisionColumns};
pub use file::{is_parquet, run_file, Input, Output};
pub use leads::LeadShape;

/// The `kind` of the error record of a row with a value that has no JSON
/// form (NaN, binary that is not UTF-8, an unsupported type).
pub const UNSUPPORTED_VALUE: &str = "unsupported_value";

/// The `kind` of the error record of a row of a Parquet file that cannot be
/// read (a damaged page: data that does not decode, text that is not
/// UTF-8); its message names the file, the rows and the row group.
pub const UNREADABLE_ROW: &str = "unreadable_row";

/// Evaluates every row of `batch` (whose schema made `shape`) in order,
/// continuing `seq`, and calls `each` with each row's answer and the line
/// `handoff eval --leads` would write for it (with its newline).
pub fn evaluate_batch<'p>(
    engine: &'p Engine,
    shape: &LeadShape,
    batch: &RecordBatch,
    now: jiff::Timestamp,
    seq: &mut Sequence,
    mut each: impl FnMut(Answer<'_, 'p>, &[u8]),
) {
    let mut spare = Spare::default();
    let mut lead = Vec::with_capacity(1024);
    let mut line = Vec::with_capacity(4096);
    for row in 0..batch.num_rows() {
        lead.clear();
        line.clear();
        match shape.write_row(batch, row, &mut lead) {
            Ok(()) => {
                let answer = seq.eval(engine, &lead, now, &mut spare, &mut line);
                each(answer, &line);
            }
            Err(problem) => {
                let answer = seq.error(&lead, UNSUPPORTED_VALUE, problem, &mut line);
                each(answer, &line);
            }
        }
    }
}
