//! Property tests: VPD pages and mode parameters round trip, and survive
//! truncation by the allocation length.

use proptest::collection::vec;
use proptest::prelude::*;
use rtgt_proto::scsi::mode::*;
use rtgt_proto::scsi::vpd::*;

fn bytes<const N: usize>() -> impl Strategy<Value = [u8; N]> {
    vec(any::<u8>(), N).prop_map(|v| v.try_into().unwrap())
}

fn designation() -> impl Strategy<Value = Designation> {
    (
        any::<(u8, u8, bool, u8, u8, [u8; 2])>(),
        vec(any::<u8>(), 0..40),
    )
        .prop_map(|((p, cs, piv, a, t, r), designator)| Designation {
            protocol_identifier: p & 0x0f,
            code_set: cs & 0x0f,
            piv,
            association: a & 3,
            designator_type: t & 0x0f,
            reserved: [r[0] & 0x40, r[1]],
            designator,
        })
}

fn vpd_page() -> impl Strategy<Value = VpdPage> {
    prop_oneof![
        vec(any::<u8>(), 0..16).prop_map(VpdPage::Supported),
        vec(any::<u8>(), 0..40).prop_map(VpdPage::UnitSerial),
        vec(designation(), 0..6).prop_map(VpdPage::DeviceId),
        bytes::<60>().prop_map(|body| VpdPage::ExtendedInquiry(ExtendedInquiry { body })),
        (
            any::<(bool, u8, u8, u16, [u32; 6], bool, u32, u64)>(),
            any::<[u32; 5]>()
        )
            .prop_map(|(a, b)| {
                VpdPage::BlockLimits(BlockLimits {
                    wsnz: a.0,
                    reserved_4: a.1 & 0xfe,
                    max_compare_and_write_length: a.2,
                    optimal_transfer_length_granularity: a.3,
                    max_transfer_length: a.4[0],
                    optimal_transfer_length: a.4[1],
                    max_prefetch_length: a.4[2],
                    max_unmap_lba_count: a.4[3],
                    max_unmap_block_descriptor_count: a.4[4],
                    optimal_unmap_granularity: a.4[5],
                    ugavalid: a.5,
                    unmap_granularity_alignment: a.6 & 0x7fff_ffff,
                    max_write_same_length: a.7,
                    max_atomic_transfer_length: b[0],
                    atomic_alignment: b[1],
                    atomic_transfer_length_granularity: b[2],
                    max_atomic_transfer_length_with_boundary: b[3],
                    max_atomic_boundary_size: b[4],
                })
            }),
        (any::<(u16, u8, u8, u8)>(), bytes::<55>()).prop_map(|((rate, pt, w, b8), reserved)| {
            VpdPage::BlockCharacteristics(BlockCharacteristics {
                medium_rotation_rate: rate,
                product_type: pt,
                wabereq: w >> 6,
                wacereq: (w >> 4) & 3,
                nominal_form_factor: w & 0x0f,
                byte8: b8,
                reserved,
            })
        }),
        (
            any::<(u8, [bool; 5], u8, u8, u8)>(),
            proptest::option::of(designation())
        )
            .prop_map(|((te, f, rz, mp, tp), g)| {
                VpdPage::LogicalBlockProvisioning(LogicalBlockProvisioning {
                    threshold_exponent: te,
                    lbpu: f[0],
                    lbpws: f[1],
                    lbpws10: f[2],
                    lbprz: rz & 7,
                    anc_sup: f[3],
                    dp: g.is_some(),
                    minimum_percentage: mp & 0x1f,
                    provisioning_type: mp & 7,
                    threshold_percentage: tp,
                    provisioning_group: g,
                })
            }),
        (0xc0u8.., vec(any::<u8>(), 0..30))
            .prop_map(|(page_code, body)| VpdPage::Other { page_code, body }),
    ]
}

fn mode_page() -> impl Strategy<Value = ModePage> {
    let page = prop_oneof![
        bytes::<0x0a>()
            .prop_map(|body| Page::ReadWriteErrorRecovery(ReadWriteErrorRecovery { body })),
        bytes::<0x12>().prop_map(|body| Page::Caching(Caching { body })),
        bytes::<0x0a>().prop_map(|body| Page::Control(Control { body })),
        bytes::<0x1c>().prop_map(|body| Page::ControlExtension(ControlExtension { body })),
        bytes::<0x0a>()
            .prop_map(|body| Page::InformationalExceptions(InformationalExceptions { body })),
        (
            0x20u8..0x3f,
            proptest::option::of(1u8..0xff),
            vec(any::<u8>(), 0..30)
        )
            .prop_map(|(page_code, subpage, body)| Page::Other {
                page_code,
                subpage,
                body
            }),
    ];
    (any::<bool>(), page).prop_map(|(ps, page)| ModePage { ps, page })
}

fn mode_parameters(long: bool) -> impl Strategy<Value = ModeParameters> {
    (
        any::<(u8, u8, [u8; 2])>(),
        vec(any::<(u64, u32, u32)>(), 0..3),
        vec(mode_page(), 0..6),
    )
        .prop_map(
            move |((medium_type, device_specific, reserved), bds, pages)| ModeParameters {
                header: ModeHeader {
                    medium_type,
                    device_specific,
                    longlba: long,
                    reserved: if long {
                        [reserved[0] & 0xfe, reserved[1]]
                    } else {
                        [0, 0]
                    },
                },
                block_descriptors: bds
                    .into_iter()
                    .map(|(blocks, block_length, reserved)| {
                        if long {
                            BlockDescriptor {
                                blocks,
                                block_length,
                                reserved,
                            }
                        } else {
                            BlockDescriptor {
                                blocks: blocks & 0xffff_ffff,
                                block_length: block_length & 0x00ff_ffff,
                                reserved: reserved & 0xff,
                            }
                        }
                    })
                    .collect(),
                pages,
            },
        )
}

proptest! {
    #[test]
    fn vpd_pages_round_trip(page in vpd_page(), pq in 0u8..8, pdt in 0u8..32, cut in 4usize..80) {
        let v = Vpd { peripheral_qualifier: pq, peripheral_device_type: pdt, page };
        let b = v.encode();
        let d = Vpd::decode(&b).unwrap();
        prop_assert!(!d.is_truncated());
        prop_assert_eq!(d.value, v.clone());
        let cut = cut.min(b.len());
        let t = Vpd::decode(&b[..cut]).unwrap();
        prop_assert_eq!(t.is_truncated(), cut < b.len());
        prop_assert_eq!(t.value.page.page_code(), v.page.page_code());
    }

    #[test]
    fn mode_sense10_round_trips(m in mode_parameters(true), short in mode_parameters(false)) {
        let b = m.encode(HeaderKind::Ten);
        prop_assert_eq!(ModeParameters::decode(&b, HeaderKind::Ten).unwrap().value, m.clone());
        prop_assert_eq!(ModeParameters::decode_select(&b, HeaderKind::Ten).unwrap(), m);
        let b = short.encode(HeaderKind::Ten);
        prop_assert_eq!(ModeParameters::decode(&b, HeaderKind::Ten).unwrap().value, short);
    }

    #[test]
    fn mode_sense6_round_trips(m in mode_parameters(false), cut in 4usize..120) {
        let b = m.encode(HeaderKind::Six);
        prop_assume!(b.len() <= 256);
        prop_assert_eq!(ModeParameters::decode(&b, HeaderKind::Six).unwrap().value, m.clone());
        let cut = cut.min(b.len());
        let t = ModeParameters::decode(&b[..cut], HeaderKind::Six).unwrap();
        prop_assert_eq!(t.is_truncated(), cut < b.len());
        prop_assert_eq!(&t.value.pages[..], &m.pages[..t.value.pages.len()]);
    }
}
