//! Tables stored at the widths their values need, as a chip's SRAM macro
//! is sized to its program.
//!
//! A large random network stores about one route, one row pointer and one
//! synapse word per synapse (at 1 M neurons a spike's 256 targets land on
//! ≈ 225 cores). At whole machine words that is 15.6 bytes a synapse; at
//! the bits its values need — a core index of 10 bits, an axon of 18, a
//! target of 10, a weight of 9 — it is under 8. A [`Packed`] record keeps
//! its `N` unsigned fields side by side in one bit string, each field as
//! wide as the largest value it has held, so no layout is chosen by hand
//! and none is too narrow for the program it holds.

/// Records of `N` unsigned fields, field 0 in the low bits; each field as
/// wide as the largest value stored in it needs (a record at most 64 bits).
#[derive(Clone)]
pub struct Packed<const N: usize> {
    /// Each field's width, and the shift and mask that take it out of a
    /// record (kept so that a read does no arithmetic on widths).
    widths: [u8; N],
    shifts: [u32; N],
    masks: [u64; N],
    /// Bits a record takes (the widths' sum), and their mask.
    bits: u32,
    record_mask: u64,
    len: usize,
    /// Record `i` is bits `i · bits ..` of these words, low bit first; one
    /// word more than the records fill, so that a read of the two words a
    /// record may straddle never leaves the vector.
    words: Vec<u64>,
    /// Records the table is expected to hold (its capacity once widened).
    expected: usize,
}

impl<const N: usize> Default for Packed<N> {
    fn default() -> Self {
        Packed::with_capacity(0)
    }
}

/// Bits `v` needs.
#[inline]
fn bits(v: u64) -> u8 {
    (64 - v.leading_zeros()) as u8
}

/// Words that hold `records` records of `bits` bits, and the spare word
/// (two at least: a read of 0-bit records reads words 0 and 1).
fn words_for(records: usize, bits: u32) -> usize {
    ((records * bits as usize).div_ceil(64) + 1).max(2)
}

#[inline(always)]
fn mask(w: u32) -> u64 {
    if w >= 64 {
        u64::MAX
    } else {
        (1u64 << w) - 1
    }
}

impl<const N: usize> Packed<N> {
    /// Room for `records` records (widening keeps it).
    pub fn with_capacity(records: usize) -> Self {
        Packed::empty([0; N], records, 0)
    }

    /// No records yet, fields `widths` wide, room for `capacity`.
    fn empty(widths: [u8; N], expected: usize, capacity: usize) -> Self {
        let bits: u32 = widths.iter().map(|&w| w as u32).sum();
        assert!(bits <= 64, "a packed record holds at most 64 bits");
        let (mut shifts, mut masks, mut at) = ([0; N], [0; N], 0);
        for f in 0..N {
            // (a 0-bit field after 64 bits of others: shift 63, mask 0)
            shifts[f] = at.min(63);
            masks[f] = mask(widths[f] as u32);
            at += widths[f] as u32;
        }
        let mut words = Vec::with_capacity(words_for(capacity, bits));
        words.resize(2, 0);
        Packed {
            widths,
            shifts,
            masks,
            bits,
            record_mask: mask(bits),
            len: 0,
            words,
            expected,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Each field's width in bits.
    pub fn widths(&self) -> [u8; N] {
        self.widths
    }

    /// Record `i`. Panics if `i` is out of bounds, as a slice index does.
    #[inline(always)]
    pub fn get(&self, i: usize) -> [u64; N] {
        assert!(i < self.len, "packed record {i} of {}", self.len);
        self.split(self.raw(i * self.bits as usize))
    }

    /// Appends `rec`, widening every record first if a field needs it.
    #[inline]
    pub fn push(&mut self, rec: [u64; N]) {
        self.fit(&rec);
        // the words the record reaches into, and the spare one after them
        let end = (self.len + 1) * self.bits as usize;
        if end.div_ceil(64) + 1 > self.words.len() {
            self.grow();
        }
        self.len += 1;
        self.write(self.len - 1, self.join(&rec));
    }

    /// Room for one more record: the expected size at once, then doubling
    /// past it; every word zeroed up to the capacity, so that this runs
    /// once per allocation, not once per word filled.
    #[cold]
    fn grow(&mut self) {
        let need = words_for(self.len + 1, self.bits);
        if self.words.capacity() < need {
            let want = words_for(self.expected.max(2 * self.len), self.bits).max(need);
            self.words.reserve_exact(want - self.words.len());
        }
        self.words.resize(self.words.capacity(), 0);
    }

    /// Replaces record `i`, widening every record first if a field needs it.
    pub fn set(&mut self, i: usize, rec: [u64; N]) {
        assert!(i < self.len, "packed record {i} of {}", self.len);
        self.fit(&rec);
        self.write(i, self.join(&rec));
    }

    /// Records `range`, in order. Panics if the range is out of bounds.
    #[inline(always)]
    pub fn range(&self, range: std::ops::Range<usize>) -> Records<'_, N> {
        assert!(
            range.start <= range.end && range.end <= self.len,
            "packed records {range:?} of {}",
            self.len
        );
        Records {
            packed: self,
            at: range.start * self.bits as usize,
            left: range.len(),
        }
    }

    pub fn iter(&self) -> Records<'_, N> {
        self.range(0..self.len())
    }

    /// Bytes of storage (allocated capacity included).
    pub fn heap_bytes(&self) -> usize {
        self.words.capacity() * 8
    }

    /// Drops spare capacity (a table built by pushing, once complete).
    pub fn shrink_to_fit(&mut self) {
        self.expected = self.len;
        self.words.truncate(words_for(self.len, self.bits));
        self.words.shrink_to_fit();
    }

    /// A cache hint for record `i` (see [`crate::program::prefetch`]).
    #[inline(always)]
    pub fn prefetch(&self, i: usize) {
        crate::program::prefetch(&self.words, i * self.bits as usize / 64);
    }

    /// The record at bit `at`: the two words it may straddle, shifted
    /// together.
    #[inline(always)]
    fn raw(&self, at: usize) -> u64 {
        let (w, off) = (at / 64, (at % 64) as u32);
        let pair = &self.words[w..w + 2];
        // (two shifts: `off` may be 0, and a shift by 64 is not one)
        ((pair[0] >> off) | ((pair[1] << 1) << (63 - off))) & self.record_mask
    }

    #[inline(always)]
    fn split(&self, x: u64) -> [u64; N] {
        std::array::from_fn(|f| (x >> self.shifts[f]) & self.masks[f])
    }

    #[inline(always)]
    fn write(&mut self, i: usize, x: u64) {
        let m = self.record_mask;
        let at = i * self.bits as usize;
        let (w, off) = (at / 64, (at % 64) as u32);
        self.words[w] = (self.words[w] & !(m << off)) | (x << off);
        if off + self.bits > 64 {
            let rest = 64 - off;
            self.words[w + 1] = (self.words[w + 1] & !(m >> rest)) | (x >> rest);
        }
    }

    /// Widens the fields `rec` does not fit.
    #[inline(always)]
    fn fit(&mut self, rec: &[u64; N]) {
        if rec.iter().zip(&self.masks).any(|(&v, &m)| v > m) {
            let mut widths = self.widths;
            for (w, &v) in widths.iter_mut().zip(rec) {
                *w = (*w).max(bits(v));
            }
            self.repack(widths);
        }
    }

    #[inline(always)]
    fn join(&self, rec: &[u64; N]) -> u64 {
        rec.iter()
            .zip(&self.shifts)
            .fold(0, |x, (&v, &sh)| x | (v << sh))
    }

    /// Stores every record again at `widths`.
    #[cold]
    fn repack(&mut self, widths: [u8; N]) {
        let mut wider = Packed::empty(widths, self.expected, self.expected.max(self.len));
        wider.words.resize(words_for(self.len, wider.bits), 0);
        wider.len = self.len;
        for i in 0..self.len {
            let x = wider.join(&self.get(i));
            wider.write(i, x);
        }
        *self = wider;
    }
}

/// Records in order ([`Packed::range`]): each read where the last ended.
#[derive(Clone)]
pub struct Records<'a, const N: usize> {
    packed: &'a Packed<N>,
    /// The next record's first bit.
    at: usize,
    left: usize,
}

impl<const N: usize> Iterator for Records<'_, N> {
    type Item = [u64; N];

    #[inline(always)]
    fn next(&mut self) -> Option<[u64; N]> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let x = self.packed.raw(self.at);
        self.at += self.packed.bits as usize;
        Some(self.packed.split(x))
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<const N: usize> ExactSizeIterator for Records<'_, N> {}

/// Equal when they hold the same records, however wide.
impl<const N: usize> PartialEq for Packed<N> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl<const N: usize> std::fmt::Debug for Packed<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// A signed value as an unsigned one of the same magnitude's bits
/// (0, −1, 1, −2, … → 0, 1, 2, 3, …), so a weight field is as wide as its
/// largest magnitude needs.
#[inline(always)]
pub fn zigzag(v: i16) -> u64 {
    (((v as i32) << 1) ^ ((v as i32) >> 15)) as u16 as u64
}

#[inline(always)]
pub fn unzigzag(u: u64) -> i16 {
    let u = u as u16;
    ((u >> 1) as i16) ^ -((u & 1) as i16)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever order the values come in, every record reads back as
        /// pushed, and setting one changes it alone.
        #[test]
        fn records_read_back(recs in prop::collection::vec((any::<u32>(), 0u64..2000), 0..300), at in any::<prop::sample::Index>(), new in any::<u32>()) {
            let mut p = Packed::<2>::with_capacity(recs.len());
            for &(a, b) in &recs {
                p.push([a as u64, b]);
            }
            p.shrink_to_fit();
            prop_assert_eq!(p.len(), recs.len());
            for (i, &(a, b)) in recs.iter().enumerate() {
                prop_assert_eq!(p.get(i), [a as u64, b]);
            }
            if !recs.is_empty() {
                let i = at.index(recs.len());
                p.set(i, [new as u64, 7]);
                for (k, &(a, b)) in recs.iter().enumerate() {
                    let want = if k == i { [new as u64, 7] } else { [a as u64, b] };
                    prop_assert_eq!(p.get(k), want);
                }
            }
        }

        #[test]
        fn zigzag_round_trips(v in any::<i16>()) {
            prop_assert_eq!(unzigzag(zigzag(v)), v);
            prop_assert!(zigzag(v) <= 2 * v.unsigned_abs() as u64);
        }
    }

    #[test]
    fn fields_are_as_wide_as_their_largest_value() {
        let mut p = Packed::<2>::with_capacity(4);
        p.push([1023, 0]);
        p.push([5, 300]);
        assert_eq!(p.widths(), [10, 9]);
        let mut empty = Packed::<1>::default();
        empty.push([0]);
        assert_eq!((empty.get(0), empty.widths()), ([0], [0]));
    }
}
