//! The scanner's JSON at the byte level: whitespace, strings and their
//! escapes, numbers, literals, and skipping a value, each validated as
//! serde_json validates it; and the check that a text is what serde_json
//! writes.

use crate::eval::extract::Scalar;

use super::{Scanner, Stop, R};

/// serde_json refuses the 128th nested array or object.
const MAX_DEPTH: u32 = 127;

/// A string as read: borrowed from the input, or decoded into scratch.
pub(super) enum Str {
    Raw(usize, usize),
    Decoded,
}

impl<'a> Scanner<'a, '_> {
    #[inline]
    pub(super) fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    #[inline]
    pub(super) fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    #[inline]
    pub(super) fn expect(&mut self, c: u8) -> R<()> {
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            Err(Stop::Invalid)
        }
    }

    /// After a value inside `[...]` or `{...}`: `true` past a `,` (more
    /// follows), `false` past the closing `close`.
    #[inline(always)]
    pub(super) fn more(&mut self, close: u8) -> R<bool> {
        self.ws();
        match self.peek() {
            Some(b',') => {
                self.i += 1;
                Ok(true)
            }
            Some(c) if c == close => {
                self.i += 1;
                Ok(false)
            }
            _ => Err(Stop::Invalid),
        }
    }

    pub(super) fn enter(&mut self) -> R<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Stop::Invalid);
        }
        Ok(())
    }

    pub(super) fn text(&self, s: &Str) -> &str {
        match s {
            // strings start and end at ASCII quotes: always char boundaries
            Str::Raw(a, b) => self.s.get(*a..*b).unwrap_or(""),
            Str::Decoded => self.scratch,
        }
    }

    /// Reads a string (the opening quote is next); decodes escapes only
    /// when `decode` is set, but always validates them.
    #[inline(always)]
    pub(super) fn string(&mut self, decode: bool) -> R<Str> {
        self.expect(b'"')?;
        let start = self.i;
        // fast path: the first quote, backslash or control character
        let end = special(self.b, start);
        if self.b.get(end) == Some(&b'"') {
            self.i = end + 1;
            return Ok(Str::Raw(start, end));
        }
        self.string_escaped(start, end, decode)
    }

    /// The rest of a string whose first special byte at `end` is not its
    /// closing quote: escapes (decoded into scratch when `decode`), or an
    /// error.
    #[cold]
    #[inline(never)]
    fn string_escaped(&mut self, start: usize, end: usize, decode: bool) -> R<Str> {
        match self.b.get(end) {
            Some(b'\\') => self.i = end,
            _ => return Err(Stop::Invalid),
        }
        if decode {
            self.scratch.clear();
            let prefix = self.s.get(start..self.i).ok_or(Stop::Invalid)?;
            self.scratch.push_str(prefix);
        }
        loop {
            match self.b.get(self.i) {
                None => return Err(Stop::Invalid),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(Str::Decoded);
                }
                Some(b'\\') => {
                    self.i += 1;
                    self.escape(decode)?;
                }
                Some(c) if *c < 0x20 => return Err(Stop::Invalid),
                Some(_) => {
                    // copy one UTF-8 character
                    let len = utf8_len(self.b[self.i]);
                    let end = (self.i + len).min(self.b.len());
                    if decode {
                        let ch = self.s.get(self.i..end).ok_or(Stop::Invalid)?;
                        self.scratch.push_str(ch);
                    }
                    self.i = end;
                }
            }
        }
    }

    /// One escape after its backslash, with serde_json's surrogate rules.
    fn escape(&mut self, decode: bool) -> R<()> {
        let c = self.peek().ok_or(Stop::Invalid)?;
        self.i += 1;
        let ch = match c {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let n = self.hex4()?;
                if (0xDC00..=0xDFFF).contains(&n) {
                    return Err(Stop::Invalid);
                }
                if (0xD800..=0xDBFF).contains(&n) {
                    if self.peek() != Some(b'\\') {
                        return Err(Stop::Invalid);
                    }
                    self.i += 1;
                    if self.peek() != Some(b'u') {
                        return Err(Stop::Invalid);
                    }
                    self.i += 1;
                    let n2 = self.hex4()?;
                    if !(0xDC00..=0xDFFF).contains(&n2) {
                        return Err(Stop::Invalid);
                    }
                    let cp = (((n - 0xD800) << 10) | (n2 - 0xDC00)) + 0x1_0000;
                    char::from_u32(cp).ok_or(Stop::Invalid)?
                } else {
                    char::from_u32(n).ok_or(Stop::Invalid)?
                }
            }
            _ => return Err(Stop::Invalid),
        };
        if decode {
            self.scratch.push(ch);
        }
        Ok(())
    }

    fn hex4(&mut self) -> R<u32> {
        let mut n = 0u32;
        for _ in 0..4 {
            let c = self.peek().ok_or(Stop::Invalid)?;
            let d = (c as char).to_digit(16).ok_or(Stop::Invalid)?;
            n = n * 16 + d;
            self.i += 1;
        }
        Ok(n)
    }

    /// Scans a number token and returns its text; checks its grammar, and
    /// its range where it could overflow, as serde_json does.
    pub(super) fn number_token(&mut self) -> R<&'a str> {
        let text: &'a str = self.s;
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.i += 1;
                if let Some(b'0'..=b'9') = self.peek() {
                    return Err(Stop::Invalid);
                }
            }
            Some(b'1'..=b'9') => {
                while let Some(b'0'..=b'9') = self.peek() {
                    self.i += 1;
                }
            }
            _ => return Err(Stop::Invalid),
        }
        let mut exp = false;
        if self.peek() == Some(b'.') {
            self.i += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(Stop::Invalid);
            }
            while let Some(b'0'..=b'9') = self.peek() {
                self.i += 1;
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            exp = true;
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(Stop::Invalid);
            }
            while let Some(b'0'..=b'9') = self.peek() {
                self.i += 1;
            }
        }
        let tok = text.get(start..self.i).ok_or(Stop::Invalid)?;
        if (exp || tok.len() > 300) && serde_json::from_str::<serde_json::Number>(tok).is_err() {
            return Err(Stop::Invalid);
        }
        Ok(tok)
    }

    pub(super) fn literal(&mut self, word: &[u8]) -> R<()> {
        if self.b[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(())
        } else {
            Err(Stop::Invalid)
        }
    }

    /// Skips any value, validating it.
    pub(super) fn skip(&mut self) -> R<()> {
        self.ws();
        match self.peek().ok_or(Stop::Invalid)? {
            b'"' => self.string(false).map(|_| ()),
            b'{' | b'[' => self.skip_container(),
            _ => self.skip_scalar(),
        }
    }

    /// A number or literal, validated.
    #[inline(always)]
    fn skip_scalar(&mut self) -> R<()> {
        match self.peek().ok_or(Stop::Invalid)? {
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.number_token().map(|_| ()),
            _ => Err(Stop::Invalid),
        }
    }

    /// Skips the object or list that starts here, validating it, in one
    /// loop over its bytes: the kind of each open container is a bit of a
    /// word (nesting is bounded by [`MAX_DEPTH`], so 128 bits hold them
    /// all), and nothing recurses. Skipping is most of the reading when a
    /// policy reads a few fields of a large record.
    fn skip_container(&mut self) -> R<()> {
        // bit `k` set: the container `k` levels in is an object
        let mut objects: u128 = 0;
        let mut open: u32 = 0;
        // what comes next: a value (`true`) or, in an object, a key
        let mut want_value = true;
        loop {
            self.ws();
            if want_value {
                match self.peek().ok_or(Stop::Invalid)? {
                    c @ (b'{' | b'[') => {
                        self.enter()?;
                        self.i += 1;
                        let object = c == b'{';
                        objects = (objects << 1) | u128::from(object);
                        open += 1;
                        self.ws();
                        if self.peek() == Some(if object { b'}' } else { b']' }) {
                            self.i += 1;
                            self.depth -= 1;
                            objects >>= 1;
                            open -= 1;
                        } else {
                            want_value = !object;
                            continue;
                        }
                    }
                    b'"' => {
                        self.string(false)?;
                    }
                    _ => self.skip_scalar()?,
                }
            } else {
                self.string(false)?;
                self.ws();
                self.expect(b':')?;
                want_value = true;
                continue;
            }
            // after a value: the end of the outermost container, a comma,
            // or the closing bracket of the innermost
            loop {
                if open == 0 {
                    return Ok(());
                }
                self.ws();
                let object = objects & 1 == 1;
                match self.peek() {
                    Some(b',') => {
                        self.i += 1;
                        want_value = !object;
                        break;
                    }
                    Some(b'}') if object => {}
                    Some(b']') if !object => {}
                    _ => return Err(Stop::Invalid),
                }
                self.i += 1;
                self.depth -= 1;
                objects >>= 1;
                open -= 1;
            }
        }
    }

    /// A scalar as the `Value` path would see it.
    pub(super) fn scalar(&mut self) -> R<Option<Scalar<'_>>> {
        Ok(match self.peek().ok_or(Stop::Invalid)? {
            b'"' => {
                let s = self.string(true)?;
                Some(Scalar::Str(self.text(&s)))
            }
            b't' => {
                self.literal(b"true")?;
                Some(Scalar::Bool(true))
            }
            b'f' => {
                self.literal(b"false")?;
                Some(Scalar::Bool(false))
            }
            b'n' => {
                self.literal(b"null")?;
                None
            }
            b'-' | b'0'..=b'9' => Some(number(self.number_token()?)?),
            _ => return Err(Stop::Invalid),
        })
    }
}

/// The index of the first `"`, `\\` or control character at or after
/// `i`, or `b.len()`: eight bytes at a time (SWAR), then byte by byte.
#[inline]
fn special(b: &[u8], mut i: usize) -> usize {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    while let Some(chunk) = b.get(i..i + 8) {
        let w = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
        let q = w ^ (LO * u64::from(b'"'));
        let bs = w ^ (LO * u64::from(b'\\'));
        // a byte is flagged when it is zero (q, bs) or below 0x20 (w);
        // a borrow can only flag bytes above a truly flagged one, so the
        // lowest flag is exact
        let m = (q.wrapping_sub(LO) & !q)
            | (bs.wrapping_sub(LO) & !bs)
            | (w.wrapping_sub(LO * 0x20) & !w);
        let m = m & HI;
        if m != 0 {
            return i + (m.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&c) = b.get(i) {
        if c == b'"' || c == b'\\' || c < 0x20 {
            return i;
        }
        i += 1;
    }
    i
}

/// A number token as serde_json reads it: whole numbers of up to 18
/// digits directly (`-0` is a float there, so it goes the long way);
/// anything else through serde_json itself.
fn number(tok: &str) -> R<Scalar<'static>> {
    let (neg, digits) = match tok.as_bytes() {
        [b'-', rest @ ..] => (true, rest),
        all => (false, all),
    };
    if digits.len() <= 18 && digits.iter().all(u8::is_ascii_digit) {
        let v = digits
            .iter()
            .fold(0u64, |v, d| v * 10 + u64::from(d - b'0'));
        match (neg, v) {
            (false, v) => return Ok(Scalar::U64(v)),
            (true, v) if v > 0 => return Ok(Scalar::I64(-(v as i64))),
            _ => {}
        }
    }
    let n: serde_json::Number = serde_json::from_str(tok).map_err(|_| Stop::Invalid)?;
    Ok(Scalar::number(&n))
}

/// Whether valid JSON `text` is exactly what serde_json writes for the
/// `Value` it parses to: no whitespace, no escapes, whole numbers of up to
/// 18 digits (never `-0`), object keys in strictly ascending byte order (a
/// `Map` sorts them and keeps the last of duplicates). Anything else is
/// parsed and written by serde_json.
pub(crate) fn canonical(text: &[u8]) -> bool {
    fn value(b: &[u8], i: &mut usize) -> bool {
        match b.get(*i) {
            Some(b'"') => string(b, i).is_some(),
            Some(b'{') => {
                *i += 1;
                if b.get(*i) == Some(&b'}') {
                    *i += 1;
                    return true;
                }
                let mut prev: Option<&[u8]> = None;
                loop {
                    let Some(key) = string(b, i) else {
                        return false;
                    };
                    if prev.is_some_and(|p| p >= key) || b.get(*i) != Some(&b':') {
                        return false;
                    }
                    prev = Some(key);
                    *i += 1;
                    if !value(b, i) {
                        return false;
                    }
                    match b.get(*i) {
                        Some(b',') => *i += 1,
                        Some(b'}') => {
                            *i += 1;
                            return true;
                        }
                        _ => return false,
                    }
                }
            }
            Some(b'[') => {
                *i += 1;
                if b.get(*i) == Some(&b']') {
                    *i += 1;
                    return true;
                }
                loop {
                    if !value(b, i) {
                        return false;
                    }
                    match b.get(*i) {
                        Some(b',') => *i += 1,
                        Some(b']') => {
                            *i += 1;
                            return true;
                        }
                        _ => return false,
                    }
                }
            }
            Some(b't') => word(b, i, b"true"),
            Some(b'f') => word(b, i, b"false"),
            Some(b'n') => word(b, i, b"null"),
            Some(b'-' | b'0'..=b'9') => {
                let start = *i;
                if b[*i] == b'-' {
                    *i += 1;
                }
                let digits = *i;
                while b.get(*i).is_some_and(u8::is_ascii_digit) {
                    *i += 1;
                }
                let n = &b[digits..*i];
                !n.is_empty()
                    && n.len() <= 18
                    && (n[0] != b'0' || n.len() == 1)
                    && !(b[start] == b'-' && n == b"0")
                    && !matches!(b.get(*i), Some(b'.' | b'e' | b'E'))
            }
            _ => false,
        }
    }
    /// A string without escapes: its content.
    fn string<'t>(b: &'t [u8], i: &mut usize) -> Option<&'t [u8]> {
        if b.get(*i) != Some(&b'"') {
            return None;
        }
        let start = *i + 1;
        let end = special(b, start);
        if b.get(end) != Some(&b'"') {
            return None;
        }
        *i = end + 1;
        Some(&b[start..end])
    }
    fn word(b: &[u8], i: &mut usize, w: &[u8]) -> bool {
        let ok = b[*i..].starts_with(w);
        *i += w.len();
        ok
    }
    let mut i = 0;
    value(text, &mut i) && i == text.len()
}

/// The length of the UTF-8 sequence a lead byte starts.
fn utf8_len(b: u8) -> usize {
    match b {
        0x00..=0x7F => 1,
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    }
}

#[cfg(test)]
mod tests {
    use super::canonical;

    /// The canonical check agrees with serde_json: whenever it says yes,
    /// writing the parsed value gives the same text back.
    #[test]
    fn canonical_text_is_what_serde_json_writes() {
        let yes = [
            r#"{"amount":25000,"currency":"EUR"}"#,
            r#"["a","b",[],{}]"#,
            r#"{"a":{"b":[1,-2,0,true,false,null]},"b":"é"}"#,
            "123456789012345678",
        ];
        let no = [
            r#"{"currency":"EUR","amount":25000}"#,
            r#"{"a":1,"a":2}"#,
            r#"{"a": 1}"#,
            r#"["a\/b"]"#,
            "1.0",
            "1e3",
            "-0",
            "1234567890123456789",
            "[1 ]",
        ];
        for t in yes {
            assert!(canonical(t.as_bytes()), "{t}");
            let v: serde_json::Value = serde_json::from_str(t).unwrap();
            assert_eq!(serde_json::to_string(&v).unwrap(), t);
        }
        for t in no {
            assert!(!canonical(t.as_bytes()), "{t}");
        }
    }
}
