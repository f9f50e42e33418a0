//! Arrow rows -> lead JSON objects. Struct columns and dotted column names
//! (`company.region`) both become nested objects; a null is an absent
//! field; timestamps become RFC 3339 text in UTC, dates `YYYY-MM-DD`,
//! decimals JSON numbers, binary values UTF-8 text. What has no JSON form
//! (NaN, a binary value that is not UTF-8, a type such as a duration) is an
//! error of that row, naming the column.

use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, Schema, TimeUnit};

use crate::eval::Engine;

/// How a record batch's columns make a lead object: built once per schema.
#[derive(Debug)]
pub struct LeadShape {
    root: Vec<(String, Node)>,
}

#[derive(Debug)]
enum Node {
    /// The column at this index.
    Column(usize),
    /// An object made of dotted columns that share this prefix.
    Object(Vec<(String, Node)>),
}

impl LeadShape {
    /// The shape of `schema`'s rows. Two columns that give the same field
    /// (`company.region` twice, or `company` and `company.region`) are an
    /// error that names them.
    pub fn new(schema: &Schema) -> Result<LeadShape, String> {
        let mut root: Vec<(String, Node)> = Vec::new();
        for (i, f) in schema.fields().iter().enumerate() {
            let parts: Vec<&str> = f.name().split('.').collect();
            let mut level = &mut root;
            for (depth, part) in parts.iter().enumerate() {
                let last = depth + 1 == parts.len();
                let at = level.iter().position(|(k, _)| k == part);
                let clash = || {
                    format!(
                        "column `{}` gives the field `{}`, which another column gives too",
                        f.name(),
                        parts[..=depth].join(".")
                    )
                };
                match (at, last) {
                    (None, true) => {
                        level.push((part.to_string(), Node::Column(i)));
                        break;
                    }
                    (None, false) => {
                        level.push((part.to_string(), Node::Object(Vec::new())));
                        let n = level.len() - 1;
                        level = match &mut level[n].1 {
                            Node::Object(children) => children,
                            Node::Column(_) => unreachable!("just pushed an object"),
                        };
                    }
                    (Some(_), true) => return Err(clash()),
                    (Some(n), false) => {
                        level = match &mut level[n].1 {
                            Node::Object(children) => children,
                            Node::Column(_) => return Err(clash()),
                        };
                    }
                }
            }
        }
        Ok(LeadShape { root })
    }

    /// [`LeadShape::new`] for `engine`: only the columns whose top-level
    /// field the policy can read ([`Engine::top_level_fields`]), so the
    /// others are never converted; the decisions are the same.
    pub fn for_engine(schema: &Schema, engine: &Engine) -> Result<LeadShape, String> {
        let mut shape = LeadShape::new(schema)?;
        let read = engine.top_level_fields();
        shape.root.retain(|(k, _)| read.contains(&k.as_str()));
        Ok(shape)
    }

    /// The top-level fields this shape writes.
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        self.root.iter().map(|(k, _)| k.as_str())
    }

    /// Writes row `row` of `batch` (whose schema made this shape) as a JSON
    /// object. A value with no JSON form is written as `null` and the first
    /// such problem is returned, naming the column; the bytes are still a
    /// JSON object (for the lead id of the error record).
    pub fn write_row(
        &self,
        batch: &RecordBatch,
        row: usize,
        out: &mut Vec<u8>,
    ) -> Result<(), String> {
        let mut w = Writer {
            out,
            problem: None,
            path: Vec::new(),
        };
        w.object(&self.root, batch, row, true);
        match w.problem {
            None => Ok(()),
            Some(p) => Err(p),
        }
    }
}

struct Writer<'o> {
    out: &'o mut Vec<u8>,
    problem: Option<String>,
    path: Vec<String>,
}

impl Writer<'_> {
    /// Writes the fields of `nodes` that are not null as an object; false
    /// (and nothing written) when every one is null.
    fn object(
        &mut self,
        nodes: &[(String, Node)],
        batch: &RecordBatch,
        row: usize,
        root: bool,
    ) -> bool {
        let start = self.out.len();
        self.out.push(b'{');
        let mut any = false;
        for (key, node) in nodes {
            let before = self.out.len();
            if any {
                self.out.push(b',');
            }
            self.string(key);
            self.out.push(b':');
            self.path.push(key.clone());
            let written = match node {
                Node::Column(i) => {
                    let a = batch.column(*i);
                    if a.is_null(row) {
                        false
                    } else {
                        self.value(a.as_ref(), row);
                        true
                    }
                }
                Node::Object(children) => self.object(children, batch, row, false),
            };
            self.path.pop();
            if written {
                any = true;
            } else {
                self.out.truncate(before);
            }
        }
        self.out.push(b'}');
        if !any && !root {
            self.out.truncate(start);
        }
        any || root
    }

    fn string(&mut self, s: &str) {
        // writing a string into memory cannot fail
        let _ = serde_json::to_writer(&mut *self.out, s);
    }

    fn fail(&mut self, what: String) {
        self.out.extend_from_slice(b"null");
        if self.problem.is_none() {
            self.problem = Some(format!("column `{}`: {what}", self.path.join(".")));
        }
    }

    fn int(&mut self, v: impl itoa::Integer) {
        self.out
            .extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
    }

    fn float(&mut self, v: f64) {
        if v.is_finite() {
            let _ = serde_json::to_writer(&mut *self.out, &v);
        } else {
            self.fail(format!("{v} is not a JSON number"));
        }
    }

    fn time(&mut self, t: Result<jiff::Timestamp, jiff::Error>) {
        match t {
            Ok(t) => self.string(&t.to_string()),
            Err(e) => self.fail(format!("the timestamp is out of range ({e})")),
        }
    }

    fn date(&mut self, days: i64) {
        let epoch = jiff::civil::date(1970, 1, 1);
        match epoch.checked_add(jiff::Span::new().days(days)) {
            Ok(d) => self.string(&d.to_string()),
            Err(e) => self.fail(format!("the date is out of range ({e})")),
        }
    }

    fn bytes(&mut self, b: &[u8]) {
        match std::str::from_utf8(b) {
            Ok(s) => self.string(s),
            Err(e) => self.fail(format!(
                "a binary value that is not UTF-8 text ({e}); binary values are read as text"
            )),
        }
    }

    /// Writes the non-null value at `i` of `a`.
    fn value(&mut self, a: &dyn Array, i: usize) {
        use DataType as T;
        match a.data_type() {
            T::Null => self.out.extend_from_slice(b"null"),
            T::Boolean => {
                let v = a.as_boolean().value(i);
                self.out
                    .extend_from_slice(if v { b"true" } else { b"false" });
            }
            T::Int8 => self.int(a.as_primitive::<Int8Type>().value(i)),
            T::Int16 => self.int(a.as_primitive::<Int16Type>().value(i)),
            T::Int32 => self.int(a.as_primitive::<Int32Type>().value(i)),
            T::Int64 => self.int(a.as_primitive::<Int64Type>().value(i)),
            T::UInt8 => self.int(a.as_primitive::<UInt8Type>().value(i)),
            T::UInt16 => self.int(a.as_primitive::<UInt16Type>().value(i)),
            T::UInt32 => self.int(a.as_primitive::<UInt32Type>().value(i)),
            T::UInt64 => self.int(a.as_primitive::<UInt64Type>().value(i)),
            T::Float16 => self.float(a.as_primitive::<Float16Type>().value(i).to_f64()),
            T::Float32 => self.float(f64::from(a.as_primitive::<Float32Type>().value(i))),
            T::Float64 => self.float(a.as_primitive::<Float64Type>().value(i)),
            T::Decimal32(..) => self.decimal(a.as_primitive::<Decimal32Type>().value_as_string(i)),
            T::Decimal64(..) => self.decimal(a.as_primitive::<Decimal64Type>().value_as_string(i)),
            T::Decimal128(..) => {
                self.decimal(a.as_primitive::<Decimal128Type>().value_as_string(i))
            }
            T::Decimal256(..) => {
                self.decimal(a.as_primitive::<Decimal256Type>().value_as_string(i))
            }
            T::Utf8 => self.string(a.as_string::<i32>().value(i)),
            T::LargeUtf8 => self.string(a.as_string::<i64>().value(i)),
            T::Utf8View => self.string(a.as_string_view().value(i)),
            T::Binary => self.bytes(a.as_binary::<i32>().value(i)),
            T::LargeBinary => self.bytes(a.as_binary::<i64>().value(i)),
            T::BinaryView => self.bytes(a.as_binary_view().value(i)),
            T::FixedSizeBinary(_) => self.bytes(a.as_fixed_size_binary().value(i)),
            T::Date32 => self.date(i64::from(a.as_primitive::<Date32Type>().value(i))),
            T::Date64 => {
                let ms = a.as_primitive::<Date64Type>().value(i);
                self.date(ms.div_euclid(86_400_000))
            }
            T::Timestamp(unit, _) => {
                let v = match unit {
                    TimeUnit::Second => a.as_primitive::<TimestampSecondType>().value(i),
                    TimeUnit::Millisecond => a.as_primitive::<TimestampMillisecondType>().value(i),
                    TimeUnit::Microsecond => a.as_primitive::<TimestampMicrosecondType>().value(i),
                    TimeUnit::Nanosecond => a.as_primitive::<TimestampNanosecondType>().value(i),
                };
                self.time(match unit {
                    TimeUnit::Second => jiff::Timestamp::from_second(v),
                    TimeUnit::Millisecond => jiff::Timestamp::from_millisecond(v),
                    TimeUnit::Microsecond => jiff::Timestamp::from_microsecond(v),
                    TimeUnit::Nanosecond => jiff::Timestamp::from_nanosecond(i128::from(v)),
                });
            }
            T::List(_) => {
                let l = a.as_list::<i32>();
                self.list(l.value(i).as_ref());
            }
            T::LargeList(_) => {
                let l = a.as_list::<i64>();
                self.list(l.value(i).as_ref());
            }
            T::FixedSizeList(..) => {
                let l = a.as_fixed_size_list();
                self.list(l.value(i).as_ref());
            }
            T::Struct(fields) => {
                let s = a.as_struct();
                self.out.push(b'{');
                let mut any = false;
                for (f, col) in fields.iter().zip(s.columns()) {
                    if col.is_null(i) {
                        continue;
                    }
                    if any {
                        self.out.push(b',');
                    }
                    any = true;
                    self.string(f.name());
                    self.out.push(b':');
                    self.path.push(f.name().clone());
                    self.value(col.as_ref(), i);
                    self.path.pop();
                }
                self.out.push(b'}');
            }
            T::Map(..) => {
                let m = a.as_map();
                let (start, end) = (m.value_offsets()[i], m.value_offsets()[i + 1]);
                let (start, end) = (start as usize, end as usize);
                let (keys, values) = (m.keys(), m.values());
                if !matches!(keys.data_type(), T::Utf8 | T::LargeUtf8 | T::Utf8View) {
                    self.fail("a map whose keys are not text has no JSON form".to_string());
                    return;
                }
                self.out.push(b'{');
                for j in start..end {
                    if j > start {
                        self.out.push(b',');
                    }
                    match keys.data_type() {
                        T::Utf8 => self.string(keys.as_string::<i32>().value(j)),
                        T::LargeUtf8 => self.string(keys.as_string::<i64>().value(j)),
                        _ => self.string(keys.as_string_view().value(j)),
                    }
                    self.out.push(b':');
                    if values.is_null(j) {
                        self.out.extend_from_slice(b"null");
                    } else {
                        self.value(values.as_ref(), j);
                    }
                }
                self.out.push(b'}');
            }
            T::Dictionary(..) => {
                let d = a.as_any_dictionary();
                let keys = d.normalized_keys();
                let values = d.values();
                let k = keys[i];
                if values.is_null(k) {
                    self.out.extend_from_slice(b"null");
                } else {
                    self.value(values.as_ref(), k);
                }
            }
            other => self.fail(format!("a value of type {other} has no JSON form")),
        }
    }

    fn list(&mut self, items: &dyn Array) {
        self.out.push(b'[');
        for j in 0..items.len() {
            if j > 0 {
                self.out.push(b',');
            }
            if items.is_null(j) {
                self.out.extend_from_slice(b"null");
            } else {
                self.value(items, j);
            }
        }
        self.out.push(b']');
    }

    fn decimal(&mut self, text: String) {
        // a decimal's text is a JSON number
        self.out.extend_from_slice(text.as_bytes());
    }
}
