//! The operating system's randomness for the core (getrandom(2)).

use crate::core::RandomSource;

/// CHAP challenges, TSIHs and Target Transfer Tags from getrandom(2).
#[derive(Debug)]
pub struct OsRandom(());

impl OsRandom {
    /// Checks that the kernel gives random bytes.
    pub fn new() -> std::io::Result<Self> {
        let mut probe = [0u8; 8];
        rustix::rand::getrandom(&mut probe[..], rustix::rand::GetRandomFlags::empty())?;
        Ok(OsRandom(()))
    }
}

impl RandomSource for OsRandom {
    fn fill(&mut self, buf: &mut [u8]) {
        let mut at = 0;
        while at < buf.len() {
            let rest = buf.get_mut(at..).unwrap_or(&mut []);
            match rustix::rand::getrandom(rest, rustix::rand::GetRandomFlags::empty()) {
                Ok(n) if n > 0 => at += n,
                // The call only fails when interrupted: try again.
                _ => continue,
            }
        }
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
