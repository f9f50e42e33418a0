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

/// The scan of a value to its end: a string, brackets counted outside
/// strings, or a bare value.
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
        }
    }

    /// The scan of what is left of a value `depth` brackets deep.
    pub(super) fn nested(depth: usize, purpose: Purpose) -> Scan {
        Scan {
            depth,
            ..Scan::new(false, purpose, Watch::None)
        }
    }

    /// Scans `bytes`: how many are the value's, and whether it ends there.
    pub(super) fn run(&mut self, bytes: &[u8]) -> (usize, bool) {
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
                match b {
                    b'"' => self.in_str = true,
                    b'{' | b'[' => self.depth += 1,
                    b'}' | b']' => {
                        self.depth = self.depth.saturating_sub(1);
                        if self.depth == 0 {
                            return (i, true);
                        }
                    }
                    _ => {}
                }
            }
        }
        (bytes.len(), false)
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
