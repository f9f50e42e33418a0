//! Decisions -> Arrow columns: the lead id, the verdict, the route, one
//! column per score, the missing context, the escalations due, the whole
//! decision as JSON text, and the error record of a row that failed.

use std::sync::Arc;

use arrow_array::builder::{Float64Builder, ListBuilder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};

use crate::batch::Answer;
use crate::eval::Engine;

/// The decision columns of `engine`'s policy: `lead_id`, `verdict`,
/// `route_kind`, `route_target`, `route_member`, `score.NAME` (one per
/// score, float64), `missing_context` (list of the fields' paths),
/// `escalations_due` (the JSON array of the escalation steps that are
/// `overdue`), `decision` (the decision's JSON line as `handoff eval`
/// writes it) and `error` (the error record, `null` unless the row failed).
pub fn decision_schema(engine: &Engine) -> SchemaRef {
    let text = |name: &str| Field::new(name, DataType::Utf8, true);
    let mut fields = vec![
        text("lead_id"),
        text("verdict"),
        text("route_kind"),
        text("route_target"),
        text("route_member"),
    ];
    for s in engine.score_names() {
        fields.push(Field::new(format!("score.{s}"), DataType::Float64, true));
    }
    fields.push(Field::new(
        "missing_context",
        DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
        true,
    ));
    fields.extend([text("escalations_due"), text("decision"), text("error")]);
    Arc::new(Schema::new(fields))
}

/// Builds the decision columns row by row (see [`decision_schema`]).
pub struct DecisionColumns {
    schema: SchemaRef,
    scores: Vec<String>,
    text: [StringBuilder; 5],
    score: Vec<Float64Builder>,
    missing: ListBuilder<StringBuilder>,
    tail: [StringBuilder; 3],
    rows: usize,
}

impl DecisionColumns {
    /// Empty columns for `engine`'s decisions.
    pub fn new(engine: &Engine) -> DecisionColumns {
        let scores: Vec<String> = engine
            .score_names()
            .into_iter()
            .map(str::to_string)
            .collect();
        DecisionColumns {
            schema: decision_schema(engine),
            score: scores.iter().map(|_| Float64Builder::new()).collect(),
            scores,
            text: Default::default(),
            missing: ListBuilder::new(StringBuilder::new()),
            tail: Default::default(),
            rows: 0,
        }
    }

    /// The rows added since the last [`DecisionColumns::finish`].
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether no row was added since the last [`DecisionColumns::finish`].
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Adds one row: what [`crate::batch::Sequence::eval`] answered and the
    /// line it wrote (the decision's JSON, or the error record).
    pub fn push(&mut self, answer: &Answer<'_, '_>, line: &[u8]) {
        let line = String::from_utf8_lossy(line.strip_suffix(b"\n").unwrap_or(line));
        let [lead_id, verdict, kind, target, member] = &mut self.text;
        let [escalations, decision, error] = &mut self.tail;
        self.rows += 1;
        match answer {
            Answer::Decision(d) => {
                lead_id.append_option(d.lead_id.as_deref());
                verdict.append_value(d.verdict.as_str());
                let route = d.route.as_ref();
                kind.append_option(route.map(|r| r.target.kind));
                target.append_option(route.map(|r| r.target.name.as_str()));
                member.append_option(route.and_then(|r| r.member.as_ref()).map(|m| m.as_str()));
                for (name, b) in self.scores.iter().zip(&mut self.score) {
                    b.append_option(d.scores.get(name).map(|n| n.0));
                }
                for m in &d.missing_context {
                    self.missing.values().append_value(m.field.as_str());
                }
                self.missing.append(true);
                let due: Vec<_> = d
                    .escalations
                    .iter()
                    .filter(|e| e.status == "overdue")
                    .collect();
                // serializing into memory cannot fail
                escalations.append_value(serde_json::to_string(&due).unwrap_or_default());
                decision.append_value(&line);
                error.append_null();
            }
            Answer::Error { lead_id: id } => {
                lead_id.append_option(id.as_deref());
                for b in [verdict, kind, target, member] {
                    b.append_null();
                }
                for b in &mut self.score {
                    b.append_null();
                }
                self.missing.append(false);
                escalations.append_null();
                decision.append_null();
                error.append_value(&line);
            }
        }
    }

    /// The rows added so far as a record batch; the builders start again
    /// empty.
    pub fn finish(&mut self) -> RecordBatch {
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(self.schema.fields().len());
        for b in &mut self.text {
            columns.push(Arc::new(b.finish()));
        }
        for b in &mut self.score {
            columns.push(Arc::new(b.finish()));
        }
        columns.push(Arc::new(self.missing.finish()));
        for b in &mut self.tail {
            columns.push(Arc::new(b.finish()));
        }
        self.rows = 0;
        RecordBatch::try_new(self.schema.clone(), columns)
            .expect("the columns are built to the schema")
    }
}
