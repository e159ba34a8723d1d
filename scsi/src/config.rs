//! The configuration of one virtual disk: geometry, identity, limits.

/// The IEEE company ID rtgt puts in its NAA designators: 0A7267h. Its first
/// octet has the X bit (bit 1) set and the M bit (bit 0) clear, which makes
/// it a locally administered company ID (IEEE CID rules) that no vendor can
/// be assigned; "72 67" is "rg".
pub const RTGT_COMPANY_ID: u32 = 0x0a_7267;

/// Logical block sizes a disk can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BlockSize {
    B512,
    B4096,
}

impl BlockSize {
    /// Bytes per logical block.
    pub const fn bytes(self) -> u32 {
        match self {
            BlockSize::B512 => 512,
            BlockSize::B4096 => 4096,
        }
    }
}

/// A configuration that cannot make a disk.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// Zero blocks.
    #[error("a lun needs at least one block: set a non-zero capacity")]
    ZeroCapacity,
    /// The capacity overflows a byte offset.
    #[error("capacity of {blocks} blocks overflows 64-bit byte offsets: set a smaller capacity")]
    TooLarge { blocks: u64 },
    /// VPD page 80h carries printable ASCII only (SPC-5 §7.7.17).
    #[error("serial {0:?} must be printable ascii without spaces at the ends")]
    BadSerial(String),
    /// A limit of the Block Limits page is zero.
    #[error("limit {0} must be at least one block")]
    ZeroLimit(&'static str),
    /// The physical block is not a power-of-two multiple (at most 2^15) of
    /// the logical block (SBC-4 §5.21.2, LOGICAL BLOCKS PER PHYSICAL BLOCK
    /// EXPONENT).
    #[error(
        "physical block of {physical} bytes must be the logical block ({logical} bytes) \
         times a power of two up to 32768"
    )]
    BadPhysicalBlock { physical: u32, logical: u32 },
}

/// How a disk presents itself and what it accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskConfig {
    pub block_size: BlockSize,
    /// Bytes per physical block, reported as LOGICAL BLOCKS PER PHYSICAL
    /// BLOCK EXPONENT in READ CAPACITY (16): initiators align their I/O to
    /// it. Default 4096, the page and file system block size.
    pub physical_block_bytes: u32,
    /// Capacity in logical blocks.
    pub blocks: u64,
    /// Rejects every command that writes (DATA PROTECT, WRITE PROTECTED).
    pub read_only: bool,
    /// Thin provisioned: UNMAP and WRITE SAME with UNMAP deallocate blocks
    /// (the backstore must support deallocation).
    pub thin: bool,
    /// Removable medium (RMB one, SPC-5 §6.7.2): START STOP UNIT with LOEJ
    /// ejects and loads it, PREVENT ALLOW MEDIUM REMOVAL locks it.
    pub removable: bool,
    /// Persist through power loss is offered (PTPL_C one, SPC-5 §5.14.5):
    /// the driver stores the state [`crate::Disk::poll_persist`] hands out.
    /// Without it, APTPL one is INVALID FIELD IN PARAMETER LIST.
    pub persist: bool,
    /// A number unique to this LUN among rtgt's LUNs; its low 36 bits are
    /// the vendor specific identifier of the NAA designator.
    pub id: u64,
    /// Unit serial number (VPD page 80h), printable ASCII; also hashed into
    /// the NAA vendor specific identifier extension.
    pub serial: String,
    /// T10 VENDOR IDENTIFICATION (8 characters at most).
    pub vendor: String,
    /// PRODUCT IDENTIFICATION (16 at most).
    pub product: String,
    /// PRODUCT REVISION LEVEL (4 at most).
    pub revision: String,
    /// MAXIMUM TRANSFER LENGTH in blocks (Block Limits page).
    pub max_transfer_blocks: u32,
    /// MAXIMUM COMPARE AND WRITE LENGTH in blocks (at most 255).
    pub max_compare_and_write_blocks: u8,
    /// MAXIMUM WRITE SAME LENGTH in blocks.
    pub max_write_same_blocks: u64,
    /// MAXIMUM UNMAP LBA COUNT.
    pub max_unmap_blocks: u32,
    /// MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT.
    pub max_unmap_descriptors: u32,
}

impl DiskConfig {
    /// A writable, thick disk of `blocks` blocks with rtgt's defaults:
    /// transfers up to 8 MiB, COMPARE AND WRITE up to 128 KiB (at most 255
    /// blocks), WRITE SAME up to 8 MiB worth (as a transfer), UNMAP of up to
    /// 4 GiB or 2^20 blocks, whichever is less, in up to 256 descriptors.
    pub fn new(id: u64, serial: &str, block_size: BlockSize, blocks: u64) -> Self {
        let bs = u64::from(block_size.bytes());
        let per = |bytes: u64| (bytes / bs).max(1);
        DiskConfig {
            block_size,
            physical_block_bytes: block_size.bytes().max(4096),
            blocks,
            read_only: false,
            thin: false,
            removable: false,
            persist: true,
            id,
            serial: serial.to_string(),
            vendor: "RTGT".into(),
            product: "VIRTUAL-DISK".into(),
            revision: "0001".into(),
            max_transfer_blocks: per(8 << 20) as u32,
            max_compare_and_write_blocks: per(128 << 10).min(255) as u8,
            max_write_same_blocks: per(8 << 20),
            max_unmap_blocks: per(4 << 30).min(1 << 20) as u32,
            max_unmap_descriptors: 256,
        }
    }

    /// Sets thin provisioning.
    pub fn thin(mut self, thin: bool) -> Self {
        self.thin = thin;
        self
    }

    /// Sets a removable medium.
    pub fn removable(mut self, removable: bool) -> Self {
        self.removable = removable;
        self
    }

    /// Sets whether APTPL is offered (see [`DiskConfig::persist`]).
    pub fn persist(mut self, persist: bool) -> Self {
        self.persist = persist;
        self
    }

    /// Sets read-only.
    pub fn read_only(mut self, ro: bool) -> Self {
        self.read_only = ro;
        self
    }

    /// Checks the configuration.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.blocks == 0 {
            return Err(ConfigError::ZeroCapacity);
        }
        if self
            .blocks
            .checked_mul(u64::from(self.block_size.bytes()))
            .is_none()
        {
            return Err(ConfigError::TooLarge {
                blocks: self.blocks,
            });
        }
        let (physical, logical) = (self.physical_block_bytes, self.block_size.bytes());
        if physical < logical
            || physical % logical != 0
            || !(physical / logical).is_power_of_two()
            || physical / logical > 1 << 15
        {
            return Err(ConfigError::BadPhysicalBlock { physical, logical });
        }
        let s = &self.serial;
        // SPC-5 §7.7.17: PRODUCT SERIAL NUMBER is ASCII (SPC-5 §4.3.1:
        // 20h-7Eh); leading or trailing spaces would be lost.
        if s.is_empty() || !s.bytes().all(|b| (0x20..0x7f).contains(&b)) || s.trim() != s.as_str() {
            return Err(ConfigError::BadSerial(s.clone()));
        }
        for (name, v) in [
            ("max_transfer_blocks", u64::from(self.max_transfer_blocks)),
            (
                "max_compare_and_write_blocks",
                u64::from(self.max_compare_and_write_blocks),
            ),
            ("max_write_same_blocks", self.max_write_same_blocks),
            ("max_unmap_blocks", u64::from(self.max_unmap_blocks)),
            (
                "max_unmap_descriptors",
                u64::from(self.max_unmap_descriptors),
            ),
        ] {
            if v == 0 {
                return Err(ConfigError::ZeroLimit(name));
            }
        }
        Ok(())
    }

    /// Bytes per block.
    pub fn block_bytes(&self) -> u64 {
        u64::from(self.block_size.bytes())
    }

    /// LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT (SBC-4 §5.21.2).
    pub fn physical_block_exponent(&self) -> u8 {
        (self.physical_block_bytes / self.block_size.bytes()).trailing_zeros() as u8
    }

    /// The largest WRITE ATOMIC (16), in blocks (Block Limits page, SBC-4
    /// §6.6.4): a backstore write is one request, and the disk never lets
    /// another request overlap it.
    pub(crate) fn max_atomic_blocks(&self) -> u32 {
        self.max_transfer_blocks.min(u32::from(u16::MAX))
    }

    /// Capacity in bytes.
    pub fn size_bytes(&self) -> u64 {
        self.blocks.saturating_mul(self.block_bytes())
    }

    /// The NAA IEEE Registered Extended designator value (SPC-5
    /// §7.7.6.6.5): [`RTGT_COMPANY_ID`], the low 36 bits of [`Self::id`],
    /// and FNV-1a-64 of the serial as the extension. Stable across runs and
    /// versions: it only depends on the configuration.
    pub fn naa(&self) -> (u32, u64, u64) {
        (
            RTGT_COMPANY_ID,
            self.id & 0xf_ffff_ffff,
            fnv1a64(self.serial.as_bytes()),
        )
    }

    /// The identification CSCD descriptor (E4h, SPC-4 §6.3.6.2) naming
    /// this logical unit by its NAA designator, block device parameters
    /// included: what an EXTENDED COPY parameter list names it with.
    pub fn cscd(&self) -> rtgt_proto::scsi::params::CscdDescriptor {
        let (company, vendor, ext) = self.naa();
        let d = rtgt_proto::scsi::vpd::Designation::naa_registered_extended(company, vendor, ext);
        let bs = self.block_size.bytes().to_be_bytes();
        rtgt_proto::scsi::params::CscdDescriptor::Identification {
            byte1: 0,
            relative_initiator_port: 0,
            code_set: d.code_set,
            designator_byte: d.designator_type,
            designator: d.designator,
            device_specific: [0, bs[1], bs[2], bs[3]],
        }
    }
}

/// FNV-1a, 64 bits: a fixed, documented hash (not std's randomised one).
fn fnv1a64(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_validation() {
        let c = DiskConfig::new(7, "SN7", BlockSize::B512, 2048);
        assert_eq!(c.validate(), Ok(()));
        assert_eq!(c.max_transfer_blocks, 16384);
        assert_eq!(c.max_compare_and_write_blocks, 255);
        assert_eq!(c.size_bytes(), 1 << 20);
        let c4 = DiskConfig::new(7, "SN7", BlockSize::B4096, 1);
        assert_eq!(c4.max_compare_and_write_blocks, 32);
        assert_eq!(
            DiskConfig::new(1, "a b ", BlockSize::B512, 1).validate(),
            Err(ConfigError::BadSerial("a b ".into()))
        );
        assert_eq!(
            DiskConfig::new(1, "x", BlockSize::B512, 0).validate(),
            Err(ConfigError::ZeroCapacity)
        );
        assert!(DiskConfig::new(1, "x", BlockSize::B4096, u64::MAX / 1024)
            .validate()
            .is_err());
    }

    #[test]
    fn naa_is_stable() {
        let c = DiskConfig::new(0x1_2345_6789, "disk-0", BlockSize::B512, 8);
        assert_eq!(c.naa(), c.clone().naa());
        assert_eq!(c.naa().1, 0x1_2345_6789);
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        let d = DiskConfig::new(0x1_2345_6789, "disk-1", BlockSize::B512, 8);
        assert_ne!(c.naa().2, d.naa().2);
    }
}
