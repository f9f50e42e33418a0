//! Lowering: pest pairs -> AST, one function per grammar rule.
//!
//! Each function asserts the rule it lowers, consumes the children in
//! grammar order, and reports what the author can get wrong as a
//! [`Diagnostic`] (the `*_err` rules of the grammar) while still returning
//! a usable node, so that one parse reports every such mistake.
//!
//! The rules are lowered in files by construct family: [`lexemes`] (names,
//! paths, strings and literals), [`schema`] (the `lead` block and its
//! types), [`decls`] (the other top-level declarations), [`handoff`] (a
//! handoff and its blocks) and [`expr`] (expressions). This file holds the
//! walk over the items of a file and what every rule shares.

mod decls;
mod expr;
mod handoff;
mod lexemes;
mod schema;

use pest::iterators::{Pair, Pairs};

use super::Rule;
use crate::ast::*;
use crate::diag::Diagnostic;
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
        // lines end at `\n`, `\r\n` or a lone `\r`, as everywhere in a policy
        let all = before
            .split('\n')
            .flat_map(|l| l.strip_suffix('\r').unwrap_or(l).split('\r'));
        let all: Vec<&str> = all.collect();
        for line in all.into_iter().rev() {
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
}
