//! The simulated backstore behind each real `rtgt_scsi::Disk`: a durable
//! medium, a volatile write cache in front of it, and the faults of the
//! declared model (see the crate docs).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use bytes::Bytes;
use rtgt_scsi::{BackstoreError, Extent, IoData, IoOp};

use crate::oracle::{decode_block, BLOCK};
use crate::rng::Rng;
use crate::swarm::DiskFaults;

/// A block moved by a misdirected write: (token, intended lba, actual lba).
pub type Misdirect = (u64, u64, u64);

/// One LUN's storage.
#[derive(Debug)]
pub struct SimDisk {
    blocks: u64,
    durable: Vec<u8>,
    /// Unflushed writes by block, oldest first (`None`: deallocated).
    cache: BTreeMap<u64, Vec<Option<Bytes>>>,
    /// Blocks that fail reads until rewritten (latent sector errors).
    bad: BTreeSet<u64>,
    /// Thin: blocks that hold data, and how many may.
    allocated: BTreeSet<u64>,
    thin_cap: Option<u64>,
}

impl SimDisk {
    /// A zeroed disk of `blocks` blocks; `thin_cap` limits allocated blocks.
    pub fn new(blocks: u64, thin_cap: Option<u64>) -> Self {
        SimDisk {
            blocks,
            durable: vec![0; blocks as usize * BLOCK],
            cache: BTreeMap::new(),
            bad: BTreeSet::new(),
            allocated: BTreeSet::new(),
            thin_cap,
        }
    }

    /// Size in bytes.
    pub fn size(&self) -> u64 {
        self.blocks * BLOCK as u64
    }

    /// How long a request takes.
    pub fn latency(op: &IoOp, f: &DiskFaults, rng: &mut Rng) -> Duration {
        let base = match op {
            IoOp::Flush => f.latency_us * 10,
            _ => f.latency_us,
        };
        let mut us = rng.range(base / 2, base * 2);
        if rng.chance(f.p_slow) {
            us += rng.range(1_000, f.slow_ms.max(1) * 1_000);
        }
        Duration::from_micros(us)
    }

    fn range(&self, offset: u64, len: u64) -> Result<(u64, u64), BackstoreError> {
        let end = offset.checked_add(len);
        if offset % BLOCK as u64 != 0
            || len % BLOCK as u64 != 0
            || end.is_none_or(|e| e > self.size())
        {
            return Err(BackstoreError::OutOfRange {
                offset,
                len,
                size: self.size(),
            });
        }
        Ok((offset / BLOCK as u64, len / BLOCK as u64))
    }

    fn read_block(&self, b: u64) -> Bytes {
        if let Some(Some(last)) = self.cache.get(&b).and_then(|v| v.last()) {
            return last.clone();
        }
        if let Some(None) = self.cache.get(&b).and_then(|v| v.last()) {
            return Bytes::from_static(&[0u8; BLOCK]);
        }
        let at = b as usize * BLOCK;
        Bytes::copy_from_slice(self.durable.get(at..at + BLOCK).unwrap_or(&[0u8; BLOCK]))
    }

    fn put_durable(&mut self, b: u64, data: Option<&[u8]>) {
        let at = b as usize * BLOCK;
        if let Some(dst) = self.durable.get_mut(at..at + BLOCK) {
            match data {
                Some(d) => dst.copy_from_slice(d),
                None => dst.fill(0),
            }
        }
    }

    /// Runs one request. Writes of several blocks may be misdirected (one
    /// block lands elsewhere, reported back) or fail part way.
    /// `allow` may veto each fault drawn (event-level shrinking); the draws
    /// happen all the same.
    pub fn execute(
        &mut self,
        op: &IoOp,
        f: &DiskFaults,
        rng: &mut Rng,
        misdirects: &mut Vec<Misdirect>,
        allow: &mut dyn FnMut(&str) -> bool,
    ) -> Result<IoData, BackstoreError> {
        match op {
            IoOp::Read { offset, len } => {
                let (b0, n) = self.range(*offset, *len)?;
                if (b0..b0 + n).any(|b| self.bad.contains(&b))
                    || rng.chance(f.p_eio_read) && allow(&format!("EIO reading lba {b0} x{n}"))
                {
                    return Err(BackstoreError::Io);
                }
                let mut out = Vec::with_capacity(*len as usize);
                for b in b0..b0 + n {
                    out.extend_from_slice(&self.read_block(b));
                }
                Ok(IoData::Read(Bytes::from(out)))
            }
            IoOp::Write { offset, data, fua } => {
                let (b0, n) = self.range(*offset, data.len() as u64)?;
                let blocks: Vec<Option<Bytes>> = (0..n as usize)
                    .map(|k| Some(data.slice(k * BLOCK..(k + 1) * BLOCK)))
                    .collect();
                self.write_blocks(b0, blocks, *fua, f, rng, misdirects, allow)
            }
            IoOp::WriteZeroes { offset, len, fua } => {
                let (b0, n) = self.range(*offset, *len)?;
                let zero = Bytes::from_static(&[0u8; BLOCK]);
                let zeros = vec![Some(zero); n as usize];
                self.write_blocks(b0, zeros, *fua, f, rng, misdirects, allow)
            }
            IoOp::Deallocate { offset, len } => {
                let (b0, n) = self.range(*offset, *len)?;
                if self.thin_cap.is_none() {
                    return Err(BackstoreError::Unsupported { op: "deallocate" });
                }
                for b in b0..b0 + n {
                    self.cache.entry(b).or_default().push(None);
                    self.allocated.remove(&b);
                    self.bad.remove(&b);
                }
                Ok(IoData::Done)
            }
            IoOp::Flush => {
                if rng.chance(f.p_eio_write) && allow("EIO flushing") {
                    return Err(BackstoreError::Io);
                }
                self.flush_all();
                Ok(IoData::Done)
            }
            IoOp::Allocation { offset, len } => {
                let (b0, n) = self.range(*offset, *len)?;
                Ok(IoData::Allocation(self.extents(b0, n)))
            }
        }
    }

    /// Mapped and deallocated runs of blocks `b0..b0 + n`: a thick disk is
    /// mapped throughout, a thin one where a block was written and not
    /// deallocated since.
    fn extents(&self, b0: u64, n: u64) -> Vec<Extent> {
        let mut extents: Vec<Extent> = Vec::new();
        for b in b0..b0 + n {
            let mapped = self.thin_cap.is_none() || self.allocated.contains(&b);
            match extents.last_mut() {
                Some(last) if last.mapped == mapped => last.len += BLOCK as u64,
                _ => extents.push(Extent {
                    offset: b * BLOCK as u64,
                    len: BLOCK as u64,
                    mapped,
                }),
            }
        }
        extents
    }

    #[allow(clippy::too_many_arguments)]
    fn write_blocks(
        &mut self,
        b0: u64,
        blocks: Vec<Option<Bytes>>,
        fua: bool,
        f: &DiskFaults,
        rng: &mut Rng,
        misdirects: &mut Vec<Misdirect>,
        allow: &mut dyn FnMut(&str) -> bool,
    ) -> Result<IoData, BackstoreError> {
        if let Some(cap) = self.thin_cap {
            let new = (b0..b0 + blocks.len() as u64)
                .filter(|b| !self.allocated.contains(b))
                .count() as u64;
            if self.allocated.len() as u64 + new > cap {
                return Err(BackstoreError::NoSpace);
            }
        }
        // EIO part way: the first `k` blocks were written.
        let n = blocks.len();
        let fail_at = rng
            .chance(f.p_eio_write)
            .then(|| rng.below(n as u64 + 1) as usize)
            .filter(|k| allow(&format!("EIO writing lba {b0} x{n} after {k} blocks")));
        for (k, data) in blocks.into_iter().enumerate() {
            if fail_at == Some(k) {
                return Err(BackstoreError::Io);
            }
            let mut b = b0 + k as u64;
            if rng.chance(f.p_misdirect) {
                let to = rng.below(self.blocks);
                if to != b && allow(&format!("lba {b} misdirected to {to}")) {
                    if let Some((token, intended)) = data.as_deref().and_then(decode_block) {
                        misdirects.push((token, intended, to));
                    }
                    b = to;
                }
            }
            self.allocated.insert(b);
            self.bad.remove(&b);
            if fua {
                self.cache.remove(&b);
                self.put_durable(b, data.as_deref());
            } else {
                self.cache.entry(b).or_default().push(data);
            }
        }
        if fail_at.is_some() {
            return Err(BackstoreError::Io);
        }
        Ok(IoData::Done)
    }

    fn flush_all(&mut self) {
        for (b, v) in std::mem::take(&mut self.cache) {
            if let Some(last) = v.last() {
                self.put_durable(b, last.as_deref());
            }
        }
    }

    /// A latent sector error appears on a random block.
    pub fn rot(&mut self, rng: &mut Rng) {
        let b = rng.below(self.blocks);
        self.bad.insert(b);
    }

    /// Power loss: each cached block keeps some prefix of its unflushed
    /// writes (none, some or all of them), block by block, so a write of
    /// several blocks may be torn. A write still in flight is `inflight`:
    /// each of its blocks reaches the medium or not.
    pub fn crash(&mut self, rng: &mut Rng, keep: f64, inflight: &[IoOp]) {
        for (b, v) in std::mem::take(&mut self.cache) {
            let mut k = 0;
            while k < v.len() && rng.chance(keep) {
                k += 1;
            }
            if k > 0 {
                if let Some(d) = v.get(k - 1) {
                    self.put_durable(b, d.as_deref());
                }
            }
        }
        for op in inflight {
            if let IoOp::Write { offset, data, .. } = op {
                if let Ok((b0, n)) = self.range(*offset, data.len() as u64) {
                    for k in 0..n {
                        if rng.chance(0.5) {
                            let d = data.slice(k as usize * BLOCK..(k as usize + 1) * BLOCK);
                            self.put_durable(b0 + k, Some(&d));
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oracle::block_pattern;

    fn calm() -> DiskFaults {
        DiskFaults::calm()
    }

    fn write(d: &mut SimDisk, lba: u64, token: u64, fua: bool, rng: &mut Rng) {
        let op = IoOp::Write {
            offset: lba * BLOCK as u64,
            data: Bytes::copy_from_slice(&block_pattern(token, lba)),
            fua,
        };
        d.execute(&op, &calm(), rng, &mut Vec::new(), &mut |_| true)
            .unwrap();
    }

    fn read(d: &mut SimDisk, lba: u64, rng: &mut Rng) -> Option<(u64, u64)> {
        let op = IoOp::Read {
            offset: lba * BLOCK as u64,
            len: BLOCK as u64,
        };
        match d.execute(&op, &calm(), rng, &mut Vec::new(), &mut |_| true) {
            Ok(IoData::Read(b)) => decode_block(&b),
            _ => None,
        }
    }

    #[test]
    fn cache_is_lost_unless_flushed_or_fua() {
        let mut rng = Rng::from_u64(1);
        let mut d = SimDisk::new(16, None);
        write(&mut d, 1, 10, false, &mut rng);
        write(&mut d, 2, 20, true, &mut rng);
        assert_eq!(read(&mut d, 1, &mut rng), Some((10, 1)));
        d.crash(&mut rng, 0.0, &[]);
        assert_eq!(read(&mut d, 1, &mut rng), Some((0, 0)));
        assert_eq!(read(&mut d, 2, &mut rng), Some((20, 2)));
        write(&mut d, 3, 30, false, &mut rng);
        d.execute(
            &IoOp::Flush,
            &calm(),
            &mut rng,
            &mut Vec::new(),
            &mut |_| true,
        )
        .unwrap();
        d.crash(&mut rng, 0.0, &[]);
        assert_eq!(read(&mut d, 3, &mut rng), Some((30, 3)));
    }

    #[test]
    fn thin_runs_out_of_space() {
        let mut rng = Rng::from_u64(1);
        let mut d = SimDisk::new(16, Some(1));
        write(&mut d, 1, 10, false, &mut rng);
        let op = IoOp::Write {
            offset: 2 * BLOCK as u64,
            data: Bytes::copy_from_slice(&block_pattern(11, 2)),
            fua: false,
        };
        assert_eq!(
            d.execute(&op, &calm(), &mut rng, &mut Vec::new(), &mut |_| true),
            Err(BackstoreError::NoSpace)
        );
    }
}
