//! Property tests: parameter data of INQUIRY, READ CAPACITY, REPORT LUNS,
//! UNMAP, GET LBA STATUS, PERSISTENT RESERVE IN/OUT, REPORT SUPPORTED
//! OPERATION CODES / TMFs, REPORT TARGET PORT GROUPS and EXTENDED COPY.

use proptest::collection::vec;
use proptest::prelude::*;
use rtgt_proto::scsi::params::*;

fn inquiry() -> impl Strategy<Value = StandardInquiry> {
    (
        (
            0u8..8,
            0u8..32,
            any::<u8>(),
            0u8..16,
            0u8..4,
            any::<[bool; 12]>(),
            any::<[u8; 5]>(),
        ),
        (
            any::<[u8; 8]>(),
            any::<[u8; 16]>(),
            any::<[u8; 4]>(),
            any::<[u8; 20]>(),
            any::<[u8; 2]>(),
        ),
        (
            vec(any::<u16>(), 0..=8),
            vec(any::<u8>(), 22),
            vec(any::<u8>(), 0..100),
        ),
    )
        .prop_map(
            |(
                (pq, pdt, version, rdf, tpgs, f, o),
                (vid, pid, rev, vs, r56),
                (mut vd, r74, tail),
            )| {
                while vd.last() == Some(&0) {
                    vd.pop();
                }
                StandardInquiry {
                    peripheral_qualifier: pq,
                    peripheral_device_type: pdt,
                    rmb: f[0],
                    lu_cong: f[1],
                    version,
                    normaca: f[2],
                    hisup: f[3],
                    response_data_format: rdf,
                    sccs: f[4],
                    acc: f[5],
                    tpgs,
                    three_pc: f[6],
                    protect: f[7],
                    encserv: f[8],
                    multip: f[9],
                    cmdque: f[10],
                    other_bits: [
                        o[0] & 0x3f,
                        o[1] & 0xc0,
                        o[2] & 0x06,
                        o[3] & 0xaf,
                        o[4] & 0xfd,
                    ],
                    vendor_id: vid,
                    product_id: pid,
                    product_revision: rev,
                    vendor_specific: vs,
                    reserved_56: r56,
                    version_descriptors: vd,
                    reserved_74: r74.try_into().unwrap(),
                    vendor_tail: tail,
                }
            },
        )
}

fn transport_id() -> impl Strategy<Value = TransportId> {
    prop_oneof![
        ("[a-z0-9.:-]{1,60}", proptest::option::of("[0-9a-f]{12}"))
            .prop_map(|(name, isid)| TransportId::Iscsi { name, isid }),
        (0u8..16, vec(any::<u8>(), 23)).prop_filter_map(
            "iscsi protocol is typed",
            |(p, mut rest)| {
                (p != 5).then(|| {
                    rest.insert(0, p);
                    TransportId::Raw(rest)
                })
            }
        ),
    ]
}

proptest! {
    #[test]
    fn inquiry_round_trips(i in inquiry(), cut in 5usize..200) {
        let b = i.encode();
        prop_assert_eq!(StandardInquiry::decode(&b).unwrap(), Decoded::complete(i.clone(), b.len()));
        let d = StandardInquiry::decode(&b[..cut.min(b.len())]).unwrap();
        prop_assert_eq!(d.is_truncated(), cut < b.len());
        if cut >= 16 {
            prop_assert_eq!(d.value.vendor_id, i.vendor_id);
        }
    }

    #[test]
    fn read_capacity_round_trips(a in any::<(u32, u32)>(), r in any::<(u64, u32, [u8; 4], u16, bool, bool, bool, [u8; 16])>()) {
        let rc10 = ReadCapacity10 { returned_lba: a.0, block_length: a.1 };
        prop_assert_eq!(ReadCapacity10::decode(&rc10.encode()).unwrap(), rc10);
        let rc16 = ReadCapacity16 {
            returned_lba: r.0,
            block_length: r.1,
            reserved_12: r.2[0] & 3,
            rc_basis: r.2[1] & 3,
            p_type: r.2[2] & 7,
            prot_en: r.4,
            p_i_exponent: r.2[3] >> 4,
            lbppbe: r.2[3] & 0x0f,
            lbpme: r.5,
            lbprz: r.6,
            lowest_aligned_lba: r.3 & 0x3fff,
            reserved: r.7,
        };
        prop_assert_eq!(ReadCapacity16::decode(&rc16.encode()).unwrap(), rc16);
    }

    #[test]
    fn report_luns_round_trips(luns in vec(any::<[u8; 8]>(), 0..40), reserved in any::<u32>(), cut in 8usize..400) {
        let r = ReportLuns { luns: luns.into_iter().map(Lun).collect(), reserved };
        let b = r.encode();
        prop_assert_eq!(ReportLuns::decode(&b).unwrap().value, r.clone());
        let d = ReportLuns::decode(&b[..cut.min(b.len())]).unwrap();
        prop_assert_eq!(&d.value.luns[..], &r.luns[..d.value.luns.len()]);
    }

    #[test]
    fn lun_index_round_trips(n in 0u16..0x4000) {
        prop_assert_eq!(Lun::from_index(n).index(), Some(n));
    }

    #[test]
    fn unmap_and_lba_status_round_trip(
        d in vec(any::<(u64, u32, u32)>(), 0..20),
        s in vec(any::<(u64, u32, u8, u8, u16)>(), 0..20),
        r in any::<(u32, u32)>(),
    ) {
        let u = UnmapList { reserved: r.0, descriptors: d.into_iter().map(|(lba, blocks, reserved)| UnmapDescriptor { lba, blocks, reserved }).collect() };
        prop_assert_eq!(UnmapList::decode(&u.encode()).unwrap().value, u);
        let l = LbaStatus {
            reserved: r.1,
            descriptors: s.into_iter().map(|(lba, blocks, st, add, reserved)| LbaStatusDescriptor {
                lba, blocks, provisioning_status: st & 0x0f, reserved_12: st >> 4, additional_status: add, reserved,
            }).collect(),
        };
        prop_assert_eq!(LbaStatus::decode(&l.encode()).unwrap().value, l);
    }

    #[test]
    fn pr_in_round_trips(
        generation in any::<u32>(),
        keys in vec(any::<u64>(), 0..20),
        res in proptest::option::of(any::<(u64, u32, u8)>()),
        caps in any::<([bool; 7], u8, u16, [u8; 4])>(),
        fs in vec((any::<(u64, bool, bool, u8, u16)>(), transport_id()), 0..4),
    ) {
        let k = ReadKeys { generation, keys };
        prop_assert_eq!(ReadKeys::decode(&k.encode()).unwrap().value, k);
        let r = ReadReservation { generation, reservation: res.map(|(key, obsolete, t)| Reservation { key, obsolete, scope: t >> 4, pr_type: t & 0x0f }) };
        prop_assert_eq!(ReadReservation::decode(&r.encode()).unwrap().value, r);
        let (f, ac, mask, rsv) = caps;
        let c = ReportCapabilities {
            rlr_c: f[0], crh: f[1], sip_c: f[2], atp_c: f[3], ptpl_c: f[4], tmv: f[5], ptpl_a: f[6],
            allow_commands: ac & 7, type_mask: mask, reserved: [rsv[0] & 0x62, rsv[1] & 0x0e, rsv[2], rsv[3]],
        };
        prop_assert_eq!(ReportCapabilities::decode(&c.encode()).unwrap().value, c);
        let full = ReadFullStatus {
            generation,
            descriptors: fs.into_iter().map(|((key, all, holder, t, port), tid)| FullStatusDescriptor {
                key, all_tg_pt: all, r_holder: holder, scope: t >> 4, pr_type: t & 0x0f, relative_target_port: port, transport_id: tid,
            }).collect(),
        };
        prop_assert_eq!(ReadFullStatus::decode(&full.encode()).unwrap().value, full);
    }

    #[test]
    fn pr_out_round_trips(
        k in any::<(u64, u64, u32, [bool; 3], [u8; 4], u16, bool)>(),
        tids in vec(transport_id(), 0..4),
        tid in transport_id(),
    ) {
        let (key, sak, obs, f, r, port, unreg) = k;
        let basic = PrOutBasic {
            key, service_action_key: sak, obsolete_16: obs, spec_i_pt: f[0], all_tg_pt: f[1], aptpl: f[2],
            reserved: [r[0] & 0xf2, r[1], r[2], r[3]],
            transport_ids: if f[0] { tids } else { Vec::new() },
        };
        prop_assert_eq!(PrOutBasic::decode(&basic.encode()).unwrap(), basic);
        let mv = PrOutRegisterAndMove {
            key, service_action_key: sak, unreg, aptpl: f[2], relative_target_port: port,
            reserved: [r[0], r[1] & 0xfc], transport_id: tid,
        };
        prop_assert_eq!(PrOutRegisterAndMove::decode(&mv.encode()).unwrap(), mv);
    }

    #[test]
    fn opcodes_round_trip(
        cmds in vec((any::<(u8, u16, bool, u8, u16)>(), proptest::option::of(any::<(u8, u32, u32)>())), 0..30),
        one in (0u8..8, any::<u8>(), vec(any::<u8>(), 0..32), proptest::option::of(any::<(u8, u32, u32)>())),
        tmf in (any::<[bool; 12]>(), any::<[u8; 2]>(), proptest::option::of(any::<[u8; 12]>())),
    ) {
        let to = |t: Option<(u8, u32, u32)>| t.map(|(command_specific, nominal, recommended)| CommandTimeouts { command_specific, nominal, recommended });
        let all = SupportedOpcodes {
            commands: cmds.into_iter().map(|((opcode, service_action, servactv, other, cdb_length), t)| CommandDescriptor {
                opcode, service_action, servactv, other_bits: other & 0xfc, cdb_length, timeouts: to(t),
            }).collect(),
        };
        prop_assert_eq!(SupportedOpcodes::decode(&all.encode()).unwrap().value, all);
        let o = OneCommand { support: one.0, other_bits: one.1 & 0x78, cdb_usage: one.2, timeouts: to(one.3) };
        prop_assert_eq!(OneCommand::decode(&o.encode()).unwrap().value, o);
        let (f, r, ext) = tmf;
        let t = SupportedTmfs {
            abort_task: f[0], abort_task_set: f[1], clear_aca: f[2], clear_task_set: f[3], lu_reset: f[4], query_task: f[5],
            target_reset: f[6], wakeup: f[7], query_unit_attention: f[8], query_task_set: f[9], i_t_nexus_reset: f[10], tmftmov: f[11],
            reserved: [r[0] & 0xf8, r[1] & 0xfe], extended: ext,
        };
        prop_assert_eq!(SupportedTmfs::decode(&t.encode()).unwrap().value, t);
    }

    #[test]
    fn target_port_groups_round_trip(
        ext in proptest::option::of(any::<u8>()),
        groups in vec((any::<(bool, u8, u8, u16, u8, u8)>(), vec(any::<u16>(), 0..6)), 0..6),
    ) {
        let t = TargetPortGroups {
            extended: ext,
            groups: groups.into_iter().map(|((pref, st, sup, group, status_code, vendor_specific), ports)| TargetPortGroup {
                pref, asymmetric_access_state: st & 0x0f, supported_states: sup, group, status_code, vendor_specific, ports,
            }).collect(),
        };
        prop_assert_eq!(TargetPortGroups::decode(&t.encode(), ext.is_some()).unwrap().value, t);
    }

    #[test]
    fn extended_copy_round_trips(
        head in any::<(u8, u8)>(),
        ids in vec((any::<(u8, u16, u8, u8, [u8; 4])>(), vec(any::<u8>(), 0..=20)), 0..3),
        segs in vec(any::<(u8, u16, u16, u16, u16, u64, u64)>(), 0..3),
        inline in vec(any::<u8>(), 0..16),
        op in any::<(bool, u16, u16, [u32; 5], u16, [u8; 4])>(),
        impl_codes in vec(any::<u8>(), 0..10),
    ) {
        let x = ExtendedCopy {
            list_id: head.0,
            flags: head.1,
            cscds: ids.into_iter().map(|((byte1, port, cs, db, ds), designator)| CscdDescriptor::Identification {
                byte1, relative_initiator_port: port, code_set: cs & 0x0f, designator_byte: db, designator, device_specific: ds,
            }).collect(),
            segments: segs.into_iter().map(|(flags, source, destination, reserved, blocks, source_lba, destination_lba)| SegmentDescriptor::BlockToBlock {
                flags, source, destination, reserved, blocks, source_lba, destination_lba,
            }).collect(),
            inline_data: inline,
        };
        prop_assert_eq!(ExtendedCopy::decode(&x.encode()).unwrap(), x);
        let (snlid, c1, c2, l, total, g) = op;
        let p = CopyOperatingParameters {
            snlid, max_cscd_descriptors: c1, max_segment_descriptors: c2, max_descriptor_list_length: l[0],
            max_segment_length: l[1], max_inline_data_length: l[2], held_data_limit: l[3],
            max_stream_device_transfer_size: l[4], total_concurrent_copies: total, max_concurrent_copies: g[0],
            data_segment_granularity: g[1], inline_data_granularity: g[2], held_data_granularity: g[3],
            implemented_descriptors: impl_codes,
        };
        prop_assert_eq!(CopyOperatingParameters::decode(&p.encode()).unwrap().value, p);
    }

    #[test]
    fn copy_status_round_trips(hdd: bool, status in 0u8..0x80, segs: u16, units: u8, count: u32) {
        let c = CopyStatus { hdd, status, segments_processed: segs, transfer_count_units: units, transfer_count: count };
        prop_assert_eq!(CopyStatus::decode(&c.encode()).unwrap(), c);
    }
}
