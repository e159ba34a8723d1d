//! The capture scenarios: how tgtd is configured, which libiscsi tools run,
//! and what tshark must find in the capture.

/// The target's name in every scenario.
pub const TARGET_IQN: &str = "iqn.2024-01.org.rtgt:capture";
pub const INITIATOR_USER: &str = "rtgt-initiator";
pub const INITIATOR_SECRET: &str = "initiator-secret-1";
pub const TARGET_USER: &str = "rtgt-target";
pub const TARGET_SECRET: &str = "target-secret-22";

/// How tgtd is configured for a scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    None,
    /// Incoming account on the target and on discovery sessions.
    OneWay,
    /// Incoming and outgoing accounts on the target and on discovery sessions.
    Mutual,
}

/// One tool run. `{portal}`, `{iqn}`, `{lun}`, `{user}`, `{secret}`,
/// `{tuser}` and `{tsecret}` in the arguments and environment are filled in.
pub struct Run {
    pub tool: &'static str,
    /// Split on spaces (no argument contains one).
    pub args: &'static str,
    pub env: &'static [(&'static str, &'static str)],
}

const fn tool(tool: &'static str, args: &'static str) -> Run {
    Run {
        tool,
        args,
        env: &[],
    }
}

/// A display filter that must (or must not) match a packet of the capture;
/// `{port}` is tgtd's port, so `tcp.srcport == {port}` means "sent by the target".
#[derive(Clone, Copy)]
pub struct Check {
    pub filter: &'static str,
    pub present: bool,
    pub what: &'static str,
}

const fn has(filter: &'static str, what: &'static str) -> Check {
    Check {
        filter,
        present: true,
        what,
    }
}

const fn lacks(filter: &'static str, what: &'static str) -> Check {
    Check {
        filter,
        present: false,
        what,
    }
}

pub struct Scenario {
    pub name: &'static str,
    pub summary: &'static str,
    pub auth: Auth,
    /// Which connection is which, for the README.
    pub notes: &'static str,
    /// What the digests are expected to be, for the README.
    pub digests: &'static str,
    /// Target parameters given to tgtd (`tgtadm --op update`).
    pub params: &'static [(&'static str, &'static str)],
    pub runs: &'static [Run],
    pub checks: &'static [Check],
}

/// Every tool logs out at the end, and the target answers.
const LOGOUT: [Check; 2] = [
    has("iscsi.opcode == 0x06", "Logout Request"),
    has("iscsi.opcode == 0x26", "Logout Response"),
];

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "discovery-none",
        summary: "Discovery session without authentication: SendTargets=All and its answer.",
        auth: Auth::None,
        notes: "Connection 0: the discovery session (login straight into operational \
                negotiation, SendTargets, logout).",
        digests: "none: libiscsi offers HeaderDigest=None,CRC32C (None alone on discovery \
                  sessions) and DataDigest=None; tgtd picks None",
        params: &[],
        runs: &[tool("iscsi-ls", "iscsi://{portal}")],
        checks: &[
            has(r#"iscsi.keyvalue == "SessionType=Discovery""#, "discovery session"),
            lacks("iscsi.login.csg == 0", "no security negotiation stage"),
            has(r#"iscsi.keyvalue == "SendTargets=All""#, "SendTargets request"),
            has(r#"iscsi.keyvalue contains "TargetName=iqn.2024-01.org.rtgt:capture""#, "SendTargets answer"),
            has("iscsi.opcode == 0x04", "Text Request"),
            has("iscsi.opcode == 0x24", "Text Response"),
            lacks(r#"iscsi.keyvalue contains "CHAP_""#, "no CHAP"),
            LOGOUT[0],
            LOGOUT[1],
        ],
    },
    Scenario {
        name: "chap-oneway",
        summary: "One-way CHAP (MD5) on a discovery session and on a normal session \
                  (iscsi-ls -s logs in to the target to list its LUNs).",
        auth: Auth::OneWay,
        notes: "Connection 0: the discovery session (security then operational negotiation, \
                SendTargets; it logs out last). Connection 1: the normal session iscsi-ls opens \
                to list LUNs (REPORT LUNS, TEST UNIT READY with the power-on UNIT ATTENTION, \
                INQUIRY, READ CAPACITY (10)); iscsi-ls closes it without a Logout.",
        digests: "none: libiscsi offers HeaderDigest=None,CRC32C (None alone on discovery \
                  sessions) and DataDigest=None; tgtd picks None",
        params: &[],
        runs: &[tool("iscsi-ls", "-s iscsi://{user}%{secret}@{portal}")],
        checks: &[
            has(r#"iscsi.keyvalue == "SessionType=Discovery""#, "discovery session"),
            has(r#"iscsi.keyvalue == "SessionType=Normal""#, "normal session"),
            has(r#"iscsi.keyvalue == "AuthMethod=CHAP""#, "target picks CHAP"),
            has(r#"iscsi.keyvalue == "CHAP_A=5""#, "CHAP with MD5"),
            has(r#"tcp.srcport == {port} && iscsi.keyvalue contains "CHAP_C=""#, "target's challenge"),
            has(r#"tcp.dstport == {port} && iscsi.keyvalue == "CHAP_N=rtgt-initiator""#, "initiator's name"),
            has(r#"tcp.dstport == {port} && iscsi.keyvalue contains "CHAP_R=""#, "initiator's response"),
            lacks(r#"tcp.srcport == {port} && iscsi.keyvalue contains "CHAP_R=""#, "no target response"),
            has("scsi.spc.opcode == 0xa0 || scsi_sbc.opcode == 0xa0", "REPORT LUNS"),
            LOGOUT[0],
            LOGOUT[1],
        ],
    },
    Scenario {
        name: "chap-mutual",
        summary: "Mutual CHAP (MD5) on discovery and normal sessions. The first tool run \
                  takes the target's credentials from LIBISCSI_CHAP_TARGET_USERNAME and \
                  LIBISCSI_CHAP_TARGET_PASSWORD, the second from the URL arguments \
                  target_user and target_password.",
        auth: Auth::Mutual,
        notes: "Connection 0: the discovery session, mutual CHAP (the initiator sends CHAP_I \
                and CHAP_C with its CHAP_R; the target answers CHAP_N and CHAP_R). Connection \
                1: iscsi-ls's normal session, which authenticates one-way only (iscsi-ls -s \
                does not hand the target's credentials to it; tgtd accepts that) and ends \
                without a Logout. Connection 2: iscsi-inq's normal session, mutual CHAP, \
                INQUIRY, logout.",
        digests: "none: libiscsi offers HeaderDigest=None,CRC32C (None alone on discovery \
                  sessions) and DataDigest=None; tgtd picks None",
        params: &[],
        runs: &[
            Run {
                tool: "iscsi-ls",
                args: "-s iscsi://{user}%{secret}@{portal}",
                env: &[("LIBISCSI_CHAP_TARGET_USERNAME", "{tuser}"), ("LIBISCSI_CHAP_TARGET_PASSWORD", "{tsecret}")],
            },
            tool("iscsi-inq", "iscsi://{user}%{secret}@{portal}/{iqn}/{lun}?target_user={tuser}&target_password={tsecret}"),
        ],
        checks: &[
            has(r#"iscsi.keyvalue == "SessionType=Discovery""#, "discovery session"),
            has(r#"iscsi.keyvalue == "SessionType=Normal""#, "normal session"),
            has(r#"iscsi.keyvalue == "CHAP_A=5""#, "CHAP with MD5"),
            has(r#"tcp.dstport == {port} && iscsi.keyvalue contains "CHAP_I=""#, "initiator's identifier"),
            has(r#"tcp.dstport == {port} && iscsi.keyvalue contains "CHAP_C=""#, "initiator's challenge"),
            has(r#"tcp.srcport == {port} && iscsi.keyvalue == "CHAP_N=rtgt-target""#, "target's name"),
            has(r#"tcp.srcport == {port} && iscsi.keyvalue contains "CHAP_R=""#, "target's response"),
            has("scsi.spc.opcode == 0x12 || scsi_sbc.opcode == 0x12", "INQUIRY"),
            LOGOUT[0],
            LOGOUT[1],
        ],
    },
    Scenario {
        name: "inquiry",
        summary: "Normal sessions without authentication: standard INQUIRY, the VPD pages \
                  tgtd supports (00h, 80h, 83h, B0h, B1h, B2h; iscsi-inq takes the page code in decimal) and READ CAPACITY (16), one \
                  connection per tool run.",
        auth: Auth::None,
        notes: "One connection per command above, in that order. Each: TEST UNIT READY until \
                the power-on UNIT ATTENTION (a SCSI Response with sense data) clears, the \
                INQUIRY, logout. Pages 83h and B1h are first asked with a 64-byte allocation \
                length, returned truncated, then asked again in full (Wireshark's SCSI layer \
                calls the truncated Data-In malformed; the iSCSI PDUs are fine). Connection 7: \
                READ CAPACITY (16).",
        digests: "none: libiscsi offers HeaderDigest=None,CRC32C (None alone on discovery \
                  sessions) and DataDigest=None; tgtd picks None",
        params: &[],
        runs: &[
            tool("iscsi-inq", "iscsi://{portal}/{iqn}/{lun}"),
            tool("iscsi-inq", "-e 1 iscsi://{portal}/{iqn}/{lun}"),
            tool("iscsi-inq", "-e 1 -c 128 iscsi://{portal}/{iqn}/{lun}"),
            tool("iscsi-inq", "-e 1 -c 131 iscsi://{portal}/{iqn}/{lun}"),
            tool("iscsi-inq", "-e 1 -c 176 iscsi://{portal}/{iqn}/{lun}"),
            tool("iscsi-inq", "-e 1 -c 177 iscsi://{portal}/{iqn}/{lun}"),
            tool("iscsi-inq", "-e 1 -c 178 iscsi://{portal}/{iqn}/{lun}"),
            tool("iscsi-readcapacity16", "iscsi://{portal}/{iqn}/{lun}"),
        ],
        checks: &[
            has(r#"iscsi.keyvalue == "SessionType=Normal""#, "normal session"),
            has("scsi.spc.opcode == 0x12 || scsi_sbc.opcode == 0x12", "INQUIRY"),
            has(r#"scsi.inquiry.evpd.pagecode == 0x83"#, "VPD page 83h"),
            has(r#"scsi.inquiry.evpd.pagecode == 0xb0"#, "VPD page B0h"),
            has(r#"scsi_sbc.opcode == 0x9e"#, "SERVICE ACTION IN (16): READ CAPACITY (16)"),
            has("iscsi.opcode == 0x25", "SCSI Data-In"),
            LOGOUT[0],
            LOGOUT[1],
        ],
    },
    Scenario {
        name: "io-data-digest",
        summary: "WRITE and READ with header and data digests (CRC32C) by rtgt's own \
                  initiator, `rtgt-iscsi verify`: a pattern written to 64 blocks, read \
                  back and compared.",
        auth: Auth::None,
        notes: "Connection 0: one normal session: login offering CRC32C,None for both \
                digests, READ CAPACITY, the pattern written with immediate data, R2Ts and \
                Data-Out, read back with Data-In, logout. Every PDU after the login carries \
                a header digest, and every non-empty data segment a data digest.",
        digests: "HeaderDigest=CRC32C, DataDigest=CRC32C: rtgt-iscsi offers CRC32C,None for \
                  both and tgtd is set to accept only CRC32C (offered CRC32C alone, tgtd \
                  1.0.85 answers None, which RFC 7143 §6.2 does not allow)",
        params: &[("HeaderDigest", "CRC32C"), ("DataDigest", "CRC32C")],
        runs: &[tool(
            "rtgt-iscsi",
            "verify --header-digest prefer --data-digest prefer --lba 8 --blocks 64 --seed 7 \
             iscsi://{portal}/{iqn}/{lun}",
        )],
        checks: &[
            has(r#"tcp.dstport == {port} && iscsi.keyvalue == "DataDigest=CRC32C,None""#, "initiator offers data digests"),
            has(r#"tcp.srcport == {port} && iscsi.keyvalue == "DataDigest=CRC32C""#, "target agrees to data digests"),
            has(r#"tcp.srcport == {port} && iscsi.keyvalue == "HeaderDigest=CRC32C""#, "target agrees to header digests"),
            has("iscsi.datadigest32", "PDUs carrying a data digest"),
            has("iscsi.opcode == 0x25", "SCSI Data-In"),
            has("scsi_sbc.opcode == 0x8a", "WRITE (16)"),
            has("scsi_sbc.opcode == 0x88", "READ (16)"),
            LOGOUT[0],
            LOGOUT[1],
        ],
    },
    Scenario {
        name: "io-header-digest",
        summary: "READ (10) and WRITE (10) with header digests (CRC32C): iscsi-test-cu's \
                  residual tests, which transfer one block with expected lengths that are \
                  short, long and equal (residual overflow and underflow, Data-Out, R2T, \
                  Data-In).",
        auth: Auth::None,
        notes: "Every iscsi-test-cu run first opens a session that probes the LUN (TEST UNIT \
                READY, READ CAPACITY, INQUIRY and VPD pages, REPORT SUPPORTED OPERATION CODES, \
                MODE SENSE (6), logout), then the test's own session. Connections 0 and 1: \
                Read10Residuals (probe, test); 2 and 3: Write10Residuals (probe, test: WRITE \
                (10) with immediate data, with an R2T and a Data-Out, and residuals). Header \
                digests cover every PDU after the login in all four.",
        digests: "HeaderDigest=CRC32C, DataDigest=None: tgtd is set to accept only CRC32C \
                  header digests (iscsi-test-cu 1.19.0 ignores the URL's header_digest and \
                  always offers None,CRC32C); libiscsi 1.19.0 only offers DataDigest=None",
        params: &[("HeaderDigest", "CRC32C")],
        runs: &[
            tool("iscsi-test-cu", "--dataloss --test=iSCSI.iSCSIResiduals.Read10Residuals iscsi://{portal}/{iqn}/{lun}"),
            tool("iscsi-test-cu", "--dataloss --test=iSCSI.iSCSIResiduals.Write10Residuals iscsi://{portal}/{iqn}/{lun}"),
        ],
        checks: &[
            has(r#"tcp.dstport == {port} && iscsi.keyvalue == "HeaderDigest=None,CRC32C""#, "initiator offers CRC32C"),
            has(r#"tcp.srcport == {port} && iscsi.keyvalue == "HeaderDigest=CRC32C""#, "target agrees to CRC32C"),
            has(r#"tcp.srcport == {port} && iscsi.keyvalue == "DataDigest=None""#, "no data digest"),
            has("iscsi.headerdigest32", "PDUs carrying a header digest"),
            has(r#"scsi_sbc.opcode == 0x28"#, "READ (10)"),
            has(r#"scsi_sbc.opcode == 0x2a"#, "WRITE (10)"),
            has("iscsi.opcode == 0x25", "SCSI Data-In"),
            has("iscsi.opcode == 0x05", "SCSI Data-Out"),
            has("iscsi.scsiresponse.U == 1 || iscsi.scsidata.U == 1", "residual underflow"),
            has("iscsi.scsiresponse.O == 1 || iscsi.scsidata.O == 1", "residual overflow"),
            LOGOUT[0],
            LOGOUT[1],
        ],
    },
    Scenario {
        name: "tmf",
        summary: "Task management: iscsi-test-cu's AbortTaskSimpleAsync (WRITE (10) of 8 \
                  blocks, then ABORT TASK naming it) and Reserve6.LUNReset (RESERVE (6), \
                  LOGICAL UNIT RESET, then a second session checks the reservation is gone).",
        auth: Auth::None,
        notes: "Connections 0 and 1: AbortTaskSimpleAsync (probe session, then WRITE (10) of 8 \
                blocks with 4096 bytes of immediate data, then an immediate ABORT TASK naming \
                it; tgtd has finished the write and answers Task does not exist). Connections 2 \
                to 4: Reserve6.LUNReset (probe session; first initiator: RESERVE (6), LOGICAL \
                UNIT RESET (Function complete), PERSISTENT RESERVE IN answered with a \
                16384-byte Data-In then a CHECK CONDITION (the reset's UNIT ATTENTION); second \
                initiator, iqn.2007-10.com.github:sahlberg:libiscsi:iscsi-test-2: RESERVE (6) \
                and RELEASE (6)).",
        digests: "none: libiscsi offers HeaderDigest=None,CRC32C (None alone on discovery \
                  sessions) and DataDigest=None; tgtd picks None",
        params: &[],
        runs: &[
            tool("iscsi-test-cu", "--dataloss --test=iSCSI.iSCSITMF.AbortTaskSimpleAsync iscsi://{portal}/{iqn}/{lun}"),
            tool("iscsi-test-cu", "--dataloss --test=SCSI.Reserve6.LUNReset iscsi://{portal}/{iqn}/{lun}"),
        ],
        checks: &[
            has("iscsi.taskmanfun.function == 1", "ABORT TASK"),
            has("iscsi.taskmanfun.function == 5", "LOGICAL UNIT RESET"),
            has("iscsi.opcode == 0x22", "Task Management Function Response"),
            has(r#"scsi_sbc.opcode == 0x2a"#, "WRITE (10)"),
            has("iscsi.opcode == 0x05 || iscsi.immediatedata", "write data"),
            LOGOUT[0],
            LOGOUT[1],
        ],
    },
];
