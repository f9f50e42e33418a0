//! Finding policies and suites below a folder, for `check`, `test` and `fmt`.
//!
//! The walk is a trust boundary too: CI runs `handoff check DIR` on pull
//! requests, and a link committed inside the folder may point anywhere on
//! the machine. A link (to a file or a folder) is followed when it resolves
//! inside the folder walked, and left out, unread, when it resolves outside
//! it (or nowhere), unless the caller allows it (`--allow-outside-imports`).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// What a walk found.
pub(crate) struct Walk {
    /// The files wanted, sorted.
    pub files: Vec<PathBuf>,
    /// Links left out because they lead outside the folder walked (or to
    /// nothing), sorted.
    pub skipped: Vec<PathBuf>,
}

impl Walk {
    /// Tells on stderr which links were left out, and why.
    pub fn warn_skipped(&self, root: &Path, how_to_follow: bool) {
        for s in &self.skipped {
            let follow = if how_to_follow {
                "; pass `--allow-outside-imports` to follow it"
            } else {
                ""
            };
            eprintln!(
                "warning: {}: a link that leads outside `{}` (or to nothing) is not followed{follow}",
                s.display(),
                root.display()
            );
        }
    }
}

/// The files under `dir` that `want` keeps, in sorted order, folders whose
/// names start with a dot left out. A link is followed only when it
/// resolves inside `dir`, or anywhere when `allow_outside`.
pub(crate) fn files_below(
    dir: &Path,
    want: impl Fn(&Path) -> bool,
    allow_outside: bool,
) -> std::io::Result<Walk> {
    let root = std::fs::canonicalize(dir)?;
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    let mut seen = HashSet::new();
    while let Some(d) = stack.pop() {
        // a link back up the tree is followed once
        if !seen.insert(std::fs::canonicalize(&d)?) {
            continue;
        }
        let mut entries: Vec<(PathBuf, std::fs::FileType)> = std::fs::read_dir(&d)?
            .filter_map(|e| e.ok())
            .filter_map(|e| Some((e.path(), e.file_type().ok()?)))
            .filter(|(p, _)| {
                !p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            })
            .collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        for (p, kind) in entries.into_iter().rev() {
            if kind.is_symlink() {
                // a real folder below the root stays below it; only links
                // can lead out, so only they are resolved
                match std::fs::canonicalize(&p) {
                    Ok(target) if allow_outside || target.starts_with(&root) => {}
                    Ok(target) => {
                        // only what the walk would have taken is worth a word
                        if target.is_dir() || want(&p) {
                            skipped.push(p);
                        }
                        continue;
                    }
                    // a dangling link names nothing to check
                    Err(_) => {
                        if want(&p) {
                            skipped.push(p);
                        }
                        continue;
                    }
                }
            }
            if p.is_dir() {
                stack.push(p);
            } else if want(&p) {
                files.push(p);
            }
        }
    }
    files.sort();
    skipped.sort();
    Ok(Walk { files, skipped })
}

/// A policy (`*.handoff`) or a suite (`*.test.toml`).
pub(crate) fn is_policy_or_suite(p: &Path) -> bool {
    is_policy(p) || is_suite(p)
}

/// A policy file, `*.handoff`.
pub(crate) fn is_policy(p: &Path) -> bool {
    p.extension().is_some_and(|e| e == "handoff")
}

/// A test suite, `*.test.toml`.
pub(crate) fn is_suite(p: &Path) -> bool {
    p.to_string_lossy().ends_with(".test.toml")
}
