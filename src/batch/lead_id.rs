//! The lead id of a record that could not be read, for its error record.

/// The id of a record that did not parse, when it can be read: the first
/// of `id`, `Id`, `ID`, `lead_id`, `LeadId` (the keys decisions use) and
/// `referenceId` (Salesforce's, inside `attributes`) that is followed by a
/// string or a number, preferring keys at the top level.
pub(super) fn lead_id_guess(bytes: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(65_536)]);
    // the id keys of decisions, then a Salesforce record's reference (it is
    // nested in `attributes`, so any top-level id key comes first)
    let keys = [
        "\"id\"",
        "\"Id\"",
        "\"ID\"",
        "\"lead_id\"",
        "\"LeadId\"",
        "\"referenceId\"",
    ];
    // every place a key stands, in text order, so the nesting depth is
    // counted in one pass however many there are
    let mut places: Vec<(usize, usize, usize)> = keys
        .iter()
        .enumerate()
        .flat_map(|(rank, key)| {
            text.match_indices(key)
                .map(move |(at, _)| (at, rank, key.len()))
        })
        .collect();
    places.sort_unstable();
    let mut best: Option<(usize, usize, String)> = None; // (depth, key rank, id)
    let mut depth = Depth::default();
    let mut seen = 0;
    for (at, rank, len) in places {
        depth.scan(&text.as_bytes()[seen..at]);
        seen = at;
        if depth.in_str {
            continue; // inside a string: text, not a key
        }
        let Some(rest) = text[at + len..].trim_start().strip_prefix(':') else {
            continue;
        };
        let rest = rest.trim_start();
        let id = if let Some(r) = rest.strip_prefix('"') {
            match r.find('"') {
                Some(end) => r[..end].to_string(),
                None => continue,
            }
        } else {
            let n: String = rest
                .chars()
                .take_while(|c| c.is_ascii_digit() || matches!(c, '-' | '.' | 'e' | 'E' | '+'))
                .collect();
            if n.is_empty() {
                continue;
            }
            n
        };
        if best
            .as_ref()
            .is_none_or(|(d, r, _)| (depth.depth, rank) < (*d, *r))
        {
            best = Some((depth.depth, rank, id));
        }
    }
    best.map(|(_, _, id)| id)
}

/// Bracket nesting outside strings, counted as text goes by.
#[derive(Default)]
struct Depth {
    depth: usize,
    in_str: bool,
    esc: bool,
}

impl Depth {
    fn scan(&mut self, bytes: &[u8]) {
        for &c in bytes {
            match (self.in_str, self.esc, c) {
                (true, true, _) => self.esc = false,
                (true, false, b'\\') => self.esc = true,
                (true, false, b'"') => self.in_str = false,
                (true, ..) => {}
                (false, _, b'"') => self.in_str = true,
                (false, _, b'{' | b'[') => self.depth += 1,
                (false, _, b'}' | b']') => self.depth = self.depth.saturating_sub(1),
                _ => {}
            }
        }
    }
}
