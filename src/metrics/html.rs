//! The report as one self-contained HTML page: inline CSS and SVG charts
//! drawn here (nothing is fetched when it is viewed, no script runs).
//! Charts: how each value metric spreads against its target line, SLA
//! breaches by route target and step, each share metric by group, and the
//! verdicts by group.

use std::fmt::Write;

use super::report::{Distribution, MetricsReport};
use super::text::{human, pct};

/// Text safe in HTML (element content and quoted attributes).
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2430; margin: 0; background: #f5f6f8; }
header { background: #1d2430; color: #fff; padding: 20px 32px; }
header h1 { margin: 0 0 4px; font-size: 22px; }
header p { margin: 0; opacity: .8; }
main { padding: 16px 32px 48px; max-width: 1100px; }
section { background: #fff; border-radius: 8px; padding: 16px 20px; margin: 16px 0; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
h2 { font-size: 17px; margin: 0 0 4px; }
p.sub { margin: 0 0 12px; color: #5b6474; }
.cards { display: flex; gap: 12px; flex-wrap: wrap; }
.card { background: #fff; border-radius: 8px; padding: 12px 16px; min-width: 150px; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
.card b { display: block; font-size: 22px; }
.card.bad b { color: #b3261e; } .card.good b { color: #1b7f3b; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: right; padding: 4px 8px; border-bottom: 1px solid #e6e8ec; }
th:first-child, td:first-child, th:nth-child(2), td:nth-child(2) { text-align: left; }
th { color: #5b6474; font-weight: 600; }
svg text { font: 11px system-ui, sans-serif; fill: #3b4352; }
.warn { color: #b3261e; }
"#;

const COLORS: [&str; 5] = ["#2f6fdf", "#e0a100", "#7b5cd6", "#b3261e", "#8c96a5"];

/// A histogram of one value metric with its target line.
fn histogram(d: &Distribution, id: usize) -> String {
    let (w, h, left, bottom, top) = (760.0, 240.0, 48.0, 36.0, 16.0);
    let max = d.bins.iter().map(|b| b.count).max().unwrap_or(0).max(1) as f64;
    let n = d.bins.len().max(1) as f64;
    let bw = (w - left - 8.0) / n;
    let y = |c: f64| top + (h - top - bottom) * (1.0 - c / max);
    let unit = Some(d.unit);
    let mut s = format!(
        r#"<svg id="dist-{id}" class="chart" role="img" viewBox="0 0 {w} {h}" width="{w}" height="{h}" aria-label="{}">"#,
        esc(&format!("How {} spreads", d.metric))
    );
    let _ = write!(
        s,
        r##"<line x1="{left}" y1="{}" x2="{}" y2="{}" stroke="#8c96a5"/>"##,
        h - bottom,
        w - 8.0,
        h - bottom
    );
    let lo = d.bins.first().map_or(0.0, |b| b.from);
    let hi = d.bins.last().map_or(1.0, |b| b.to);
    let x_of = |v: f64| left + (v - lo) / (hi - lo).max(f64::MIN_POSITIVE) * (w - left - 8.0);
    for (i, b) in d.bins.iter().enumerate() {
        let x = left + bw * i as f64;
        let within = d.target.is_none_or(|t| b.to <= t + 1e-9);
        let color = if within { "#2f6fdf" } else { "#e0a100" };
        let _ = write!(
            s,
            r#"<rect class="bar" x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{color}"><title>{}–{}: {} lead(s)</title></rect>"#,
            x + 1.0,
            y(b.count as f64),
            (bw - 2.0).max(1.0),
            (h - bottom - y(b.count as f64)).max(0.0),
            esc(&human(b.from, unit)),
            esc(&human(b.to, unit)),
            b.count
        );
        if i % 4 == 0 {
            let _ = write!(
                s,
                r#"<text x="{:.1}" y="{}" text-anchor="middle">{}</text>"#,
                x,
                h - bottom + 14.0,
                esc(&human(b.from, unit))
            );
        }
    }
    let _ = write!(
        s,
        r#"<text x="{:.1}" y="{}" text-anchor="end">{}</text>"#,
        w - 8.0,
        h - bottom + 14.0,
        esc(&human(hi, unit))
    );
    let _ = write!(
        s,
        r#"<text x="4" y="{}">{}</text><text x="4" y="{}">0</text>"#,
        top + 4.0,
        max as usize,
        h - bottom
    );
    if let (Some(t), Some(text)) = (d.target, &d.target_text) {
        if t >= lo && t <= hi {
            let x = x_of(t);
            let _ = write!(
                s,
                r##"<line class="target" x1="{x:.1}" y1="{top}" x2="{x:.1}" y2="{}" stroke="#b3261e" stroke-width="2" stroke-dasharray="5 3"/><text x="{:.1}" y="{}" fill="#b3261e">target {}</text>"##,
                h - bottom,
                x + 4.0,
                top + 10.0,
                esc(text)
            );
        }
    }
    s.push_str("</svg>");
    s
}

/// Horizontal bars: (label, value, text), values from 0 to `max`, with an
/// optional target line.
fn bars(id: &str, rows: &[(String, f64, String, usize)], max: f64, target: Option<f64>) -> String {
    let (w, row, left) = (760.0, 24.0, 220.0);
    let h = row * rows.len() as f64 + 12.0;
    let span = w - left - 80.0;
    let max = if max > 0.0 { max } else { 1.0 };
    let mut s = format!(
        r#"<svg id="{id}" class="chart" role="img" viewBox="0 0 {w} {h}" width="{w}" height="{h}">"#
    );
    for (i, (label, v, text, color)) in rows.iter().enumerate() {
        let y = 6.0 + row * i as f64;
        let bw = (v / max * span).max(if *v > 0.0 { 2.0 } else { 0.0 });
        let _ = write!(
            s,
            r#"<text x="{}" y="{:.1}" text-anchor="end">{}</text><rect class="bar" x="{left}" y="{:.1}" width="{bw:.1}" height="{:.1}" fill="{}"><title>{}: {}</title></rect><text x="{:.1}" y="{:.1}">{}</text>"#,
            left - 8.0,
            y + 15.0,
            esc(label),
            y + 3.0,
            row - 8.0,
            COLORS[color % 3],
            esc(label),
            esc(text),
            left + bw + 6.0,
            y + 15.0,
            esc(text)
        );
    }
    if let Some(t) = target {
        let x = left + t / max * span;
        let _ = write!(
            s,
            r##"<line class="target" x1="{x:.1}" y1="0" x2="{x:.1}" y2="{h}" stroke="#b3261e" stroke-width="2" stroke-dasharray="5 3"/>"##
        );
    }
    s.push_str("</svg>");
    s
}

/// Verdicts of each group as stacked bars.
fn verdict_bars(r: &MetricsReport) -> String {
    let groups: Vec<_> = std::iter::once(&r.all).chain(&r.groups).collect();
    let (w, row, left) = (760.0, 26.0, 220.0);
    let h = row * groups.len() as f64 + 36.0;
    let span = w - left - 20.0;
    let mut s = format!(
        r#"<svg id="verdicts" class="chart" role="img" viewBox="0 0 {w} {h}" width="{w}" height="{h}">"#
    );
    for (i, g) in groups.iter().enumerate() {
        let y = 6.0 + row * i as f64;
        let _ = write!(
            s,
            r#"<text x="{}" y="{:.1}" text-anchor="end">{}</text>"#,
            left - 8.0,
            y + 15.0,
            esc(&g.name)
        );
        let mut x = left;
        for (j, (v, n)) in g.verdicts.iter().enumerate() {
            if *n == 0 || g.leads == 0 {
                continue;
            }
            let bw = *n as f64 / g.leads as f64 * span;
            let _ = write!(
                s,
                r#"<rect class="bar" x="{x:.1}" y="{:.1}" width="{bw:.1}" height="{:.1}" fill="{}"><title>{}: {} {} ({})</title></rect>"#,
                y + 3.0,
                row - 8.0,
                COLORS[j % COLORS.len()],
                esc(&g.name),
                n,
                esc(v),
                pct(*n as f64 / g.leads as f64)
            );
            x += bw;
        }
    }
    let mut x = left;
    for (j, (v, _)) in r.all.verdicts.iter().enumerate() {
        let y = h - 14.0;
        let _ = write!(
            s,
            r#"<rect x="{x:.1}" y="{:.1}" width="10" height="10" fill="{}"/><text x="{:.1}" y="{y:.1}">{}</text>"#,
            y - 9.0,
            COLORS[j % COLORS.len()],
            x + 14.0,
            esc(v)
        );
        x += 110.0;
    }
    s.push_str("</svg>");
    s
}

impl MetricsReport {
    /// The report as one HTML page that needs nothing else to be viewed.
    pub fn html(&self) -> String {
        let mut s =
            String::from("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
        let _ = write!(
            s,
            "<title>{} metrics</title><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><style>{STYLE}</style></head><body>",
            esc(&self.policy.name)
        );
        let _ = write!(
            s,
            "<header><h1>Handoff metrics: {}{}</h1><p>{} lead(s) evaluated at {}{}; policy hash {}</p></header><main>",
            esc(&self.policy.name),
            self.policy
                .version
                .as_ref()
                .map_or(String::new(), |v| format!(" {}", esc(v))),
            self.all.leads,
            esc(&self.evaluated_at),
            self.grouped_by
                .as_ref()
                .map_or(String::new(), |b| format!(", grouped by {}", esc(b))),
            esc(&self.policy.hash[..self.policy.hash.len().min(12)])
        );
        // headline cards: each metric of the batch against its target
        s.push_str("<div class=\"cards\">");
        for m in &self.all.metrics {
            let (figure, good) = if m.kind == "share" {
                (m.ratio.map_or("-".into(), pct), m.target_met)
            } else {
                match (m.share_within_target, m.median) {
                    (Some(f), _) => (format!("{} within", pct(f)), None),
                    (None, Some(med)) => (format!("median {}", human(med, m.unit)), None),
                    _ => ("-".into(), None),
                }
            };
            let class = match good {
                Some(true) => " good",
                Some(false) => " bad",
                None => "",
            };
            let _ = write!(
                s,
                "<div class=\"card{class}\"><b>{}</b>{}{}</div>",
                esc(&figure),
                esc(m.label.as_deref().unwrap_or(&m.name)),
                m.target.as_ref().map_or(String::new(), |t| format!(
                    "<br><small>target {}</small>",
                    esc(t)
                ))
            );
        }
        s.push_str("</div>");
        if self.bad_records.count > 0 {
            let _ = write!(
                s,
                "<section><h2 class=\"warn\">{} record(s) could not be read</h2><p class=\"sub\">They are not counted. The first:</p><ul>",
                self.bad_records.count
            );
            for b in self.bad_records.first.iter().take(10) {
                let _ = write!(s, "<li>{}: {}</li>", esc(&b.place), esc(&b.message));
            }
            s.push_str("</ul></section>");
        }
        for (i, d) in self.distributions.iter().enumerate() {
            let m = self.all.metrics.iter().find(|m| m.name == d.metric);
            let _ = write!(
                s,
                "<section><h2>{}</h2><p class=\"sub\">{} lead(s) with a value, {} open (no value yet); median {}, p90 {}{}{}</p>{}</section>",
                esc(d.label.as_deref().unwrap_or(&d.metric)),
                m.and_then(|m| m.count).unwrap_or(0),
                m.map_or(0, |m| m.open),
                m.and_then(|m| m.median).map_or("-".into(), |v| human(v, Some(d.unit))),
                m.and_then(|m| m.p90).map_or("-".into(), |v| human(v, Some(d.unit))),
                m.and_then(|m| m.share_within_target)
                    .map_or(String::new(), |f| format!("; {} within target", pct(f))),
                if d.above > 0 {
                    format!("; {} beyond the chart's right edge", d.above)
                } else {
                    String::new()
                },
                histogram(d, i)
            );
        }
        if !self.breaches.is_empty() {
            // one colour per step
            let mut steps: Vec<&str> = Vec::new();
            let rows: Vec<(String, f64, String, usize)> = self
                .breaches
                .iter()
                .take(20)
                .map(|b| {
                    let color = match steps.iter().position(|s| *s == b.step) {
                        Some(i) => i,
                        None => {
                            steps.push(&b.step);
                            steps.len() - 1
                        }
                    };
                    (
                        format!("{} · {}", b.target, b.step),
                        b.overdue as f64,
                        b.overdue.to_string(),
                        color,
                    )
                })
                .collect();
            let max = rows.iter().map(|r| r.1).fold(0.0, f64::max);
            let _ = write!(
                s,
                "<section><h2>SLA breaches by team and step</h2><p class=\"sub\">Escalation steps due and not stopped, by the route target the lead went to.</p>{}</section>",
                bars("breaches", &rows, max, None)
            );
        }
        let groups: Vec<_> = std::iter::once(&self.all).chain(&self.groups).collect();
        for (i, m) in self.all.metrics.iter().enumerate() {
            if m.kind != "share" {
                continue;
            }
            let rows: Vec<(String, f64, String, usize)> = groups
                .iter()
                .map(|g| {
                    let gm = &g.metrics[i];
                    (
                        g.name.clone(),
                        gm.ratio.unwrap_or(0.0),
                        format!(
                            "{} ({} of {})",
                            gm.ratio.map_or("-".into(), pct),
                            gm.numerator.unwrap_or(0),
                            gm.denominator.unwrap_or(0)
                        ),
                        usize::from(g.name != "all"),
                    )
                })
                .collect();
            let goal = m.target.as_ref().and_then(|t| {
                t.trim_start_matches(['<', '>', '='])
                    .trim()
                    .trim_end_matches('%')
                    .parse::<f64>()
                    .ok()
                    .map(|p| p / 100.0)
            });
            let _ = write!(
                s,
                "<section><h2>{}</h2><p class=\"sub\">{}{}</p>{}</section>",
                esc(m.label.as_deref().unwrap_or(&m.name)),
                if self.grouped_by.is_some() {
                    "By group; "
                } else {
                    ""
                },
                m.target
                    .as_ref()
                    .map_or("no target".into(), |t| format!("target {}", esc(t))),
                bars(&format!("share-{i}"), &rows, 1.0, goal)
            );
        }
        let _ = write!(
            s,
            "<section><h2>Verdicts</h2><p class=\"sub\">What the policy decided{}.</p>{}</section>",
            if self.grouped_by.is_some() {
                ", by group"
            } else {
                ""
            },
            verdict_bars(self)
        );
        // the tables behind the charts
        s.push_str("<section><h2>Figures</h2><table><tr><th>group</th><th>metric</th><th>leads</th><th>with value / among</th><th>open</th><th>median</th><th>p90</th><th>share</th><th>target</th></tr>");
        for g in &groups {
            for m in &g.metrics {
                let _ = write!(
                    s,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(&g.name),
                    esc(&m.name),
                    g.leads,
                    m.count.or(m.denominator).unwrap_or(0),
                    m.open,
                    m.median.map_or("-".into(), |v| esc(&human(v, m.unit))),
                    m.p90.map_or("-".into(), |v| esc(&human(v, m.unit))),
                    m.ratio.or(m.share_within_target).map_or("-".into(), pct),
                    esc(m.target.as_deref().unwrap_or(""))
                );
            }
        }
        s.push_str("</table></section></main></body></html>\n");
        s
    }
}
