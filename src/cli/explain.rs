//! `handoff explain`: the decision for one lead, in words.

use std::path::PathBuf;

use clap::Args;

use super::exit;
use super::policy::PolicyArgs;
use handoff::eval::RunState;

#[derive(Args, Debug)]
pub(crate) struct ExplainArgs {
    #[command(flatten)]
    policy: PolicyArgs,
    /// One lead as a JSON object (a file, or `-`).
    #[arg(long)]
    lead: PathBuf,
}

pub(crate) fn run(a: ExplainArgs) -> i32 {
    let now = match a.policy.now() {
        Ok(n) => n,
        Err(code) => return code,
    };
    let state_on_stdin = a.policy.state.as_deref() == Some(std::path::Path::new("-"));
    if (a.policy.policy.as_os_str() == "-" || state_on_stdin) && a.lead.as_os_str() == "-" {
        return super::fail("the lead and the policy or state cannot all come from standard input: give the others as files");
    }
    let mut engine = match a.policy.engine() {
        Ok(e) => e,
        Err(code) => return code,
    };
    engine.explain = true;
    let obj = match super::eval::read_one_lead(&a.lead) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let mut run = RunState::default();
    let mut d = engine.evaluate(&obj, now);
    engine.assign_in_order(&mut d, &mut run);
    let mut text = handoff::explain::explain(&engine, &obj, &d, now);
    while text.ends_with('\n') {
        text.pop();
    }
    text.push('\n');
    // a reader that went away saw no explanation: no state moves on
    if let Err(code) = super::print(text.as_bytes()) {
        return code;
    }
    match a.policy.save_state(&engine, &run) {
        Ok(()) => exit::OK,
        Err(code) => code,
    }
}
