//! Loading: files on disk (or a string) -> parsed modules.
//!
//! Reads the root policy file, parses it, follows its `import`s relative to
//! the importing file, and collects every diagnostic. An import cycle or a
//! missing import is a diagnostic pointing at the `import` line, never a
//! hang or a crash.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::ast::{ItemKind, Module};
use crate::diag::{Code, Diagnostic};
use crate::files::ReadError;
use crate::span::{FileId, SourceMap, Span};
use crate::syntax;

/// All modules of one policy, the root first, with their sources.
#[derive(Debug)]
pub struct Loaded {
    /// The text of every file read.
    pub sources: SourceMap,
    /// The syntax tree of each file that parsed, the root first.
    pub modules: Vec<Module>,
    /// Problems met while reading and parsing (not yet checking).
    pub diagnostics: Vec<Diagnostic>,
}

/// Where a source comes from.
enum Origin {
    Disk(PathBuf),
    Memory,
}

/// The most files one policy may import, directly or not.
const MAX_FILES: usize = 256;

/// How imports may reach.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoadOptions {
    /// Follow imports with absolute paths and imports that leave the root
    /// policy's folder tree. Off by default: CI checks policies from
    /// untrusted pull requests, and an import must not read what lies
    /// outside the policy's repository.
    pub allow_outside_imports: bool,
}

/// Loads a policy from a file on disk, following imports.
///
/// An unreadable root file is an `Err` with the reason (the CLI reports it as
/// an I/O error, exit code 2); everything else is a diagnostic.
///
/// ```
/// let loaded = handoff::load::load_file("examples/partner/policy.handoff".as_ref()).unwrap();
/// assert_eq!(loaded.sources.len(), 2); // the policy and the file it imports
/// assert!(handoff::load::load_file("no/such.handoff".as_ref()).is_err());
/// ```
pub fn load_file(path: &Path) -> std::io::Result<Loaded> {
    load_file_with(path, LoadOptions::default())
}

/// [`load_file`] with the reach of imports given.
pub fn load_file_with(path: &Path, options: LoadOptions) -> std::io::Result<Loaded> {
    load_file_with_extra(path, options, &[])
}

/// [`load_file_with`] plus declarations given as text beside the file, as
/// if it imported them: `(name, text)` pairs, each a source of its own that
/// diagnostics name (a command's `--segment` option, say). They cannot
/// import.
///
/// ```
/// use handoff::load::{load_file_with_extra, LoadOptions};
/// let extra = [("--segment", "signal pilot = company.region == \"EMEA\"")];
/// let path = "examples/inbound/policy.handoff".as_ref();
/// let loaded = load_file_with_extra(path, LoadOptions::default(), &extra).unwrap();
/// assert_eq!(loaded.sources.len(), 2);
/// assert!(loaded.diagnostics.is_empty());
/// ```
pub fn load_file_with_extra(
    path: &Path,
    options: LoadOptions,
    extra: &[(&str, &str)],
) -> std::io::Result<Loaded> {
    // read no further than the limit: a huge or endless file (`/dev/zero`)
    // is H003 after a bounded read
    let bytes = match read_source(path) {
        Ok(b) => Ok(b),
        Err(ReadError::TooLarge { size, .. }) => Err(size),
        Err(ReadError::Io(e)) => return Err(e),
    };
    Ok(load(
        &path.display().to_string(),
        bytes.as_deref().map_err(|s| *s),
        Some(path),
        options,
        extra,
    ))
}

/// Reads a policy file, no further than [`syntax::MAX_SOURCE_BYTES`].
fn read_source(path: &Path) -> Result<Vec<u8>, ReadError> {
    crate::files::read_limited(path, syntax::MAX_SOURCE_BYTES as u64)
}

/// Loads a policy from a stream (standard input, say), read no further
/// than [`syntax::MAX_SOURCE_BYTES`]: more is an H003 diagnostic, not a
/// read to the end. Imports are not available; `extra` as in
/// [`load_file_with_extra`]. Only a failure to read is an `Err`.
///
/// ```
/// let loaded = handoff::load::load_reader("<stdin>", std::io::repeat(b' '), &[]).unwrap();
/// assert_eq!(loaded.diagnostics[0].code.as_str(), "H003");
/// ```
pub fn load_reader(
    name: &str,
    input: impl std::io::Read,
    extra: &[(&str, &str)],
) -> std::io::Result<Loaded> {
    let bytes = match crate::files::read_limited_from(input, syntax::MAX_SOURCE_BYTES as u64) {
        Ok(b) => Ok(b),
        Err(ReadError::TooLarge { size, .. }) => Err(size),
        Err(ReadError::Io(e)) => return Err(e),
    };
    Ok(load(
        name,
        bytes.as_deref().map_err(|s| *s),
        None,
        LoadOptions::default(),
        extra,
    ))
}

/// Loads a policy from text already in memory. Imports are resolved against
/// `base` when given (the file the text came from), and rejected otherwise.
///
/// Loading reads and parses; [`crate::Checked`] also checks.
///
/// ```
/// let loaded = handoff::load::load_bytes("p.handoff", b"roles sdr\nstages mql, sal", None);
/// assert!(loaded.diagnostics.is_empty());
/// assert_eq!(loaded.modules[0].items.len(), 2);
/// ```
pub fn load_bytes(name: &str, bytes: &[u8], base: Option<&Path>) -> Loaded {
    load(name, Ok(bytes), base, LoadOptions::default(), &[])
}

/// [`load_bytes`] plus declarations given as text (see
/// [`load_file_with_extra`]).
pub fn load_bytes_with_extra(name: &str, bytes: &[u8], extra: &[(&str, &str)]) -> Loaded {
    load(name, Ok(bytes), None, LoadOptions::default(), extra)
}

/// `bytes`: the root file's text, or its size (when known) when it is
/// over the limit.
fn load(
    name: &str,
    bytes: Result<&[u8], Option<u64>>,
    base: Option<&Path>,
    options: LoadOptions,
    extra: &[(&str, &str)],
) -> Loaded {
    // imports stay inside the root file's folder tree (resolved as the
    // file system sees it: a link out of the tree leads out of it)
    let root = base
        .and_then(|p| {
            let shown = match p.parent() {
                Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
                _ => PathBuf::from("."),
            };
            let canonical = std::fs::canonicalize(p).ok()?.parent()?.to_path_buf();
            Some((canonical, shown))
        })
        .filter(|_| !options.allow_outside_imports);
    let mut l = Loader {
        sources: SourceMap::new(),
        modules: Vec::new(),
        diagnostics: Vec::new(),
        by_path: HashMap::new(),
        root,
    };
    let origin = match base {
        Some(p) => Origin::Disk(p.to_path_buf()),
        None => Origin::Memory,
    };
    match bytes {
        Ok(bytes) => l.add(name, bytes, origin, &mut Vec::new()),
        Err(size) => l.too_large(name, size, &origin),
    }
    for (name, text) in extra {
        l.add(name, text.as_bytes(), Origin::Memory, &mut Vec::new());
    }
    crate::diag::sort(&mut l.diagnostics);
    Loaded {
        sources: l.sources,
        modules: l.modules,
        diagnostics: l.diagnostics,
    }
}

struct Loader {
    sources: SourceMap,
    modules: Vec<Module>,
    diagnostics: Vec<Diagnostic>,
    by_path: HashMap<PathBuf, FileId>,
    /// The folder imports must stay inside, as resolved and as given;
    /// `None` when they may leave it.
    root: Option<(PathBuf, PathBuf)>,
}

impl Loader {
    /// A file over the size limit: its name in the source map (without
    /// its text) and H003.
    fn too_large(&mut self, name: &str, size: Option<u64>, origin: &Origin) {
        let file = self.sources.add(name, String::new());
        if let Origin::Disk(p) = origin {
            let c = std::fs::canonicalize(p).unwrap_or_else(|_| p.clone());
            self.by_path.insert(c, file);
        }
        self.diagnostics.push(syntax::too_large(file, size));
    }

    /// Parses one file and, depth first, the files it imports. `stack` holds
    /// the canonical paths of the files being loaded, to find cycles.
    fn add(&mut self, name: &str, bytes: &[u8], origin: Origin, stack: &mut Vec<PathBuf>) {
        let file = self.sources.add(name, syntax::decode(bytes));
        let canonical = match &origin {
            Origin::Disk(p) => {
                let c = std::fs::canonicalize(p).unwrap_or_else(|_| p.clone());
                self.by_path.insert(c.clone(), file);
                Some(c)
            }
            Origin::Memory => None,
        };
        if let Some(d) = syntax::check_bytes(file, bytes) {
            self.diagnostics.push(d);
            return;
        }
        let text = self.sources.get(file).text.clone();
        let parsed = syntax::parse_module(file, &text);
        self.diagnostics.extend(parsed.diagnostics);
        let Some(module) = parsed.module else { return };
        let imports: Vec<(String, Span)> = module
            .items
            .iter()
            .filter_map(|i| match &i.kind {
                ItemKind::Import(s) => Some((s.value.clone(), s.span)),
                _ => None,
            })
            .collect();
        self.modules.push(module);
        if let Some(c) = &canonical {
            stack.push(c.clone());
        }
        for (target, span) in imports {
            self.import(&origin, &target, span, stack);
        }
        if canonical.is_some() {
            stack.pop();
        }
    }

    fn import(&mut self, origin: &Origin, target: &str, span: Span, stack: &mut Vec<PathBuf>) {
        let Origin::Disk(from) = origin else {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::ImportNotFound,
                    span,
                    format!("cannot import `{target}` from a policy read from standard input"),
                )
                .label("no directory to look in")
                .help("pass the policy as a file path so imports resolve relative to it"),
            );
            return;
        };
        let dir = from.parent().unwrap_or(Path::new("."));
        if !target.ends_with(".handoff") {
            // never read (and so never quote) a file that is no policy
            self.diagnostics.push(
                Diagnostic::new(
                    Code::ImportNotAPolicy,
                    span,
                    format!("`{target}` is not a policy file: imports name `.handoff` files"),
                )
                .label("not a `.handoff` file")
                .help("import a policy file such as `import \"shared/schema.handoff\"`; the file is not read"),
            );
            return;
        }
        let absolute = Path::new(target).is_absolute() || target.starts_with(['/', '\\']);
        if let Some((_, shown)) = self.root.as_ref().filter(|_| absolute) {
            self.diagnostics
                .push(outside(span, target, "an absolute path", shown));
            return;
        }
        if let Some((root, shown)) = &self.root {
            // checked on the text first: whether a file exists outside the
            // folder is not to be learned from a diagnostic either
            let depth = std::fs::canonicalize(dir)
                .ok()
                .and_then(|d| Some(d.strip_prefix(root).ok()?.components().count()))
                .unwrap_or(0) as i64;
            if climbs_out(depth, target) {
                let d = outside(span, target, "outside the policy's folder", shown);
                self.diagnostics.push(d);
                return;
            }
        }
        let path = dir.join(target);
        let canonical = match std::fs::canonicalize(&path) {
            Ok(c) => c,
            Err(_) => {
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::ImportNotFound,
                        span,
                        format!("imported file `{}` does not exist", path.display()),
                    )
                    .label("not found")
                    .help(format!(
                        "import paths are relative to the importing file, here `{}`",
                        dir.display()
                    )),
                );
                return;
            }
        };
        if let Some((_, shown)) = self.root.as_ref().filter(|r| !canonical.starts_with(&r.0)) {
            let d = outside(span, target, "outside the policy's folder", shown);
            self.diagnostics.push(d);
            return;
        }
        if let Some(pos) = stack.iter().position(|p| *p == canonical) {
            let chain: Vec<String> = stack[pos..]
                .iter()
                .chain(std::iter::once(&canonical))
                .map(|p| {
                    p.file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default()
                })
                .collect();
            self.diagnostics.push(
                Diagnostic::new(
                    Code::ImportCycle,
                    span,
                    format!("this import closes a cycle: {}", chain.join(" -> ")),
                )
                .label("imports a file that is already importing this one")
                .help("move what both files need into a third file that imports neither"),
            );
            return;
        }
        if self.by_path.contains_key(&canonical) {
            return; // already loaded through another import
        }
        if self.sources.len() >= MAX_FILES {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::ImportNotFound,
                    span,
                    format!("a policy may span at most {MAX_FILES} files"),
                )
                .label("one import too many")
                .help("merge small shared files"),
            );
            return;
        }
        match read_source(&path) {
            Ok(bytes) => self.add(
                &path.display().to_string(),
                &bytes,
                Origin::Disk(path.clone()),
                stack,
            ),
            Err(ReadError::TooLarge { size, .. }) => self.too_large(
                &path.display().to_string(),
                size,
                &Origin::Disk(path.clone()),
            ),
            Err(ReadError::Io(e)) => self.diagnostics.push(
                Diagnostic::new(
                    Code::UnreadableFile,
                    span,
                    format!("cannot read imported file `{}`: {e}", path.display()),
                )
                .label("unreadable")
                .help("check the file's permissions, and that it is a file and not a directory"),
            ),
        }
    }
}

/// H120: an import that would leave the root policy's folder tree.
fn outside(span: Span, target: &str, what: &str, root: &Path) -> Diagnostic {
    Diagnostic::new(
        Code::ImportOutside,
        span,
        format!("`{target}` is {what}: imports stay inside the policy's folder"),
    )
    .label("leaves the policy's folder")
    .help(format!(
        "move the shared file into `{}` (or below it) and import it by a relative path; to follow such imports on purpose, pass `--allow-outside-imports`",
        root.display()
    ))
}

/// Whether relative path `target`, followed from a folder `depth` levels
/// below a root, climbs above the root at some point (judged on its text:
/// whether a file exists out there is not to be learned from a diagnostic).
pub(crate) fn climbs_out(mut depth: i64, target: &str) -> bool {
    for c in Path::new(target).components() {
        depth += match c {
            std::path::Component::Normal(_) => 1,
            std::path::Component::CurDir => 0,
            _ => -1,
        };
        if depth < 0 {
            return true;
        }
    }
    false
}
