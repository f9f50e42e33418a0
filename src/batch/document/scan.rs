//! The document's text below the level of records: blank space, where a
//! bare value ends, places as lines and columns, and the scan of a value to
//! its end (strings and their escapes, brackets counted without recursion).

/// A place in the document: the line from 1, and the characters from the
/// start of the line.
#[derive(Debug, Clone, Copy)]
pub(super) struct Pos {
    pub(super) line: usize,
    pub(super) col: usize,
}

impl Pos {
    pub(super) fn advance(&mut self, bytes: &[u8]) {
        match memchr::memrchr(b'\n', bytes) {
            Some(last) => {
                self.line += memchr::memchr_iter(b'\n', bytes).count();
                self.col = chars(&bytes[last + 1..]);
            }
            None => self.col += chars(bytes),
        }
    }
}

/// The characters of UTF-8 text: its bytes that are not continuation
/// bytes.
fn chars(bytes: &[u8]) -> usize {
    bytes.iter().filter(|b| (**b as i8) >= -0x40).count()
}

pub(super) fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// What ends a bare value (a number, `true`, a misspelt word).
pub(super) fn is_delim(b: u8) -> bool {
    is_ws(b) || matches!(b, b',' | b':' | b'[' | b']' | b'{' | b'}' | b'"')
}

/// The blank space at the start of `bytes`.
pub(super) fn ws_run(bytes: &[u8]) -> usize {
    bytes.iter().position(|b| !is_ws(*b)).unwrap_or(bytes.len())
}

/// Why a value is scanned to its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Purpose {
    /// A record.
    Record,
    /// The value of a key of an export (or of an object not known yet).
    Value,
    /// The rest of an export after a fault in it.
    CloseObj,
}

/// What is looked for in a value of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Watch {
    None,
    /// The bare value (`false` for `done`, `null` for `nextRecordsUrl`).
    Token,
    /// A `"next"` (in `paging`).
    Next,
}

/// Where a record's structure expects what (see [`Scan::checked`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Gram {
    /// A value.
    Value,
    /// A value or `]` (after `[`).
    ValueOrClose,
    /// A key (after `,` in an object).
    Key,
    /// A key or `}` (after `{`).
    KeyOrClose,
    /// `:` after a key.
    Colon,
    /// `,` or the closing bracket after a value.
    After,
    /// Inside a bare value (a number, `true`, a misspelt word).
    Bare,
}

/// Why [`Scan::run`] stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stop {
    /// The bytes are used up; the value goes on.
    More,
    /// The value ends after the bytes used.
    End,
    /// The record is not valid JSON at the first byte not used
    /// ([`Scan::reason`] says why); the scan goes on, in its broken mode.
    Broken,
    /// The record is broken, and a line that starts a record at or left of
    /// its column starts at the first byte not used: the record ends
    /// before it.
    Restart,
}

/// The scan of a value to its end: a string, brackets counted outside
/// strings, or a bare value.
///
/// The scan of a record is checked ([`Scan::checked`]): its structure
/// (brackets of both kinds, keys, `:` and `,`, and no raw line end inside
/// a string) is followed, so that a record that is not valid JSON is
/// known as soon as it is seen to be (never for a valid one). From there
/// the scan is broken: brackets are counted as in an unchecked scan, a
/// line end ends a string, and a line whose first character is a `{` at
/// or left of the record's column ends the record before that line (the
/// next record starts there).
#[derive(Debug)]
pub(super) struct Scan {
    depth: usize,
    in_str: bool,
    esc: bool,
    pub(super) bare: bool,
    pub(super) purpose: Purpose,
    watch: Watch,
    token: [u8; 8],
    token_len: usize,
    next: usize,
    pub(super) found_next: bool,
    /// The structure is followed (a record's scan).
    check: bool,
    gram: Gram,
    /// Of each open bracket, whether it is `{` (a bit a level).
    kinds: Vec<u64>,
    /// The record is known not to be valid JSON.
    broken: bool,
    /// Why, once it is.
    pub(super) reason: Option<String>,
    /// After a line end: the blank characters of the line so far.
    line_ws: Option<usize>,
    /// A line that starts with `{` at this column or left of it ends a
    /// broken record.
    restart_col: usize,
}

impl Scan {
    /// The scan of a value from its first byte.
    pub(super) fn new(bare: bool, purpose: Purpose, watch: Watch) -> Scan {
        Scan {
            depth: 0,
            in_str: false,
            esc: false,
            bare,
            purpose,
            watch,
            token: [0; 8],
            token_len: 0,
            next: 0,
            found_next: false,
            check: false,
            gram: Gram::Value,
            kinds: Vec::new(),
            broken: false,
            reason: None,
            line_ws: None,
            restart_col: 0,
        }
    }

    /// This scan, of a record that starts at column `column` of its line,
    /// checked: expecting `gram`, inside as many objects as its depth.
    /// A bare value is not checked.
    pub(super) fn checked(mut self, column: usize, gram: Gram) -> Scan {
        if self.bare {
            return self;
        }
        self.check = true;
        self.gram = gram;
        self.restart_col = column;
        for level in 0..self.depth {
            self.set_kind(level, true);
        }
        self
    }

    fn set_kind(&mut self, level: usize, object: bool) {
        let (word, bit) = (level / 64, level % 64);
        if self.kinds.len() <= word {
            self.kinds.resize(word + 1, 0);
        }
        if object {
            self.kinds[word] |= 1 << bit;
        } else {
            self.kinds[word] &= !(1 << bit);
        }
    }

    /// Whether the innermost open bracket is `{`.
    fn in_object(&self) -> bool {
        let level = self.depth.wrapping_sub(1);
        self.depth > 0
            && self
                .kinds
                .get(level / 64)
                .is_some_and(|w| w & (1 << (level % 64)) != 0)
    }

    /// The scan of what is left of a value `depth` brackets deep.
    pub(super) fn nested(depth: usize, purpose: Purpose) -> Scan {
        Scan {
            depth,
            ..Scan::new(false, purpose, Watch::None)
        }
    }

    /// Scans `bytes`: how many are used, and why it stopped there.
    pub(super) fn run(&mut self, bytes: &[u8]) -> (usize, Stop) {
        if self.check {
            return self.run_checked(bytes);
        }
        let (used, end) = self.run_unchecked(bytes);
        (used, if end { Stop::End } else { Stop::More })
    }

    /// One byte outside a string, by bracket counts alone: whether it
    /// closes the value.
    #[inline]
    fn count(&mut self, b: u8) -> bool {
        match b {
            b'"' => self.in_str = true,
            b'{' | b'[' => self.depth += 1,
            b'}' | b']' => {
                self.depth = self.depth.saturating_sub(1);
                return self.depth == 0;
            }
            _ => {}
        }
        false
    }

    /// Scans `bytes`: how many are the value's, and whether it ends there.
    fn run_unchecked(&mut self, bytes: &[u8]) -> (usize, bool) {
        if self.bare {
            return match bytes.iter().position(|b| is_delim(*b)) {
                Some(end) => (end, true),
                None => (bytes.len(), false),
            };
        }
        let mut i = 0;
        while i < bytes.len() {
            if self.in_str {
                if self.esc {
                    self.esc = false;
                    i += 1;
                    continue;
                }
                match memchr::memchr2(b'"', b'\\', &bytes[i..]) {
                    None => return (bytes.len(), false),
                    Some(k) => {
                        i += k + 1;
                        if bytes[i - 1] == b'\\' {
                            self.esc = true;
                        } else {
                            self.in_str = false;
                            if self.depth == 0 {
                                return (i, true);
                            }
                        }
                    }
                }
            } else {
                let b = bytes[i];
                i += 1;
                if self.count(b) {
                    return (i, true);
                }
            }
        }
        (bytes.len(), false)
    }

    /// [`Scan::run`] of a checked scan.
    fn run_checked(&mut self, bytes: &[u8]) -> (usize, Stop) {
        let mut i = 0;
        while i < bytes.len() {
            if self.in_str {
                if self.esc && bytes[i] != b'\n' {
                    self.esc = false;
                    i += 1;
                    continue;
                }
                self.esc = false;
                let Some(k) = memchr::memchr3(b'"', b'\\', b'\n', &bytes[i..]) else {
                    return (bytes.len(), Stop::More);
                };
                let at = i + k;
                match bytes[at] {
                    b'\\' => {
                        self.esc = true;
                        i = at + 1;
                    }
                    b'"' => {
                        i = at + 1;
                        self.in_str = false;
                        if self.depth == 0 {
                            return (i, Stop::End);
                        }
                    }
                    _ => {
                        // a raw line end: JSON has none in a string
                        if !self.broken {
                            self.broken = true;
                            self.reason =
                                Some("a string is not closed at the end of its line".to_string());
                            return (at, Stop::Broken);
                        }
                        // the string is taken to end with its line
                        self.in_str = false;
                        if self.depth == 0 {
                            return (at, Stop::End);
                        }
                        i = at;
                    }
                }
                continue;
            }
            let b = bytes[i];
            if is_ws(b) {
                if self.gram == Gram::Bare {
                    self.gram = Gram::After;
                }
                if b == b'\n' {
                    self.line_ws = Some(0);
                } else if let Some(n) = self.line_ws.as_mut() {
                    *n += 1;
                }
                i += 1;
                continue;
            }
            let line_start = self.line_ws.take();
            if self.broken {
                if b == b'{' && line_start.is_some_and(|n| n < self.restart_col) {
                    return (i, Stop::Restart);
                }
                i += 1;
                if self.count(b) {
                    return (i, Stop::End);
                }
                continue;
            }
            if self.gram == Gram::Bare {
                if !is_delim(b) {
                    i += 1;
                    continue;
                }
                self.gram = Gram::After;
            }
            if let Some(expected) = self.refuses(b) {
                self.broken = true;
                self.line_ws = line_start;
                let what = if b.is_ascii_graphic() {
                    format!("`{}`", b as char)
                } else {
                    "a character".to_string()
                };
                self.reason = Some(format!("{what} where {expected} should be"));
                return (i, Stop::Broken);
            }
            i += 1;
            match b {
                b'{' | b'[' => {
                    let level = self.depth;
                    self.depth += 1;
                    self.set_kind(level, b == b'{');
                    self.gram = if b == b'{' {
                        Gram::KeyOrClose
                    } else {
                        Gram::ValueOrClose
                    };
                }
                b'"' => {
                    self.in_str = true;
                    self.gram = match self.gram {
                        Gram::Key | Gram::KeyOrClose => Gram::Colon,
                        _ => Gram::After,
                    };
                }
                b'}' | b']' => {
                    self.depth -= 1;
                    self.gram = Gram::After;
                    if self.depth == 0 {
                        return (i, Stop::End);
                    }
                }
                b',' => {
                    self.gram = if self.in_object() {
                        Gram::Key
                    } else {
                        Gram::Value
                    };
                }
                b':' => self.gram = Gram::Value,
                _ => self.gram = Gram::Bare,
            }
        }
        (bytes.len(), Stop::More)
    }

    /// What was expected instead of `b`, when valid JSON cannot have it
    /// here (`b` is not blank space, and not inside a bare value).
    fn refuses(&self, b: u8) -> Option<&'static str> {
        let ok = match self.gram {
            Gram::Value => !matches!(b, b'}' | b']' | b',' | b':'),
            Gram::ValueOrClose => !matches!(b, b'}' | b',' | b':'),
            Gram::Key => b == b'"',
            Gram::KeyOrClose => matches!(b, b'"' | b'}'),
            Gram::Colon => b == b':',
            Gram::After => match b {
                b',' => true,
                b'}' => self.in_object(),
                b']' => self.depth > 0 && !self.in_object(),
                _ => false,
            },
            Gram::Bare => true,
        };
        if ok {
            return None;
        }
        Some(match self.gram {
            Gram::Value | Gram::Bare => "a value",
            Gram::ValueOrClose => "a value or `]`",
            Gram::Key => "a key",
            Gram::KeyOrClose => "a key or `}`",
            Gram::Colon => "`:` after a key",
            Gram::After if self.in_object() => "`,` or `}`",
            Gram::After => "`,` or `]`",
        })
    }

    /// Looks at `bytes` of the value for what is watched.
    pub(super) fn watch(&mut self, bytes: &[u8]) {
        const NEXT: &[u8] = b"\"next\"";
        match self.watch {
            Watch::None => {}
            Watch::Token => {
                for &b in bytes {
                    if let Some(t) = self.token.get_mut(self.token_len) {
                        *t = b;
                    }
                    self.token_len += 1;
                }
            }
            Watch::Next => {
                for &b in bytes {
                    if b == NEXT[self.next] {
                        self.next += 1;
                        if self.next == NEXT.len() {
                            self.found_next = true;
                            self.next = 1;
                        }
                    } else {
                        self.next = usize::from(b == b'"');
                    }
                }
            }
        }
    }

    pub(super) fn is_token(&self, text: &[u8]) -> bool {
        self.bare && self.token_len == text.len() && self.token.get(..text.len()) == Some(text)
    }
}
