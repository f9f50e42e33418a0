//! The zen-engine reference of bench/run.sh: the rules of the ~8-field
//! reference program (bench/reference.rs, `eight`) as a GoRules JDM
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
//! its `Variable`, and write the same lines.

use std::io::{BufRead, BufReader, Write};
use std::sync::Arc;

use zen_engine::model::DecisionContent;
use zen_engine::DecisionEngine;
use zen_expression::variable::Variable;

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
    if compiled {
        let n = expressions(&content, file);
        eprintln!("{n}");
        return;
    }
    let engine = DecisionEngine::default();
    let decision = engine.create_decision(Arc::new(content));
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let stdout = std::io::stdout();
    let mut sink = stdout.lock();
    let mut out = Vec::with_capacity(1 << 20);
    let (mut ok, mut bad) = (0usize, 0usize);
    let mut verdicts = std::collections::BTreeMap::<String, usize>::new();
    rt.block_on(async {
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
            let lead: Variable = match serde_json::from_slice(&line) {
                Ok(v) => v,
                Err(_) => {
                    bad += 1;
                    continue;
                }
            };
            match decision.evaluate(lead).await {
                Ok(r) => {
                    ok += 1;
                    let start = out.len();
                    let _ = serde_json::to_writer(&mut out, &r.result);
                    out.push(b'\n');
                    // tally the verdict from the line just written
                    let written = &out[start..];
                    let key = b"\"verdict\":\"";
                    if let Some(at) = written.windows(key.len()).position(|w| w == key) {
                        let rest = &written[at + key.len()..];
                        let end = rest.iter().position(|b| *b == b'"').unwrap_or(0);
                        let v = String::from_utf8_lossy(&rest[..end]).into_owned();
                        *verdicts.entry(v).or_default() += 1;
                    }
                }
                Err(e) => {
                    bad += 1;
                    if bad <= 3 {
                        eprintln!("error: {e:?}");
                    }
                }
            }
            if out.len() > (1 << 20) - 4096 {
                let _ = sink.write_all(&out);
                out.clear();
            }
        }
    });
    let _ = sink.write_all(&out);
    eprintln!("{ok} read, {bad} not read; verdicts {verdicts:?}");
}

/// The verdict from the signals: the graph's decision table (first hit).
const VERDICT: &str = "in_scope == false ? 'out_of_scope' : \
    (mql and engaged and recent and email_ok ? 'handoff' : 'hold')";

/// The compiled-expressions mode; returns the summary line.
fn expressions(content: &DecisionContent, file: std::fs::File) -> String {
    use std::collections::HashMap;
    use std::rc::Rc;
    use zen_engine::model::DecisionNodeKind;
    use zen_expression::vm::VM;

    let mut signals = Vec::new();
    for node in content.nodes.iter() {
        if let DecisionNodeKind::ExpressionNode { content } = &node.kind {
            for e in content.expressions.iter() {
                let compiled = zen_expression::compile_expression(&e.value)
                    .unwrap_or_else(|err| panic!("`{}` does not compile: {err:?}", e.value));
                signals.push((Rc::<str>::from(&*e.key), compiled));
            }
        }
    }
    let verdict = zen_expression::compile_expression(VERDICT).expect("the verdict compiles");
    let mut vm = VM::new();
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let stdout = std::io::stdout();
    let mut sink = stdout.lock();
    let mut out = Vec::with_capacity(1 << 20);
    let (mut ok, mut bad) = (0usize, 0usize);
    let mut verdicts = std::collections::BTreeMap::<String, usize>::new();
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
        let Ok(lead) = serde_json::from_slice::<Variable>(&line) else {
            bad += 1;
            continue;
        };
        let mut result = HashMap::with_capacity_and_hasher(signals.len() + 1, Default::default());
        let mut failed = false;
        for (key, e) in &signals {
            match e.evaluate_with(lead.clone(), &mut vm) {
                Ok(v) => {
                    result.insert(key.clone(), v);
                }
                Err(_) => failed = true,
            }
        }
        let result = Variable::from_object(result);
        match verdict.evaluate_with(result.clone(), &mut vm) {
            Ok(v) if !failed => {
                ok += 1;
                let name = v.as_str().unwrap_or_default().to_string();
                if let Variable::Object(map) = &result {
                    map.borrow_mut().insert(Rc::from("verdict"), v);
                }
                *verdicts.entry(name).or_default() += 1;
                let _ = serde_json::to_writer(&mut out, &result);
                out.push(b'\n');
            }
            _ => bad += 1,
        }
        if out.len() > (1 << 20) - 4096 {
            let _ = sink.write_all(&out);
            out.clear();
        }
    }
    let _ = sink.write_all(&out);
    format!("{ok} read, {bad} not read; verdicts {verdicts:?}")
}
