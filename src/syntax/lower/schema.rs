//! Lowering of the lead schema: the `lead` block, its fields and their
//! types, and the `pii` and `treat ... as missing` lines.

use super::{next, next_if, Lower, Rule, P};
use crate::ast::*;
use crate::diag::{Code, Diagnostic};

impl Lower<'_> {
    pub(super) fn lead_decl(&mut self, p: P<'_>) -> Schema {
        assert_eq!(p.as_rule(), Rule::lead_decl);
        let span = self.span(&p);
        let body = p.into_inner().next().expect("lead has a record body");
        let mut schema = Schema {
            fields: vec![],
            pii: vec![],
            placeholders: vec![],
            span,
        };
        for e in body.into_inner() {
            match e.as_rule() {
                Rule::field_decl => schema.fields.push(self.field_decl(e)),
                Rule::pii_decl => schema.pii.push(self.pii_decl(e)),
                Rule::placeholder_decl => schema.placeholders.push(self.placeholder_decl(e)),
                r => unreachable!("schema entry {r:?}"),
            }
        }
        schema
    }

    /// `record_body` inside a type: only fields (pii and treat belong at the top).
    fn record_fields(&mut self, p: P<'_>) -> Vec<FieldDecl> {
        assert_eq!(p.as_rule(), Rule::record_body);
        let mut fields = Vec::new();
        for e in p.into_inner() {
            match e.as_rule() {
                Rule::field_decl => fields.push(self.field_decl(e)),
                _ => {
                    let span = self.span(&e);
                    let what = if e.as_rule() == Rule::pii_decl {
                        "pii"
                    } else {
                        "treat"
                    };
                    let help = match record_path(self.src, span.start as usize) {
                        Some(prefix) => format!(
                            "move this line to the top level of the `lead` block with the full path: `{}`",
                            full_paths(e.as_str(), &prefix)
                        ),
                        None => "move this line to the top level of the `lead` block and write the full path".to_string(),
                    };
                    self.error(
                        Diagnostic::new(
                            Code::Syntax,
                            span,
                            format!("`{what}` belongs directly inside `lead {{ }}`, not inside a nested record"),
                        )
                        .label("nested too deep")
                        .help(help),
                    );
                }
            }
        }
        fields
    }

    fn field_decl(&mut self, p: P<'_>) -> FieldDecl {
        assert_eq!(p.as_rule(), Rule::field_decl);
        let span = self.span(&p);
        let mut inner = p.into_inner();
        let name = self.ident(next(&mut inner, Rule::field_name));
        let ty = match inner.next() {
            Some(t) if t.as_rule() == Rule::type_expr => self.type_expr(t),
            Some(b) if b.as_rule() == Rule::record_body => {
                let tspan = self.span(&b);
                let fields = self.record_fields(b);
                let optional = next_if(&mut inner, Rule::optional_mark).is_some();
                TypeExpr {
                    kind: TypeKind::Record(fields),
                    optional,
                    span: tspan,
                }
            }
            other => unreachable!("field type {other:?}"),
        };
        FieldDecl { name, ty, span }
    }

    fn type_expr(&mut self, p: P<'_>) -> TypeExpr {
        assert_eq!(p.as_rule(), Rule::type_expr);
        let span = self.span(&p);
        let mut inner = p.into_inner();
        let t = inner.next().expect("type_expr has a type");
        let kind = match t.as_rule() {
            Rule::scalar_type => match t.as_str() {
                "string" => TypeKind::String,
                "int" => TypeKind::Int,
                "number" => TypeKind::Number,
                "bool" => TypeKind::Bool,
                "timestamp" => TypeKind::Timestamp,
                "duration" => TypeKind::Duration,
                "email" => TypeKind::Email,
                s => unreachable!("scalar type {s}"),
            },
            Rule::enum_type => TypeKind::Enum(t.into_inner().map(|s| self.string(s)).collect()),
            Rule::list_type => {
                let elem = t.into_inner().next().expect("list element type");
                TypeKind::List(Box::new(self.type_expr(elem)))
            }
            Rule::record_body => TypeKind::Record(self.record_fields(t)),
            Rule::unknown_type_err => {
                let word = t.as_str();
                let tspan = self.span(&t);
                const TYPES: [&str; 9] = [
                    "string",
                    "int",
                    "number",
                    "bool",
                    "timestamp",
                    "duration",
                    "email",
                    "enum",
                    "list",
                ];
                let alias = match word.to_ascii_lowercase().as_str() {
                    "integer" => Some("int"),
                    "float" | "decimal" | "double" | "numeric" => Some("number"),
                    "boolean" => Some("bool"),
                    "text" | "str" | "picklist" => Some("string"),
                    "datetime" | "date" | "time" => Some("timestamp"),
                    _ => None,
                }
                .map(str::to_string)
                .or_else(|| crate::diag::did_you_mean(word, TYPES));
                let mut d =
                    Diagnostic::new(Code::UnknownType, tspan, format!("unknown type `{word}`"))
                        .label("not a type");
                match alias {
                    Some(a) => {
                        d = d
                            .help(format!("did you mean `{a}`? the types are string, int, number, bool, timestamp, duration, email, enum(...), list<...> and {{ ... }}"))
                            .suggest(tspan, a);
                    }
                    None => {
                        d = d.help("the types are string, int, number, bool, timestamp, duration, email, enum(...), list<...> and { ... }");
                    }
                }
                self.error(d);
                TypeKind::String
            }
            r => unreachable!("type {r:?}"),
        };
        let optional = next_if(&mut inner, Rule::optional_mark).is_some();
        TypeExpr {
            kind,
            optional,
            span,
        }
    }

    fn pii_decl(&mut self, p: P<'_>) -> PiiDecl {
        assert_eq!(p.as_rule(), Rule::pii_decl);
        let span = self.span(&p);
        let mut paths = Vec::new();
        let mut visible_to = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::path => paths.push(self.path(c)),
                Rule::visible_to => visible_to = self.idents(c.into_inner()),
                r => unreachable!("pii {r:?}"),
            }
        }
        PiiDecl {
            paths,
            visible_to,
            span,
        }
    }

    fn placeholder_decl(&mut self, p: P<'_>) -> PlaceholderDecl {
        assert_eq!(p.as_rule(), Rule::placeholder_decl);
        let span = self.span(&p);
        let mut values = Vec::new();
        let mut paths = Vec::new();
        let mut exact = false;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::string => values.push(self.string(c)),
                Rule::path => paths.push(self.path(c)),
                Rule::exactly => exact = true,
                r => unreachable!("treat {r:?}"),
            }
        }
        PlaceholderDecl {
            values,
            exact,
            paths,
            span,
        }
    }
}

/// The dotted path of the records open at `at` inside `lead { }`:
/// `contact` for a line inside `lead { contact { ... } }`.
fn record_path(src: &str, at: usize) -> Option<String> {
    let lead = src[..at].rfind("lead")?;
    let bytes = src.as_bytes();
    let mut stack: Vec<&str> = Vec::new();
    let mut i = lead;
    while i < at {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < at && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += 1 + usize::from(bytes[i] == b'\\');
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < at && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'{' => {
                let before = src[..i].trim_end();
                let len = before
                    .chars()
                    .rev()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .count();
                stack.push(&before[before.len() - len..]);
            }
            b'}' => {
                stack.pop();
            }
            _ => {}
        }
        i += 1;
    }
    (stack.first() == Some(&"lead") && stack.len() > 1).then(|| stack[1..].join("."))
}

/// A `pii` or `treat` line with its paths written from the lead down.
fn full_paths(line: &str, prefix: &str) -> String {
    let line = line.trim();
    let (head, paths, tail) = if let Some(rest) = line.strip_prefix("pii") {
        let end = rest.find(" visible").unwrap_or(rest.len());
        ("pii ", &rest[..end], &rest[end..])
    } else if let Some(i) = line.find(" in ") {
        (&line[..i + 4], &line[i + 4..], "")
    } else {
        return line.to_string();
    };
    let fixed: Vec<String> = paths
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| format!("{prefix}.{p}"))
        .collect();
    format!(
        "{}{}{tail}",
        head.trim_end().to_string() + " ",
        fixed.join(", ")
    )
    .replace("  ", " ")
}
