//! Mutation testing of the `handoff` binary: hostile variants of every
//! policy under `examples/` and `tests/fixtures/` go through `check` (in
//! each output format), `eval` and `explain` as subprocesses, and none may
//! crash, hang or disagree with another.
//!
//! The long run (any seed; the default seed is fixed so CI is deterministic):
//!
//! ```text
//! HANDOFF_MUTATION_CASES=100000 HANDOFF_MUTATION_SEED=$RANDOM cargo test --release --test mutation -- --nocapture
//! ```
//!
//! The first cases of every run are synthetic hostile policies: 20,000
//! chained signals, self-referencing scores, 50,000 teams, imports of
//! `/etc/passwd` and `../../x`, nesting ten times the limits, errors past
//! column and line 65,535, a file over 8 MiB, ... The others take a seed
//! policy (the inbound example, which matches the lead `eval` gets, a third
//! of the time) and either apply 2 to 4 mutations by lines and tokens
//! (delete, duplicate, swap, insert a token of the corpus or of the
//! language) or hostile inserts (deep nesting, lines of 100,000+ characters,
//! huge numbers, unusual Unicode, NUL bytes, invalid UTF-8, CRLF and lone
//! CR), or, for a valid seed half of the time, 1 or 2 mild edits that likely
//! keep it valid (a number, operator, name or string swapped for another of
//! its kind), so that `eval` and `explain` get to run. Every mutant runs
//! through:
//!
//! - `handoff check FILE --format human|json|sarif|short`
//! - `handoff eval FILE --lead examples/inbound/lead-ready.json --now 2025-06-01T12:00:00Z`
//! - `handoff explain FILE --lead examples/inbound/lead-ready.json --now 2025-06-01T12:00:00Z`
//!
//! A failure is: a process killed by a signal (a stack overflow aborts with
//! SIGABRT), exit code 101 (a panic) or any code outside 0..=3, stderr that
//! reports a panic or an overflow (`panicked at`, `overflowed its stack`,
//! `stack overflow`, `with overflow`, `fatal runtime error`, `memory
//! allocation of`), a run longer than 20 s, or an inconsistency: `check`
//! accepts (exit 0) what `eval` refuses (exit 1) or the reverse, the four
//! `check` formats exit differently, `eval` and `explain` exit differently,
//! or the JSON outputs do not parse.
//!
//! A failing mutant is minimised (runs of repeated tokens and long tokens
//! by bisection, then lines and tokens removed while the same failure
//! persists; capped in time) and saved as
//! `tests/fixtures/crashes/<signature hash>-<content hash>.handoff`, at most
//! three per distinct failure signature (synthetic cases are rebuilt by
//! every run and not saved); the test then fails listing every failure.
//! `crash_fixtures_do_not_crash` replays that folder.
//!
//! Environment:
//!
//! - `HANDOFF_MUTATION_CASES`: the number of cases (default [`DEFAULT_CASES`]).
//! - `HANDOFF_MUTATION_SEED`: the seed (default [`DEFAULT_SEED`]).
//! - `HANDOFF_MUTATION_ONLY`: run one case number only, printing its
//!   mutations and writing the mutant to `target/mutation-case-<n>.handoff`.
//! - `HANDOFF_MUTATION_JOBS`: parallel workers (default: the available cores).
//! - `HANDOFF_MUTATION_MINIMISE_SECS`: time to minimise each saved crash
//!   (default 20; 0 saves mutants as they are).
//! - `HANDOFF_MUTATION_MEM_MB`: address-space limit of each run, so a
//!   runaway allocation aborts instead of exhausting the machine
//!   (default 4096; 0 for none; Unix only, through `sh -c 'ulimit -v'`).
//! - `HANDOFF_MUTATION_SAVE=0`: report crashes without writing fixtures.
//! - `HANDOFF_MUTATION_SCALE`: the size of the synthetic policies in percent
//!   of the sizes their names give (default 100 in a release build, 10 in a
//!   debug build, which runs some ten times slower; nesting and the 65,535
//!   and 8 MiB limits are tested at full size at every scale).
//!
//! To minimise a failing file by hand:
//!
//! ```text
//! HANDOFF_MUTATION_MINIMISE=FILE cargo test --release --test mutation minimise_file -- --ignored --nocapture
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::fmt::Write as _;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Cases per run when `HANDOFF_MUTATION_CASES` is not set: 20 to 30 s in a
/// debug build on two cores (`cargo test --test mutation`), when nothing
/// fails.
const DEFAULT_CASES: usize = 300;
/// The seed when `HANDOFF_MUTATION_SEED` is not set.
const DEFAULT_SEED: u64 = 20250601;
/// A run taking longer than this is killed and counts as a hang.
const TIMEOUT: Duration = Duration::from_secs(20);
/// Fixtures kept per distinct failure signature.
const MAX_PER_SIGNATURE: usize = 3;
const NOW: &str = "2025-06-01T12:00:00Z";
const LEAD: &str = "examples/inbound/lead-ready.json";

// ---------------------------------------------------------------- settings

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn crashes_dir() -> PathBuf {
    repo().join("tests/fixtures/crashes")
}

fn env_num<T: std::str::FromStr>(name: &str) -> Option<T> {
    let v = std::env::var(name).ok()?;
    match v.trim().parse() {
        Ok(n) => Some(n),
        Err(_) => panic!("{name}={v:?} is not a number"),
    }
}

struct Settings {
    cases: usize,
    seed: u64,
    only: Option<usize>,
    jobs: usize,
    minimise: Duration,
    mem_kb: u64,
    save: bool,
    /// The size of the synthetic policies, relative to their names.
    scale: f64,
}

impl Settings {
    fn limits(&self) -> Limits {
        Limits {
            mem_kb: self.mem_kb,
            stack_kb: 0,
        }
    }

    fn from_env() -> Settings {
        Settings {
            cases: env_num("HANDOFF_MUTATION_CASES").unwrap_or(DEFAULT_CASES),
            seed: env_num("HANDOFF_MUTATION_SEED").unwrap_or(DEFAULT_SEED),
            only: env_num("HANDOFF_MUTATION_ONLY"),
            jobs: env_num("HANDOFF_MUTATION_JOBS")
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
                .max(1),
            minimise: Duration::from_secs(env_num("HANDOFF_MUTATION_MINIMISE_SECS").unwrap_or(20)),
            mem_kb: env_num::<u64>("HANDOFF_MUTATION_MEM_MB").unwrap_or(4096) * 1024,
            save: std::env::var("HANDOFF_MUTATION_SAVE").map_or(true, |v| v != "0"),
            // a debug build is some ten times slower
            scale: env_num::<f64>("HANDOFF_MUTATION_SCALE").unwrap_or(if cfg!(debug_assertions) {
                10.0
            } else {
                100.0
            }) / 100.0,
        }
    }
}

// ---------------------------------------------------------------- PRNG

/// SplitMix64: small, fast and good enough to pick mutations.
#[derive(Clone)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    /// A number in `lo..=hi`.
    fn between(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    fn chance(&mut self, num: u64, den: u64) -> bool {
        self.next() % den < num
    }

    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

/// The generator of one case: independent of the order the workers take
/// cases in, so `HANDOFF_MUTATION_ONLY` replays any case alone.
fn case_rng(seed: u64, case: usize) -> Rng {
    let mut r = Rng::new(seed ^ (case as u64).wrapping_mul(0xD1B5_4A32_D192_ED03));
    r.next();
    r
}

/// FNV-1a, for file names that do not change between runs.
fn fnv(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= *b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

// ---------------------------------------------------------------- corpus

struct Seed {
    /// Relative to the repository, with `/` separators.
    rel: String,
    bytes: Vec<u8>,
}

struct Corpus {
    seeds: Vec<Seed>,
    /// Every distinct non-blank token of the seeds, sorted.
    tokens: Vec<Vec<u8>>,
}

fn walk(dir: &Path, skip: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p == skip {
            continue;
        }
        if p.is_dir() {
            walk(&p, skip, out);
        } else if p.extension().is_some_and(|x| x == "handoff") {
            out.push(p);
        }
    }
}

impl Corpus {
    /// Every `*.handoff` under `examples/` and `tests/fixtures/`, except the
    /// saved crashes (so that a seed gives the same cases on every checkout).
    fn load() -> Corpus {
        let mut paths = Vec::new();
        let skip = crashes_dir();
        walk(&repo().join("examples"), &skip, &mut paths);
        walk(&repo().join("tests/fixtures"), &skip, &mut paths);
        paths.sort();
        let mut seeds = Vec::new();
        let mut tokens = BTreeSet::new();
        for p in paths {
            let bytes = fs::read(&p).unwrap();
            for (a, b) in tokenize(&bytes) {
                let t = &bytes[a..b];
                if !is_space(t[0]) && t.len() <= 64 {
                    tokens.insert(t.to_vec());
                }
            }
            let rel = p
                .strip_prefix(repo())
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            seeds.push(Seed { rel, bytes });
        }
        assert!(
            seeds.len() >= 5,
            "no seed policies found under {}",
            repo().display()
        );
        Corpus {
            seeds,
            tokens: tokens.into_iter().collect(),
        }
    }
}

// ---------------------------------------------------------------- tokens and lines

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

/// Splits text into tokens covering all of it: runs of blanks, words
/// (numbers included), string literals, comments, two-character operators
/// and single punctuation characters.
fn tokenize(t: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < t.len() {
        let start = i;
        let c = t[i];
        if is_space(c) {
            while i < t.len() && is_space(t[i]) {
                i += 1;
            }
        } else if is_word(c) {
            while i < t.len() && is_word(t[i]) {
                i += 1;
            }
        } else if c == b'"' {
            i += 1;
            while i < t.len() && t[i] != b'"' && t[i] != b'\n' {
                i += if t[i] == b'\\' { 2 } else { 1 };
            }
            i = (i + 1).min(t.len());
        } else if t[i..].starts_with(b"//") {
            while i < t.len() && t[i] != b'\n' {
                i += 1;
            }
        } else if [&b"->"[..], b"==", b"!=", b"<=", b">=", b"=>"]
            .iter()
            .any(|op| t[i..].starts_with(op))
        {
            i += 2;
        } else {
            i += 1;
        }
        out.push((start, i));
    }
    out
}

/// A token's kind: number, word, string, comment or punctuation.
fn token_kind(tok: &[u8]) -> u8 {
    match tok.first() {
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if is_word(*c) => 1,
        Some(b'"') => 2,
        Some(b'/') if tok.starts_with(b"//") => 3,
        _ => 4,
    }
}

/// The tokens that are not blanks.
fn solid_tokens(t: &[u8]) -> Vec<(usize, usize)> {
    tokenize(t)
        .into_iter()
        .filter(|(a, _)| !is_space(t[*a]))
        .collect()
}

/// Lines with their terminators.
fn lines(t: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in t.iter().enumerate() {
        if *c == b'\n' {
            out.push((start, i + 1));
            start = i + 1;
        }
    }
    if start < t.len() {
        out.push((start, t.len()));
    }
    out
}

fn line_with_newline(t: &[u8], (a, b): (usize, usize)) -> Vec<u8> {
    let mut l = t[a..b].to_vec();
    if !l.ends_with(b"\n") {
        l.push(b'\n');
    }
    l
}

fn splice(t: &mut Vec<u8>, at: usize, remove: usize, with: &[u8]) {
    let at = at.min(t.len());
    let end = (at + remove).min(t.len());
    t.splice(at..end, with.iter().copied());
}

/// Moves `pos` back to the start of a UTF-8 character.
fn char_start(t: &[u8], mut pos: usize) -> usize {
    pos = pos.min(t.len());
    while pos > 0 && pos < t.len() && (t[pos] & 0xC0) == 0x80 {
        pos -= 1;
    }
    pos
}

// ---------------------------------------------------------------- mutations

/// Words of the language and its operators, inserted as tokens.
#[rustfmt::skip]
const KEYWORDS: &[&str] = &[
    "not", "-", "(", ")", "[", "]", "{", "}", "list<", ">", "<", "->", "=>", "\u{2192}", "all {",
    "any {", "at least 2 of {", "at least 0 of {", "signal", "handoff", "import", "\"", "//",
    "///", "=", "==", "!=", "<=", ">=", ",", ".", "..", "?", ":", "%", "+", "*", "/", "\\",
    "policy", "lead", "roles", "stages", "team", "queue", "calendar", "score", "points", "cap",
    "decay", "half_life", "since", "metric", "share of", "among", "target <=", "playbook", "when",
    "otherwise", "route", "require", "quality", "consent", "escalate", "after",
    "business hours of", "notify", "reassign", "debrief within", "overrides allowed by",
    "with reason", "and", "or", "in", "not in", "now", "true", "false", "since(", "count(", "any(",
    "all(", "x ->", "x -> x", "a.b", "mon-fri", "sun-sat", "09:00-17:30", "24:00-00:00",
    "2025-12-25", "2025-06-01T12:00:00Z", "1d", "0d", "14d", "0", "-1", "1.5", "50%", "enum(",
    "string", "int", "number", "bool", "email", "timestamp", "duration", "list<string>", "pii",
    "treat \"\" as missing", "visible to", "tracked by", "members", "weight", "capacity",
    "distribute", "state", "timezone", "holidays", "initiated_by", "validated_by", "owned_by",
    "ready when", "block", "review", "requires", "persona", "segment", "touches", "collect",
    "outcome", "format", "within", "version", "owner", "description", "applies_to", "\"\"",
    "\"\\\"", "\"\\u{0}\"", "\u{201C}", "\u{201D}", "\n", "\r\n", ";", "@", "#", "$", "!", "&&",
    "||", "lead.", "_", "__", "x", "engaged",
];

/// Tokens after which an expression starts.
#[rustfmt::skip]
const EXPR_AFTER: &[&str] = &[
    "=", "when", "per", "applies_to", "(", "[", ",", "->", "or", "and", "not", "in", "==", "!=",
    ">=", "<=", "<", ">", "+", "*", "/", "of", "{",
];

/// The limits of the language (see `src/syntax/mod.rs`): nesting around
/// them and far past them.
const NEST_COUNTS: &[usize] = &[63, 64, 65, 66, 700];
const PREFIX_COUNTS: &[usize] = &[127, 128, 129, 130, 700, 12_000, 50_000];
const CHAIN_COUNTS: &[usize] = &[127, 128, 129, 1_000, 20_000, 100_000];

/// A nesting shape: opener, innermost operand, closer.
struct Nest {
    open: &'static str,
    atom: &'static str,
    close: &'static str,
    counts: &'static [usize],
    /// Where it fits: after an expression keyword, after `:`, or anywhere.
    at: Place,
}

#[derive(Clone, Copy, PartialEq)]
enum Place {
    Expr,
    Type,
    Anywhere,
}

#[rustfmt::skip]
const NESTS: &[Nest] = &[
    nest("(", "engaged", ")", NEST_COUNTS, Place::Expr),
    nest("not ", "engaged", "", PREFIX_COUNTS, Place::Expr),
    nest("- ", "1", "", PREFIX_COUNTS, Place::Expr),
    nest("-", "1", "", PREFIX_COUNTS, Place::Expr),
    nest("not -", "1", "", PREFIX_COUNTS, Place::Expr),
    nest("not (", "engaged", ")", NEST_COUNTS, Place::Expr),
    nest("list<", "string", ">", NEST_COUNTS, Place::Type),
    nest("list<{ a: ", "string", " }>", NEST_COUNTS, Place::Type),
    nest("{", "", "}", NEST_COUNTS, Place::Anywhere),
    nest("[", "1", "]", NEST_COUNTS, Place::Expr),
    nest("a { ", "b: string", " }", NEST_COUNTS, Place::Anywhere),
    nest("any(x, x -> ", "true", ")", NEST_COUNTS, Place::Expr),
    nest("f(x -> ", "x", ")", NEST_COUNTS, Place::Expr),
    nest("all { ", "true", " }", NEST_COUNTS, Place::Expr),
    nest("any { not ", "true", " }", NEST_COUNTS, Place::Expr),
    nest("at least 1 of { ", "true", " }", NEST_COUNTS, Place::Expr),
    nest("count([", "1", "])", NEST_COUNTS, Place::Expr),
];

const fn nest(
    open: &'static str,
    atom: &'static str,
    close: &'static str,
    counts: &'static [usize],
    at: Place,
) -> Nest {
    Nest {
        open,
        atom,
        close,
        counts,
        at,
    }
}

#[rustfmt::skip]
const CHAIN_OPS: &[&str] = &[
    " or ", " and ", " + ", " - ", " * ", " / ", " == ", " != ", " < ", " >= ", " in ", " not in ",
    " or not ", " and - ",
];
#[rustfmt::skip]
const CHAIN_ATOMS: &[&str] = &[
    "a", "engaged", "1", "x.y", "\"s\"", "[1]", "now", "1d", "true",
];

#[rustfmt::skip]
const NUMBERS: &[&str] = &[
    "1e400", "1E400", "1e-400", "99999999999999999999d", "99999999999999999999",
    "-99999999999999999999", "18446744073709551616", "18446744073709551615", "9223372036854775808",
    "9223372036854775807", "-9223372036854775808", "-9223372036854775809", "4294967296",
    "2147483648", "99999999999999999999w", "9999999999999h", "106751991167300d",
    "1w1d1h1m1s1w1d1h1m1s", "0d", "0.0", "-0", "-0.0", "00000000000000000001",
    "9999999999999999999999%", "100.0000000000000000001%", "1.7976931348623157e308", "NaN", "inf",
    "-inf", "0x10", "1_000", "9999-12-31", "0000-00-00", "2025-02-30", "2025-13-45",
    "9999-99-99T99:99:99Z", "2025-06-01T12:00:00+99:99", "2025-06-01T24:00:00Z",
    "0000-01-01T00:00:00Z", "99:99", "24:00", "00:00-00:00", "23:59-00:00",
];

#[rustfmt::skip]
const UNICODE: &[&str] = &[
    "\u{301}", "e\u{301}\u{301}\u{301}\u{301}", "\u{202E}", "\u{202E}evil\u{202C}", "\u{200F}",
    "\u{200B}", "\u{200D}", "\u{2066}", "\u{1F600}",
    "\u{1F469}\u{200D}\u{1F469}\u{200D}\u{1F467}\u{200D}\u{1F466}", "\u{1F1E9}\u{1F1EA}",
    "\u{FEFF}", "\u{2028}", "\u{2029}", "\u{85}", "\u{A0}", "\u{3000}", "\u{FFFD}", "\u{FFFF}",
    "\u{10FFFF}", "\u{E000}", "\u{210C}", "\u{FB01}", "\u{130}", "\u{DF}", "\u{1E9E}",
    "\u{6F22}\u{5B57}", "\u{FF08}", "\u{FF1D}", "\u{2212}", "\u{2192}", "\u{201C}", "\u{201D}",
    "\u{201E}", "\u{2018}", "\u{B}", "\u{C}", "\u{1B}[31m", "\u{7F}", "\t",
];

#[rustfmt::skip]
const BYTES: &[&[u8]] = &[
    b"\0", b"\0\0\0\0", b"\xff", b"\xfe\xff", b"\xc3", b"\xe2\x82", b"\xed\xa0\x80", b"\xc0\xaf",
    b"\xf4\x90\x80\x80", b"\x80", b"\xf0\x9f\x98", b"\xef\xbb",
];

/// Where an expression may start: just after an [`EXPR_AFTER`] token.
fn expr_places(t: &[u8]) -> Vec<usize> {
    solid_tokens(t)
        .into_iter()
        .filter(|(a, b)| EXPR_AFTER.iter().any(|k| k.as_bytes() == &t[*a..*b]))
        .map(|(_, b)| b)
        .collect()
}

/// Tokens that are likely operands: words right after an [`EXPR_AFTER`] token.
fn operand_tokens(t: &[u8]) -> Vec<(usize, usize)> {
    let toks = solid_tokens(t);
    toks.windows(2)
        .filter(|w| {
            EXPR_AFTER
                .iter()
                .any(|k| k.as_bytes() == &t[w[0].0..w[0].1])
                && (is_word(t[w[1].0]) || t[w[1].0] == b'"')
        })
        .map(|w| w[1])
        .collect()
}

fn type_places(t: &[u8]) -> Vec<usize> {
    solid_tokens(t)
        .into_iter()
        .filter(|(a, b)| &t[*a..*b] == b":")
        .map(|(_, b)| b)
        .collect()
}

/// A place for `place`, falling back to any token boundary.
fn place_for(rng: &mut Rng, t: &[u8], place: Place) -> usize {
    let candidates = match place {
        Place::Expr => expr_places(t),
        Place::Type => type_places(t),
        Place::Anywhere => Vec::new(),
    };
    if !candidates.is_empty() && rng.chance(4, 5) {
        return *rng.pick(&candidates);
    }
    any_boundary(rng, t)
}

fn any_boundary(rng: &mut Rng, t: &[u8]) -> usize {
    let toks = tokenize(t);
    if toks.is_empty() {
        0
    } else {
        toks[rng.below(toks.len())].0
    }
}

fn show(s: &[u8]) -> String {
    let s = String::from_utf8_lossy(s);
    let mut out: String = s
        .chars()
        .take(24)
        .collect::<String>()
        .escape_debug()
        .to_string();
    if s.chars().count() > 24 {
        out.push('…');
    }
    out
}

/// Applies one random mutation; returns what it did.
fn mutate_once(rng: &mut Rng, corpus: &Corpus, t: &mut Vec<u8>) -> String {
    let big = t.len() > 12 << 20;
    let roll = rng.below(100);
    match roll {
        // ---- lines
        0..=6 => {
            let ls = lines(t);
            if ls.is_empty() {
                return "delete line (none)".into();
            }
            let n = if rng.chance(1, 4) {
                rng.between(2, 8)
            } else {
                1
            };
            let i = rng.below(ls.len());
            let j = (i + n).min(ls.len()) - 1;
            let (a, b) = (ls[i].0, ls[j].1);
            t.drain(a..b);
            format!("delete lines {}..={}", i + 1, j + 1)
        }
        7..=11 => {
            let ls = lines(t);
            if ls.is_empty() {
                return "duplicate line (none)".into();
            }
            let i = rng.below(ls.len());
            let copies = if rng.chance(1, 10) {
                rng.between(2, 50)
            } else {
                1
            };
            let l = line_with_newline(t, ls[i]).repeat(copies);
            let at = ls[rng.below(ls.len())].0;
            splice(t, at, 0, &l);
            format!("duplicate line {} x{copies}", i + 1)
        }
        12..=16 => {
            let ls = lines(t);
            if ls.len() < 2 {
                return "swap lines (too few)".into();
            }
            let (mut i, mut j) = (rng.below(ls.len()), rng.below(ls.len()));
            if i > j {
                std::mem::swap(&mut i, &mut j);
            }
            if i == j {
                return "swap lines (same)".into();
            }
            let (li, lj) = (line_with_newline(t, ls[i]), line_with_newline(t, ls[j]));
            // the later one first, so the earlier offsets stay valid
            splice(t, ls[j].0, ls[j].1 - ls[j].0, &li);
            splice(t, ls[i].0, ls[i].1 - ls[i].0, &lj);
            format!("swap lines {} and {}", i + 1, j + 1)
        }
        // ---- tokens
        17..=24 => {
            let toks = solid_tokens(t);
            if toks.is_empty() {
                return "delete token (none)".into();
            }
            let i = rng.below(toks.len());
            let n = if rng.chance(1, 3) {
                rng.between(2, 6)
            } else {
                1
            };
            let j = (i + n).min(toks.len()) - 1;
            let gone = t[toks[i].0..toks[j].1].to_vec();
            t.drain(toks[i].0..toks[j].1);
            format!("delete `{}`", show(&gone))
        }
        25..=29 => {
            let toks = solid_tokens(t);
            if toks.is_empty() {
                return "duplicate token (none)".into();
            }
            let (a, b) = toks[rng.below(toks.len())];
            let tok = t[a..b].to_vec();
            let mut with = b" ".to_vec();
            with.extend_from_slice(&tok);
            let at = if rng.chance(1, 2) {
                b
            } else {
                toks[rng.below(toks.len())].1
            };
            splice(t, at, 0, &with);
            format!("duplicate `{}`", show(&tok))
        }
        30..=35 => {
            let toks = solid_tokens(t);
            if toks.len() < 2 {
                return "swap tokens (too few)".into();
            }
            let i = rng.below(toks.len());
            let j = if rng.chance(1, 2) {
                (i + 1).min(toks.len() - 1)
            } else {
                rng.below(toks.len())
            };
            let (i, j) = (i.min(j), i.max(j));
            if i == j {
                return "swap tokens (same)".into();
            }
            let (ti, tj) = (
                t[toks[i].0..toks[i].1].to_vec(),
                t[toks[j].0..toks[j].1].to_vec(),
            );
            splice(t, toks[j].0, toks[j].1 - toks[j].0, &ti);
            splice(t, toks[i].0, toks[i].1 - toks[i].0, &tj);
            format!("swap `{}` and `{}`", show(&ti), show(&tj))
        }
        36..=44 => {
            let tok: Vec<u8> = if rng.chance(1, 2) {
                rng.pick(KEYWORDS).as_bytes().to_vec()
            } else {
                rng.pick(&corpus.tokens).clone()
            };
            let at = any_boundary(rng, t);
            let mut with = tok.clone();
            if rng.chance(2, 3) {
                with.insert(0, b' ');
                with.push(b' ');
            }
            splice(t, at, 0, &with);
            format!("insert `{}`", show(&tok))
        }
        45..=49 => {
            let toks = solid_tokens(t);
            if toks.is_empty() {
                return "replace token (none)".into();
            }
            let (a, b) = toks[rng.below(toks.len())];
            let old = t[a..b].to_vec();
            let tok: Vec<u8> = if rng.chance(1, 2) {
                // a token of the same kind from this text: the syntax
                // likely holds, the meaning changes
                let kind = token_kind(&old);
                let same: Vec<_> = toks
                    .iter()
                    .filter(|(c, d)| token_kind(&t[*c..*d]) == kind)
                    .collect();
                let (c, d) = **rng.pick(&same);
                t[c..d].to_vec()
            } else if rng.chance(1, 2) {
                rng.pick(KEYWORDS).as_bytes().to_vec()
            } else {
                rng.pick(&corpus.tokens).clone()
            };
            splice(t, a, b - a, &tok);
            format!("replace `{}` with `{}`", show(&old), show(&tok))
        }
        50..=52 => {
            let other = rng.pick(&corpus.seeds);
            let ls = lines(&other.bytes);
            if ls.is_empty() {
                return "splice (empty seed)".into();
            }
            let i = rng.below(ls.len());
            let j = (i + rng.between(1, 20)).min(ls.len()) - 1;
            let mut chunk = other.bytes[ls[i].0..ls[j].1].to_vec();
            if !chunk.ends_with(b"\n") {
                chunk.push(b'\n');
            }
            let here = lines(t);
            let at = if here.is_empty() {
                0
            } else {
                here[rng.below(here.len())].0
            };
            splice(t, at, 0, &chunk);
            format!("splice lines {}..={} of {}", i + 1, j + 1, other.rel)
        }
        53..=54 => {
            let at = rng.below(t.len() + 1);
            t.truncate(at);
            format!("truncate at byte {at}")
        }
        55..=57 => {
            if t.is_empty() {
                return "byte edit (empty)".into();
            }
            let at = rng.below(t.len());
            let b = *rng.pick(b"\"{}()[]<>-=/\\,.:? \nnx0");
            match rng.below(3) {
                0 => {
                    t.remove(at);
                    format!("delete byte {at}")
                }
                1 => {
                    t.insert(at, b);
                    format!("insert byte {:?} at {at}", b as char)
                }
                _ => {
                    t[at] = b;
                    format!("set byte {at} to {:?}", b as char)
                }
            }
        }
        // ---- deep nesting and long chains
        58..=69 if !big => {
            if rng.chance(1, 4) {
                let op = *rng.pick(CHAIN_OPS);
                let atom = *rng.pick(CHAIN_ATOMS);
                let n = *rng.pick(CHAIN_COUNTS);
                let mut s = String::with_capacity(n * (op.len() + atom.len()) + 2);
                s.push(' ');
                s.push_str(atom);
                for _ in 0..n {
                    s.push_str(op);
                    s.push_str(atom);
                }
                s.push(' ');
                let at = place_for(rng, t, Place::Expr);
                splice(t, at, 0, s.as_bytes());
                return format!("chain `{atom}{op}` x{n}");
            }
            let nest = rng.pick(NESTS);
            let n = *rng.pick(nest.counts);
            let (open, close) = (nest.open.repeat(n), nest.close.repeat(n));
            match rng.below(4) {
                // around an existing operand
                0 | 1 if nest.at == Place::Expr => {
                    let ops = operand_tokens(t);
                    if ops.is_empty() {
                        return "nest around operand (none)".into();
                    }
                    let (a, b) = *rng.pick(&ops);
                    splice(t, b, 0, close.as_bytes());
                    splice(t, a, 0, open.as_bytes());
                    format!(
                        "wrap `{}` in `{}` x{n}",
                        show(&t[a + open.len()..b + open.len()]),
                        nest.open
                    )
                }
                // opened and never closed
                2 => {
                    let at = place_for(rng, t, nest.at);
                    splice(t, at, 0, format!(" {open}{} ", nest.atom).as_bytes());
                    format!("unclosed `{}` x{n}", nest.open)
                }
                _ => {
                    let at = place_for(rng, t, nest.at);
                    splice(t, at, 0, format!(" {open}{}{close} ", nest.atom).as_bytes());
                    format!("nest `{}` x{n}", nest.open)
                }
            }
        }
        // ---- huge lines
        70..=76 if !big => match rng.below(8) {
            0 => {
                let n = rng.between(10_000, 20_000);
                let mut s = String::from(" [");
                for i in 0..n {
                    let _ = write!(s, "\"value_{i}\", ");
                }
                s.push_str("] ");
                let at = place_for(rng, t, Place::Expr);
                splice(t, at, 0, s.as_bytes());
                format!("list of {n} strings ({} chars)", s.len())
            }
            1 => {
                let n = rng.between(10_000, 20_000);
                let mut s = String::from("\nsignal huge_list = lifecycle.stage in [");
                for i in 0..n {
                    let _ = write!(s, "\"stage_{i}\", ");
                }
                s.push_str("]\n");
                let at = lines(t).last().map_or(0, |l| l.1);
                let at = if rng.chance(1, 2) {
                    at
                } else {
                    any_boundary(rng, t)
                };
                splice(t, at, 0, s.as_bytes());
                format!("signal over a list of {n} strings")
            }
            2 => {
                // everything after it on the line moves past column 65,535
                let n = rng.between(65_536, 140_000);
                let at = any_boundary(rng, t);
                splice(t, at, 0, " ".repeat(n).as_bytes());
                format!("{n} spaces")
            }
            3 => {
                let n = rng.between(100_000, 200_000);
                let s = format!(" \"{}\" ", "a".repeat(n));
                let at = place_for(rng, t, Place::Expr);
                splice(t, at, 0, s.as_bytes());
                format!("string of {n} chars")
            }
            4 => {
                let n = rng.between(100_000, 200_000);
                let s = format!(" {} ", "x".repeat(n));
                let at = any_boundary(rng, t);
                splice(t, at, 0, s.as_bytes());
                format!("name of {n} chars")
            }
            5 => {
                let n = rng.between(100_000, 200_000);
                let s = format!("// {}\n", "c".repeat(n));
                let ls = lines(t);
                let at = if ls.is_empty() {
                    0
                } else {
                    ls[rng.below(ls.len())].0
                };
                splice(t, at, 0, s.as_bytes());
                format!("comment of {n} chars")
            }
            6 => {
                let n = rng.between(100_000, 200_000);
                let s = format!(" 1{} ", "0".repeat(n));
                let at = place_for(rng, t, Place::Expr);
                splice(t, at, 0, s.as_bytes());
                format!("number of {n} digits")
            }
            _ => {
                // line numbers past 65,535
                let n = rng.between(65_536, 100_000);
                let nl = if rng.chance(1, 3) { "\r\n" } else { "\n" };
                let at = any_boundary(rng, t);
                splice(t, at, 0, nl.repeat(n).as_bytes());
                format!("{n} newlines")
            }
        },
        // ---- numbers
        77..=82 => {
            let num = if rng.chance(1, 5) {
                "9".repeat(rng.between(40, 400))
            } else if rng.chance(1, 5) {
                format!("0.{}1", "0".repeat(rng.between(40, 400)))
            } else {
                rng.pick(NUMBERS).to_string()
            };
            let numeric: Vec<_> = solid_tokens(t)
                .into_iter()
                .filter(|(a, _)| t[*a].is_ascii_digit())
                .collect();
            if !numeric.is_empty() && rng.chance(2, 3) {
                let (a, b) = *rng.pick(&numeric);
                let old = t[a..b].to_vec();
                splice(t, a, b - a, num.as_bytes());
                format!(
                    "replace number `{}` with `{}`",
                    show(&old),
                    show(num.as_bytes())
                )
            } else {
                let at = place_for(rng, t, Place::Expr);
                splice(t, at, 0, format!(" {num} ").as_bytes());
                format!("insert number `{}`", show(num.as_bytes()))
            }
        }
        // ---- unicode
        83..=87 => {
            let mut u = rng.pick(UNICODE).to_string();
            if rng.chance(1, 8) {
                u = format!("a{}", "\u{300}".repeat(rng.between(100, 5_000)));
            }
            let at = if rng.chance(1, 2) {
                any_boundary(rng, t)
            } else {
                char_start(t, rng.below(t.len() + 1))
            };
            if rng.chance(1, 4) && !t.is_empty() {
                // in place of a quote, a bracket or an operator
                let toks = solid_tokens(t);
                let (a, b) = *rng.pick(&toks);
                if b - a <= 2 && !is_word(t[a]) {
                    let old = show(&t[a..b]);
                    splice(t, a, b - a, u.as_bytes());
                    return format!(
                        "replace `{old}` with {:?}",
                        u.chars().take(4).collect::<String>()
                    );
                }
            }
            splice(t, at, 0, u.as_bytes());
            format!("insert {:?}", u.chars().take(4).collect::<String>())
        }
        // ---- raw bytes
        88..=92 => {
            let b = *rng.pick(BYTES);
            let at = rng.below(t.len() + 1);
            splice(t, at, 0, b);
            format!("insert bytes {b:?} at {at}")
        }
        // ---- line ends
        93..=97 => match rng.below(6) {
            0 => {
                *t = crlf(t, b"\r\n");
                "all line ends CRLF".into()
            }
            1 => {
                *t = crlf(t, b"\r");
                "all line ends lone CR".into()
            }
            2 => {
                let mut out = Vec::with_capacity(t.len());
                for c in t.iter() {
                    if *c == b'\n' && rng.chance(1, 2) {
                        out.extend_from_slice(if rng.chance(1, 2) { b"\r\n" } else { b"\r" });
                    } else {
                        out.push(*c);
                    }
                }
                *t = out;
                "mixed line ends".into()
            }
            3 => {
                let at = rng.below(t.len() + 1);
                splice(t, at, 0, b"\r");
                format!("lone CR at {at}")
            }
            4 => {
                while t.last().is_some_and(|c| is_space(*c)) {
                    t.pop();
                }
                "no final newline".into()
            }
            _ => {
                t.retain(|c| *c != b'\n');
                "all newlines removed".into()
            }
        },
        _ => {
            let at = if rng.chance(1, 2) {
                0
            } else {
                char_start(t, rng.below(t.len() + 1))
            };
            let bom = "\u{FEFF}".repeat(rng.between(1, 3));
            splice(t, at, 0, bom.as_bytes());
            format!("BOM at {at}")
        }
    }
}

/// Values for a number that keep the syntax: extremes of each kind.
#[rustfmt::skip]
const MILD_NUMBERS: &[&str] = &[
    "0", "1", "00", "100", "1000000", "2147483648", "9223372036854775807", "9223372036854775808",
    "18446744073709551616", "99999999999999999999999999999999999999999", "0.0", "0.5", "100.0",
    "0.000000000000000000000000000001", "1.7976931348623157",
];

/// Values for a duration that keep the syntax.
#[rustfmt::skip]
const MILD_DURATIONS: &[&str] = &[
    "0d", "0s", "1s", "1w1d1h1m1s", "36500d", "36501d", "5200w", "99999999999999999999d",
    "9999999999h", "0w0d",
];

/// Operators that can stand for one another, by group.
#[rustfmt::skip]
const MILD_OPERATORS: &[&[&str]] = &[
    &["==", "!=", "<", "<=", ">", ">="],
    &["and", "or"],
    &["+", "-", "*", "/"],
    &["in", "not in"],
];

/// One mutation that likely keeps the policy valid, so that `eval` runs:
/// a number, a duration or an operator swapped for another of its kind, a
/// name or a string swapped for another in the text, or a line duplicated.
fn mutate_mild(rng: &mut Rng, t: &mut Vec<u8>) -> String {
    let toks = solid_tokens(t);
    if toks.is_empty() {
        return "mild (empty)".into();
    }
    let pick_kind = |rng: &mut Rng, f: &dyn Fn(&[u8]) -> bool| -> Option<(usize, usize)> {
        let c: Vec<_> = toks
            .iter()
            .filter(|(a, b)| f(&t[*a..*b]))
            .copied()
            .collect();
        (!c.is_empty()).then(|| *rng.pick(&c))
    };
    let replace = |t: &mut Vec<u8>, (a, b): (usize, usize), new: &[u8]| {
        let old = show(&t[a..b]);
        splice(t, a, b - a, new);
        format!("replace `{old}` with `{}`", show(new))
    };
    match rng.below(20) {
        0..=7 => {
            let number = |x: &[u8]| x[0].is_ascii_digit();
            let Some((a, b)) = pick_kind(rng, &number) else {
                return "mild number (none)".into();
            };
            let all_digits = t[a..b].iter().all(|c| c.is_ascii_digit());
            let new = rng.pick(if all_digits {
                MILD_NUMBERS
            } else {
                MILD_DURATIONS
            });
            replace(t, (a, b), new.as_bytes())
        }
        8..=12 => {
            let group = *rng.pick(MILD_OPERATORS);
            let is_op = |x: &[u8]| group.iter().any(|o| o.as_bytes() == x);
            let Some(at) = pick_kind(rng, &is_op) else {
                return "mild operator (none)".into();
            };
            replace(t, at, rng.pick(group).as_bytes())
        }
        13..=17 if toks.len() > 1 => {
            // a token for another that follows the same token (`when
            // enterprise` for `when emea`), so the grammar likely holds
            let i = rng.between(1, toks.len() - 1);
            let text = |k: usize| &t[toks[k].0..toks[k].1];
            let same: Vec<usize> = (1..toks.len())
                .filter(|&k| {
                    text(k - 1) == text(i - 1) && token_kind(text(k)) == token_kind(text(i))
                })
                .collect();
            let new = text(*rng.pick(&same)).to_vec();
            replace(t, toks[i], &new)
        }
        _ => {
            let strings: Vec<_> = toks
                .iter()
                .filter(|(a, _)| t[*a] == b'"')
                .copied()
                .collect();
            if strings.is_empty() {
                return "mild string (none)".into();
            }
            let at = *rng.pick(&strings);
            // empty, escapes, unusual characters, or another string
            let new: Vec<u8> = match rng.below(4) {
                0 => b"\"\"".to_vec(),
                1 => br#""\u{0}\n\t\"\\""#.to_vec(),
                2 => "\"\u{202E}\u{1F600}e\u{301}\u{2028}\"".as_bytes().to_vec(),
                _ => {
                    let (c, d) = *rng.pick(&strings);
                    t[c..d].to_vec()
                }
            };
            replace(t, at, &new)
        }
    }
}

fn crlf(t: &[u8], with: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(t.len() + t.len() / 16);
    for c in t {
        if *c == b'\n' {
            out.extend_from_slice(with);
        } else {
            out.push(*c);
        }
    }
    out
}

// ---------------------------------------------------------------- synthetic policies

const BASE: &str = r#"policy "Synthetic" { version "1" owner "fuzz@example.com" }
lead {
  id: string
  engagement { score: number? }
  lifecycle { stage: enum("mql", "sal", "sql") }
}
roles marketing, sdr
stages mql, sal, sql tracked by lifecycle.stage
queue inbox
signal engaged = engagement.score >= 40 "Engaged"
"#;

fn handoff(from: &str, to: &str, ready: &str, route: &str) -> String {
    format!(
        "handoff {from} -> {to} {{\n  initiated_by marketing\n  validated_by sdr\n  owned_by sdr\n  ready when {ready}\n  route {{ {route} }}\n}}\n"
    )
}

/// Hostile policies written from scratch: the first cases of every run.
/// Counts are multiplied by `scale` (see [`Settings::scale`]); the names
/// give them at full size.
fn synthetic(scale: f64, mem_limit: bool) -> Vec<(String, Vec<u8>)> {
    let n = |full: usize| ((full as f64 * scale) as usize).max(3);
    let otherwise = "otherwise -> queue inbox";
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    let mut add = |name: &str, text: String| out.push((name.to_string(), text.into_bytes()));

    let mut s = BASE.to_string();
    s.push_str("signal s0 = engaged \"link\"\n");
    let k = n(20_000);
    for i in 1..k {
        let _ = writeln!(s, "signal s{i} = s{} \"link\"", i - 1);
    }
    s.push_str(&handoff("mql", "sal", &format!("s{}", k - 1), otherwise));
    add("a chain of 20,000 signals, each using the previous one", s);

    for op in ["and", "or"] {
        let mut s = BASE.to_string();
        s.push_str("signal d0 = engaged \"d\"\n");
        for i in 1..64 {
            let _ = writeln!(s, "signal d{i} = d{p} {op} not d{p} \"d\"", p = i - 1);
        }
        s.push_str(&handoff("mql", "sal", "d63", otherwise));
        add(
            &format!("64 signals each using the previous twice (`{op}`): 2^64 paths"),
            s,
        );
    }

    let mut s = BASE.to_string();
    s.push_str("score fit \"Fit\" {\n  points 10 when fit > 5\n  points 1 per fit\n  cap 100\n}\n");
    s.push_str(&handoff("mql", "sal", "fit >= 10", otherwise));
    add("a score referencing itself", s);

    let mut s = BASE.to_string();
    s.push_str("score a \"A\" { points 1 when b > 0 }\nscore b \"B\" { points 1 when a > 0 }\n");
    s.push_str("signal p = q \"p\"\nsignal q = p \"q\"\nsignal r = r \"r\"\n");
    s.push_str("metric m = m target <= 1\nmetric share_m = share of share_m among share_m\n");
    s.push_str(&handoff("mql", "sal", "p and r and a > 0", otherwise));
    add("scores, signals and metrics in cycles", s);

    let mut s = BASE.to_string();
    s.push_str("score c0 \"c\" { points 1 when engaged }\n");
    let k = n(5_000);
    for i in 1..k {
        let _ = writeln!(s, "score c{i} \"c\" {{ points 1 when c{} > 0 }}", i - 1);
    }
    s.push_str(&handoff(
        "mql",
        "sal",
        &format!("c{} > 0", k - 1),
        otherwise,
    ));
    add("a chain of 5,000 scores", s);

    let mut s = BASE.to_string();
    let k = n(50_000);
    for i in 0..k {
        let _ = writeln!(s, "team t{i} of sdr {{ members \"m{i}\" capacity 1 }}");
    }
    let route = format!("when engaged -> team t{} otherwise -> team t0", k - 1);
    s.push_str(&handoff("mql", "sal", "engaged", &route));
    add("50,000 teams", s);

    let mut s = String::new();
    for target in [
        "/etc/passwd",
        "../../x",
        "../../../../../../../../etc/hostname",
        "/",
        ".",
        "",
        "mutant.handoff",
        "/proc/self/status",
        "\\u{0}",
    ] {
        let _ = writeln!(s, "import \"{target}\"");
    }
    s.push_str(BASE);
    s.push_str(&handoff("mql", "sal", "engaged", otherwise));
    add("imports of /etc/passwd, ../../x, directories and itself", s);

    let mut s = String::new();
    for i in 0..n(20_000) {
        let _ = writeln!(s, "import \"missing-{}.handoff\"", i % 7);
    }
    s.push_str(BASE);
    s.push_str(&handoff("mql", "sal", "engaged", otherwise));
    add("20,000 imports of missing files", s);

    let mut s = BASE.replace(
        "stages mql, sal, sql tracked by lifecycle.stage",
        "stages mql, sal, sql",
    );
    let k = n(5_000);
    s.push_str("stages ");
    for i in 0..k {
        let _ = write!(s, "st{i}, ");
    }
    let _ = writeln!(s, "st{k}");
    s.push_str(&handoff("mql", "st0", "engaged", otherwise));
    for i in 0..k {
        s.push_str(&handoff(
            &format!("st{i}"),
            &format!("st{}", i + 1),
            "engaged",
            otherwise,
        ));
    }
    add("5,000 stages and a chain of 5,000 handoffs", s);

    let mut s = BASE.to_string();
    let mut route = String::new();
    for i in 0..n(20_000) {
        let _ = writeln!(route, "when engagement.score >= {i} -> queue inbox");
    }
    route.push_str(otherwise);
    s.push_str(&handoff("mql", "sal", "engaged", &route));
    add("20,000 route rules", s);

    let mut s = BASE.to_string();
    s.push_str("signal big = lifecycle.stage in [");
    for i in 0..n(12_000) {
        let _ = write!(s, "\"stage_{i}\", ");
    }
    s.push_str("\"mql\"] \"big\"\n");
    s.push_str(&handoff("mql", "sal", "big and engaged", otherwise));
    add("a list of 12,000 strings on one line", s);

    let mut s = BASE.to_string();
    s.push_str("calendar c {\n  timezone \"Europe/Berlin\"\n  mon-fri 09:00-17:30\n  holidays ");
    for i in 0..n(20_000) {
        let (y, d) = (1970 + i / 28, 1 + i % 28);
        let _ = write!(s, "{y:04}-02-{d:02}, ");
    }
    s.push_str("2025-12-25\n}\n");
    s.push_str(&handoff("mql", "sal", "engaged", otherwise).replace(
        "  route",
        "  escalate { after 4000h business hours of c since lifecycle.stage -> notify sdr \"late\" }\n  route",
    ));
    add("a calendar with 20,000 holidays", s);

    let mut s = BASE.to_string();
    let k = n(20_000);
    s.push_str(&handoff(
        "mql",
        "sal",
        &format!("all {{ {} }}", "engaged ".repeat(k)),
        otherwise,
    ));
    let ready = format!("at least {} of {{ {} }}", k - 1, "engaged, ".repeat(k));
    s.push_str(&handoff("sal", "sql", &ready, otherwise));
    add("flat blocks of 20,000 conditions", s);

    let mut s = BASE.to_string();
    let path = ".x".repeat(n(20_000));
    let _ = writeln!(s, "signal deep_path = engagement.score{path} == 1 \"p\"");
    s.push_str(&handoff("mql", "sal", "deep_path or engaged", otherwise));
    add("a field path of 20,000 segments", s);

    let schema = format!(
        "  engagement {{ score: number? }}\n  deep {}x: string?{}",
        "a { ".repeat(60),
        " }".repeat(60)
    );
    let mut s = BASE.replace("  engagement { score: number? }", &schema);
    let _ = writeln!(
        s,
        "signal deep = deep.{}x == \"x\" \"deep\"",
        "a.".repeat(60)
    );
    let lambdas = format!("{}true{}", "any([1], x -> ".repeat(60), ")".repeat(60));
    let _ = writeln!(s, "signal lambdas = {lambdas} \"l\"");
    s.push_str(&handoff(
        "mql",
        "sal",
        "engaged or deep or lambdas",
        otherwise,
    ));
    add("records and lambdas nested 60 deep (within the limit)", s);

    let mut s = BASE.to_string();
    s.push_str("lead { ");
    for i in 0..n(20_000) {
        let _ = write!(s, "f{i}: string? ");
    }
    s.push_str("}\n");
    s.push_str(&handoff("mql", "sal", "engaged", otherwise));
    add("a second lead block with 20,000 fields", s);

    let mut s = BASE.to_string();
    s.push_str("playbook p {\n  touches ");
    for i in 0..n(20_000) {
        let _ = write!(s, "email \"t{i}\" after {}d, ", i % 30);
    }
    s.push_str("call \"last\"\n}\n");
    let h = handoff("mql", "sal", "engaged", otherwise);
    s.push_str(&h.replace("  route", "  playbook p otherwise\n  route"));
    add("a playbook of 20,000 touches", s);

    // nesting ten times the limits and more, at full size at every scale:
    // the parser, the checker and the evaluator must refuse it in words
    for (what, signal) in [
        ("12,000 `not`", format!("{}engaged", "not ".repeat(12_000))),
        ("12,000 `-`", format!("{}1 > 0", "- ".repeat(12_000))),
        (
            "700 `(`",
            format!("{}engaged{}", "(".repeat(700), ")".repeat(700)),
        ),
        (
            "700 `[`",
            format!("count({}1{}) > 0", "[".repeat(700), "]".repeat(700)),
        ),
        (
            "700 `{`",
            format!("all {}engaged{}", "{ ".repeat(700), " }".repeat(700)),
        ),
        (
            "700 lambdas",
            format!("{}true{}", "any([1], x -> ".repeat(700), ")".repeat(700)),
        ),
        (
            "20,000 `or`",
            format!("engaged{}", " or engaged".repeat(20_000)),
        ),
        ("20,000 `+`", format!("1{} > 0", " + 1".repeat(20_000))),
    ] {
        let mut s = BASE.to_string();
        let _ = writeln!(s, "signal deep = {signal} \"deep\"");
        s.push_str(&handoff("mql", "sal", "deep", otherwise));
        add(&format!("a signal of {what} in a row"), s);
    }
    let mut s = BASE.replace(
        "  engagement { score: number? }",
        &format!(
            "  engagement {{ score: number? }}\n  deep: {}string{}",
            "list<".repeat(700),
            ">".repeat(700)
        ),
    );
    s.push_str(&handoff("mql", "sal", "engaged", otherwise));
    add("a field of type `list<` x 700", s);

    let mut s = BASE.to_string();
    s.push_str(&handoff("mql", "sal", "engaged", otherwise));
    let _ = writeln!(s, "signal bad = {}@", " ".repeat(70_000));
    add("an error past column 65,535", s);

    let mut s = BASE.to_string();
    s.push_str(&handoff("mql", "sal", "engaged", otherwise));
    s.push_str(&"\n".repeat(70_000));
    s.push_str("signal bad = @\n");
    add("an error past line 65,535", s);

    let mut s = BASE.to_string();
    s.push_str(&handoff("mql", "sal", "engaged", otherwise));
    while s.len() <= (8 << 20) + 16 {
        s.push_str("// padding padding padding padding padding padding padding padding\n");
    }
    add("a file just over 8 MiB", s);

    let mut s = BASE.to_string();
    s.push_str(&handoff("mql", "sal", "engaged", otherwise));
    s = s.replace('\n', "\r");
    add("a valid policy with lone CR line ends", s);

    add("an empty file", String::new());
    add("a byte order mark only", "\u{FEFF}".into());
    add("a lone CR", "\r".into());
    add("a doc comment at the end of the file", format!("{BASE}///"));
    let open = format!("{BASE}signal x = \"abc");
    add("an unterminated string at the end of the file", open);
    add("a valid policy without a handoff", BASE.to_string());

    // reads until the memory limit: seconds, so at full scale only
    if cfg!(unix) && mem_limit && scale >= 1.0 {
        let mut s = String::from("import \"/dev/zero\"\n");
        s.push_str(BASE);
        s.push_str(&handoff("mql", "sal", "engaged", otherwise));
        add("an import of /dev/zero (runs under the memory limit)", s);
    }
    out.push(("NUL bytes".into(), b"\0\0\0policy\0".to_vec()));
    out.push(("invalid UTF-8 only".into(), b"\xff\xfe\xfd".to_vec()));
    out
}

// ---------------------------------------------------------------- cases

struct Case {
    number: usize,
    /// The seed file (relative path), or `synthetic`.
    origin: String,
    /// Where the mutant is written, relative to a worker's directory: next
    /// to a copy of its seed, so relative imports resolve.
    dir: String,
    mutations: Vec<String>,
    bytes: Vec<u8>,
}

fn make_case(number: usize, seed: u64, corpus: &Corpus, synth: &[(String, Vec<u8>)]) -> Case {
    if let Some((name, bytes)) = synth.get(number) {
        return Case {
            number,
            origin: "synthetic".into(),
            dir: "synthetic".into(),
            mutations: vec![name.clone()],
            bytes: bytes.clone(),
        };
    }
    let mut rng = case_rng(seed, number);
    // the inbound example matches the lead `eval` gets, so its mutants
    // reach deepest into the evaluator: it is the seed of a third of the
    // cases; the valid policies (examples, `ok` and `eval` fixtures) of
    // another third
    let valid: Vec<&Seed> = corpus
        .seeds
        .iter()
        .filter(|s| {
            ["examples/", "tests/fixtures/ok/", "tests/fixtures/eval/"]
                .iter()
                .any(|d| s.rel.starts_with(d))
        })
        .collect();
    let inbound = valid
        .iter()
        .find(|s| s.rel == "examples/inbound/policy.handoff");
    let s = match (rng.below(3), inbound) {
        (0, Some(inbound)) => inbound,
        (1, _) if !valid.is_empty() => rng.pick(&valid),
        _ => rng.pick(&corpus.seeds),
    };
    let mut bytes = s.bytes.clone();
    if valid.iter().any(|v| v.rel == s.rel) && rng.chance(1, 2) {
        // a mild case: one or two edits that likely keep the policy valid
        let n = rng.between(1, 2);
        let mutations = (0..n).map(|_| mutate_mild(&mut rng, &mut bytes)).collect();
        return Case {
            number,
            origin: s.rel.clone(),
            dir: seed_dir(&s.rel),
            mutations,
            bytes,
        };
    }
    let n = rng.between(2, 4);
    let mutations = (0..n)
        .map(|_| mutate_once(&mut rng, corpus, &mut bytes))
        .collect();
    Case {
        number,
        origin: s.rel.clone(),
        dir: seed_dir(&s.rel),
        mutations,
        bytes,
    }
}

/// The folder of a seed, relative to the repository.
fn seed_dir(rel: &str) -> String {
    Path::new(rel)
        .parent()
        .map_or(String::new(), |p| p.to_string_lossy().into_owned())
}

// ---------------------------------------------------------------- running

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Cmd {
    Human,
    Json,
    Sarif,
    Short,
    Eval,
    Explain,
}

const ALL_CMDS: [Cmd; 6] = [
    Cmd::Human,
    Cmd::Json,
    Cmd::Sarif,
    Cmd::Short,
    Cmd::Eval,
    Cmd::Explain,
];

impl Cmd {
    fn args(self, file: &Path) -> Vec<OsString> {
        let lead = repo().join(LEAD);
        let mut a: Vec<OsString> = Vec::new();
        match self {
            Cmd::Human | Cmd::Json | Cmd::Sarif | Cmd::Short => {
                a.push("check".into());
                a.push(file.into());
                a.push("--format".into());
                a.push(self.format().into());
            }
            Cmd::Eval | Cmd::Explain => {
                a.push(if self == Cmd::Eval { "eval" } else { "explain" }.into());
                a.push(file.into());
                a.push("--lead".into());
                a.push(lead.into());
                a.push("--now".into());
                a.push(NOW.into());
            }
        }
        a
    }

    fn format(self) -> &'static str {
        match self {
            Cmd::Human => "human",
            Cmd::Json => "json",
            Cmd::Sarif => "sarif",
            Cmd::Short => "short",
            Cmd::Eval => "eval",
            Cmd::Explain => "explain",
        }
    }

    fn is_check(self) -> bool {
        matches!(self, Cmd::Human | Cmd::Json | Cmd::Sarif | Cmd::Short)
    }

    /// The command line, with `FILE` for the policy.
    fn label(self) -> String {
        if self.is_check() {
            format!("handoff check FILE --format {}", self.format())
        } else {
            format!("handoff {} FILE --lead {LEAD} --now {NOW}", self.format())
        }
    }
}

#[derive(Clone, Debug)]
enum Status {
    Code(i32),
    Signal(i32),
    Timeout,
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Status::Code(c) => write!(f, "exit code {c}"),
            Status::Signal(s) => write!(f, "killed by signal {s} ({})", signal_name(*s)),
            Status::Timeout => write!(f, "killed after {} s", TIMEOUT.as_secs()),
        }
    }
}

fn signal_name(s: i32) -> &'static str {
    match s {
        4 => "SIGILL",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        13 => "SIGPIPE",
        15 => "SIGTERM",
        _ => "?",
    }
}

struct Outcome {
    status: Status,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    elapsed: Duration,
}

/// The process to start: the binary, under `ulimit -v` when asked.
fn base_command(lim: Limits) -> Command {
    let bin = env!("CARGO_BIN_EXE_handoff");
    if cfg!(unix) && (lim.mem_kb > 0 || lim.stack_kb > 0) {
        let mut c = Command::new("/bin/sh");
        c.arg("-c")
            .arg(concat!(
                "[ \"$1\" = 0 ] || ulimit -v \"$1\" || { echo 'mutation harness: ulimit -v failed; ",
                "set HANDOFF_MUTATION_MEM_MB=0' >&2; exit 97; }; ",
                "[ \"$2\" = 0 ] || ulimit -s \"$2\" 2>/dev/null; shift 2; exec \"$@\"",
            ))
            .arg("sh")
            .arg(lim.mem_kb.to_string())
            .arg(lim.stack_kb.to_string())
            .arg(bin);
        c
    } else {
        Command::new(bin)
    }
}

/// Resource limits of a run, in KiB; 0 leaves one as it is.
#[derive(Clone, Copy)]
struct Limits {
    mem_kb: u64,
    stack_kb: u64,
}

/// One and a half times the main thread's stack limit (`ulimit -s`), or 0
/// when unlimited or unknown.
fn margin_stack_kb() -> u64 {
    if !cfg!(unix) {
        return 0;
    }
    let out = Command::new("/bin/sh").arg("-c").arg("ulimit -s").output();
    out.ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map_or(0, |kb| kb * 3 / 2)
}

/// Runs one command on `file`; output goes to files in `work` (a full
/// pipe cannot block the child), and the child is killed after [`TIMEOUT`].
fn run(cmd: Cmd, file: &Path, work: &Path, lim: Limits) -> Outcome {
    let out_path = work.join(format!("{}.stdout", cmd.format()));
    let err_path = work.join(format!("{}.stderr", cmd.format()));
    let mut child = base_command(lim)
        .args(cmd.args(file))
        .current_dir(repo())
        .env("RUST_BACKTRACE", "0")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(File::create(&out_path).unwrap())
        .stderr(File::create(&err_path).unwrap())
        .spawn()
        .expect("start the handoff binary");
    let start = Instant::now();
    let mut pause = Duration::from_micros(500);
    let status = loop {
        match child.try_wait().expect("wait for the handoff binary") {
            Some(st) => break exit_status(st),
            None if start.elapsed() > TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                break Status::Timeout;
            }
            None => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(5));
            }
        }
    };
    let elapsed = start.elapsed();
    Outcome {
        status,
        stdout: fs::read(&out_path).unwrap_or_default(),
        stderr: fs::read(&err_path).unwrap_or_default(),
        elapsed,
    }
}

#[cfg(unix)]
fn exit_status(st: std::process::ExitStatus) -> Status {
    use std::os::unix::process::ExitStatusExt;
    match (st.code(), st.signal()) {
        (Some(c), _) => Status::Code(c),
        (None, Some(s)) => Status::Signal(s),
        (None, None) => Status::Code(-1),
    }
}

#[cfg(not(unix))]
fn exit_status(st: std::process::ExitStatus) -> Status {
    Status::Code(st.code().unwrap_or(-1))
}

type Outcomes = BTreeMap<Cmd, Outcome>;

fn run_all(cmds: &[Cmd], file: &Path, work: &Path, lim: Limits) -> Outcomes {
    cmds.iter()
        .map(|c| (*c, run(*c, file, work, lim)))
        .collect()
}

// ---------------------------------------------------------------- verdicts

/// One kind of failure seen in a case, with the commands that show it.
#[derive(Clone, Debug)]
struct Failure {
    /// What went wrong, normalised (no paths, digits as `#`), so that the
    /// same bug gives the same text from any input.
    what: String,
    cmds: BTreeSet<Cmd>,
    /// Status and first lines of stderr of each command involved.
    detail: String,
}

impl Failure {
    /// The dedupe key: what, and where it shows.
    fn signature(&self) -> String {
        if self.what.starts_with("timeout") {
            // which commands finish just in time is noise
            return self.what.clone();
        }
        let cmds: Vec<&str> = self.cmds.iter().map(|c| c.format()).collect();
        format!("{} [{}]", self.what, cmds.join(", "))
    }
}

/// Replaces the file's path with `FILE` and runs of digits with `#`.
fn normalise(text: &str, file: &Path) -> String {
    let mut s = text.replace(&*file.to_string_lossy(), "FILE");
    if let Some(dir) = file.parent() {
        s = s.replace(&*dir.to_string_lossy(), "DIR");
    }
    let mut out = String::new();
    let mut in_digits = false;
    for c in s.chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                out.push('#');
            }
            in_digits = true;
        } else {
            in_digits = false;
            out.push(c);
        }
    }
    out.chars().take(160).collect::<String>().trim().to_string()
}

/// `panic at LOCATION: MESSAGE` from stderr, the location trimmed of the
/// registry's path, the message normalised.
fn panic_what(err: &str, file: &Path) -> Option<String> {
    let at = err.find("panicked at ")?;
    let rest = &err[at + "panicked at ".len()..];
    let line_end = rest.find('\n').unwrap_or(rest.len());
    let mut loc = rest[..line_end].trim_end_matches(':').to_string();
    if let Some(i) = loc.find("/registry/src/") {
        let tail = &loc[i + "/registry/src/".len()..];
        loc = tail.split_once('/').map_or(tail, |x| x.1).to_string();
    }
    let msg = rest[line_end..].trim_start().lines().next().unwrap_or("");
    Some(format!("panic at {loc}: {}", normalise(msg, file)))
}

fn stderr_head(o: &Outcome, n: usize) -> String {
    let err = String::from_utf8_lossy(&o.stderr);
    let mut out = String::new();
    for l in err.lines().filter(|l| !l.trim().is_empty()).take(n) {
        let l: String = l.chars().take(200).collect();
        let _ = writeln!(out, "      | {l}");
    }
    if out.is_empty() {
        out.push_str("      | (no stderr)\n");
    }
    out
}

fn describe(cmd: Cmd, o: &Outcome) -> String {
    format!(
        "    {}: {} after {:.1} s\n{}",
        cmd.label(),
        o.status,
        o.elapsed.as_secs_f64(),
        stderr_head(o, 6)
    )
}

/// The crash a single run shows, if any.
fn crash_of(o: &Outcome, file: &Path) -> Option<String> {
    let err = String::from_utf8_lossy(&o.stderr);
    let overflow = err.contains("overflowed its stack") || err.contains("stack overflow");
    let panic = panic_what(&err, file);
    let marker = overflow
        || panic.is_some()
        || err.contains("with overflow")
        || err.contains("fatal runtime error")
        || err.contains("memory allocation of");
    let what = |fallback: String| {
        if overflow {
            "stack overflow".to_string()
        } else if let Some(p) = panic.clone() {
            p
        } else if err.contains("memory allocation of") {
            "memory allocation failed".to_string()
        } else if err.contains("with overflow") || err.contains("fatal runtime error") {
            let l = err
                .lines()
                .find(|l| l.contains("with overflow") || l.contains("fatal runtime error"))
                .unwrap_or("");
            normalise(l, file)
        } else {
            fallback
        }
    };
    match o.status {
        Status::Timeout => Some(format!("timeout (over {} s)", TIMEOUT.as_secs())),
        Status::Signal(s) => Some(what(format!("killed by {}", signal_name(s)))),
        Status::Code(c) if !(0..=3).contains(&c) || marker => Some(what(format!("exit code {c}"))),
        Status::Code(_) => None,
    }
}

fn code(outs: &Outcomes, c: Cmd) -> Option<i32> {
    match outs.get(&c)?.status {
        Status::Code(n) if (0..=3).contains(&n) => Some(n),
        _ => None,
    }
}

fn first_error_line(o: &Outcome, file: &Path) -> String {
    let err = String::from_utf8_lossy(&o.stderr);
    let line = err
        .lines()
        .find(|l| l.contains("error"))
        .or_else(|| err.lines().next())
        .unwrap_or("(no stderr)");
    normalise(line, file)
}

fn is_json(bytes: &[u8]) -> Result<(), String> {
    // eval prints one JSON document per line
    serde_json::from_slice::<serde_json::Value>(bytes)
        .map(|_| ())
        .map_err(|e| format!("{:?}", e.classify()))
}

/// Every failure the outcomes show: crashes, then disagreements between
/// commands that did not crash.
fn classify(outs: &Outcomes, file: &Path) -> Vec<Failure> {
    let mut by_what: BTreeMap<String, Failure> = BTreeMap::new();
    let mut add = |what: String, cmds: &[Cmd], detail: String| {
        let f = by_what.entry(what.clone()).or_insert_with(|| Failure {
            what,
            cmds: BTreeSet::new(),
            detail: String::new(),
        });
        f.cmds.extend(cmds.iter().copied());
        f.detail.push_str(&detail);
    };
    for (cmd, o) in outs {
        if let Some(what) = crash_of(o, file) {
            add(what, &[*cmd], describe(*cmd, o));
        }
    }
    // check accepts exactly what eval accepts
    if let (Some(c), Some(e)) = (code(outs, Cmd::Human), code(outs, Cmd::Eval)) {
        let refused = e == 1;
        let accepted = e == 0 || e == 3;
        let detail =
            || describe(Cmd::Human, &outs[&Cmd::Human]) + &describe(Cmd::Eval, &outs[&Cmd::Eval]);
        if c == 0 && refused {
            add(
                format!(
                    "check accepts (exit 0), eval refuses (exit 1): {}",
                    first_error_line(&outs[&Cmd::Eval], file)
                ),
                &[Cmd::Human, Cmd::Eval],
                detail(),
            );
        } else if c == 1 && accepted {
            add(
                format!("check refuses (exit 1), eval accepts (exit {e})"),
                &[Cmd::Human, Cmd::Eval],
                detail(),
            );
        }
    }
    // the formats of check agree
    let checks: Vec<(Cmd, i32)> = ALL_CMDS
        .iter()
        .filter(|c| c.is_check())
        .filter_map(|c| Some((*c, code(outs, *c)?)))
        .collect();
    if checks.windows(2).any(|w| w[0].1 != w[1].1) {
        let codes: Vec<String> = checks
            .iter()
            .map(|(c, n)| format!("{}={n}", c.format()))
            .collect();
        let cmds: Vec<Cmd> = checks.iter().map(|x| x.0).collect();
        let detail = cmds.iter().map(|c| describe(*c, &outs[c])).collect();
        add(
            format!("check formats exit differently: {}", codes.join(" ")),
            &cmds,
            detail,
        );
    }
    if let (Some(e), Some(x)) = (code(outs, Cmd::Eval), code(outs, Cmd::Explain)) {
        if e != x {
            let detail = describe(Cmd::Eval, &outs[&Cmd::Eval])
                + &describe(Cmd::Explain, &outs[&Cmd::Explain]);
            add(
                format!("eval exits {e}, explain exits {x}"),
                &[Cmd::Eval, Cmd::Explain],
                detail,
            );
        }
    }
    // machine-readable output parses
    for cmd in [Cmd::Json, Cmd::Sarif, Cmd::Eval] {
        let ok_codes: &[i32] = if cmd == Cmd::Eval { &[0] } else { &[0, 1] };
        if code(outs, cmd).is_some_and(|c| ok_codes.contains(&c)) {
            if let Err(e) = is_json(&outs[&cmd].stdout) {
                let o = &outs[&cmd];
                let head: String = String::from_utf8_lossy(&o.stdout)
                    .chars()
                    .take(300)
                    .collect();
                add(
                    format!("{} prints invalid JSON ({e})", cmd.format()),
                    &[cmd],
                    format!("{}      stdout: {head:?}\n", describe(cmd, o)),
                );
            }
        }
    }
    by_what.into_values().collect()
}

// ---------------------------------------------------------------- minimising and saving

/// Whether `bytes`, written to `file`, still shows a failure with `what`,
/// running only the commands involved (one, for a crash).
fn still_fails(
    bytes: &[u8],
    what: &str,
    cmds: &BTreeSet<Cmd>,
    file: &Path,
    work: &Path,
    lim: Limits,
) -> bool {
    fs::write(file, bytes).unwrap();
    // a disagreement needs every command involved; a crash shows in one
    let disagreement = what.starts_with("check ") || what.starts_with("eval exits");
    let run_cmds: Vec<Cmd> = if disagreement {
        cmds.iter().copied().collect()
    } else {
        cmds.iter().take(1).copied().collect()
    };
    let outs = run_all(&run_cmds, file, work, lim);
    classify(&outs, file).iter().any(|f| f.what == what)
}

/// Removes chunks of `units` (halving the chunk size) while the failure
/// persists, until `deadline`.
fn reduce(
    bytes: Vec<u8>,
    split: fn(&[u8]) -> Vec<(usize, usize)>,
    deadline: Instant,
    keep: &mut dyn FnMut(&[u8]) -> bool,
) -> Vec<u8> {
    let ranges = split(&bytes);
    let mut units: Vec<&[u8]> = ranges.iter().map(|(a, b)| &bytes[*a..*b]).collect();
    let mut chunk = units.len().div_ceil(2).max(1);
    loop {
        let mut i = 0;
        while i < units.len() {
            if Instant::now() > deadline {
                return units.concat();
            }
            let end = (i + chunk).min(units.len());
            let candidate: Vec<u8> = units[..i]
                .concat()
                .into_iter()
                .chain(units[end..].concat())
                .collect();
            if keep(&candidate) {
                units.drain(i..end);
            } else {
                i += chunk;
            }
        }
        if chunk == 1 {
            return units.concat();
        }
        chunk = chunk.div_ceil(2);
    }
}

/// Runs of at least 8 repeats of a group of `period` tokens in `texts`,
/// as (first token, repeats), not overlapping.
fn repeats(texts: &[&[u8]], period: usize) -> Vec<(usize, usize)> {
    let same_group = |a: usize, b: usize| (0..period).all(|o| texts[a + o] == texts[b + o]);
    let mut runs = Vec::new();
    let mut i = 0;
    while i + period <= texts.len() {
        let mut n = 1;
        while i + (n + 1) * period <= texts.len() && same_group(i, i + n * period) {
            n += 1;
        }
        if n >= 8 {
            runs.push((i, n));
            i += n * period;
        } else {
            i += 1;
        }
    }
    runs
}

/// The units the token pass removes: each token with the blanks after
/// it, except that a run of repeats ([`repeats`]) is one unit, as
/// [`shrink_runs`] has already made it as short as it can be.
fn token_units(t: &[u8]) -> Vec<(usize, usize)> {
    let solid = solid_tokens(t);
    let texts: Vec<&[u8]> = solid.iter().map(|(a, b)| &t[*a..*b]).collect();
    // for each solid token, how many solid tokens its unit spans
    let mut span = vec![1usize; solid.len()];
    let mut covered = vec![false; solid.len()];
    for period in 1..=3 {
        for (first, n) in repeats(&texts, period) {
            let len = n * period;
            if covered[first..first + len].iter().any(|c| *c) {
                continue;
            }
            covered[first..first + len]
                .iter_mut()
                .for_each(|c| *c = true);
            span[first] = len;
        }
    }
    let mut units = Vec::new();
    if let Some(first) = solid.first() {
        if first.0 > 0 {
            units.push((0, first.0));
        }
    } else if !t.is_empty() {
        units.push((0, t.len()));
    }
    let mut k = 0;
    while k < solid.len() {
        let next = k + span[k];
        let end = solid.get(next).map_or(t.len(), |n| n.0);
        units.push((solid[k].0, end));
        k = next;
    }
    units
}

/// Shortens runs of a repeated group of one to three tokens (`not not
/// ...`, `((((`, `not - not - ...`, `a or a or ...`) to the fewest repeats
/// that still fail, by bisection.
fn shrink_runs(
    mut cur: Vec<u8>,
    deadline: Instant,
    keep: &mut dyn FnMut(&[u8]) -> bool,
) -> Vec<u8> {
    for period in 1..=3 {
        let toks = solid_tokens(&cur);
        let texts: Vec<&[u8]> = toks.iter().map(|(a, b)| &cur[*a..*b]).collect();
        let runs = repeats(&texts, period);
        // the last run first, so the offsets of earlier ones stay valid
        for &(first, count) in runs.iter().rev() {
            // keep the last `k` groups
            let cut = |k: usize| (toks[first].0, toks[first + (count - k) * period].0);
            let (mut lo, mut hi) = (1, count);
            while lo < hi && Instant::now() < deadline {
                let mid = (lo + hi) / 2;
                let (a, b) = cut(mid);
                let candidate = [&cur[..a], &cur[b..]].concat();
                if keep(&candidate) {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
            if hi < count {
                let (a, b) = cut(hi);
                cur.drain(a..b);
            }
        }
    }
    cur
}

/// Shortens the longest tokens (a number of 100,000 digits, a huge string)
/// to the shortest prefix that still fails, by bisection.
fn shrink_tokens(
    mut cur: Vec<u8>,
    deadline: Instant,
    keep: &mut dyn FnMut(&[u8]) -> bool,
) -> Vec<u8> {
    let mut long: Vec<(usize, usize)> = tokenize(&cur)
        .into_iter()
        .filter(|(a, b)| b - a > 16)
        .collect();
    long.sort_by_key(|(a, b)| std::cmp::Reverse(b - a));
    long.truncate(8);
    long.sort_by_key(|(a, _)| std::cmp::Reverse(*a));
    for (a, b) in long {
        let (mut lo, mut hi) = (1, b - a);
        while lo < hi && Instant::now() < deadline {
            let mid = (lo + hi) / 2;
            let candidate = [&cur[..a + mid], &cur[b..]].concat();
            if keep(&candidate) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        if hi < b - a {
            cur.drain(a + hi..b);
        }
    }
    cur
}

/// The smallest input found (repeated tokens, long tokens, lines, tokens)
/// that still fails the same way outside its seed's folder; the input
/// itself when it does not fail there.
fn minimise(bytes: &[u8], f: &Failure, iso: &Path, work: &Path, s: &Settings) -> (Vec<u8>, bool) {
    if f.what.starts_with("timeout") {
        // each try would take the whole time limit: kept as found
        return (bytes.to_vec(), true);
    }
    let file = iso.join("mutant.handoff");
    let mut lim = s.limits();
    if f.what == "stack overflow" {
        // how much of the main thread's stack is left varies from run to
        // run (address randomisation, the environment's size): keep a
        // margin by requiring the overflow with half as much stack again
        let margin = Limits {
            stack_kb: margin_stack_kb(),
            ..lim
        };
        if still_fails(bytes, &f.what, &f.cmds, &file, work, margin) {
            lim = margin;
        }
    }
    let mut keep = |b: &[u8]| still_fails(b, &f.what, &f.cmds, &file, work, lim);
    if !keep(bytes) {
        return (bytes.to_vec(), false);
    }
    let deadline = Instant::now() + s.minimise;
    let mut cur = bytes.to_vec();
    while Instant::now() < deadline {
        let before = cur.len();
        // the cheap passes (a few tries each) first
        cur = shrink_runs(cur, deadline, &mut keep);
        cur = shrink_tokens(cur, deadline, &mut keep);
        cur = reduce(cur, lines, deadline, &mut keep);
        cur = reduce(cur, token_units, deadline, &mut keep);
        if cur.len() == before {
            break;
        }
    }
    (cur, true)
}

/// Fixtures already saved per signature hash (the file name's first part).
fn saved_signatures() -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    if let Ok(entries) = fs::read_dir(crashes_dir()) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if let Some((sig, _)) = name
                .strip_suffix(".handoff")
                .and_then(|n| n.split_once('-'))
            {
                *m.entry(sig.to_string()).or_insert(0) += 1;
            }
        }
    }
    m
}

fn sig_hash(signature: &str) -> String {
    format!("{:08x}", fnv(signature.as_bytes()) as u32)
}

// ---------------------------------------------------------------- the tests

struct Found {
    case: usize,
    origin: String,
    mutations: Vec<String>,
    size: usize,
    failure: Failure,
    fixture: Option<String>,
}

/// A per-process scratch directory.
fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir()
        .join(format!("handoff-mutation-{}", std::process::id()))
        .join(name);
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    d
}

/// Copies every seed into `dir`, so mutants sit next to what they import.
fn mirror(corpus: &Corpus, dir: &Path) {
    for s in &corpus.seeds {
        let p = dir.join(&s.rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, &s.bytes).unwrap();
    }
    fs::create_dir_all(dir.join("synthetic")).unwrap();
    fs::create_dir_all(dir.join("isolated")).unwrap();
}

#[test]
fn mutants_do_not_crash() {
    let s = Settings::from_env();
    let corpus = Corpus::load();
    let synth = synthetic(s.scale, s.mem_kb > 0);
    let numbers: Vec<usize> = match s.only {
        Some(n) => vec![n],
        None => (0..s.cases.max(1)).collect(),
    };
    println!(
        "mutation: seed {} ({} seeds, {} corpus tokens), {} case(s) of which {} synthetic, {} job(s); rerun with HANDOFF_MUTATION_SEED={} HANDOFF_MUTATION_CASES={}",
        s.seed,
        corpus.seeds.len(),
        corpus.tokens.len(),
        numbers.len(),
        numbers.iter().filter(|n| **n < synth.len()).count(),
        s.jobs,
        s.seed,
        s.cases
    );
    let root = scratch("mutants");
    let next = AtomicUsize::new(0);
    let found: Mutex<Vec<Found>> = Mutex::new(Vec::new());
    let slots = Mutex::new(saved_signatures());
    let slowest: Mutex<Vec<(Duration, usize, String)>> = Mutex::new(Vec::new());
    let started = Instant::now();
    let done = AtomicUsize::new(0);
    // how far the mutants get: accepted by check, decided by eval
    let (accepted, decided) = (AtomicUsize::new(0), AtomicUsize::new(0));
    std::thread::scope(|scope| {
        for w in 0..s.jobs.min(numbers.len()) {
            let (s, corpus, synth, numbers, root) = (&s, &corpus, &synth, &numbers, &root);
            let (next, found, slots, slowest, done) = (&next, &found, &slots, &slowest, &done);
            let (accepted, decided) = (&accepted, &decided);
            scope.spawn(move || {
                let wdir = root.join(format!("w{w}"));
                mirror(corpus, &wdir);
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&number) = numbers.get(i) else { break };
                    let case = make_case(number, s.seed, corpus, synth);
                    if s.only.is_some() {
                        println!(
                            "case {}: {} ({} bytes)",
                            case.number,
                            case.origin,
                            case.bytes.len()
                        );
                        for m in &case.mutations {
                            println!("  - {m}");
                        }
                        let keep =
                            repo().join(format!("target/mutation-case-{}.handoff", case.number));
                        fs::write(&keep, &case.bytes).unwrap();
                        println!("  written to {}", keep.display());
                    }
                    let file = wdir.join(&case.dir).join("mutant.handoff");
                    fs::write(&file, &case.bytes).unwrap();
                    let t0 = Instant::now();
                    let outs = run_all(&ALL_CMDS, &file, &wdir, s.limits());
                    let took = t0.elapsed();
                    if code(&outs, Cmd::Human) == Some(0) {
                        accepted.fetch_add(1, Ordering::Relaxed);
                    }
                    if code(&outs, Cmd::Eval) == Some(0) {
                        decided.fetch_add(1, Ordering::Relaxed);
                    }
                    {
                        let mut sl = slowest.lock().unwrap();
                        sl.push((took, number, case.mutations.join("; ")));
                        sl.sort_by_key(|x| std::cmp::Reverse(x.0));
                        sl.truncate(5);
                    }
                    for f in classify(&outs, &file) {
                        let sig = f.signature();
                        let h = sig_hash(&sig);
                        // reserve a fixture slot for this signature
                        // a synthetic case is rebuilt by every run: no file
                        let reserved = s.save && case.origin != "synthetic" && {
                            let mut sl = slots.lock().unwrap();
                            let n = sl.entry(h.clone()).or_insert(0);
                            *n += 1;
                            *n <= MAX_PER_SIGNATURE
                        };
                        let mut fixture = None;
                        if reserved {
                            let (min, alone) =
                                minimise(&case.bytes, &f, &wdir.join("isolated"), &wdir, s);
                            fs::create_dir_all(crashes_dir()).unwrap();
                            let name = format!("{h}-{:08x}.handoff", fnv(&min) as u32);
                            fs::write(crashes_dir().join(&name), &min).unwrap();
                            fixture = Some(format!(
                                "tests/fixtures/crashes/{name} ({} bytes{})",
                                min.len(),
                                if alone {
                                    ""
                                } else {
                                    "; does not fail outside its seed's folder"
                                }
                            ));
                        }
                        if s.only.is_some() {
                            println!("  FAILS: {sig}\n{}", f.detail);
                        }
                        found.lock().unwrap().push(Found {
                            case: number,
                            origin: case.origin.clone(),
                            mutations: case.mutations.clone(),
                            size: case.bytes.len(),
                            failure: f,
                            fixture,
                        });
                    }
                    let d = done.fetch_add(1, Ordering::Relaxed) + 1;
                    let step = (numbers.len() / 10).max(1);
                    if d % step == 0 || d == numbers.len() {
                        println!(
                            "mutation: {d}/{} cases, {} failure(s), {:.0} s",
                            numbers.len(),
                            found.lock().unwrap().len(),
                            started.elapsed().as_secs_f64()
                        );
                    }
                }
            });
        }
    });
    let _ = fs::remove_dir_all(&root);
    let _ = fs::remove_dir(root.parent().unwrap());
    println!(
        "mutation: check accepted {} of {} case(s), eval decided on {}",
        accepted.load(Ordering::Relaxed),
        numbers.len(),
        decided.load(Ordering::Relaxed)
    );
    println!("mutation: slowest cases:");
    for (d, n, m) in slowest.into_inner().unwrap() {
        let m: String = m.chars().take(150).collect();
        println!("  case {n}: {:.2} s ({m})", d.as_secs_f64());
    }
    let mut found = found.into_inner().unwrap();
    found.sort_by_key(|f| f.case);
    if !found.is_empty() {
        panic!("{}", report(&found, &s));
    }
}

fn report(found: &[Found], s: &Settings) -> String {
    let mut groups: BTreeMap<String, Vec<&Found>> = BTreeMap::new();
    for f in found {
        groups.entry(f.failure.signature()).or_default().push(f);
    }
    let cases: BTreeSet<usize> = found.iter().map(|f| f.case).collect();
    let mut out = format!(
        "\n{} failing case(s), {} distinct failure signature(s); seed {}, replay one with HANDOFF_MUTATION_SEED={} HANDOFF_MUTATION_ONLY=<case>\n",
        cases.len(),
        groups.len(),
        s.seed,
        s.seed
    );
    for (k, (sig, fs_)) in groups.iter().enumerate() {
        let first = fs_[0];
        let _ = writeln!(out, "\n[{}] {sig}  ({} case(s))", k + 1, fs_.len());
        let _ = writeln!(
            out,
            "  first: case {} from {} ({} bytes): {}",
            first.case,
            first.origin,
            first.size,
            first.mutations.join("; ")
        );
        out.push_str(&first.failure.detail);
        let saved: BTreeSet<&String> = fs_.iter().filter_map(|f| f.fixture.as_ref()).collect();
        for f in saved {
            let _ = writeln!(out, "  saved: {f}");
        }
        if first.origin == "synthetic" {
            let _ = writeln!(
                out,
                "  (synthetic cases are rebuilt by every run, not saved)"
            );
        }
    }
    let _ = writeln!(out, "\nevery failure (case: signature; origin; mutations):");
    for f in found.iter().take(400) {
        let m: String = f.mutations.join("; ").chars().take(200).collect();
        let _ = writeln!(
            out,
            "  {}: {}; {}; {m}",
            f.case,
            f.failure.signature(),
            f.origin
        );
    }
    if found.len() > 400 {
        let _ = writeln!(out, "  ... and {} more", found.len() - 400);
    }
    out
}

/// The saved crashes (`tests/fixtures/crashes/*.handoff`) run clean: each
/// was a crash once, and must stay fixed.
#[test]
fn crash_fixtures_do_not_crash() {
    let s = Settings::from_env();
    let mut files: Vec<PathBuf> = fs::read_dir(crashes_dir())
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|x| x == "handoff"));
    files.sort();
    println!("crash fixtures: {} file(s)", files.len());
    let work = scratch("fixtures");
    let mut failures = String::new();
    for p in &files {
        let outs = run_all(&ALL_CMDS, p, &work, s.limits());
        for f in classify(&outs, p) {
            let rel = p.strip_prefix(repo()).unwrap_or(p).display().to_string();
            let _ = writeln!(failures, "\n{rel}: {}\n{}", f.signature(), f.detail);
        }
    }
    let _ = fs::remove_dir_all(&work);
    let _ = fs::remove_dir(work.parent().unwrap());
    assert!(
        failures.is_empty(),
        "crash fixtures still fail:\n{failures}"
    );
}

/// Minimises a failing policy by hand: `HANDOFF_MUTATION_MINIMISE=FILE
/// cargo test --release --test mutation minimise_file -- --ignored --nocapture`
/// writes `FILE.min-<n>` for each distinct failure it shows.
#[test]
#[ignore = "a tool: set HANDOFF_MUTATION_MINIMISE=FILE"]
fn minimise_file() {
    let Some(path) = std::env::var_os("HANDOFF_MUTATION_MINIMISE") else {
        println!("set HANDOFF_MUTATION_MINIMISE to the file to minimise");
        return;
    };
    let path = PathBuf::from(path);
    let s = Settings::from_env();
    let bytes = fs::read(&path).unwrap();
    let work = scratch("minimise");
    fs::create_dir_all(work.join("isolated")).unwrap();
    let file = work.join("isolated").join("mutant.handoff");
    fs::write(&file, &bytes).unwrap();
    let outs = run_all(&ALL_CMDS, &file, &work, s.limits());
    for (n, f) in classify(&outs, &file).iter().enumerate() {
        let t0 = Instant::now();
        let (min, alone) = minimise(&bytes, f, &work.join("isolated"), &work, &s);
        let out = PathBuf::from(format!("{}.min-{n}", path.display()));
        fs::write(&out, &min).unwrap();
        println!(
            "{}\n  {} -> {} bytes in {:.0} s{}: {}",
            f.signature(),
            bytes.len(),
            min.len(),
            t0.elapsed().as_secs_f64(),
            if alone { "" } else { " (does not fail alone)" },
            out.display()
        );
    }
    let _ = fs::remove_dir_all(&work);
    let _ = fs::remove_dir(work.parent().unwrap());
}
