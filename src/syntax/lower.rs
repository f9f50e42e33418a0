//! Lowering: pest pairs -> AST, one function per grammar rule.
//!
//! Each function asserts the rule it lowers, consumes the children in
//! grammar order, and reports what the author can get wrong as a
//! [`Diagnostic`] (the `*_err` rules of the grammar) while still returning
//! a usable node, so that one parse reports every such mistake.

use std::sync::OnceLock;

use pest::iterators::{Pair, Pairs};
use pest::pratt_parser::{Assoc, Op, PrattParser};

use super::{Rule, MAX_EXPR_DEPTH};
use crate::ast::*;
use crate::diag::{Code, Diagnostic};
use crate::span::{FileId, Span};

type P<'i> = Pair<'i, Rule>;

struct Lower<'a> {
    file: FileId,
    /// The whole file (doc comments are looked up in it).
    src: &'a str,
    /// Where the parsed text starts in `src`: pairs count from there.
    offset: usize,
    diags: Vec<Diagnostic>,
}

/// Lowers a `file` pair parsed from `src[offset..]` (a part of the file,
/// or all of it when `offset` is 0); spans are positions in `src`.
pub(super) fn lower_file(
    file: FileId,
    src: &str,
    offset: usize,
    pair: P<'_>,
) -> (Module, Vec<Diagnostic>) {
    assert_eq!(pair.as_rule(), Rule::file);
    let mut l = Lower {
        file,
        src,
        offset,
        diags: Vec::new(),
    };
    let mut items = Vec::new();
    for p in pair.into_inner() {
        if p.as_rule() == Rule::EOI {
            break;
        }
        items.push(l.item(p));
    }
    (Module { file, items }, l.diags)
}

fn pratt() -> &'static PrattParser<Rule> {
    static PRATT: OnceLock<PrattParser<Rule>> = OnceLock::new();
    PRATT.get_or_init(|| {
        PrattParser::new()
            .op(Op::infix(Rule::or_op, Assoc::Left))
            .op(Op::infix(Rule::and_op, Assoc::Left))
            .op(Op::prefix(Rule::not_op))
            .op(Op::infix(Rule::eq_op, Assoc::Left)
                | Op::infix(Rule::ne_op, Assoc::Left)
                | Op::infix(Rule::lt_op, Assoc::Left)
                | Op::infix(Rule::le_op, Assoc::Left)
                | Op::infix(Rule::gt_op, Assoc::Left)
                | Op::infix(Rule::ge_op, Assoc::Left)
                | Op::infix(Rule::in_op, Assoc::Left)
                | Op::infix(Rule::not_in_op, Assoc::Left)
                | Op::infix(Rule::assign_err, Assoc::Left))
            .op(Op::infix(Rule::add_op, Assoc::Left) | Op::infix(Rule::sub_op, Assoc::Left))
            .op(Op::infix(Rule::mul_op, Assoc::Left) | Op::infix(Rule::div_op, Assoc::Left))
            .op(Op::prefix(Rule::neg))
    })
}

/// Takes the next child, which the grammar guarantees is there.
fn next<'i>(inner: &mut Pairs<'i, Rule>, rule: Rule) -> P<'i> {
    match inner.next() {
        Some(p) if p.as_rule() == rule => p,
        other => unreachable!("grammar guarantees {rule:?} here, found {other:?}"),
    }
}

/// Takes the next child if it is of rule `rule`.
fn next_if<'i>(inner: &mut Pairs<'i, Rule>, rule: Rule) -> Option<P<'i>> {
    match inner.peek() {
        Some(p) if p.as_rule() == rule => inner.next(),
        _ => None,
    }
}

impl<'a> Lower<'a> {
    fn span(&self, p: &P<'_>) -> Span {
        let s = p.as_span();
        Span::new(self.file, self.offset + s.start(), self.offset + s.end())
    }

    fn error(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// `///` lines directly above `start`, joined with newlines.
    fn doc_above(&self, start: usize) -> Option<String> {
        let before = &self.src[..start];
        let mut lines: Vec<&str> = Vec::new();
        for line in before.lines().rev() {
            let t = line.trim();
            if let Some(rest) = t.strip_prefix("///") {
                lines.push(rest.strip_prefix(' ').unwrap_or(rest));
            } else if t.is_empty() && lines.is_empty() {
                // the line the item starts on, when the item begins a line
                continue;
            } else {
                break;
            }
        }
        if lines.is_empty() {
            return None;
        }
        lines.reverse();
        Some(lines.join("\n"))
    }

    // ------------------------------------------------------------ lexemes

    fn ident(&mut self, p: P<'_>) -> Ident {
        debug_assert!(matches!(
            p.as_rule(),
            Rule::ident
                | Rule::field_name
                | Rule::fn_name
                | Rule::channel
                | Rule::strategy
                | Rule::format_name
        ));
        Ident {
            name: p.as_str().to_string(),
            span: self.span(&p),
        }
    }

    fn idents(&mut self, inner: Pairs<'_, Rule>) -> Vec<Ident> {
        inner
            .filter(|p| p.as_rule() == Rule::ident)
            .map(|p| self.ident(p))
            .collect()
    }

    fn path(&mut self, p: P<'_>) -> Path {
        assert_eq!(p.as_rule(), Rule::path);
        let span = self.span(&p);
        let segments = p.into_inner().map(|s| self.ident(s)).collect();
        Path { segments, span }
    }

    fn paths(&mut self, inner: Pairs<'_, Rule>) -> Vec<Path> {
        inner
            .filter(|p| p.as_rule() == Rule::path)
            .map(|p| self.path(p))
            .collect()
    }

    fn string(&mut self, p: P<'_>) -> StrLit {
        assert_eq!(p.as_rule(), Rule::string);
        let span = self.span(&p);
        let inner = p.into_inner().next().expect("string has one alternative");
        match inner.as_rule() {
            Rule::string_ok => {
                let body = inner.into_inner().next().expect("string_inner");
                let value = self.unescape(body.as_str(), span.start as usize + 1);
                StrLit { value, span }
            }
            Rule::string_smart_err => {
                let text = inner.as_str();
                let body: String = text
                    .chars()
                    .filter(|c| !matches!(c, '\u{201C}' | '\u{201D}' | '\u{201E}' | '"'))
                    .collect();
                self.error(
                    Diagnostic::new(
                        Code::SmartQuote,
                        span,
                        "this string uses typographic quotes",
                    )
                    .label("“ and ” are not string quotes")
                    .help("use straight double quotes `\"`; word processors replace them when text is pasted")
                    .suggest(span, format!("\"{body}\"")),
                );
                StrLit { value: body, span }
            }
            Rule::string_open_err => {
                let body = inner.as_str()[1..].to_string();
                self.error(
                    Diagnostic::new(
                        Code::UnterminatedString,
                        span,
                        "this string is never closed",
                    )
                    .label("the closing `\"` is missing before the end of the line")
                    .help("add a `\"` where the text ends; strings cannot span several lines")
                    .suggest(span, format!("\"{}\"", body.trim_end())),
                );
                StrLit { value: body, span }
            }
            r => unreachable!("string alternative {r:?}"),
        }
    }

    fn opt_string(&mut self, inner: &mut Pairs<'_, Rule>) -> Option<StrLit> {
        next_if(inner, Rule::string).map(|p| self.string(p))
    }

    fn unescape(&mut self, raw: &str, offset: usize) -> String {
        let mut out = String::with_capacity(raw.len());
        let mut chars = raw.char_indices();
        while let Some((i, c)) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some((_, 'n')) => out.push('\n'),
                Some((_, 't')) => out.push('\t'),
                Some((_, '\\')) => out.push('\\'),
                Some((_, '"')) => out.push('"'),
                Some((j, other)) => {
                    let span = Span::new(self.file, offset + i, offset + j + other.len_utf8());
                    self.error(
                        Diagnostic::new(
                            Code::InvalidEscape,
                            span,
                            format!("`\\{other}` is not an escape this language knows"),
                        )
                        .label("unknown escape")
                        .help("write `\\\\` for a backslash; the escapes are `\\\"`, `\\\\`, `\\n` and `\\t`"),
                    );
                    out.push(other);
                }
                None => {}
            }
        }
        out
    }

    fn number_value(&mut self, p: &P<'_>) -> f64 {
        // the grammar admits only digits, one dot and a sign: always parses
        p.as_str().parse::<f64>().unwrap_or(0.0)
    }

    fn num_lit(&mut self, p: P<'_>) -> NumLit {
        NumLit {
            value: self.number_value(&p),
            span: self.span(&p),
        }
    }

    fn int(&mut self, p: P<'_>) -> (u32, Span) {
        assert_eq!(p.as_rule(), Rule::int);
        let span = self.span(&p);
        match p.as_str().parse::<u32>() {
            Ok(n) => (n, span),
            Err(_) => {
                self.error(
                    Diagnostic::new(Code::InvalidLiteral, span, "this number is too large")
                        .label("not a count")
                        .help("use a whole number below 4294967296"),
                );
                (0, span)
            }
        }
    }

    /// `duration` or `duration_unit_err`.
    fn duration_arg(&mut self, p: P<'_>) -> DurationLit {
        let span = self.span(&p);
        match p.as_rule() {
            Rule::duration => DurationLit {
                seconds: self.duration_seconds(p.as_str(), span),
                span,
            },
            Rule::duration_unit_err => {
                let n = p.as_str();
                self.error(
                    Diagnostic::new(
                        Code::DurationUnit,
                        span,
                        format!("`{n}` is a number, but a duration is needed here"),
                    )
                    .label("no unit")
                    .help("add a unit: `w` weeks, `d` days, `h` hours, `m` minutes, `s` seconds")
                    .suggest(span, format!("{n}h")),
                );
                DurationLit { seconds: 0, span }
            }
            r => unreachable!("duration argument {r:?}"),
        }
    }

    fn duration_seconds(&mut self, text: &str, span: Span) -> i64 {
        let mut total: i64 = 0;
        let mut n: i64 = 0;
        let mut overflow = false;
        for c in text.chars() {
            if let Some(d) = c.to_digit(10) {
                n = match n.checked_mul(10).and_then(|n| n.checked_add(d as i64)) {
                    Some(v) => v,
                    None => {
                        overflow = true;
                        0
                    }
                };
                continue;
            }
            let unit = match c {
                'w' => 7 * 86_400,
                'd' => 86_400,
                'h' => 3_600,
                'm' => 60,
                _ => 1,
            };
            match n.checked_mul(unit).and_then(|v| total.checked_add(v)) {
                Some(v) => total = v,
                None => overflow = true,
            }
            n = 0;
        }
        // jiff spans cap out near 20,000 years; stay well inside
        if overflow || total > 100 * 365 * 86_400 {
            self.error(
                Diagnostic::new(
                    Code::InvalidLiteral,
                    span,
                    format!("the duration `{text}` is too long"),
                )
                .label("more than 100 years")
                .help("durations must be at most 100 years (`5200w`)"),
            );
            return 0;
        }
        total
    }

    fn date(&mut self, p: P<'_>) -> DateLit {
        let span = self.span(&p);
        let date = match p.as_str().parse::<jiff::civil::Date>() {
            Ok(d) => d,
            Err(_) => {
                self.error(
                    Diagnostic::new(
                        Code::InvalidLiteral,
                        span,
                        format!("`{}` is not a calendar date", p.as_str()),
                    )
                    .label("no such day")
                    .help("write dates as YYYY-MM-DD with a real month and day, e.g. `2025-12-25`"),
                );
                jiff::civil::date(1970, 1, 1)
            }
        };
        DateLit { date, span }
    }

    fn timestamp(&mut self, p: &P<'_>) -> jiff::Timestamp {
        let span = self.span(p);
        match p.as_str().parse::<jiff::Timestamp>() {
            Ok(t) => t,
            Err(_) => {
                self.error(
                    Diagnostic::new(
                        Code::InvalidLiteral,
                        span,
                        format!("`{}` is not a valid timestamp", p.as_str()),
                    )
                    .label("no such moment")
                    .help("write RFC 3339 timestamps with a real date and time, e.g. `2025-06-01T12:00:00Z`"),
                );
                jiff::Timestamp::UNIX_EPOCH
            }
        }
    }

    // ------------------------------------------------------------ items

    fn item(&mut self, p: P<'_>) -> Item {
        let span = self.span(&p);
        let doc = self.doc_above(span.start as usize);
        let kind = match p.as_rule() {
            Rule::import_decl => {
                let mut inner = p.into_inner();
                ItemKind::Import(self.string(next(&mut inner, Rule::string)))
            }
            Rule::policy_decl => ItemKind::Policy(self.policy_decl(p)),
            Rule::lead_decl => ItemKind::Lead(self.lead_decl(p)),
            Rule::roles_decl => ItemKind::Roles(self.idents(p.into_inner())),
            Rule::stages_decl => ItemKind::Stages(self.stages_decl(p)),
            Rule::team_decl => ItemKind::Team(self.team_decl(p)),
            Rule::queue_decl => {
                let mut inner = p.into_inner();
                let name = self.ident(next(&mut inner, Rule::ident));
                let description = self.opt_string(&mut inner);
                ItemKind::Queue(Queue { name, description })
            }
            Rule::calendar_decl => ItemKind::Calendar(self.calendar_decl(p)),
            Rule::signal_decl => ItemKind::Signal(self.signal_decl(p)),
            Rule::score_decl => ItemKind::Score(self.score_decl(p)),
            Rule::handoff_decl => ItemKind::Handoff(Box::new(self.handoff_decl(p))),
            Rule::playbook_decl => ItemKind::Playbook(self.playbook_decl(p)),
            Rule::metric_decl => ItemKind::Metric(self.metric_decl(p)),
            r => unreachable!("item {r:?}"),
        };
        Item { doc, kind, span }
    }

    fn policy_decl(&mut self, p: P<'_>) -> PolicyHeader {
        assert_eq!(p.as_rule(), Rule::policy_decl);
        let mut inner = p.into_inner();
        let name = self.string(next(&mut inner, Rule::string));
        let mut h = PolicyHeader {
            name,
            version: vec![],
            owner: vec![],
            description: vec![],
            applies_to: vec![],
        };
        for e in inner {
            let rule = e.as_rule();
            let mut ei = e.into_inner();
            match rule {
                Rule::version_entry => h.version.push(self.string(next(&mut ei, Rule::string))),
                Rule::owner_entry => h.owner.push(self.string(next(&mut ei, Rule::string))),
                Rule::description_entry => {
                    h.description.push(self.string(next(&mut ei, Rule::string)))
                }
                Rule::applies_entry => h.applies_to.push(self.expr(next(&mut ei, Rule::expr))),
                r => unreachable!("policy entry {r:?}"),
            }
        }
        h
    }

    fn lead_decl(&mut self, p: P<'_>) -> Schema {
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
                    self.error(
                        Diagnostic::new(
                            Code::Syntax,
                            span,
                            format!("`{what}` belongs directly inside `lead {{ }}`, not inside a nested record"),
                        )
                        .label("nested too deep")
                        .help("move this line to the top level of the `lead` block and write the full path"),
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
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::string => values.push(self.string(c)),
                Rule::path => paths.push(self.path(c)),
                r => unreachable!("treat {r:?}"),
            }
        }
        PlaceholderDecl {
            values,
            paths,
            span,
        }
    }

    fn stages_decl(&mut self, p: P<'_>) -> Stages {
        assert_eq!(p.as_rule(), Rule::stages_decl);
        let mut names = Vec::new();
        let mut tracked_by = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::ident => names.push(self.ident(c)),
                Rule::tracked_by => {
                    let mut ti = c.into_inner();
                    tracked_by = Some(self.path(next(&mut ti, Rule::path)));
                }
                r => unreachable!("stages {r:?}"),
            }
        }
        Stages { names, tracked_by }
    }

    fn team_decl(&mut self, p: P<'_>) -> Team {
        assert_eq!(p.as_rule(), Rule::team_decl);
        let mut inner = p.into_inner();
        let name = self.ident(next(&mut inner, Rule::ident));
        let role = self.ident(next(&mut inner, Rule::ident));
        let mut team = Team {
            name,
            role,
            members: vec![],
            distribute: vec![],
        };
        if let Some(body) = next_if(&mut inner, Rule::team_body) {
            for e in body.into_inner() {
                match e.as_rule() {
                    Rule::members_entry => {
                        for m in e.into_inner() {
                            team.members.push(self.member(m));
                        }
                    }
                    Rule::distribute_entry => {
                        let span = self.span(&e);
                        let mut di = e.into_inner();
                        let strategy = self.ident(next(&mut di, Rule::strategy));
                        let state = next_if(&mut di, Rule::state_name).map(|s| {
                            let mut si = s.into_inner();
                            self.string(next(&mut si, Rule::string))
                        });
                        team.distribute.push(Distribute {
                            strategy,
                            state,
                            span,
                        });
                    }
                    r => unreachable!("team entry {r:?}"),
                }
            }
        }
        team
    }

    fn member(&mut self, p: P<'_>) -> Member {
        assert_eq!(p.as_rule(), Rule::member);
        let span = self.span(&p);
        let mut inner = p.into_inner();
        let id = self.string(next(&mut inner, Rule::string));
        let weight = next_if(&mut inner, Rule::member_weight)
            .map(|w| self.num_lit(w.into_inner().next().expect("weight value")));
        let capacity = next_if(&mut inner, Rule::member_capacity)
            .map(|c| self.num_lit(c.into_inner().next().expect("capacity value")));
        Member {
            id,
            weight,
            capacity,
            span,
        }
    }

    fn calendar_decl(&mut self, p: P<'_>) -> Calendar {
        assert_eq!(p.as_rule(), Rule::calendar_decl);
        let span = self.span(&p);
        let mut inner = p.into_inner();
        let name = self.ident(next(&mut inner, Rule::ident));
        let mut cal = Calendar {
            name,
            timezone: vec![],
            hours: vec![],
            holidays: vec![],
            span,
        };
        for e in inner {
            match e.as_rule() {
                Rule::timezone_entry => {
                    let mut ti = e.into_inner();
                    cal.timezone.push(self.string(next(&mut ti, Rule::string)));
                }
                Rule::holidays_entry => {
                    for d in e.into_inner() {
                        cal.holidays.push(self.date(d));
                    }
                }
                Rule::hours_entry => cal.hours.push(self.hours_entry(e)),
                r => unreachable!("calendar entry {r:?}"),
            }
        }
        cal
    }

    fn hours_entry(&mut self, p: P<'_>) -> Hours {
        assert_eq!(p.as_rule(), Rule::hours_entry);
        let span = self.span(&p);
        let mut days = Vec::new();
        let mut ranges = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::day_range => {
                    let mut di = c.into_inner();
                    let a = weekday_index(next(&mut di, Rule::weekday).as_str());
                    let b = next_if(&mut di, Rule::weekday).map(|w| weekday_index(w.as_str()));
                    match b {
                        None => days.push(a),
                        Some(b) if b >= a => days.extend(a..=b),
                        // a range over the weekend, `sat-mon`
                        Some(b) => days.extend((a..7).chain(0..=b)),
                    }
                }
                Rule::time_range => {
                    let rspan = self.span(&c);
                    let mut ti = c.into_inner();
                    let start = self.clock(next(&mut ti, Rule::clock));
                    let end = self.clock(next(&mut ti, Rule::clock));
                    ranges.push((start, end, rspan));
                }
                r => unreachable!("hours {r:?}"),
            }
        }
        Hours { days, ranges, span }
    }

    /// `09:30` -> minutes after midnight; `24:00` is the end of the day.
    fn clock(&mut self, p: P<'_>) -> u16 {
        let span = self.span(&p);
        let (h, m) = p.as_str().split_once(':').expect("clock has a colon");
        let h: u16 = h.parse().unwrap_or(99);
        let m: u16 = m.parse().unwrap_or(99);
        if m > 59 || h > 24 || (h == 24 && m != 0) {
            self.error(
                Diagnostic::new(
                    Code::InvalidLiteral,
                    span,
                    format!("`{}` is not a time of day", p.as_str()),
                )
                .label("no such time")
                .help("write times as HH:MM from 00:00 to 24:00, e.g. `09:00` or `17:30`"),
            );
            return 0;
        }
        h * 60 + m
    }

    fn signal_decl(&mut self, p: P<'_>) -> Signal {
        assert_eq!(p.as_rule(), Rule::signal_decl);
        let mut inner = p.into_inner();
        let name = self.ident(next(&mut inner, Rule::ident));
        self.define_op(next(&mut inner, Rule::define_op));
        let expr = self.expr(next(&mut inner, Rule::expr));
        let description = self.opt_string(&mut inner);
        Signal {
            name,
            expr,
            description,
        }
    }

    fn define_op(&mut self, p: P<'_>) {
        if p.as_str() == "==" {
            let span = self.span(&p);
            self.error(
                Diagnostic::new(
                    Code::DefineWithEquals,
                    span,
                    "a definition uses `=`, not `==`",
                )
                .label("`==` compares two values")
                .help("write `=` between the name and its definition")
                .suggest(span, "="),
            );
        }
    }

    fn score_decl(&mut self, p: P<'_>) -> Score {
        assert_eq!(p.as_rule(), Rule::score_decl);
        let mut inner = p.into_inner();
        let name = self.ident(next(&mut inner, Rule::ident));
        let label = self.opt_string(&mut inner);
        let mut score = Score {
            name,
            label,
            terms: vec![],
            cap: vec![],
            decay: vec![],
        };
        for e in inner {
            let span = self.span(&e);
            match e.as_rule() {
                Rule::points_entry => {
                    let mut pi = e.into_inner();
                    let points = self.num_lit(next(&mut pi, Rule::signed_number));
                    let body = pi.next().expect("points body");
                    let per = body.as_rule() == Rule::points_per;
                    let mut bi = body.into_inner();
                    let expr = self.expr(next(&mut bi, Rule::expr));
                    score.terms.push(ScoreTerm {
                        points,
                        per,
                        expr,
                        span,
                    });
                }
                Rule::cap_entry => {
                    let mut ci = e.into_inner();
                    score
                        .cap
                        .push(self.num_lit(next(&mut ci, Rule::signed_number)));
                }
                Rule::decay_entry => {
                    let mut di = e.into_inner();
                    let half_life = self.duration_arg(di.next().expect("half life"));
                    let since = self.path(next(&mut di, Rule::path));
                    score.decay.push(Decay {
                        half_life,
                        since,
                        span,
                    });
                }
                r => unreachable!("score entry {r:?}"),
            }
        }
        score
    }

    fn handoff_decl(&mut self, p: P<'_>) -> Handoff {
        assert_eq!(p.as_rule(), Rule::handoff_decl);
        let mut inner = p.into_inner();
        let from = self.ident(next(&mut inner, Rule::ident));
        let to = self.ident(next(&mut inner, Rule::ident));
        let label = self.opt_string(&mut inner);
        let mut h = Handoff {
            head_span: from.span.to(to.span),
            from,
            to,
            label,
            initiated_by: vec![],
            validated_by: vec![],
            owned_by: vec![],
            ready: vec![],
            require: vec![],
            quality: vec![],
            consent: vec![],
            routes: vec![],
            escalations: vec![],
            playbooks: vec![],
            debrief: vec![],
            overrides: vec![],
        };
        for e in inner {
            let span = self.span(&e);
            let rule = e.as_rule();
            match rule {
                Rule::initiated_entry | Rule::validated_entry | Rule::owned_entry => {
                    let mut ri = e.into_inner();
                    let role = self.ident(next(&mut ri, Rule::ident));
                    match rule {
                        Rule::initiated_entry => h.initiated_by.push(role),
                        Rule::validated_entry => h.validated_by.push(role),
                        _ => h.owned_by.push(role),
                    }
                }
                Rule::ready_entry => {
                    let mut ri = e.into_inner();
                    h.ready.push(self.expr(next(&mut ri, Rule::expr)));
                }
                Rule::require_block => {
                    for r in e.into_inner() {
                        h.require.push(self.require_item(r));
                    }
                }
                Rule::quality_block => {
                    for r in e.into_inner() {
                        h.quality.push(self.quality_rule(r));
                    }
                }
                Rule::consent_block => {
                    for r in e.into_inner() {
                        h.consent.push(self.consent_rule(r));
                    }
                }
                Rule::route_block => h.routes.push(self.route_block(e)),
                Rule::escalate_block => {
                    let steps = e.into_inner().map(|s| self.escalation(s)).collect();
                    h.escalations.push(steps);
                }
                Rule::playbook_select => {
                    let mut pi = e.into_inner();
                    let name = self.ident(next(&mut pi, Rule::ident));
                    let sel = pi.next().expect("playbook selection");
                    let when = match sel.as_rule() {
                        Rule::playbook_when => {
                            let mut wi = sel.into_inner();
                            Some(self.expr(next(&mut wi, Rule::expr)))
                        }
                        _ => None,
                    };
                    h.playbooks.push(PlaybookSelect { name, when, span });
                }
                Rule::debrief_entry => {
                    let mut di = e.into_inner();
                    let within = self.duration_arg(di.next().expect("debrief delay"));
                    let since = self.path(next(&mut di, Rule::path));
                    let field = self.path(next(&mut di, Rule::path));
                    h.debrief.push(Debrief {
                        within,
                        since,
                        field,
                        span,
                    });
                }
                Rule::overrides_entry => {
                    let mut roles = Vec::new();
                    let mut reason_required = false;
                    for c in e.into_inner() {
                        match c.as_rule() {
                            Rule::ident => roles.push(self.ident(c)),
                            Rule::with_reason => reason_required = true,
                            r => unreachable!("overrides {r:?}"),
                        }
                    }
                    h.overrides.push(Overrides {
                        roles,
                        reason_required,
                        span,
                    });
                }
                r => unreachable!("handoff entry {r:?}"),
            }
        }
        h
    }

    fn require_item(&mut self, p: P<'_>) -> Requirement {
        assert_eq!(p.as_rule(), Rule::require_item);
        let span = self.span(&p);
        let mut inner = p.into_inner();
        let path = self.path(next(&mut inner, Rule::path));
        let mut req = Requirement {
            path,
            at_least: None,
            format: None,
            within: None,
            label: None,
            span,
        };
        for c in inner {
            match c.as_rule() {
                Rule::req_at_least => {
                    let mut ci = c.into_inner();
                    req.at_least = Some(self.int(next(&mut ci, Rule::int)));
                }
                Rule::req_format => {
                    let f = c.into_inner().next().expect("format value");
                    req.format = Some(match f.as_rule() {
                        Rule::string => Format::Regex(self.string(f)),
                        _ => Format::Named(self.ident(f)),
                    });
                }
                Rule::req_within => {
                    let d = c.into_inner().next().expect("within duration");
                    req.within = Some(self.duration_arg(d));
                }
                Rule::string => req.label = Some(self.string(c)),
                r => unreachable!("requirement {r:?}"),
            }
        }
        req
    }

    fn quality_rule(&mut self, p: P<'_>) -> QualityRule {
        assert_eq!(p.as_rule(), Rule::quality_rule);
        let span = self.span(&p);
        let mut inner = p.into_inner();
        let severity = match next(&mut inner, Rule::severity).as_str() {
            "block" => QualitySeverity::Block,
            _ => QualitySeverity::Review,
        };
        let message = self.string(next(&mut inner, Rule::string));
        let when = self.expr(next(&mut inner, Rule::expr));
        QualityRule {
            severity,
            message,
            when,
            span,
        }
    }

    fn consent_rule(&mut self, p: P<'_>) -> ConsentRule {
        assert_eq!(p.as_rule(), Rule::consent_rule);
        let span = self.span(&p);
        let mut inner = p.into_inner();
        let channel = self.ident(next(&mut inner, Rule::channel));
        let field = self.path(next(&mut inner, Rule::path));
        let when = next_if(&mut inner, Rule::expr).map(|e| self.expr(e));
        ConsentRule {
            channel,
            field,
            when,
            span,
        }
    }

    fn route_block(&mut self, p: P<'_>) -> Route {
        assert_eq!(p.as_rule(), Rule::route_block);
        let span = self.span(&p);
        let mut rules: Vec<RouteRule> = Vec::new();
        let mut otherwise: Option<Span> = None;
        for r in p.into_inner() {
            let rspan = self.span(&r);
            let is_otherwise = r.as_rule() == Rule::otherwise_rule;
            let mut inner = r.into_inner();
            let when = if is_otherwise {
                None
            } else {
                Some(self.expr(next(&mut inner, Rule::expr)))
            };
            if let Some(a) = next_if(&mut inner, Rule::arrow_err) {
                self.wrong_arrow(&a);
            }
            let target = self.target(next(&mut inner, Rule::target));
            if let Some(first) = otherwise {
                let code = if is_otherwise {
                    Code::DuplicateOtherwise
                } else {
                    Code::RuleAfterOtherwise
                };
                let message = if is_otherwise {
                    "this route has a second `otherwise`"
                } else {
                    "this rule comes after `otherwise`, so it can never be chosen"
                };
                self.error(
                    Diagnostic::new(code, rspan, message)
                        .label("never reached")
                        .with_secondary(first, "`otherwise` already catches every lead here")
                        .help("keep exactly one `otherwise`, as the last rule of the route"),
                );
            } else if is_otherwise {
                otherwise = Some(rspan);
            }
            rules.push(RouteRule {
                when,
                target,
                span: rspan,
            });
        }
        if otherwise.is_none() {
            let end = span.end as usize;
            let close = Span::new(self.file, end.saturating_sub(1), end);
            let mut d = Diagnostic::new(
                Code::MissingOtherwise,
                close,
                "this route has no `otherwise` rule",
            )
            .label("add `otherwise -> ...` before this brace")
            .with_secondary(
                Span::new(self.file, span.start as usize, span.start as usize + 5),
                "route starts here",
            )
            .help("add `otherwise -> queue <name>` as the last rule so that no lead lands nowhere");
            if let Some(last) = rules.last() {
                d = d.with_secondary(last.span, "a lead that matches no rule stops here");
            }
            self.error(d);
        }
        Route { rules, span }
    }

    fn wrong_arrow(&mut self, a: &P<'_>) {
        let span = self.span(a);
        self.error(
            Diagnostic::new(
                Code::WrongArrow,
                span,
                format!("`{}` is not an arrow here", a.as_str()),
            )
            .label("write `->`")
            .help("routes, escalations and handoffs use `->`, a hyphen and a greater-than sign")
            .suggest(span, "->"),
        );
    }

    fn target(&mut self, p: P<'_>) -> Target {
        assert_eq!(p.as_rule(), Rule::target);
        let t = p.into_inner().next().expect("target kind");
        let rule = t.as_rule();
        let mut ti = t.into_inner();
        match rule {
            Rule::target_team => Target::Team(self.ident(next(&mut ti, Rule::ident))),
            Rule::target_queue => Target::Queue(self.ident(next(&mut ti, Rule::ident))),
            Rule::target_owner => Target::Owner(self.string(next(&mut ti, Rule::string))),
            r => unreachable!("target {r:?}"),
        }
    }

    fn escalation(&mut self, p: P<'_>) -> Escalation {
        assert_eq!(p.as_rule(), Rule::escalation);
        let span = self.span(&p);
        let mut inner = p.into_inner();
        let after = self.duration_arg(inner.next().expect("escalation delay"));
        let calendar = next_if(&mut inner, Rule::business_hours).map(|b| {
            let mut bi = b.into_inner();
            self.ident(next(&mut bi, Rule::ident))
        });
        let since = self.path(next(&mut inner, Rule::path));
        let unless = next_if(&mut inner, Rule::unless_clause).map(|u| {
            let mut ui = u.into_inner();
            self.path(next(&mut ui, Rule::path))
        });
        if let Some(a) = next_if(&mut inner, Rule::arrow_err) {
            self.wrong_arrow(&a);
        }
        let mut actions = Vec::new();
        for a in inner {
            let act = a.into_inner().next().expect("action kind");
            let rule = act.as_rule();
            let mut ai = act.into_inner();
            actions.push(match rule {
                Rule::notify_action => {
                    let role = self.ident(next(&mut ai, Rule::ident));
                    let message = self.opt_string(&mut ai);
                    Action::Notify { role, message }
                }
                Rule::reassign_action => Action::Reassign(self.target(next(&mut ai, Rule::target))),
                r => unreachable!("action {r:?}"),
            });
        }
        Escalation {
            after,
            calendar,
            since,
            unless,
            actions,
            span,
        }
    }

    fn playbook_decl(&mut self, p: P<'_>) -> Playbook {
        assert_eq!(p.as_rule(), Rule::playbook_decl);
        let mut inner = p.into_inner();
        let name = self.ident(next(&mut inner, Rule::ident));
        let mut pb = Playbook {
            name,
            persona: vec![],
            segment: vec![],
            touches: vec![],
            collect: vec![],
            outcome: vec![],
        };
        for e in inner {
            let rule = e.as_rule();
            let mut ei = e.into_inner();
            match rule {
                Rule::persona_entry => pb.persona.push(self.string(next(&mut ei, Rule::string))),
                Rule::segment_entry => pb.segment.push(self.string(next(&mut ei, Rule::string))),
                Rule::outcome_entry => pb.outcome.push(self.string(next(&mut ei, Rule::string))),
                Rule::collect_entry => pb.collect.extend(self.paths(ei)),
                Rule::touches_entry => {
                    for t in ei {
                        let span = self.span(&t);
                        let mut ti = t.into_inner();
                        let channel = self.ident(next(&mut ti, Rule::channel));
                        let template = self.string(next(&mut ti, Rule::string));
                        let after = ti.next().map(|d| self.duration_arg(d));
                        pb.touches.push(Touch {
                            channel,
                            template,
                            after,
                            span,
                        });
                    }
                }
                r => unreachable!("playbook entry {r:?}"),
            }
        }
        pb
    }

    fn metric_decl(&mut self, p: P<'_>) -> Metric {
        assert_eq!(p.as_rule(), Rule::metric_decl);
        let mut inner = p.into_inner();
        let name = self.ident(next(&mut inner, Rule::ident));
        let label = self.opt_string(&mut inner);
        self.define_op(next(&mut inner, Rule::define_op));
        let body_pair = inner.next().expect("metric body");
        let body = match body_pair.as_rule() {
            Rule::share_body => {
                let mut si = body_pair.into_inner();
                let of = self.expr(next(&mut si, Rule::expr));
                let among = si.next().map(|e| self.expr(e));
                MetricBody::Share { of, among }
            }
            _ => MetricBody::Value(self.expr(body_pair)),
        };
        let target = inner.next().map(|t| {
            let span = self.span(&t);
            let mut ti = t.into_inner();
            let op = match next(&mut ti, Rule::target_op).as_str() {
                "<=" => BinOp::Le,
                ">=" => BinOp::Ge,
                "<" => BinOp::Lt,
                _ => BinOp::Gt,
            };
            let value = self.expr(next(&mut ti, Rule::expr));
            MetricTarget { op, value, span }
        });
        Metric {
            name,
            label,
            body,
            target,
        }
    }

    // ------------------------------------------------------------ expressions

    fn expr(&mut self, p: P<'_>) -> Expr {
        self.expr_d(p).0
    }

    /// Lowers an expression and returns its depth (for the nesting limit).
    fn expr_d(&mut self, p: P<'_>) -> (Expr, usize) {
        assert_eq!(p.as_rule(), Rule::expr);
        let span = self.span(&p);
        // pest's Pratt parser recurses once per prefix operator: a run of
        // `not` or `-` longer than the depth limit is refused before it
        // runs (every other operator is bounded by the limit below, and
        // brackets by the pre-flight in `syntax`)
        if let Some(run) = long_prefix_run(&p) {
            let at = Span::new(self.file, self.offset + run.0, self.offset + run.1);
            self.error(
                Diagnostic::new(
                    Code::TooDeep,
                    at,
                    format!("this expression nests more than {MAX_EXPR_DEPTH} operators deep"),
                )
                .label("a long run of `not` or `-`")
                .help("`not not x` is `x`: write each `not` or `-` once, and split the condition into named signals"),
            );
            return (
                Expr {
                    kind: ExprKind::Bool(false),
                    span,
                },
                1,
            );
        }
        // The Pratt closures cannot borrow `self` mutably all at once, so
        // diagnostics go through a RefCell for the duration of the climb.
        let this = std::cell::RefCell::new(&mut *self);
        let result = pratt()
            .map_primary(|prim| this.borrow_mut().primary(prim))
            .map_prefix(|op, rhs| {
                let rhs = rhs?;
                let span = this.borrow().span(&op).to(rhs.0.span);
                let o = if op.as_rule() == Rule::not_op {
                    UnOp::Not
                } else {
                    UnOp::Neg
                };
                deeper(span, rhs.1 + 1, |_| ExprKind::Unary(o, Box::new(rhs.0)))
            })
            .map_infix(|lhs, op, rhs| {
                let (lhs, rhs) = (lhs?, rhs?);
                let depth = lhs.1.max(rhs.1) + 1;
                let span = lhs.0.span.to(rhs.0.span);
                let o = this.borrow_mut().bin_op(&op);
                deeper(span, depth, |_| {
                    ExprKind::Binary(o, Box::new(lhs.0), Box::new(rhs.0))
                })
            })
            .parse(p.into_inner());
        match result {
            Ok(r) => r,
            Err(at) => {
                self.error(
                    Diagnostic::new(
                        Code::TooDeep,
                        at,
                        format!("this expression nests more than {MAX_EXPR_DEPTH} operators deep"),
                    )
                    .label("too deep here")
                    .help(
                        "split the condition into named signals; each can use the others by name",
                    ),
                );
                (
                    Expr {
                        kind: ExprKind::Bool(false),
                        span,
                    },
                    1,
                )
            }
        }
    }

    fn bin_op(&mut self, op: &P<'_>) -> BinOp {
        match op.as_rule() {
            Rule::or_op => BinOp::Or,
            Rule::and_op => BinOp::And,
            Rule::eq_op => BinOp::Eq,
            Rule::ne_op => BinOp::Ne,
            Rule::lt_op => BinOp::Lt,
            Rule::le_op => BinOp::Le,
            Rule::gt_op => BinOp::Gt,
            Rule::ge_op => BinOp::Ge,
            Rule::in_op => BinOp::In,
            Rule::not_in_op => BinOp::NotIn,
            Rule::add_op => BinOp::Add,
            Rule::sub_op => BinOp::Sub,
            Rule::mul_op => BinOp::Mul,
            Rule::div_op => BinOp::Div,
            Rule::assign_err => {
                let span = self.span(op);
                self.error(
                    Diagnostic::new(Code::AssignForEquals, span, "`=` cannot compare two values")
                        .label("write `==` to compare")
                        .help("conditions compare with `==`; a single `=` only defines a signal, score or metric")
                        .suggest(span, "=="),
                );
                BinOp::Eq
            }
            r => unreachable!("operator {r:?}"),
        }
    }

    /// Lowers a primary; the `usize` is the expression depth for the limit.
    fn primary(&mut self, p: P<'_>) -> Result<(Expr, usize), Span> {
        let span = self.span(&p);
        let mut depth = 1;
        let kind = match p.as_rule() {
            Rule::paren => {
                let mut inner = p.into_inner();
                let (e, d) = self.expr_d(next(&mut inner, Rule::expr));
                return deeper(span, d + 1, |_| e.kind);
            }
            Rule::list_lit => ExprKind::List(self.exprs(p.into_inner(), &mut depth)),
            Rule::all_block => ExprKind::All(self.exprs(p.into_inner(), &mut depth)),
            Rule::any_block => ExprKind::Any(self.exprs(p.into_inner(), &mut depth)),
            Rule::at_least_block => {
                let mut inner = p.into_inner();
                let (n, _) = self.int(next(&mut inner, Rule::int));
                ExprKind::AtLeast(n, self.exprs(inner, &mut depth))
            }
            Rule::call => {
                let mut inner = p.into_inner();
                let name = self.ident(next(&mut inner, Rule::fn_name));
                let mut args = Vec::new();
                for a in inner {
                    args.push(match a.as_rule() {
                        Rule::lambda => {
                            let lspan = self.span(&a);
                            let mut li = a.into_inner();
                            let param = self.ident(next(&mut li, Rule::ident));
                            let (body, d) = self.expr_d(next(&mut li, Rule::expr));
                            depth = depth.max(d + 2);
                            Expr {
                                kind: ExprKind::Lambda(param, Box::new(body)),
                                span: lspan,
                            }
                        }
                        _ => {
                            let (e, d) = self.expr_d(a);
                            depth = depth.max(d + 1);
                            e
                        }
                    });
                }
                ExprKind::Call(name, args)
            }
            Rule::timestamp => ExprKind::Timestamp(self.timestamp(&p)),
            Rule::date => {
                let d = self.date(p);
                let ts = d
                    .date
                    .to_zoned_datetime(jiff::tz::TimeZone::UTC)
                    .map(|z| z.timestamp())
                    .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
                ExprKind::Timestamp(ts)
            }
            Rule::duration => ExprKind::Duration(self.duration_seconds(p.as_str(), span)),
            Rule::percent => {
                let v: f64 = p.as_str().trim_end_matches('%').parse().unwrap_or(0.0);
                ExprKind::Number(v / 100.0)
            }
            Rule::number => ExprKind::Number(self.number_value(&p)),
            Rule::string => ExprKind::Str(self.string(p).value),
            Rule::boolean => ExprKind::Bool(p.as_str() == "true"),
            Rule::now_lit => ExprKind::Now,
            Rule::path => ExprKind::Path(self.path(p)),
            r => unreachable!("primary {r:?}"),
        };
        deeper(span, depth, |_| kind)
    }

    fn exprs(&mut self, inner: Pairs<'_, Rule>, depth: &mut usize) -> Vec<Expr> {
        let mut out = Vec::new();
        for p in inner.filter(|p| p.as_rule() == Rule::expr) {
            let (e, d) = self.expr_d(p);
            *depth = (*depth).max(d + 1);
            out.push(e);
        }
        out
    }
}

/// The first run of more than [`MAX_EXPR_DEPTH`] prefix operators among
/// the direct children of an `expr` pair, as byte offsets in the parsed text.
fn long_prefix_run(p: &P<'_>) -> Option<(usize, usize)> {
    let (mut run, mut start) = (0usize, 0usize);
    for c in p.clone().into_inner() {
        if matches!(c.as_rule(), Rule::not_op | Rule::neg) {
            if run == 0 {
                start = c.as_span().start();
            }
            run += 1;
            if run > MAX_EXPR_DEPTH {
                return Some((start, c.as_span().end()));
            }
        } else {
            run = 0;
        }
    }
    None
}

/// Builds a node one level deeper, or fails once the depth limit is passed
/// (the children are then dropped while still shallow).
fn deeper(
    span: Span,
    depth: usize,
    make: impl FnOnce(()) -> ExprKind,
) -> Result<(Expr, usize), Span> {
    if depth > MAX_EXPR_DEPTH {
        return Err(span);
    }
    Ok((
        Expr {
            kind: make(()),
            span,
        },
        depth,
    ))
}

fn weekday_index(s: &str) -> u8 {
    match s {
        "mon" => 0,
        "tue" => 1,
        "wed" => 2,
        "thu" => 3,
        "fri" => 4,
        "sat" => 5,
        _ => 6,
    }
}
