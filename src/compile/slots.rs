//! Field paths to slots: each path is given a slot once per frame (the lead,
//! or the elements of a list), the projection of JSON keys the evaluator
//! reads grows with it, and the slots a compiled expression reads are
//! collected here.

use std::collections::HashSet;
use std::sync::Arc;

use super::Compiler;
use crate::ast;
use crate::decision::PText;
use crate::ir::*;
use crate::types::Ty;

impl Compiler<'_> {
    /// The slot of a field path in frame `frame` (allocating it), where
    /// `segments` are relative to that frame and `types` are their types.
    pub(super) fn slot_in(
        &mut self,
        frame: usize,
        segments: &[String],
        ty: Ty,
        full_path: &str,
    ) -> u32 {
        let key = segments.join(".");
        if let Some(&s) = self.frames[frame].by_path.get(&key) {
            return s;
        }
        let slot = self.frames[frame].slots.len() as u32;
        let placeholders = self
            .placeholders_by_path
            .get(full_path)
            .cloned()
            .unwrap_or_else(|| {
                if ty.is_stringy() {
                    self.placeholders_all.clone()
                } else {
                    Arc::new(HashSet::new())
                }
            });
        let exact_placeholders = match self.exact_by_path.get(full_path) {
            Some(set) => set.clone(),
            None if ty.is_stringy() => self.exact_all.clone(),
            None => Arc::new(HashSet::new()),
        };
        self.frames[frame].slots.push(SlotInfo {
            path: PText::new(full_path),
            ty,
            placeholder_lens: crate::ir::placeholder_lens(&placeholders),
            placeholders,
            exact_placeholders,
            pii_visible_to: self.pii.get(full_path).cloned(),
            keep_json: false,
        });
        self.frames[frame].by_path.insert(key, slot);
        insert_projection(&mut self.frames[frame].projection, segments, slot);
        slot
    }

    /// The slot of a lead field path.
    pub(super) fn field_slot(&mut self, path: &ast::Path) -> u32 {
        let ty = self
            .p
            .resolve_field(path)
            .ok()
            .and_then(|f| f.last().map(|f| f.ty.clone()))
            .unwrap_or(Ty::Unknown);
        let segs: Vec<String> = path.segments.iter().map(|s| s.name.clone()).collect();
        self.slot_in(0, &segs, ty, &path.dotted())
    }

    /// The slot of a field that travels in the handoff packet: records and
    /// lists keep their JSON so the next owner sees them whole.
    pub(super) fn packet_slot(&mut self, path: &ast::Path) -> u32 {
        let slot = self.field_slot(path);
        let dotted = path.dotted();
        // personal data anywhere in what travels: the field itself, a
        // record it is part of, or a field inside it
        let mut visible: Option<Vec<String>> = None;
        for (pii_path, roles) in &self.pii {
            if crate::ast::overlaps(pii_path, &dotted) {
                visible = Some(match visible {
                    None => roles.clone(),
                    Some(v) => v.into_iter().filter(|r| roles.contains(r)).collect(),
                });
            }
        }
        let info = &mut self.frames[0].slots[slot as usize];
        if matches!(info.ty, Ty::Record(_) | Ty::List(_)) {
            info.keep_json = true;
        }
        if visible.is_some() {
            info.pii_visible_to = visible;
        }
        slot
    }
}

fn insert_projection(proj: &mut Projection, segments: &[String], slot: u32) {
    let (head, rest) = match segments.split_first() {
        Some(x) => x,
        None => return,
    };
    let pos = proj.keys.iter().position(|(k, _)| k == head);
    if rest.is_empty() {
        match pos {
            None => proj.keys.push((head.clone(), ProjNode::Leaf(slot))),
            Some(i) => {
                let node = std::mem::replace(&mut proj.keys[i].1, ProjNode::Leaf(slot));
                proj.keys[i].1 = match node {
                    ProjNode::Record(p) => ProjNode::Both(slot, p),
                    other => other,
                };
            }
        }
        return;
    }
    let i = match pos {
        Some(i) => i,
        None => {
            proj.keys
                .push((head.clone(), ProjNode::Record(Projection::default())));
            proj.keys.len() - 1
        }
    };
    let node = std::mem::replace(&mut proj.keys[i].1, ProjNode::Record(Projection::default()));
    proj.keys[i].1 = match node {
        ProjNode::Leaf(s) => {
            let mut p = Projection::default();
            insert_projection(&mut p, rest, slot);
            ProjNode::Both(s, p)
        }
        ProjNode::Record(mut p) => {
            insert_projection(&mut p, rest, slot);
            ProjNode::Record(p)
        }
        ProjNode::Both(s, mut p) => {
            insert_projection(&mut p, rest, slot);
            ProjNode::Both(s, p)
        }
    };
}

pub(super) fn collect_slots(e: &Ex, out: &mut Vec<u32>) {
    let mut push = |s: u32| {
        if !out.contains(&s) {
            out.push(s)
        }
    };
    match e {
        Ex::Slot(s) => push(*s),
        Ex::Not(x) | Ex::Neg(x) | Ex::Present(x) | Ex::Matches(x, _) => collect_slots(x, out),
        Ex::And(a, b)
        | Ex::Or(a, b)
        | Ex::Cmp(_, a, b)
        | Ex::In(_, a, b)
        | Ex::Arith(_, a, b)
        | Ex::AnyItem(a, b)
        | Ex::AllItems(a, b) => {
            collect_slots(a, out);
            collect_slots(b, out);
        }
        Ex::Count(a, b) => {
            collect_slots(a, out);
            if let Some(b) = b {
                collect_slots(b, out);
            }
        }
        Ex::AllOf(v) | Ex::AnyOf(v) | Ex::AtLeast(_, v) | Ex::Call(_, v) | Ex::MakeList(v) => {
            v.iter().for_each(|x| collect_slots(x, out))
        }
        Ex::Const(_) | Ex::Now | Ex::Var(..) | Ex::Signal(_) | Ex::Score(_) => {}
    }
}
