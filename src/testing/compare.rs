//! A case's expectations against a decision's JSON.

use std::collections::BTreeSet;

use serde_json::Value;

use super::{show, Expect, Mismatch};

/// Compares a decision's JSON with what a case expects.
pub(super) fn compare(e: &Expect, d: &Value) -> Vec<Mismatch> {
    let mut out = Vec::new();
    let mut check = |what: &str, expected: String, actual: String| {
        if expected != actual {
            out.push(Mismatch {
                what: what.to_string(),
                expected,
                actual,
            });
        }
    };
    let text = |v: &Value| {
        v.as_str()
            .map(str::to_string)
            .unwrap_or_else(|| "none".to_string())
    };
    if let Some(v) = &e.verdict {
        check("verdict", v.clone(), text(&d["verdict"]));
    }
    let route = &d["route"];
    if let Some(r) = &e.route {
        let actual = if route.is_null() {
            "none".to_string()
        } else {
            format!(
                "{} {}",
                text(&route["target"]["kind"]),
                text(&route["target"]["name"])
            )
        };
        check("route", r.clone(), actual);
    }
    if let Some(n) = e.route_rule {
        check(
            "route_rule",
            n.to_string(),
            route["rule"]
                .as_u64()
                .map_or("none".into(), |n| n.to_string()),
        );
    }
    if let Some(m) = &e.member {
        check("member", m.clone(), text(&route["member"]));
    }
    if let Some(p) = &e.playbook {
        check("playbook", p.clone(), text(&d["playbook"]["name"]));
    }
    let names = |v: &Value, key: &str| -> BTreeSet<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x[key].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let set_text = |s: &BTreeSet<String>| {
        if s.is_empty() {
            "[]".to_string()
        } else {
            format!("[{}]", s.iter().cloned().collect::<Vec<_>>().join(", "))
        }
    };
    if let Some(q) = &e.quality {
        let want: BTreeSet<String> = q.iter().cloned().collect();
        check(
            "quality",
            set_text(&want),
            set_text(&names(&d["quality"], "name")),
        );
    }
    if let Some(m) = &e.missing_context {
        let want: BTreeSet<String> = m.iter().cloned().collect();
        check(
            "missing_context",
            set_text(&want),
            set_text(&names(&d["missing_context"], "field")),
        );
    }
    if let Some(c) = &e.consent_blocked {
        let want: BTreeSet<String> = c.iter().cloned().collect();
        check(
            "consent_blocked",
            set_text(&want),
            set_text(&names(&d["consent"]["blocked_channels"], "channel")),
        );
    }
    if let Some(m) = &e.masked {
        let want: BTreeSet<String> = m.iter().cloned().collect();
        let masked: BTreeSet<String> = d["packet"]["fields"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter(|f| f["masked"] == Value::Bool(true))
                    .filter_map(|f| f["field"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        check("masked", set_text(&want), set_text(&masked));
    }
    if let Some(steps) = &e.escalations {
        for (name, status) in steps {
            let actual = d["escalations"]
                .as_array()
                .and_then(|a| a.iter().find(|s| s["name"] == name.as_str()))
                .map_or("none".to_string(), |s| text(&s["status"]));
            check(&format!("escalations.{name}"), status.clone(), actual);
        }
    }
    if let Some(signals) = &e.signals {
        for (name, want) in signals {
            let want = show(want);
            let actual = match &d["signals"][name]["value"] {
                Value::Bool(b) => b.to_string(),
                Value::Null => "missing".to_string(),
                other => other.to_string(),
            };
            check(&format!("signals.{name}"), want, actual);
        }
    }
    if let Some(ready) = &e.ready {
        for (step, want) in ready {
            let actual = d["stages"]
                .as_array()
                .and_then(|a| {
                    a.iter()
                        .find(|s| format!("{} -> {}", text(&s["from"]), text(&s["to"])) == *step)
                })
                .map_or("none".to_string(), |s| s["ready"].to_string());
            check(&format!("ready.{step}"), want.to_string(), actual);
        }
    }
    if let Some(unmet) = &e.unmet {
        let all: BTreeSet<String> = d["stages"]
            .as_array()
            .map(|a| {
                a.iter()
                    .flat_map(|s| s["unmet"].as_array().cloned().unwrap_or_default())
                    .filter_map(|u| u["condition"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        for u in unmet {
            if !all.contains(u) {
                check("unmet", u.clone(), set_text(&all));
            }
        }
    }
    out
}
