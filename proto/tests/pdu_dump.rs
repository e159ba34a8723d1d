//! Snapshots of annotated dumps, one per opcode, for review against
//! RFC 7143 §11.

use bytes::Bytes;
use rtgt_proto::pdu::*;

fn snap(name: &str, pdu: impl Into<Pdu>) {
    let pdu = pdu.into();
    insta::assert_snapshot!(name, pdu.dump());
}

#[test]
fn dump_initiator_pdus() {
    snap(
        "00_nop_out",
        NopOut {
            immediate: true,
            itt: 0x11,
            cmd_sn: 3,
            exp_stat_sn: 2,
            data: Bytes::from_static(b"ping"),
            ..NopOut::default()
        },
    );
    let mut cmd = ScsiCommand {
        read: true,
        lun: Lun::single_level(1),
        itt: 0x22,
        expected_data_transfer_length: 4096,
        cmd_sn: 4,
        exp_stat_sn: 3,
        ..ScsiCommand::default()
    };
    cmd.set_cdb(&[0x28, 0, 0, 0, 0, 0x10, 0, 0, 8, 0]);
    snap("01_scsi_command", cmd);
    snap(
        "02_task_management_request",
        TaskManagementRequest {
            function: TmfFunction::AbortTask,
            lun: Lun::single_level(1),
            itt: 0x23,
            referenced_task_tag: 0x22,
            cmd_sn: 5,
            exp_stat_sn: 3,
            ref_cmd_sn: 4,
            ..TaskManagementRequest::default()
        },
    );
    snap(
        "03_login_request",
        LoginRequest {
            transit: true,
            csg: LoginStage::LoginOperationalNegotiation,
            nsg: LoginStage::FullFeaturePhase,
            isid: Isid {
                t: IsidType::Random,
                a: 0,
                b: 0x1234,
                c: 0x56,
                d: 0x0001,
            },
            itt: 0,
            cid: 1,
            cmd_sn: 1,
            data: Bytes::from_static(
                b"InitiatorName=iqn.2024-01.org.example:host\0SessionType=Normal\0HeaderDigest=CRC32C,None\0",
            ),
            ..LoginRequest::default()
        },
    );
    snap(
        "04_text_request",
        TextRequest {
            itt: 0x30,
            cmd_sn: 6,
            exp_stat_sn: 4,
            data: Bytes::from_static(b"SendTargets=All\0"),
            ..TextRequest::default()
        },
    );
    snap(
        "05_data_out",
        DataOut {
            lun: Lun::single_level(1),
            itt: 0x24,
            ttt: 0x1000,
            exp_stat_sn: 4,
            data_sn: 1,
            buffer_offset: 8192,
            data: Bytes::from(vec![0x5a; 20]),
            ..DataOut::default()
        },
    );
    snap(
        "06_logout_request",
        LogoutRequest {
            immediate: true,
            reason: LogoutReason::CloseConnection,
            itt: 0x40,
            cid: 1,
            cmd_sn: 9,
            exp_stat_sn: 8,
            ..LogoutRequest::default()
        },
    );
    snap(
        "10_snack_request",
        SnackRequest {
            snack_type: SnackType::DataR2t,
            lun: Lun::single_level(1),
            itt: 0x22,
            exp_stat_sn: 5,
            beg_run: 2,
            run_length: 1,
            ..SnackRequest::default()
        },
    );
}

#[test]
fn dump_target_pdus() {
    snap(
        "20_nop_in",
        NopIn {
            itt: 0x11,
            stat_sn: 2,
            exp_cmd_sn: 4,
            max_cmd_sn: 35,
            data: Bytes::from_static(b"ping"),
            ..NopIn::default()
        },
    );
    snap(
        "21_scsi_response",
        ScsiResponse {
            status: ScsiStatus::CheckCondition,
            itt: 0x22,
            stat_sn: 3,
            exp_cmd_sn: 5,
            max_cmd_sn: 36,
            data: ScsiResponse::sense_segment(&[
                0x70, 0, 0x05, 0, 0, 0, 0, 0x0a, 0, 0, 0, 0, 0x24, 0, 0, 0, 0, 0,
            ]),
            ..ScsiResponse::default()
        },
    );
    snap(
        "22_task_management_response",
        TaskManagementResponse {
            response: TmfResponseCode::TaskDoesNotExist,
            itt: 0x23,
            stat_sn: 4,
            exp_cmd_sn: 6,
            max_cmd_sn: 37,
            ..TaskManagementResponse::default()
        },
    );
    snap(
        "23_login_response",
        LoginResponse {
            transit: true,
            csg: LoginStage::LoginOperationalNegotiation,
            nsg: LoginStage::FullFeaturePhase,
            isid: Isid::from_bytes([0x80, 0x12, 0x34, 0x56, 0, 1]),
            tsih: 0x0101,
            stat_sn: 1,
            exp_cmd_sn: 2,
            max_cmd_sn: 33,
            status: LoginStatus::Success,
            data: Bytes::from_static(b"HeaderDigest=None\0DataDigest=None\0"),
            ..LoginResponse::default()
        },
    );
    snap(
        "24_text_response",
        TextResponse {
            itt: 0x30,
            stat_sn: 5,
            exp_cmd_sn: 7,
            max_cmd_sn: 38,
            data: Bytes::from_static(
                b"TargetName=iqn.2024-01.org.example:disk1\0TargetAddress=127.0.0.1:3260,1\0",
            ),
            ..TextResponse::default()
        },
    );
    snap(
        "25_data_in",
        DataIn {
            status_present: true,
            lun: Lun::ZERO,
            itt: 0x22,
            stat_sn: 6,
            exp_cmd_sn: 8,
            max_cmd_sn: 39,
            data_sn: 0,
            data: Bytes::from_static(b"\x00\x00\x00\x05\x00\x00\x02\x00"),
            ..DataIn::default()
        },
    );
    snap(
        "26_logout_response",
        LogoutResponse {
            itt: 0x40,
            stat_sn: 9,
            exp_cmd_sn: 10,
            max_cmd_sn: 41,
            time2wait: 2,
            time2retain: 20,
            ..LogoutResponse::default()
        },
    );
    snap(
        "31_ready_to_transfer",
        ReadyToTransfer {
            lun: Lun::single_level(1),
            itt: 0x24,
            ttt: 0x1000,
            stat_sn: 7,
            exp_cmd_sn: 9,
            max_cmd_sn: 40,
            r2t_sn: 0,
            buffer_offset: 8192,
            desired_data_transfer_length: 57344,
            ..ReadyToTransfer::default()
        },
    );
    snap(
        "32_async_message",
        AsyncMessage {
            async_event: AsyncEvent::LogoutRequest,
            stat_sn: 8,
            exp_cmd_sn: 9,
            max_cmd_sn: 40,
            parameter3: 10,
            ..AsyncMessage::default()
        },
    );
    let mut bad = [0u8; BHS_LEN];
    bad[0] = 0x1c;
    bad[16..20].copy_from_slice(&[0, 0, 0, 0x50]);
    let rejected = RawPdu::new(bad, Bytes::new(), Bytes::new());
    snap(
        "3f_reject",
        Reject {
            stat_sn: 9,
            exp_cmd_sn: 10,
            max_cmd_sn: 41,
            ..Reject::of(&rejected, RejectReason::CommandNotSupported)
        },
    );
    snap("unknown_opcode", Pdu::Unknown(rejected));
}

#[test]
fn dump_flags_nonzero_reserved_fields() {
    let nop = NopOut {
        reserved0: 0x80,
        reserved32: [1; 16],
        ..NopOut::default()
    };
    let dump = Pdu::from(nop).dump();
    assert!(dump.contains("byte 0 reserved bits         80           reserved, NOT ZERO"));
    assert!(dump.contains("bytes 32-47                  01 01"));
}
