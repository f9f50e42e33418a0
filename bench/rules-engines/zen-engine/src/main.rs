//! The zen-engine reference of bench/run.sh: the rules of the ~8-field
//! reference program (bench/reference/src/main.rs, `eight`) as a GoRules JDM
//! decision graph (leads.json: an expression node for the signals, a
//! first-hit decision table for the verdict), evaluated by zen-engine on
//! every line of an NDJSON file, one JSON line out per lead.
//!
//!   zen-reference leads.json FILE.ndjson               the decision graph
//!   zen-reference leads.json FILE.ndjson expressions   compiled expressions
//!
//! The second mode is zen's fastest path: the graph's signal expressions
//! compiled once with `zen_expression::compile_expression` and run in one
//! reused VM per lead, then a compiled verdict expression over the
//! signals (the decision table's three rules), without the graph runtime.
//! Both read leads the fastest way zen offers, serde_json straight into
//! its `Variable`, and write the same values (in hash order).

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Write};
use std::rc::Rc;
use std::sync::Arc;

use zen_engine::model::{DecisionContent, DecisionNodeKind};
use zen_engine::DecisionEngine;
use zen_expression::expression::Standard;
use zen_expression::variable::Variable;
use zen_expression::vm::VM;
use zen_expression::Expression;

/// The verdict from the signals: the graph's decision table (first hit).
const VERDICT: &str = "in_scope == false ? 'out_of_scope' : \
    (mql and engaged and recent and email_ok ? 'handoff' : 'hold')";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (graph, path, compiled) = match args.as_slice() {
        [g, p] => (g, p, false),
        [g, p, m] if m == "expressions" => (g, p, true),
        _ => {
            eprintln!("usage: zen-reference GRAPH.json FILE.ndjson [expressions]");
            std::process::exit(2);
        }
    };
    let content: DecisionContent = match std::fs::read(graph)
        .map_err(|e| e.to_string())
        .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: cannot load the graph `{graph}`: {e}");
            std::process::exit(2);
        }
    };
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: cannot read `{path}`: {e}");
            std::process::exit(2);
        }
    };
    let summary = if compiled {
        let signals = signal_expressions(&content);
        let verdict = zen_expression::compile_expression(VERDICT).expect("the verdict compiles");
        let mut vm = VM::new();
        each_lead(file, |lead| {
            let mut result =
                HashMap::with_capacity_and_hasher(signals.len() + 1, Default::default());
            for (key, e) in &signals {
                result.insert(key.clone(), e.evaluate_with(lead.clone(), &mut vm).ok()?);
            }
            let result = Variable::from_object(result);
            let v = verdict.evaluate_with(result.clone(), &mut vm).ok()?;
            if let Variable::Object(map) = &result {
                map.borrow_mut().insert(Rc::from("verdict"), v);
            }
            Some(result)
        })
    } else {
        let engine = DecisionEngine::default();
        let decision = engine.create_decision(Arc::new(content));
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime");
        each_lead(file, |lead| match rt.block_on(decision.evaluate(lead)) {
            Ok(r) => Some(r.result),
            Err(e) => {
                eprintln!("error: {e:?}");
                None
            }
        })
    };
    eprintln!("{summary}");
}

/// The expressions of the graph's expression nodes, compiled once, with
/// the keys they set.
fn signal_expressions(content: &DecisionContent) -> Vec<(Rc<str>, Expression<Standard>)> {
    let mut signals = Vec::new();
    for node in &content.nodes {
        if let DecisionNodeKind::ExpressionNode { content } = &node.kind {
            for e in content.expressions.iter() {
                let compiled = zen_expression::compile_expression(&e.value)
                    .unwrap_or_else(|err| panic!("`{}` does not compile: {err:?}", e.value));
                signals.push((Rc::from(&*e.key), compiled));
            }
        }
    }
    signals
}

/// Reads `file` line by line, each non-blank line straight into a zen
/// `Variable` (a line that is not a JSON object counts as not read), and
/// writes what `decide` returns for it as one JSON line
/// to stdout, in blocks of about a megabyte; returns the summary line
/// (leads read, leads not read, the verdicts).
fn each_lead(file: std::fs::File, mut decide: impl FnMut(Variable) -> Option<Variable>) -> String {
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let stdout = std::io::stdout();
    let mut sink = stdout.lock();
    let mut out = Vec::with_capacity(1 << 20);
    let (mut ok, mut bad) = (0usize, 0usize);
    let mut verdicts = BTreeMap::<String, usize>::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                eprintln!("error: {e}");
                std::process::exit(2);
            }
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        // a line that is not a JSON object is no lead
        let decided = serde_json::from_slice::<Variable>(&line)
            .ok()
            .filter(|v| matches!(v, Variable::Object(_)))
            .and_then(&mut decide);
        let Some(result) = decided else {
            bad += 1;
            continue;
        };
        ok += 1;
        if let Variable::Object(map) = &result {
            let verdict = map
                .borrow()
                .get("verdict")
                .and_then(|v| v.as_str().map(str::to_string));
            *verdicts.entry(verdict.unwrap_or_default()).or_default() += 1;
        }
        let _ = serde_json::to_writer(&mut out, &result);
        out.push(b'\n');
        if out.len() > (1 << 20) - 4096 {
            let _ = sink.write_all(&out);
            out.clear();
        }
    }
    let _ = sink.write_all(&out);
    format!("{ok} read, {bad} not read; verdicts {verdicts:?}")
}
