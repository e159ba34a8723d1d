//! What rtgt's drivers (the tokio daemon and the tokio client) take from the
//! operating system and share. The sans-IO cores never depend on this
//! crate: they receive its values through their injected traits.
#![forbid(unsafe_code)]

use rtgt_proto::random::RandomSource;

/// Randomness from the operating system (getrandom(2)): CHAP challenges,
/// ISIDs, TSIHs, first StatSNs and Target Transfer Tags.
#[derive(Debug)]
pub struct OsRandom(());

impl OsRandom {
    /// Checks once that the kernel gives random bytes, so that a machine
    /// without a working generator fails at start rather than mid-login.
    pub fn new() -> std::io::Result<Self> {
        let mut probe = [0u8; 8];
        getrandom::fill(&mut probe).map_err(|e| std::io::Error::other(e.to_string()))?;
        Ok(OsRandom(()))
    }
}

impl RandomSource for OsRandom {
    fn fill(&mut self, buf: &mut [u8]) {
        // `new` proved the generator works; getrandom retries interrupted
        // calls itself, so a failure here is a broken machine, not input.
        #[allow(clippy::expect_used)]
        getrandom::fill(buf).expect("the operating system's random generator failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_whole_buffers() {
        let mut r = OsRandom::new().unwrap();
        let (mut a, mut b) = ([0u8; 32], [0u8; 32]);
        r.fill(&mut a);
        r.fill(&mut b);
        assert_ne!(a, b);
    }
}
