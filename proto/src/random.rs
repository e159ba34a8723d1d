//! The injected source of randomness the sans-IO cores draw from: ISIDs,
//! CHAP challenges and identifiers, TSIHs, Target Transfer Tags and initial
//! StatSNs. The drivers supply it: the operating system in the daemon and
//! the client, a seed in the simulator and in tests.

use std::fmt;

/// Where a core gets its random bytes. Any `FnMut(&mut [u8]) + Send`
/// closure is one.
pub trait RandomSource: Send {
    /// Fills `buf` with random bytes.
    fn fill(&mut self, buf: &mut [u8]);

    /// A random 32-bit number: four bytes of [`fill`](Self::fill), read
    /// big-endian.
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        self.fill(&mut b);
        u32::from_be_bytes(b)
    }
}

impl<F: FnMut(&mut [u8]) + Send> RandomSource for F {
    fn fill(&mut self, buf: &mut [u8]) {
        self(buf)
    }
}

/// A boxed source prints as such, so the cores that own one stay `Debug`.
impl fmt::Debug for dyn RandomSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RandomSource")
    }
}

/// A small deterministic source (SplitMix64) for the simulator and tests.
/// Not for secrets on a real network: its output follows from the seed.
///
/// Each 64-bit step fills eight bytes, most significant first, so
/// [`next_u32`](RandomSource::next_u32) is the upper half of a step.
#[derive(Debug, Clone)]
pub struct SeededRandom(u64);

impl SeededRandom {
    /// A source seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        SeededRandom(seed)
    }

    /// The next 64-bit step of SplitMix64.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

impl RandomSource for SeededRandom {
    fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let v = self.next_u64().to_be_bytes();
            for (d, s) in chunk.iter_mut().zip(v) {
                *d = s;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_is_deterministic() {
        let (mut a, mut b) = (SeededRandom::new(7), SeededRandom::new(7));
        let (mut x, mut y) = ([0u8; 13], [0u8; 13]);
        a.fill(&mut x);
        b.fill(&mut y);
        assert_eq!(x, y);
        assert_ne!(x, [0u8; 13]);
        assert_ne!(
            SeededRandom::new(8).next_u32(),
            SeededRandom::new(7).next_u32()
        );
    }

    #[test]
    fn bytes_are_the_steps_most_significant_first() {
        let mut steps = SeededRandom::new(0);
        let (first, second) = (steps.next_u64(), steps.next_u64());
        // SplitMix64's published first output for seed 0.
        assert_eq!(first, 0xe220_a839_7b1d_cdaf);
        let mut bytes = [0u8; 12];
        SeededRandom::new(0).fill(&mut bytes);
        assert_eq!(bytes.get(..8), Some(&first.to_be_bytes()[..]));
        assert_eq!(bytes.get(8..), Some(&second.to_be_bytes()[..4]));
        assert_eq!(SeededRandom::new(0).next_u32(), (first >> 32) as u32);
    }

    #[test]
    fn closures_and_boxes_are_sources() {
        let mut counter = 0u8;
        let mut src = move |buf: &mut [u8]| {
            for b in buf {
                counter = counter.wrapping_add(1);
                *b = counter;
            }
        };
        assert_eq!(src.next_u32(), 0x0102_0304);
        let mut boxed: Box<dyn RandomSource> = Box::new(SeededRandom::new(1));
        assert_eq!(boxed.next_u32(), SeededRandom::new(1).next_u32());
        assert_eq!(format!("{boxed:?}"), "RandomSource");
    }
}
