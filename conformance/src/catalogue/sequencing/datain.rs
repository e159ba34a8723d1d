//! Data-In from the target (RFC 7143 §11.7, §13.12, §13.13): DataSN and
//! Buffer Offset in order from 0, no data segment beyond the
//! MaxRecvDataSegmentLength we declared, no sequence beyond MaxBurstLength.

use crate::context::Context;
use crate::harness::blocks::{lun, read10, run_past_ua, status_of};
use crate::harness::session::RawSession;
use crate::scenario::{Level, Needs, Outcome, Scenario, ScenarioError, Verdict};
use crate::wire::last_value;
use rtgt_proto::pdu::Pdu;

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        id: "iscsi.datain.order",
        clause: "RFC 7143 §11.7.5, §11.7.6",
        level: Level::Must,
        requirement: "the Data-In of a read number DataSN from 0 up by one and carry Buffer \
                      Offsets contiguous from 0, covering the transfer exactly",
        needs: Needs::NONE,
        run: order,
    },
    Scenario {
        id: "iscsi.datain.max-recv-data-segment-length",
        clause: "RFC 7143 §13.12",
        level: Level::Must,
        requirement: "with MaxRecvDataSegmentLength=512 declared, no Data-In carries more than \
                      512 bytes",
        needs: Needs::NONE,
        run: mrdsl,
    },
    Scenario {
        id: "iscsi.datain.sense-within-max-recv",
        clause: "RFC 7143 §13.12, §11.4.7",
        level: Level::Must,
        requirement: "with MaxRecvDataSegmentLength=512 declared, a SCSI Response carrying \
                      sense data stays within 512 bytes",
        needs: Needs::NONE,
        run: sense,
    },
    Scenario {
        id: "iscsi.datain.max-burst-length",
        clause: "RFC 7143 §13.13, §11.7.1",
        level: Level::Must,
        requirement: "with MaxBurstLength=8192 negotiated, every Data-In sequence (ended by \
                      the F bit) carries at most 8192 bytes and the last PDU has F set",
        needs: Needs::NONE,
        run: burst,
    },
    Scenario {
        id: "iscsi.datain.exp-data-sn",
        clause: "RFC 7143 §11.4.8",
        level: Level::Must,
        requirement: "a SCSI Response after Data-In carries ExpDataSN equal to the number of \
                      Data-In PDUs sent for the command",
        needs: Needs::NONE,
        run: exp_data_sn,
    },
];

/// Reads `len` bytes at the scratch LBA with `keys`; the session, the
/// PDUs and the negotiated keys.
pub(super) fn read_with(
    ctx: &mut Context,
    keys: &[(&str, &str)],
    len: u32,
) -> Result<(RawSession, Vec<Pdu>, u32), ScenarioError> {
    let mut s = RawSession::open(ctx, keys)?;
    let bs = crate::harness::blocks::block_size(ctx, &mut s)?;
    let blocks = len.div_ceil(bs).max(1) as u16;
    let (l, cdb) = (lun(ctx), read10(ctx.target.scratch_lba, blocks));
    let edtl = u32::from(blocks) * bs;
    let pdus = run_past_ua(ctx, &mut s, |s| s.command(l, &cdb, edtl, true, false), None)?;
    Ok((s, pdus, edtl))
}

pub(super) fn data_ins(pdus: &[Pdu]) -> Vec<&rtgt_proto::pdu::DataIn> {
    pdus.iter()
        .filter_map(|p| match p {
            Pdu::DataIn(d) => Some(d),
            _ => None,
        })
        .collect()
}

fn order(ctx: &mut Context) -> Verdict {
    let (s, pdus, edtl) = read_with(ctx, &[("MaxRecvDataSegmentLength", "4096")], 32768)?;
    s.logout(ctx);
    Ok(in_order(&pdus, edtl))
}

/// Whether the Data-In of one read number DataSN from 0 up by one, carry
/// Buffer Offsets contiguous from 0 and cover `edtl` bytes, with a status
/// (§11.7.5, §11.7.6).
pub(super) fn in_order(pdus: &[Pdu], edtl: u32) -> Outcome {
    let mut offset = 0u32;
    for (n, d) in data_ins(pdus).iter().enumerate() {
        if d.data_sn != n as u32 || d.buffer_offset != offset {
            return Outcome::fail(
                format!("DataSN {n} at offset {offset}"),
                format!("DataSN {} at offset {}", d.data_sn, d.buffer_offset),
            );
        }
        offset += d.data.len() as u32;
    }
    Outcome::check(
        offset == edtl && offset > 0 && status_of(pdus).is_some(),
        "the whole read delivered in order with a status",
        format!("{offset} bytes"),
    )
}

fn mrdsl(ctx: &mut Context) -> Verdict {
    let (s, pdus, _) = read_with(ctx, &[("MaxRecvDataSegmentLength", "512")], 8192)?;
    s.logout(ctx);
    let longest = data_ins(&pdus)
        .iter()
        .map(|d| d.data.len())
        .max()
        .unwrap_or(0);
    Ok(Outcome::check(
        longest > 0 && longest <= 512,
        "Data-In segments of at most 512 bytes",
        format!("a segment of {longest} bytes"),
    ))
}

fn sense(ctx: &mut Context) -> Verdict {
    let mut s = RawSession::open(ctx, &[("MaxRecvDataSegmentLength", "512")])?;
    // READ (10) at the last possible LBA: beyond the end of any real LU.
    let (l, cdb) = (lun(ctx), read10(0xffff_fff0, 1));
    let pdus = run_past_ua(ctx, &mut s, |s| s.command(l, &cdb, 4096, true, false), None)?;
    s.logout(ctx);
    let Some(r) = pdus.iter().find_map(|p| match p {
        Pdu::ScsiResponse(r) => Some(r),
        _ => None,
    }) else {
        return Ok(Outcome::not_applicable(
            "the read beyond the end gave no SCSI Response",
        ));
    };
    if r.data.is_empty() {
        return Ok(Outcome::not_applicable(
            "the response carried no sense data",
        ));
    }
    Ok(Outcome::check(
        r.data.len() <= 512,
        "a data segment of at most 512 bytes",
        format!("{} bytes", r.data.len()),
    ))
}

fn burst(ctx: &mut Context) -> Verdict {
    let keys = [("MaxBurstLength", "8192"), ("FirstBurstLength", "8192")];
    let (s, pdus, _) = read_with(ctx, &keys, 65536)?;
    let max_burst: usize = last_value(&s.keys, "MaxBurstLength")
        .and_then(|v| v.parse().ok())
        .unwrap_or(262_144);
    s.logout(ctx);
    let mut seq = 0usize;
    let ins = data_ins(&pdus);
    for d in &ins {
        seq += d.data.len();
        if seq > max_burst {
            return Ok(Outcome::fail(
                format!("sequences of at most {max_burst} bytes"),
                format!("a sequence past {seq} bytes"),
            ));
        }
        if d.final_bit {
            seq = 0;
        }
    }
    Ok(Outcome::check(
        ins.last().is_some_and(|d| d.final_bit),
        "F set on the last Data-In",
        "F clear",
    ))
}

fn exp_data_sn(ctx: &mut Context) -> Verdict {
    let mut s = RawSession::open(ctx, &[("MaxRecvDataSegmentLength", "4096")])?;
    let bs = crate::harness::blocks::block_size(ctx, &mut s)?;
    let blocks = (16384 / bs).max(1) as u16;
    let l = lun(ctx);
    // Reads of several kinds: targets that put the status in the last
    // Data-In for one may send a SCSI Response for another.
    let commands = [
        (
            read10(ctx.target.scratch_lba, blocks),
            u32::from(blocks) * bs,
        ),
        (
            rtgt_proto::scsi::cdb::ReadCapacity10::default()
                .encode()
                .to_vec(),
            8,
        ),
        // A residual, which some targets report in a SCSI Response.
        (read10(ctx.target.scratch_lba, 1), 2 * bs),
    ];
    for (cdb, edtl) in commands {
        let pdus = run_past_ua(ctx, &mut s, |s| s.command(l, &cdb, edtl, true, false), None)?;
        let sent = data_ins(&pdus).len() as u32;
        let response = pdus.iter().find_map(|p| match p {
            Pdu::ScsiResponse(r) if sent > 0 => Some(r.exp_data_sn),
            _ => None,
        });
        if let Some(n) = response {
            s.logout(ctx);
            return Ok(Outcome::check(
                n == sent,
                format!("ExpDataSN {sent}"),
                format!("ExpDataSN {n}"),
            ));
        }
    }
    s.logout(ctx);
    Ok(Outcome::not_applicable(
        "the status always came in the last Data-In",
    ))
}
