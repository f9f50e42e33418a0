//! Where a thread builds the lists of the leads it reads: the pool of
//! vectors and shared arrays kept from lead to lead, and the lists of one
//! lead, read into one array that each of them is a window on.

use std::sync::Arc;

use crate::value::{Fields, Val};

use super::Extractor;

/// The lists of one lead, read into one array: each becomes a window on
/// it once the whole lead is read.
#[derive(Default)]
pub(crate) struct Lists {
    /// Whether lists go here (else each list has its own array).
    pub on: bool,
    /// How many lists are being read, one inside the other.
    pub open: u32,
    pub items: Vec<Val>,
    /// The list just read: (first item, length), for its slot.
    pub last: Option<(usize, usize)>,
    /// (slot, first item, length) of every list read.
    pub slots: Vec<(u32, usize, usize)>,
}

impl Lists {
    /// Whether the list about to be read goes into the shared array.
    pub fn shared_here(&self) -> bool {
        self.on && self.open == 0
    }

    /// Stores every list read into its slot, as a window on one shared
    /// array.
    pub fn finish(&mut self, out: &mut [Val], pool: &mut Pool) {
        if !self.slots.is_empty() {
            let shared = pool.share(&mut self.items);
            for (slot, start, len) in self.slots.drain(..) {
                if let Some(v) = out.get_mut(slot as usize) {
                    *v = Val::List(shared.sub(start, len));
                }
            }
        }
    }

    /// Empties the buffers for the next lead (keeping their memory, unless
    /// a huge list made them huge).
    pub fn reset(&mut self) {
        if self.items.capacity() > SHARED_CELLS_KEPT {
            self.items = Vec::new();
        }
        self.items.clear();
        self.slots.clear();
        self.last = None;
        self.open = 0;
    }
}

/// The arrays a thread builds lists in, kept from lead to lead: vectors
/// to read items into, and the shared arrays that lists and records end
/// in as windows. Once a lead's values are dropped, its shared arrays
/// are this pool's alone again and take the next lead's items: reading a
/// lead allocates no array once the pool has grown to the leads' shape.
#[derive(Default)]
pub(crate) struct Pool {
    vecs: Vec<Vec<Val>>,
    /// Shared arrays, with how many of their cells the last use filled
    /// (the cells after those are `Missing`).
    shared: Vec<(Arc<[Val]>, usize)>,
    /// The array of empty lists.
    empty: Option<Arc<[Val]>>,
    /// Short strings met before.
    pub strings: crate::eval::text::Strings,
}

/// At most this many shared arrays are kept a thread (a lead uses two or
/// three: its lists, and the records of each list of records).
const SHARED_KEPT: usize = 16;

/// An array longer than this (cells of 32 bytes: 128 KiB) is not kept: one
/// lead with a huge list must not hold its memory for the rest of the run.
const SHARED_CELLS_KEPT: usize = 4096;

impl Pool {
    /// An empty vector.
    pub fn vec(&mut self) -> Vec<Val> {
        self.vecs.pop().unwrap_or_default()
    }

    /// Empties the shared arrays that nothing holds any more (the lead
    /// that used them is done): what their cells own is freed now, not
    /// when a later lead happens to take the same array. An outer array
    /// (records) holds windows on inner ones (their lists) and usually
    /// comes later, so the arrays are visited last first, and again only
    /// while a round frees some and finds others still held.
    pub fn release(&mut self) {
        loop {
            let (mut freed, mut held) = (false, false);
            for (cells, used) in self.shared.iter_mut().rev() {
                if *used == 0 {
                    continue;
                }
                match Arc::get_mut(cells) {
                    Some(c) => {
                        for cell in c.get_mut(..*used).unwrap_or_default() {
                            *cell = Val::Missing;
                        }
                        *used = 0;
                        freed = true;
                    }
                    None => held = true,
                }
            }
            if !(freed && held) {
                return;
            }
        }
    }

    /// No fields (the value of a record the policy reads no field of),
    /// without an allocation.
    pub fn empty(&mut self) -> Fields {
        let empty = self.empty.get_or_insert_with(|| Arc::from(Vec::new()));
        Fields::window(empty, 0, 0)
    }

    /// Moves `items` (left empty) into a shared array and returns the
    /// window on them: an array of the pool that nothing else holds, or a
    /// new one, kept when there is room.
    pub fn share(&mut self, items: &mut Vec<Val>) -> Fields {
        let n = items.len();
        if n == 0 {
            return self.empty();
        }
        for (cells, used) in &mut self.shared {
            if cells.len() < n {
                continue;
            }
            if let Some(c) = Arc::get_mut(cells) {
                // a block swap (moving item by item copies each through
                // the stack); the last use's values leave with `items`
                c[..n].swap_with_slice(items);
                items.clear();
                for cell in c.get_mut(n..*used).unwrap_or_default() {
                    *cell = Val::Missing;
                }
                *used = n;
                return Fields::window(cells, 0, n);
            }
        }
        // a new array, kept when there is room and it is not huge, with
        // room for a few more items, so that the next lead's slightly
        // longer list fits
        let keep = self.shared.len() < SHARED_KEPT && n <= SHARED_CELLS_KEPT;
        let mut v = std::mem::take(items);
        if keep {
            v.resize_with(n.max(16).next_power_of_two(), || Val::Missing);
        }
        let cells: Arc<[Val]> = Arc::from(v);
        let fields = Fields::window(&cells, 0, n);
        if keep {
            self.shared.push((cells, n));
        }
        fields
    }
}

impl Extractor<'_> {
    /// An empty vector from the pool.
    pub fn vec(&mut self) -> Vec<Val> {
        self.pool.vec()
    }

    /// Moves the items into a shared array of the pool and returns the
    /// vector to the pool.
    pub fn share(&mut self, mut items: Vec<Val>) -> Fields {
        let shared = self.pool.share(&mut items);
        if items.capacity() <= SHARED_CELLS_KEPT {
            self.pool.vecs.push(items);
        }
        shared
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pool keeps the arrays of ordinary lists for the next lead, and
    /// gives them back only once nothing holds them; a huge list's array is
    /// not kept.
    #[test]
    fn the_pool_reuses_free_arrays_and_keeps_no_huge_one() {
        let mut pool = Pool::default();
        let strs =
            |n: usize| -> Vec<Val> { (0..n).map(|i| Val::Str(i.to_string().into())).collect() };
        let a = pool.share(&mut strs(5));
        assert_eq!(a.len(), 5);
        assert_eq!(pool.shared.len(), 1);
        // still held: a second list gets an array of its own
        let b = pool.share(&mut strs(3));
        assert_eq!(pool.shared.len(), 2);
        assert_eq!(&b[..], &strs(3)[..]);
        drop(a);
        drop(b);
        // free again: taken, its old cells after the new ones emptied
        let c = pool.share(&mut strs(2));
        assert_eq!(pool.shared.len(), 2);
        assert_eq!(&c[..], &strs(2)[..]);
        let (cells, used) = &pool.shared[0];
        assert_eq!(*used, 2);
        assert!(cells[2..].iter().all(Val::is_missing));
        // an array whose cells hold a window on another frees both
        let inner = pool.share(&mut strs(4));
        let mut outer = vec![Val::List(inner)];
        let outer = pool.share(&mut outer);
        drop(outer);
        pool.release();
        assert!(pool.shared.iter().skip(1).all(|(_, used)| *used == 0));
        // released once nothing holds it: its values are freed at once
        drop(c);
        pool.release();
        assert!(pool
            .shared
            .iter()
            .all(|(cells, used)| *used == 0 && cells.iter().all(Val::is_missing)));
        let kept = pool.shared.len();
        let huge = pool.share(&mut strs(SHARED_CELLS_KEPT + 1));
        assert_eq!(huge.len(), SHARED_CELLS_KEPT + 1);
        assert_eq!(pool.shared.len(), kept, "a huge list's array is not kept");
        assert_eq!(pool.share(&mut Vec::new()).len(), 0);
    }
}
