//! Checks of the lead schema (duplicate fields and enum values, `pii` and
//! `treat ... as missing` lines) and the resolution of field paths that
//! every other declaration uses.

use std::collections::HashMap;
use std::sync::Arc;

use crate::ast::*;
use crate::check::{Checker, Kind};
use crate::diag::{Code, Diagnostic};
use crate::span::Span;
use crate::types::{FieldTy, RecordTy, Ty};

impl Checker {
    pub(super) fn build_schema(&mut self) {
        let Some(schema) = self.p.schema_decl.clone() else {
            return;
        };
        let rec = self.record_ty(&schema.fields);
        self.p.schema = Arc::new(rec);
        for pii in &schema.pii {
            for path in &pii.paths {
                self.field_path(path);
            }
            for r in &pii.visible_to {
                self.reference(Kind::Role, r);
            }
        }
        for ph in &schema.placeholders {
            for path in &ph.paths {
                if let Some(t) = self.field_path(path) {
                    if !t.is_stringy() && !matches!(&t, Ty::List(e) if e.is_stringy()) {
                        self.push(
                            Diagnostic::new(
                                Code::TypeMismatch,
                                path.span,
                                format!("placeholders are text, but `{}` is a {t}", path.dotted()),
                            )
                            .label("not a text field")
                            .help("list only string, email or enum fields after `in`"),
                        );
                    }
                }
            }
        }
    }

    fn record_ty(&mut self, fields: &[FieldDecl]) -> RecordTy {
        let mut seen: HashMap<&str, Span> = HashMap::new();
        let mut out = Vec::new();
        for f in fields {
            if let Some(first) = seen.get(f.name.name.as_str()) {
                self.push(
                    Diagnostic::new(
                        Code::DuplicateField,
                        f.name.span,
                        format!("field `{}` is declared twice in this record", f.name.name),
                    )
                    .label("second declaration")
                    .with_secondary(*first, "first declared here")
                    .help("remove one of them; a record has each field once"),
                );
                continue;
            }
            seen.insert(&f.name.name, f.name.span);
            out.push(FieldTy {
                name: f.name.name.clone(),
                ty: self.ty(&f.ty),
                optional: f.ty.optional,
                span: f.name.span,
            });
        }
        RecordTy { fields: out }
    }

    fn ty(&mut self, t: &TypeExpr) -> Ty {
        match &t.kind {
            TypeKind::String => Ty::String,
            TypeKind::Int => Ty::Int,
            TypeKind::Number => Ty::Number,
            TypeKind::Bool => Ty::Bool,
            TypeKind::Timestamp => Ty::Timestamp,
            TypeKind::Duration => Ty::Duration,
            TypeKind::Email => Ty::Email,
            TypeKind::Enum(vals) => {
                let mut seen: Vec<&str> = Vec::new();
                for v in vals {
                    if seen.contains(&v.value.as_str()) {
                        self.push(
                            Diagnostic::new(
                                Code::DuplicateField,
                                v.span,
                                format!("the value \"{}\" is listed twice", v.value),
                            )
                            .label("repeated")
                            .help("list each enum value once"),
                        );
                    }
                    seen.push(&v.value);
                }
                Ty::Enum(
                    vals.iter()
                        .map(|v| smol_str::SmolStr::new(&v.value))
                        .collect::<Vec<_>>()
                        .into(),
                )
            }
            TypeKind::List(inner) => Ty::List(Box::new(self.ty(inner))),
            TypeKind::Record(fields) => Ty::Record(Arc::new(self.record_ty(fields))),
        }
    }

    /// Resolves a field path (no signals, no lambda variables).
    pub(crate) fn field_path(&mut self, path: &Path) -> Option<Ty> {
        match self.p.resolve_field(path) {
            Ok(f) => f.last().map(|f| f.ty.clone()),
            Err(i) => {
                let schema = self.p.schema.clone();
                let mut rec: &RecordTy = &schema;
                for seg in &path.segments[..i.min(path.segments.len())] {
                    match rec.field(&seg.name).map(|(_, f)| &f.ty) {
                        Some(Ty::Record(r)) => rec = r,
                        _ => break,
                    }
                }
                let mut names: Vec<String> = rec.names().map(String::from).collect();
                names.sort();
                let saved = path.segments.len();
                // a single segment that is not a field is still a field error here
                if saved == 1 {
                    let p2 = path.clone();
                    self.unknown_field_path(&p2, i, &names);
                } else {
                    self.unknown_field(path, i, &names);
                }
                None
            }
        }
    }

    fn unknown_field_path(&mut self, path: &Path, i: usize, names: &[String]) {
        let before = self.diags.len();
        self.unknown_field(path, i, names);
        if let Some(d) = self.diags.get_mut(before) {
            d.code = Code::UnknownField;
            d.message = format!("unknown field `{}`", path.dotted());
        }
    }

    /// A field path that must have type `want` (by a predicate).
    pub(super) fn typed_field(
        &mut self,
        path: &Path,
        ok: impl Fn(&Ty) -> bool,
        code: Code,
        need: &str,
        help: &str,
    ) -> Option<Ty> {
        let t = self.field_path(path)?;
        if !ok(&t) {
            self.push(
                Diagnostic::new(
                    code,
                    path.span,
                    format!("`{}` is a {t}, but {need} is needed here", path.dotted()),
                )
                .label(format!("a {t}"))
                .help(help.to_string()),
            );
        }
        Some(t)
    }

    pub(super) fn timestamp_field(&mut self, path: &Path, what: &str) {
        self.typed_field(
            path,
            |t| *t == Ty::Timestamp,
            Code::NotATimestamp,
            "a timestamp",
            &format!("{what} counts from a moment: name a timestamp field such as `lifecycle.handed_off_at`"),
        );
    }
}
