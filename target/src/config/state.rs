//! Persistent reservation state kept across restarts (APTPL, SPC-5
//! §5.14.5): one TOML file per LUN in the configured state directory,
//! written atomically (a temporary file, fsync, rename, fsync of the
//! directory) and read back at start.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use rtgt_scsi::PrState;

/// The default state directory when the file names none.
pub const DEFAULT_STATE_DIR: &str = "/var/lib/rtgt";

/// The state file of LUN `lun` of target `iqn` in `dir`: the name with
/// every character outside `[A-Za-z0-9.-]` replaced by `_`.
pub fn state_file(dir: &Path, iqn: &str, lun: u16) -> PathBuf {
    let name: String = iqn
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    dir.join(format!("{name}.lun{lun}.pr.toml"))
}

/// Writes `state` to `path` durably: a temporary file next to it is
/// written and synced, renamed over `path`, and the directory synced.
pub fn save(path: &Path, state: &PrState) -> io::Result<()> {
    let text = toml::to_string(state).map_err(io::Error::other)?;
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let tmp = path.with_extension("toml.tmp");
    {
        let mut f = File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
    }
    fs::rename(&tmp, path)?;
    File::open(dir)?.sync_all()
}

/// Reads the state saved at `path`; `None` when there is no file.
pub fn load(path: &Path) -> Result<Option<PrState>, String> {
    let text = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    toml::from_str(&text).map(Some).map_err(|e| {
        format!(
            "{} holds no reservation state ({e}): remove it to start without reservations",
            path.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtgt_scsi::{PrInitiator, PrReservation, Registrant};

    #[test]
    fn round_trip_and_names() {
        let dir = tempfile::tempdir().unwrap();
        let p = state_file(dir.path(), "iqn.2024-01.org.rtgt:disk/1", 3);
        assert!(p.ends_with("iqn.2024-01.org.rtgt_disk_1.lun3.pr.toml"));
        assert_eq!(load(&p), Ok(None));
        let s = PrState {
            generation: 7,
            aptpl: true,
            registrants: vec![
                Registrant {
                    key: 0xabc,
                    initiator: PrInitiator {
                        name: "iqn.a".into(),
                        isid: Some("00023d000001".into()),
                    },
                    target_port: Some(1),
                },
                Registrant {
                    key: u64::MAX,
                    initiator: PrInitiator {
                        name: "iqn.b".into(),
                        isid: None,
                    },
                    target_port: None,
                },
            ],
            reservation: Some(PrReservation {
                pr_type: 5,
                holder: None,
            }),
        };
        save(&p, &s).unwrap();
        assert_eq!(load(&p), Ok(Some(s)));
        fs::write(&p, "generation = \"x\"").unwrap();
        assert!(load(&p).unwrap_err().contains("remove it"));
    }
}
