//! Lowering of lexemes: identifiers, field paths, strings and their escapes,
//! numbers, durations, dates and timestamps.

use pest::iterators::Pairs;

use super::{next_if, Lower, Rule, P};
use crate::ast::*;
use crate::diag::{Code, Diagnostic};
use crate::span::Span;

impl Lower<'_> {
    pub(super) fn ident(&mut self, p: P<'_>) -> Ident {
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

    pub(super) fn idents(&mut self, inner: Pairs<'_, Rule>) -> Vec<Ident> {
        inner
            .filter(|p| p.as_rule() == Rule::ident)
            .map(|p| self.ident(p))
            .collect()
    }

    pub(super) fn path(&mut self, p: P<'_>) -> Path {
        assert_eq!(p.as_rule(), Rule::path);
        let span = self.span(&p);
        let segments = p.into_inner().map(|s| self.ident(s)).collect();
        Path { segments, span }
    }

    pub(super) fn paths(&mut self, inner: Pairs<'_, Rule>) -> Vec<Path> {
        inner
            .filter(|p| p.as_rule() == Rule::path)
            .map(|p| self.path(p))
            .collect()
    }

    pub(super) fn string(&mut self, p: P<'_>) -> StrLit {
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

    pub(super) fn opt_string(&mut self, inner: &mut Pairs<'_, Rule>) -> Option<StrLit> {
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

    pub(super) fn number_value(&mut self, p: &P<'_>) -> f64 {
        // the grammar admits only digits, one dot and a sign: always parses
        p.as_str().parse::<f64>().unwrap_or(0.0)
    }

    pub(super) fn num_lit(&mut self, p: P<'_>) -> NumLit {
        NumLit {
            value: self.number_value(&p),
            span: self.span(&p),
        }
    }

    pub(super) fn int(&mut self, p: P<'_>) -> (u32, Span) {
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
    pub(super) fn duration_arg(&mut self, p: P<'_>) -> DurationLit {
        let span = self.span(&p);
        match p.as_rule() {
            Rule::duration => DurationLit {
                seconds: self.duration_seconds(p.as_str(), span),
                span,
            },
            Rule::duration_unit_err => {
                let n = p.as_str();
                // `within 180 days`: the unit is written as a word
                let stop = crate::syntax::mistakes::Stop {
                    file: self.file,
                    src: self.src,
                    at: span.end as usize,
                };
                if let Some(d) = crate::syntax::mistakes::duration_words(&stop) {
                    self.error(d);
                    return DurationLit { seconds: 0, span };
                }
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

    pub(super) fn duration_seconds(&mut self, text: &str, span: Span) -> i64 {
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

    pub(super) fn date(&mut self, p: P<'_>) -> DateLit {
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

    pub(super) fn timestamp(&mut self, p: &P<'_>) -> jiff::Timestamp {
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
}
