//! Random sequences of writes, unmaps and reads against a model byte array.

use super::*;
use proptest::prelude::*;

const BLOCKS: u64 = 256;

#[derive(Debug, Clone)]
enum Op {
    Write {
        lba: u64,
        blocks: u64,
        byte: u8,
        fua: bool,
    },
    WriteSame {
        lba: u64,
        blocks: u64,
        byte: u8,
    },
    Unmap {
        lba: u64,
        blocks: u64,
    },
    Read {
        lba: u64,
        blocks: u64,
    },
}

fn range() -> impl Strategy<Value = (u64, u64)> {
    (0..BLOCKS).prop_flat_map(|lba| (Just(lba), 1..=(BLOCKS - lba).min(40)))
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (range(), any::<u8>(), any::<bool>()).prop_map(|((lba, blocks), byte, fua)| Op::Write {
            lba,
            blocks,
            byte,
            fua
        }),
        (range(), any::<u8>()).prop_map(|((lba, blocks), byte)| Op::WriteSame {
            lba,
            blocks,
            byte
        }),
        range().prop_map(|(lba, blocks)| Op::Unmap { lba, blocks }),
        range().prop_map(|(lba, blocks)| Op::Read { lba, blocks }),
    ]
}

fn cdb16(opcode: u8, lba: u64, blocks: u64) -> [u8; 16] {
    let mut c = [0u8; 16];
    c[0] = opcode;
    c[2..10].copy_from_slice(&lba.to_be_bytes());
    c[10..14].copy_from_slice(&(blocks as u32).to_be_bytes());
    c
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn disk_matches_a_byte_array(ops in proptest::collection::vec(op(), 1..40), b4k in any::<bool>()) {
        let bs = if b4k { BlockSize::B4096 } else { BlockSize::B512 };
        let mut r = Rig::ready_with(DiskConfig::new(5, "MODEL", bs, BLOCKS).thin(true));
        let n = u64::from(bs.bytes());
        let mut model = vec![0u8; (BLOCKS * n) as usize];
        for op in ops {
            match op {
                Op::Write { lba, blocks, byte, fua } => {
                    let mut c = cdb16(0x8a, lba, blocks);
                    c[1] = u8::from(fua) << 3;
                    let data: Vec<u8> = (0..blocks * n).map(|i| byte ^ (i as u8)).collect();
                    r.good(&c, &data, data.len() as u32);
                    model[(lba * n) as usize..((lba + blocks) * n) as usize].copy_from_slice(&data);
                }
                Op::WriteSame { lba, blocks, byte } => {
                    let block = vec![byte; n as usize];
                    r.good(&cdb16(0x93, lba, blocks), &block, n as u32);
                    model[(lba * n) as usize..((lba + blocks) * n) as usize].fill(byte);
                }
                Op::Unmap { lba, blocks } => {
                    let l = rtgt_proto::scsi::params::UnmapList {
                        reserved: 0,
                        descriptors: vec![rtgt_proto::scsi::params::UnmapDescriptor {
                            lba, blocks: blocks as u32, reserved: 0,
                        }],
                    }.encode();
                    let mut c = [0u8; 10];
                    c[0] = 0x42;
                    c[8] = l.len() as u8;
                    r.good(&c, &l, l.len() as u32);
                    // LBPRZ: unmapped blocks read as zero.
                    model[(lba * n) as usize..((lba + blocks) * n) as usize].fill(0);
                }
                Op::Read { lba, blocks } => {
                    let d = r.good(&cdb16(0x88, lba, blocks), &[], (blocks * n) as u32);
                    prop_assert_eq!(&d[..], &model[(lba * n) as usize..((lba + blocks) * n) as usize]);
                }
            }
        }
        let all = r.good(&cdb16(0x88, 0, BLOCKS), &[], (BLOCKS * n) as u32);
        prop_assert_eq!(&all[..], &model[..]);
    }
}
