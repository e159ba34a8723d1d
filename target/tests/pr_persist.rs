//! Persistent reservations with APTPL survive a restart of rtgtd (SPC-5
//! §5.14.5): the state is stored in the configured state directory before
//! PERSISTENT RESERVE OUT completes and restored at start.

mod common;

use std::path::Path;

use bytes::Bytes;
use common::Rtgtd;
use rtgt_initiator::client::{ClientConfig, Session};
use rtgt_initiator::{InitiatorConfig, ScsiRequest};
use rtgt_proto::pdu::{Lun, ScsiStatus};

const IQN: &str = "iqn.2024-01.org.rtgt:pr-persist";
const KEY: u64 = 0x1234_5678_9abc_def0;

fn config(dir: &Path) -> String {
    format!(
        "portals = [\"127.0.0.1:0\"]\nstate_dir = \"{}\"\n\n[[target]]\niqn = \"{IQN}\"\n\n\
         [[target.lun]]\nlun = 0\nbackstore = \"file\"\npath = \"{}\"\nsize = \"4M\"\n",
        dir.join("state").display(),
        dir.join("lun0.img").display()
    )
}

fn pr_out(sa: u8, pr_type: u8, key: u64, sa_key: u64, aptpl: bool) -> ScsiRequest {
    let mut p = [0u8; 24];
    p[..8].copy_from_slice(&key.to_be_bytes());
    p[8..16].copy_from_slice(&sa_key.to_be_bytes());
    p[20] = u8::from(aptpl);
    let cdb = [0x5f, sa, pr_type, 0, 0, 0, 0, 0, 24, 0];
    ScsiRequest::write(Lun::ZERO, &cdb, Bytes::copy_from_slice(&p))
}

fn pr_in(sa: u8) -> ScsiRequest {
    ScsiRequest::read(Lun::ZERO, &[0x5e, sa, 0, 0, 0, 0, 0, 0x01, 0, 0], 256)
}

async fn login(d: &Rtgtd) -> Session {
    let cfg = InitiatorConfig::normal("iqn.2024-01.org.rtgt:pr-host", IQN);
    let s = Session::login(&d.addr.to_string(), ClientConfig::new(cfg))
        .await
        .expect("login");
    // The power-on unit attention, then GOOD.
    for _ in 0..4 {
        let r = s
            .scsi_command(ScsiRequest::none(Lun::ZERO, &[0; 6]))
            .await
            .expect("test unit ready");
        if r.status == ScsiStatus::Good {
            return s;
        }
    }
    panic!("test unit ready never answered GOOD");
}

#[test]
fn aptpl_reservation_survives_restart() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("rtgt.toml");
    std::fs::write(&cfg, config(dir.path())).unwrap();
    let cfg = cfg.to_str().unwrap().to_string();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    let mut d = Rtgtd::start(&["--config", &cfg]);
    rt.block_on(async {
        let s = login(&d).await;
        // REGISTER with APTPL, then RESERVE Write Exclusive.
        let r = s.scsi_command(pr_out(0x00, 0, 0, KEY, true)).await.unwrap();
        assert_eq!(r.status, ScsiStatus::Good, "{:?}", r.sense);
        let r = s
            .scsi_command(pr_out(0x01, 0x01, KEY, 0, false))
            .await
            .unwrap();
        assert_eq!(r.status, ScsiStatus::Good, "{:?}", r.sense);
        s.logout().await.unwrap();
    });
    assert!(d.stop().success());
    let state = std::fs::read_dir(dir.path().join("state"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "toml"))
        .expect("a state file");
    let text = std::fs::read_to_string(&state).unwrap();
    assert!(text.contains("aptpl = true"), "{text}");
    assert!(text.contains("0x123456789abcdef0"), "{text}");

    let mut d = Rtgtd::start(&["--config", &cfg]);
    rt.block_on(async {
        let s = login(&d).await;
        // READ KEYS: the registration is back.
        let r = s.scsi_command(pr_in(0x00)).await.unwrap();
        assert_eq!(r.status, ScsiStatus::Good);
        assert_eq!(&r.data[4..8], &8u32.to_be_bytes());
        assert_eq!(&r.data[8..16], &KEY.to_be_bytes());
        // READ RESERVATION: Write Exclusive, held by that key.
        let r = s.scsi_command(pr_in(0x01)).await.unwrap();
        assert_eq!(&r.data[4..8], &16u32.to_be_bytes());
        assert_eq!(&r.data[8..16], &KEY.to_be_bytes());
        assert_eq!(r.data[21] & 0x0f, 0x01);
        // REPORT CAPABILITIES: PTPL_A is still set.
        let r = s.scsi_command(pr_in(0x02)).await.unwrap();
        assert_eq!(r.data[3] & 0x01, 0x01);
        // This session's nexus (a new ISID) registers with APTPL zero:
        // APTPL is cleared, and the cleared state is stored too.
        let r = s
            .scsi_command(pr_out(0x00, 0, 0, 0x77, false))
            .await
            .unwrap();
        assert_eq!(r.status, ScsiStatus::Good, "{:?}", r.sense);
        s.logout().await.unwrap();
    });
    assert!(d.stop().success());
    let text = std::fs::read_to_string(&state).unwrap();
    assert!(text.contains("aptpl = false"), "{text}");
}
