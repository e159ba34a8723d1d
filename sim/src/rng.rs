//! Seeded randomness: one `u64` seed split into one generator per subsystem,
//! so that a knob added to one subsystem does not reshuffle the others.

use rtgt_proto::random::SeededRandom;

/// xoshiro256** : small, fast, and the same on every platform.
#[derive(Debug, Clone)]
pub struct Rng {
    s: [u64; 4],
}

/// The subsystems that draw randomness, each from its own stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Swarm parameters: which faults and which workload mix this seed runs.
    Swarm = 1,
    /// Latency, segmentation, stalls, resets, partitions, bit flips.
    Network = 2,
    /// Disk latency, errors, crash outcomes.
    Disk = 3,
    /// What the initiators ask for.
    Workload = 4,
    /// Crash and restart times, tie breaking.
    Scheduler = 5,
    /// The cores' own randomness (ISIDs, TSIHs, TTTs, StatSNs).
    Cores = 6,
}

impl Rng {
    /// The generator of `stream` for the run of `seed`.
    pub fn for_stream(seed: u64, stream: Stream) -> Rng {
        let stream_seed = seed ^ (stream as u64).wrapping_mul(0xd6e8_feb8_6659_fd93);
        Rng::from_u64(SeededRandom::new(stream_seed).next_u64())
    }

    /// A generator from one number.
    pub fn from_u64(seed: u64) -> Rng {
        // SplitMix64 (rtgt-proto's seeded source) seeds xoshiro, as its
        // authors advise.
        let mut seeder = SeededRandom::new(seed);
        let s = [
            seeder.next_u64(),
            seeder.next_u64(),
            seeder.next_u64(),
            seeder.next_u64(),
        ];
        Rng { s }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        lo + self.below(hi - lo + 1)
    }

    /// A float in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && self.unit() < p
    }

    /// An index into a slice of `len` items.
    pub fn index(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }

    /// A child generator (for a core's own random source).
    pub fn fork(&mut self) -> Rng {
        Rng::from_u64(self.next_u64())
    }

    /// Fills `buf` with random bytes.
    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            let n = chunk.len();
            chunk.copy_from_slice(v.get(..n).unwrap_or(&v));
        }
    }
}

impl rtgt_proto::random::RandomSource for Rng {
    fn fill(&mut self, buf: &mut [u8]) {
        Rng::fill(self, buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_independent_and_repeatable() {
        let mut a = Rng::for_stream(7, Stream::Network);
        let mut b = Rng::for_stream(7, Stream::Network);
        let mut c = Rng::for_stream(7, Stream::Disk);
        let (x, y, z) = (a.next_u64(), b.next_u64(), c.next_u64());
        assert_eq!(x, y);
        assert_ne!(x, z);
        for _ in 0..1000 {
            assert!(a.below(10) < 10);
            let r = a.range(3, 5);
            assert!((3..=5).contains(&r));
        }
    }
}
