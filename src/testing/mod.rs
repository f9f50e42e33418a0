//! `handoff test`: suites of example leads and the decisions they must get.
//!
//! A suite is a TOML file named `*.test.toml`, kept beside the policy it
//! tests (docs/testing.md). It names the policy, a default `now`, a few
//! named leads, and cases: a lead (named, a file, or written inline), with
//! fields set or removed, and expectations on any part of the decision. An
//! expectation left out is not checked. Tables keep variants short: one lead
//! shape, one row per variant with the fields it changes and what it
//! expects.
//!
//! Running a suite loads and compiles its policy once, evaluates every case,
//! and compares. Coverage is counted by rule, across the suite: which
//! signals were seen true and false, which route rules were taken, which
//! escalation steps fell due, which quality gates tripped, which playbooks
//! were chosen, which consent rules blocked.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::diag::{Code, Diagnostic};
use crate::eval::Engine;
use crate::load::LoadOptions;
use crate::span::{FileId, SourceMap, Span};

mod compare;
mod coverage;
mod names;

use compare::compare;
use coverage::Coverage;
use names::Names;

/// A suite file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SuiteFile {
    /// The policy, relative to the suite file.
    policy: String,
    /// The default evaluation time (RFC 3339).
    now: Option<String>,
    /// Leads the cases name: a path to a JSON file, or a table.
    #[serde(default)]
    leads: BTreeMap<String, toml::Value>,
    #[serde(default, rename = "case")]
    cases: Vec<CaseFile>,
    #[serde(default, rename = "table")]
    tables: Vec<TableFile>,
}

/// The files a suite names, with where it names them: the suite read a
/// second time, leniently, for the spans of its paths (see
/// [`paths_outside`]).
#[derive(Debug, Deserialize)]
struct PathsFile {
    policy: toml::Spanned<String>,
    #[serde(default)]
    leads: BTreeMap<String, toml::Spanned<toml::Value>>,
    #[serde(default, rename = "case")]
    cases: Vec<PathsCase>,
    #[serde(default, rename = "table")]
    tables: Vec<PathsCase>,
}

/// A case's or a table's files: its lead (when not a name of `[leads]`)
/// and its state file.
#[derive(Debug, Deserialize)]
struct PathsCase {
    lead: Option<toml::Spanned<toml::Value>>,
    state: Option<toml::Spanned<toml::Value>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    name: String,
    /// A name from `[leads]`, a path to a JSON file, or an inline table.
    lead: toml::Value,
    /// Fields to set, by dotted path: `{ "company.employees" = 50 }`.
    #[serde(default)]
    set: BTreeMap<String, toml::Value>,
    /// Fields to remove, by dotted path.
    #[serde(default)]
    unset: Vec<String>,
    now: Option<String>,
    /// A state file for round-robin and least-loaded teams.
    state: Option<String>,
    #[serde(default)]
    expect: Expect,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TableFile {
    name: String,
    lead: toml::Value,
    now: Option<String>,
    /// Lead paths to set, and expectation keys (`verdict`, `route`,
    /// `route_rule`, `member`, `playbook`), one per column.
    columns: Vec<String>,
    rows: Vec<Vec<toml::Value>>,
}

/// What a case expects; every part is optional.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// `handoff`, `review`, `hold`, `blocked` or `out_of_scope`.
    pub verdict: Option<String>,
    /// `team NAME`, `queue NAME` or `owner ID`; `none` for no route.
    pub route: Option<String>,
    /// The number of the route rule that matched, from 1.
    pub route_rule: Option<usize>,
    /// The member of the team the lead goes to.
    pub member: Option<String>,
    /// The chosen playbook's name; `none` for none.
    pub playbook: Option<String>,
    /// The names of the quality gates that tripped, all of them.
    pub quality: Option<Vec<String>>,
    /// Escalation steps by name and the status each must have
    /// (`not_started`, `stopped`, `pending`, `overdue`).
    pub escalations: Option<BTreeMap<String, String>>,
    /// The fields of missing context, all of them.
    pub missing_context: Option<Vec<String>>,
    /// The channels consent blocks, all of them.
    pub consent_blocked: Option<Vec<String>>,
    /// Signals by name: `true`, `false` or `"missing"`.
    pub signals: Option<BTreeMap<String, toml::Value>>,
    /// Readiness by stage step, `"mql -> sal" = true`.
    pub ready: Option<BTreeMap<String, bool>>,
    /// Condition texts that must be among the unmet ones (as decisions
    /// write them).
    pub unmet: Option<Vec<String>>,
    /// Packet fields masked for the owner, all of them.
    pub masked: Option<Vec<String>>,
}

/// One expectation that did not hold.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Mismatch {
    /// What was checked: `verdict`, `quality`, `escalations.first_call`.
    pub what: String,
    /// What the case expects.
    pub expected: String,
    /// What the decision says.
    pub actual: String,
}

/// The result of one case.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CaseResult {
    /// The case's name (a table row is named after its table and values).
    pub name: String,
    /// Every expectation held.
    pub passed: bool,
    /// The expectations that did not hold.
    pub mismatches: Vec<Mismatch>,
    /// A problem that kept the case from running (a lead file that cannot
    /// be read, a bad `now`).
    pub error: Option<String>,
    /// The decision explained in words, for a failed case.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<String>,
}

/// What one rule of the policy is, where it is, and whether the suite
/// exercised it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CoverageItem {
    /// `signal true`, `signal false`, `route rule`, `escalation step`,
    /// `quality gate`, `playbook`, `consent rule`.
    pub kind: &'static str,
    /// The handoff it belongs to (`mql -> sal`), empty for signals and
    /// playbooks.
    pub handoff: String,
    /// Its name (or, for a route rule, the handoff and the rule's number).
    pub name: String,
    /// Its line in the policy.
    pub line: usize,
    /// Some case exercised it.
    pub covered: bool,
}

/// A suite run.
#[derive(Debug, serde::Serialize)]
pub struct SuiteResult {
    /// The suite file.
    pub file: String,
    /// The policy it tests.
    pub policy: String,
    /// Every case, in order.
    pub cases: Vec<CaseResult>,
    /// Every rule of the policy and whether it was exercised.
    pub coverage: Vec<CoverageItem>,
}

impl SuiteResult {
    /// The share of rules exercised, in percent (100 for a policy with
    /// none).
    pub fn coverage_percent(&self) -> f64 {
        if self.coverage.is_empty() {
            return 100.0;
        }
        let covered = self.coverage.iter().filter(|c| c.covered).count();
        100.0 * covered as f64 / self.coverage.len() as f64
    }
}

/// Why a suite could not run: its diagnostics (with the suite's text in
/// `sources`), or a file that could not be read.
#[derive(Debug)]
pub enum SuiteError {
    /// The suite file or its policy has errors.
    Diagnostics(SourceMap, Vec<Diagnostic>),
    /// A file could not be read.
    Io(String),
}

/// Loads and runs one suite. `filter` keeps only cases whose name contains
/// it.
///
/// Every file the suite names (its policy, its lead files, its state
/// files) must lie inside the suite's folder or a folder below it, as
/// the file system resolves it (a link out of the folder leads out of it):
/// an absolute path, a `..` that climbs out or such a link is `H803`, and
/// the file is never read. [`run_suite_with`] can lift that.
pub fn run_suite(path: &Path, filter: Option<&str>) -> Result<SuiteResult, SuiteError> {
    run_suite_with(path, filter, LoadOptions::default())
}

/// [`run_suite`] with the reach of the suite's paths (and of its policy's
/// imports) given: `allow_outside_imports` lets both leave their folders.
pub fn run_suite_with(
    path: &Path,
    filter: Option<&str>,
    options: LoadOptions,
) -> Result<SuiteResult, SuiteError> {
    suite(path, filter, true, options)
}

/// Checks a suite without running it, as `handoff check` does: its TOML,
/// its policy, and every name, value and field its cases use. The result
/// holds the suite's diagnostics (none when it is valid) and its text.
///
/// ```
/// let path = std::path::Path::new("examples/inbound/policy.test.toml");
/// let checked = handoff::testing::check_suite(path).unwrap();
/// assert!(checked.diagnostics.is_empty());
/// ```
pub fn check_suite(path: &Path) -> std::io::Result<crate::Checked> {
    check_suite_with(path, LoadOptions::default())
}

/// [`check_suite`] with the reach of the suite's paths (and of its
/// policy's imports) given, as [`run_suite_with`].
pub fn check_suite_with(path: &Path, options: LoadOptions) -> std::io::Result<crate::Checked> {
    match suite(path, None, false, options) {
        Ok(_) => {
            let mut sources = SourceMap::new();
            let text = read_suite(path).map_err(std::io::Error::other)?;
            sources.add(path.display().to_string(), text.as_str());
            Ok(crate::Checked {
                sources,
                diagnostics: Vec::new(),
                program: None,
            })
        }
        Err(SuiteError::Diagnostics(sources, diagnostics)) => Ok(crate::Checked {
            sources,
            diagnostics,
            program: None,
        }),
        Err(SuiteError::Io(m)) => Err(std::io::Error::other(m)),
    }
}

/// The largest suite file read, in bytes (as a policy file): more is an
/// error after reading no further.
pub const MAX_SUITE_BYTES: u64 = crate::syntax::MAX_SOURCE_BYTES as u64;

fn read_suite(path: &Path) -> Result<String, crate::files::ReadError> {
    crate::files::read_limited_string(path, MAX_SUITE_BYTES)
}

fn suite(
    path: &Path,
    filter: Option<&str>,
    run_cases: bool,
    options: LoadOptions,
) -> Result<SuiteResult, SuiteError> {
    let text = read_suite(path)
        .map_err(|e| SuiteError::Io(format!("{}: cannot read the suite: {e}", path.display())))?;
    let name = path.display().to_string();
    let mut sources = SourceMap::new();
    let file = sources.add(name.clone(), text.as_str());
    let suite: SuiteFile = toml::from_str(&text).map_err(|e| {
        let (start, end) = e.span().map_or((0, 0), |r| (r.start, r.end));
        let message = e.message().to_string();
        let d = Diagnostic::new(Code::TestFile, Span::new(file, start, end), message)
            .label("here")
            .help("a suite is TOML: `policy = \"policy.handoff\"`, then `[[case]]` tables with `name`, `lead` and `[case.expect]`; see docs/testing.md");
        SuiteError::Diagnostics(std::mem::take(&mut sources), vec![d])
    })?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    // CI checks suites from pull requests: before any file the suite names
    // is read (or even looked for), each must lie inside its folder
    if !options.allow_outside_imports {
        let outside = paths_outside(&text, file, dir, &suite.leads);
        if !outside.is_empty() {
            return Err(SuiteError::Diagnostics(sources, outside));
        }
    }
    let locate = |needle: &str| -> Span {
        let quoted = format!("\"{needle}\"");
        let at = text
            .find(&quoted)
            .or_else(|| text.find(needle))
            .unwrap_or(0);
        Span::new(file, at, at + needle.len().min(text.len() - at))
    };
    if !suite.policy.ends_with(".handoff") {
        // as for imports (H121): a file that is no policy is never read, so
        // never quoted in a diagnostic (a `.env`, CI's `.git/config`)
        let quoted = format!("\"{}\"", suite.policy);
        let at = text.find(&quoted).unwrap_or(0);
        let d = Diagnostic::new(
            Code::TestFile,
            Span::new(file, at, (at + quoted.len()).min(text.len())),
            format!(
                "`{}` is not a policy file: a suite tests a `.handoff` file",
                suite.policy
            ),
        )
        .label("not a `.handoff` file")
        .help("name the policy the suite tests, such as `policy = \"policy.handoff\"`; the file is not read");
        return Err(SuiteError::Diagnostics(sources, vec![d]));
    }
    let policy_path = dir.join(&suite.policy);
    let checked = crate::Checked::from_file_with(&policy_path, options).map_err(|e| {
        SuiteError::Io(format!(
            "{}: cannot read the policy {}: {e}",
            name,
            policy_path.display()
        ))
    })?;
    let Some(engine) = checked.compile() else {
        let diags = checked.diagnostics.clone();
        return Err(SuiteError::Diagnostics(checked.sources, diags));
    };
    // the names a suite may expect, checked before anything runs
    let known = Names::of(&engine);
    let mut diags = Vec::new();
    let default_now = suite.now.clone();
    // cases are told apart by name (reports, `--run`, JUnit): a name given
    // twice is pointed at where it comes again
    let mut named: HashMap<&str, usize> = HashMap::new();
    for c in &suite.cases {
        let n = named.entry(c.name.as_str()).or_insert(0);
        *n += 1;
        if *n == 2 {
            let quoted = format!("\"{}\"", c.name);
            // the second `name = "…"` line with it
            let is_name = |i: usize| {
                let line = &text[text[..i].rfind('\n').map_or(0, |n| n + 1)..i];
                line.trim_end()
                    .strip_suffix('=')
                    .is_some_and(|k| k.trim() == "name")
            };
            let at = text
                .match_indices(&quoted)
                .map(|(i, _)| i)
                .filter(|i| is_name(*i))
                .nth(1)
                .unwrap_or_else(|| locate(&c.name).start as usize);
            diags.push(
                Diagnostic::new(
                    Code::TestFile,
                    Span::new(file, at, (at + quoted.len()).min(text.len())),
                    format!("two cases are named `{}`", c.name),
                )
                .label("this name is taken by a case above")
                .help("give each case a name of its own: reports and `--run` tell cases apart by name"),
            );
        }
    }
    let mut cases: Vec<CaseFile> = suite.cases;
    for t in suite.tables {
        for (i, row) in t.rows.iter().enumerate() {
            let mut set = BTreeMap::new();
            let mut expect = Expect::default();
            let mut label = Vec::new();
            for (col, v) in t.columns.iter().zip(row) {
                label.push(format!("{col} = {}", to_json(v)));
                let s = || show(v);
                let keys = ["verdict", "route", "route_rule", "member", "playbook"];
                if !keys.contains(&col.as_str()) && keys.iter().any(|k| k.eq_ignore_ascii_case(col))
                {
                    diags.push(
                        Diagnostic::new(
                            Code::TestFile,
                            locate(col),
                            format!("column `{col}` is written in lower case"),
                        )
                        .label("an expectation key")
                        .help(format!("write `{}`", col.to_ascii_lowercase())),
                    );
                }
                if col == "route_rule" && v.as_integer().is_none() {
                    diags.push(
                        Diagnostic::new(
                            Code::TestFile,
                            locate(&t.name),
                            "`route_rule` takes a number",
                        )
                        .label("in this table")
                        .help("write the rule's number without quotes, e.g. `2`"),
                    );
                }
                match col.as_str() {
                    "verdict" => expect.verdict = Some(s()),
                    "route" => expect.route = Some(s()),
                    "member" => expect.member = Some(s()),
                    "playbook" => expect.playbook = Some(s()),
                    "route_rule" => expect.route_rule = v.as_integer().map(|n| n as usize),
                    _ => {
                        set.insert(col.clone(), v.clone());
                    }
                }
            }
            if row.len() != t.columns.len() {
                diags.push(
                    Diagnostic::new(
                        Code::TestFile,
                        locate(&t.name),
                        format!(
                            "row {} of table `{}` has {} values for {} columns",
                            i + 1,
                            t.name,
                            row.len(),
                            t.columns.len()
                        ),
                    )
                    .label("in this table")
                    .help("give each row one value per column, in the order of `columns`"),
                );
            }
            cases.push(CaseFile {
                name: format!("{} #{} ({})", t.name, i + 1, label.join(", ")),
                lead: t.lead.clone(),
                set,
                unset: Vec::new(),
                now: t.now.clone(),
                state: None,
                expect,
            });
        }
    }
    for c in &cases {
        known.check(&c.expect, &locate, &mut diags);
        known.check_paths(c.set.keys().chain(&c.unset), &locate, &mut diags);
        if let toml::Value::String(l) = &c.lead {
            if !suite.leads.contains_key(l) && !dir.join(l).exists() {
                let mut d = Diagnostic::new(
                    Code::TestUnknownName,
                    locate(l),
                    format!("`{l}` is neither a lead of `[leads]` nor a file"),
                )
                .label("no such lead");
                d = match crate::diag::near_names(l, suite.leads.keys().map(String::as_str)) {
                    crate::diag::Near::One(s) => d.help(format!("did you mean `{s}`?")),
                    _ => d.help("name a lead of `[leads]`, or give a path to a JSON file relative to the suite"),
                };
                diags.push(d);
            }
        }
    }
    if !diags.is_empty() {
        return Err(SuiteError::Diagnostics(sources, diags));
    }
    let mut coverage = Coverage::new(&engine);
    let mut results = Vec::new();
    for c in cases {
        if !run_cases || filter.is_some_and(|f| !c.name.contains(f)) {
            continue;
        }
        let now_text = c.now.clone().or_else(|| default_now.clone());
        results.push(run_case(
            &checked,
            &engine,
            dir,
            &suite.leads,
            &c,
            now_text,
            &mut coverage,
        ));
    }
    Ok(SuiteResult {
        file: name,
        policy: policy_path.display().to_string(),
        cases: results,
        coverage: coverage.items,
    })
}

/// `H803` for each file the suite names outside `dir` (its folder, as the
/// file system resolves it, and the folders below): an absolute path, a
/// path whose `..` climbs out, or one that a link takes out. Decided on the
/// text first, then on the resolved path, without reading the file.
fn paths_outside(
    text: &str,
    file: FileId,
    dir: &Path,
    names: &BTreeMap<String, toml::Value>,
) -> Vec<Diagnostic> {
    let span = |r: std::ops::Range<usize>| Span::new(file, r.start, r.end);
    let Ok(root) = std::fs::canonicalize(dir) else {
        // the suite was just read from this folder; fail closed all the same
        let d = Diagnostic::new(
            Code::TestPathOutside,
            Span::new(file, 0, 0),
            format!("cannot resolve the suite's folder `{}`", dir.display()),
        )
        .label("here")
        .help("run the suite from a folder that can be read");
        return vec![d];
    };
    let paths: PathsFile = match toml::from_str(text) {
        Ok(p) => p,
        Err(e) => {
            let (start, end) = e.span().map_or((0, 0), |r| (r.start, r.end));
            let d = Diagnostic::new(Code::TestFile, Span::new(file, start, end), e.message())
                .label("here")
                .help("a suite is TOML; see docs/testing.md");
            return vec![d];
        }
    };
    let mut named: Vec<(String, Span)> =
        vec![(paths.policy.get_ref().clone(), span(paths.policy.span()))];
    for lead in paths.leads.values() {
        if let toml::Value::String(s) = lead.get_ref() {
            named.push((s.clone(), span(lead.span())));
        }
    }
    for c in paths.cases.iter().chain(&paths.tables) {
        if let Some(lead) = &c.lead {
            if let toml::Value::String(s) = lead.get_ref() {
                if !names.contains_key(s) {
                    named.push((s.clone(), span(lead.span())));
                }
            }
        }
        if let Some(state) = &c.state {
            if let toml::Value::String(s) = state.get_ref() {
                named.push((s.clone(), span(state.span())));
            }
        }
    }
    named
        .into_iter()
        .filter_map(|(target, at)| {
            let what = leaves(&root, dir, &target)?;
            Some(
                Diagnostic::new(
                    Code::TestPathOutside,
                    at,
                    format!("`{target}` is {what}: a suite's files stay inside its folder"),
                )
                .label("leaves the suite's folder")
                .help(format!(
                    "move the file into `{}` (or below it) and name it by a relative path; to read such files on purpose, pass `--allow-outside-imports`",
                    dir.display()
                )),
            )
        })
        .collect()
}

/// Why `target`, relative to `dir` (which resolves to `root`), lies outside
/// `root`; `None` when it lies inside (or would, if it existed).
fn leaves(root: &Path, dir: &Path, target: &str) -> Option<&'static str> {
    if Path::new(target).is_absolute() || target.starts_with(['/', '\\']) {
        return Some("an absolute path");
    }
    // on the text first: whether a file exists out there is not to be
    // learned from a diagnostic either
    if crate::load::climbs_out(0, target) {
        return Some("outside the suite's folder");
    }
    // then as the file system resolves it: the path, or the nearest folder
    // on its way that exists, must resolve inside
    let joined = dir.join(target);
    let resolved = joined
        .ancestors()
        .find_map(|a| std::fs::canonicalize(a).ok())?;
    (!resolved.starts_with(root)).then_some("outside the suite's folder (through a link)")
}

fn run_case(
    checked: &crate::Checked,
    engine: &Engine,
    dir: &Path,
    leads: &BTreeMap<String, toml::Value>,
    case: &CaseFile,
    now: Option<String>,
    coverage: &mut Coverage,
) -> CaseResult {
    let (name, lead, set, unset, state, expect) = (
        case.name.as_str(),
        &case.lead,
        &case.set,
        &case.unset,
        case.state.clone(),
        &case.expect,
    );
    let failed = |error: String| CaseResult {
        name: name.to_string(),
        passed: false,
        mismatches: Vec::new(),
        error: Some(error),
        explanation: None,
    };
    let mut obj = match build_lead(dir, leads, lead) {
        Ok(o) => o,
        Err(e) => return failed(e),
    };
    for (path, v) in set {
        set_path(&mut obj, path, to_json(v));
    }
    for path in unset {
        unset_path(&mut obj, path);
    }
    let now: jiff::Timestamp = match now.as_deref().map(str::parse) {
        Some(Ok(t)) => t,
        Some(Err(e)) => return failed(format!("`now` is not an RFC 3339 time: {e}")),
        None => return failed("no `now`: give one at the top of the suite or in the case".into()),
    };
    // a case with state gets an engine of its own, started from it
    let with_state;
    let engine = match state {
        Some(s) => {
            let path = dir.join(&s);
            let text = match crate::files::read_limited_string(&path, crate::eval::MAX_STATE_BYTES)
            {
                Ok(t) => t,
                Err(e) => {
                    return failed(format!(
                        "cannot read the state file {}: {e}",
                        path.display()
                    ))
                }
            };
            let Ok(Value::Object(map)) = serde_json::from_str::<Value>(&text) else {
                return failed(format!(
                    "the state file {} is not a JSON object",
                    path.display()
                ));
            };
            let Some(fresh) = checked.compile() else {
                return failed("the policy does not compile".into());
            };
            with_state = fresh.with_state(map);
            &with_state
        }
        None => engine,
    };
    let d = engine.evaluate(&obj, now);
    let json = serde_json::to_value(&d).unwrap_or(Value::Null);
    coverage.record(&json);
    let mismatches = compare(expect, &json);
    let passed = mismatches.is_empty();
    let explanation = (!passed).then(|| crate::explain::explain(engine, &obj, &d, now));
    CaseResult {
        name: name.to_string(),
        passed,
        mismatches,
        error: None,
        explanation,
    }
}

fn build_lead(
    dir: &Path,
    leads: &BTreeMap<String, toml::Value>,
    lead: &toml::Value,
) -> Result<Map<String, Value>, String> {
    match lead {
        toml::Value::String(s) => match leads.get(s) {
            Some(named) => build_lead(dir, &BTreeMap::new(), named),
            None => {
                let path: PathBuf = dir.join(s);
                let bytes =
                    match crate::files::read_limited(&path, crate::record::MAX_RECORD_BYTES as u64)
                    {
                        Ok(b) => b,
                        Err(crate::files::ReadError::TooLarge { .. }) => {
                            let e = crate::record::RecordError::too_large();
                            return Err(format!("the lead {}: {}", path.display(), e.message));
                        }
                        Err(e) => {
                            return Err(format!("cannot read the lead {}: {e}", path.display()))
                        }
                    };
                crate::record::parse_lead(&bytes)
                    .map_err(|e| format!("the lead {}: {}", path.display(), e.message))
            }
        },
        toml::Value::Table(_) => match to_json(lead) {
            Value::Object(m) => Ok(m),
            _ => Err("a lead is a table".into()),
        },
        _ => Err("`lead` is the name of a lead, a path to a JSON file, or a table".into()),
    }
}

/// A TOML value as text: a string as it is, anything else as JSON.
pub(super) fn show(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => to_json(other).to_string(),
    }
}

pub(super) fn to_json(v: &toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::String(s.clone()),
        toml::Value::Integer(i) => Value::from(*i),
        toml::Value::Float(f) => Value::from(*f),
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.iter().map(to_json).collect()),
        toml::Value::Table(t) => {
            Value::Object(t.iter().map(|(k, v)| (k.clone(), to_json(v))).collect())
        }
    }
}

fn set_path(obj: &mut Map<String, Value>, path: &str, v: Value) {
    let mut parts = path.split('.').peekable();
    let mut cur = obj;
    while let Some(p) = parts.next() {
        if parts.peek().is_none() {
            cur.insert(p.to_string(), v);
            return;
        }
        let next = cur
            .entry(p.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if !next.is_object() {
            *next = Value::Object(Map::new());
        }
        cur = next.as_object_mut().expect("an object");
    }
}

fn unset_path(obj: &mut Map<String, Value>, path: &str) {
    let parts: Vec<&str> = path.split('.').collect();
    let mut cur = obj;
    for p in &parts[..parts.len() - 1] {
        match cur.get_mut(*p).and_then(Value::as_object_mut) {
            Some(next) => cur = next,
            None => return,
        }
    }
    cur.remove(*parts.last().unwrap_or(&""));
}
