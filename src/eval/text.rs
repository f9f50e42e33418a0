//! Short byte strings compared and copied as words.
//!
//! Most strings the evaluator meets are short: keys, enum values, activity
//! kinds, intent topics. Comparing two of them with `==` calls `memcmp`, and
//! building a [`SmolStr`] from one copies it with a `memcpy` of unknown
//! length into a buffer that is read back at once as words, which stalls
//! the processor (a store that cannot be forwarded to the load after it).
//! Here two strings of up to sixteen bytes compare in two word loads each,
//! and a string seen before is cloned from [`Strings`] instead of built.

use smol_str::SmolStr;

/// The first and the last eight bytes of `s` as words (four bytes when
/// it is shorter than eight, `s` itself below four): together with the
/// length, all of `s` up to sixteen bytes.
#[inline(always)]
pub(crate) fn words(s: &[u8]) -> (u64, u64) {
    let n = s.len();
    if n >= 8 {
        let w = |a: usize| u64::from_le_bytes(s[a..a + 8].try_into().unwrap_or([0; 8]));
        (w(0), w(n - 8))
    } else if n >= 4 {
        let w = |a: usize| u64::from(u32::from_le_bytes(s[a..a + 4].try_into().unwrap_or([0; 4])));
        (w(0), w(n - 4))
    } else {
        let w = s.iter().fold(0u64, |w, &c| (w << 8) | u64::from(c));
        (w, 0)
    }
}

/// Whether `a` and `b` are the same bytes: the lengths, then two words
/// each up to sixteen bytes, `memcmp` beyond.
#[inline(always)]
pub(crate) fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len()
        && if a.len() <= 16 {
            words(a) == words(b)
        } else {
            a == b
        }
}

/// The longest string [`Strings`] keeps: what a [`SmolStr`] holds inline.
const KEPT_LEN: usize = 23;

/// Entries of [`Strings`] (a power of two).
const ENTRIES: usize = 128;

/// A string's length and up to three words that, with the length, are all
/// of its bytes (for up to [`KEPT_LEN`] bytes).
#[derive(Clone, Copy, PartialEq, Eq, Default)]
struct Key {
    len: usize,
    w: [u64; 3],
}

impl Key {
    #[inline(always)]
    fn of(s: &[u8]) -> Key {
        let n = s.len();
        let w = if n > 16 {
            let w = |a: usize| u64::from_le_bytes(s[a..a + 8].try_into().unwrap_or([0; 8]));
            [w(0), w(8), w(n - 8)]
        } else {
            let (a, b) = words(s);
            [a, b, 0]
        };
        Key { len: n, w }
    }

    #[inline(always)]
    fn index(&self) -> usize {
        let h = (self.w[0] ^ self.w[1].rotate_left(23) ^ self.w[2].rotate_left(47))
            .wrapping_add(self.len as u64)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15);
        (h >> 57) as usize & (ENTRIES - 1)
    }
}

/// Short strings met before, by their bytes: the values of a field repeat
/// from lead to lead (the kinds of activity, the topics of intent), and a
/// clone of a kept [`SmolStr`] costs a copy of three words. One entry a
/// slot of the table, the last string that fell there: memory is fixed
/// (a few KiB a thread, from the first string kept) and a field of unique
/// values costs one lookup.
#[derive(Default)]
pub(crate) struct Strings {
    entries: Vec<(Key, SmolStr)>,
}

impl Strings {
    /// `s` as a [`SmolStr`]: a clone of the one kept for the same bytes,
    /// or a new one (kept when it is short).
    #[inline]
    pub(crate) fn get(&mut self, s: &str) -> SmolStr {
        if s.is_empty() || s.len() > KEPT_LEN {
            return SmolStr::new(s);
        }
        let key = Key::of(s.as_bytes());
        let at = key.index();
        match self.entries.get_mut(at) {
            Some((k, v)) if *k == key => v.clone(),
            Some(entry) => {
                let v = SmolStr::new(s);
                *entry = (key, v.clone());
                v
            }
            None => {
                self.entries = vec![(Key::default(), SmolStr::default()); ENTRIES];
                self.get(s)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{same, Strings};

    /// Every pair of strings over a small alphabet, of every length up to
    /// twenty-five bytes around the word boundaries: `same` is `==`, and
    /// the cache hands back exactly the string asked for, however the
    /// strings collide in its table.
    #[test]
    fn words_compare_and_cached_strings_are_the_bytes_themselves() {
        let alphabet = ["a", "b", "\0", "é", "z"];
        let mut all = vec![String::new()];
        for len in 1..=25 {
            for seed in 0..40usize {
                let mut s = String::new();
                let mut x = seed.wrapping_mul(2_654_435_761) ^ len;
                while s.len() < len {
                    s.push_str(alphabet[x % alphabet.len()]);
                    x = x / alphabet.len() + len * 7 + 1;
                }
                all.push(s.clone());
                // its near twins: one byte changed at each end and middle
                for at in [0, s.len() / 2, s.len() - 1] {
                    let mut b = s.clone().into_bytes();
                    if b[at].is_ascii() {
                        b[at] = if b[at] == b'a' { b'b' } else { b'a' };
                        all.push(String::from_utf8(b).unwrap());
                    }
                }
            }
        }
        let mut cache = Strings::default();
        for (i, a) in all.iter().enumerate() {
            for b in &all[i.saturating_sub(60)..(i + 60).min(all.len())] {
                assert_eq!(same(a.as_bytes(), b.as_bytes()), a == b, "{a:?} {b:?}");
                assert_eq!(cache.get(b), b.as_str());
            }
            assert_eq!(cache.get(a), a.as_str());
        }
    }
}
