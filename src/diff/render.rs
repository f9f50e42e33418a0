//! The report for people: plain text, and Markdown for a pull request.

use super::{DiffReport, Sample};

impl DiffReport {
    /// The report for people, as plain text.
    pub fn text(&self) -> String {
        let mut s = format!(
            "{} lead(s) compared, {} decided differently\n",
            self.leads, self.changed
        );
        if self.bad_count > 0 {
            s.push_str(&format!(
                "{} record(s) could not be read:\n",
                self.bad_count
            ));
            for b in self.bad_records.iter().take(10) {
                s.push_str(&format!("  line {}: {}\n", b.line, b.message));
            }
        }
        for (kind, c) in &self.changes {
            s.push_str(&format!("\n{kind}: {} lead(s)\n", c.count));
            for x in &c.samples {
                s.push_str(&format!("  {}: {} -> {}\n", x.lead, x.before, x.after));
                match (&x.rule_before, &x.rule_after) {
                    (None, None) => {}
                    (Some(a), Some(b)) if a == b => {
                        s.push_str(&format!("    by {a} (both)\n"));
                    }
                    (a, b) => {
                        if let Some(a) = a {
                            s.push_str(&format!("    before: {a}\n"));
                        }
                        if let Some(b) = b {
                            s.push_str(&format!("    after:  {b}\n"));
                        }
                    }
                }
            }
        }
        if !self.verdicts.is_empty() {
            s.push_str("\nverdicts:\n");
            for (k, n) in &self.verdicts {
                s.push_str(&format!("  {k}: {n}\n"));
            }
        }
        if !self.routes.is_empty() {
            s.push_str("\nroutes:\n");
            for (k, n) in &self.routes {
                s.push_str(&format!("  {k}: {n}\n"));
            }
        }
        if !self.members.is_empty() {
            s.push_str("\nmembers (same target):\n");
            for (k, n) in &self.members {
                s.push_str(&format!("  {k}: {n}\n"));
            }
        }
        s.push_str("\npolicy text:\n");
        let st = &self.structure;
        if st.added.is_empty() && st.removed.is_empty() && st.changed.is_empty() {
            s.push_str("  no definition added, removed or changed\n");
        }
        for a in &st.added {
            s.push_str(&format!("  + {a}\n"));
        }
        for r in &st.removed {
            s.push_str(&format!("  - {r}\n"));
        }
        for (n, x, y) in &st.changed {
            s.push_str(&format!("  ~ {n}: {x}  =>  {y}\n"));
        }
        s
    }

    /// The report as Markdown, fit to paste into a pull-request comment.
    pub fn markdown(&self) -> String {
        let mut s = format!(
            "### Policy change: {} of {} leads decided differently\n\n",
            self.changed, self.leads
        );
        if self.bad_count > 0 {
            s.push_str(&format!(
                "{} record(s) could not be read (first: line {}).\n\n",
                self.bad_count,
                self.bad_records.first().map_or(0, |b| b.line)
            ));
        }
        if !self.changes.is_empty() {
            s.push_str("| what | leads | examples |\n|---|---:|---|\n");
            for (kind, c) in &self.changes {
                let ex: Vec<String> = c.samples.iter().map(markdown_sample).collect();
                s.push_str(&format!("| {kind} | {} | {} |\n", c.count, ex.join("<br>")));
            }
            s.push('\n');
        }
        if !self.routes.is_empty() {
            s.push_str("| route before → after | leads |\n|---|---:|\n");
            for (k, n) in &self.routes {
                s.push_str(&format!("| {} | {n} |\n", md(&k.replace(" -> ", " → "))));
            }
            s.push('\n');
        }
        if !self.members.is_empty() {
            s.push_str("| member before → after (same target) | leads |\n|---|---:|\n");
            for (k, n) in &self.members {
                s.push_str(&format!("| {} | {n} |\n", md(&k.replace(" -> ", " → "))));
            }
            s.push('\n');
        }
        let st = &self.structure;
        if !(st.added.is_empty() && st.removed.is_empty() && st.changed.is_empty()) {
            s.push_str("<details><summary>Policy text</summary>\n\n");
            for a in &st.added {
                s.push_str(&format!("- added {}\n", md(a)));
            }
            for r in &st.removed {
                s.push_str(&format!("- removed {}\n", md(r)));
            }
            for (n, x, y) in &st.changed {
                s.push_str(&format!("- changed {}: `{}` → `{}`\n", md(n), x, y));
            }
            s.push_str("\n</details>\n");
        }
        s
    }
}

/// Text safe in a Markdown table cell.
fn md(s: &str) -> String {
    s.replace('|', "\\|")
}

/// A sample in a Markdown table cell: the lead, before → after, and the
/// rules that decided.
fn markdown_sample(x: &Sample) -> String {
    let mut s = format!("`{}`: {} → {}", md(&x.lead), md(&x.before), md(&x.after));
    match (&x.rule_before, &x.rule_after) {
        (None, None) => {}
        (Some(a), Some(b)) if a == b => s.push_str(&format!(" (by `{}`)", md(a))),
        (Some(a), Some(b)) => s.push_str(&format!(" (by `{}` → `{}`)", md(a), md(b))),
        (Some(a), None) => s.push_str(&format!(" (before, by `{}`)", md(a))),
        (None, Some(b)) => s.push_str(&format!(" (after, by `{}`)", md(b))),
    }
    s
}
