//! The fuzzer's one source of choices: rtgt's seeded SplitMix64, so a run
//! follows from `--seed`.

use rtgt_proto::random::SeededRandom;

/// Draws numbers, picks and coin flips from a [`SeededRandom`].
#[derive(Debug, Clone)]
pub struct Rng(SeededRandom);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(SeededRandom::new(seed))
    }

    pub fn u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    pub fn u32(&mut self) -> u32 {
        (self.u64() >> 32) as u32
    }

    pub fn u8(&mut self) -> u8 {
        (self.u64() >> 56) as u8
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.u64() % n as u64) as usize
        }
    }

    /// True with probability `num / den`.
    pub fn chance(&mut self, num: u32, den: u32) -> bool {
        (self.u32() % den.max(1)) < num
    }

    /// One element of a non-empty slice.
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    /// A 32-bit value that is often an edge: 0, 1, a power of two and its
    /// neighbours, the top of a field.
    pub fn edge_u32(&mut self) -> u32 {
        match self.below(8) {
            0 => 0,
            1 => 1,
            2 => u32::MAX,
            3 => u32::MAX - self.u32() % 4,
            4 => 1u32 << self.below(32),
            5 => (1u32 << self.below(32)).wrapping_sub(1),
            6 => 0x8000_0000u32.wrapping_add(self.u32() % 3).wrapping_sub(1),
            _ => self.u32(),
        }
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.u8()).collect()
    }
}
