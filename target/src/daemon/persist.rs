//! `rtgt.toml` as the live state: the document `rtgtadm --dump` answers
//! with and, with `persist = true`, rewritten after every change made
//! through the control socket, atomically (a temporary file in the same
//! folder, fsync, rename, fsync of the folder), its comments and layout
//! kept (`admin::dump` edits it). A writer task writes the files in the
//! order of the changes; each tgtadm reply waits for its file.

use std::io::Write;
use std::path::{Path, PathBuf};

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use toml_edit::DocumentMut;
use tracing::{info, warn};

use crate::admin::{dump, AdmError, AdminState};
use crate::config::Source;

type Reply = oneshot::Sender<Result<String, AdmError>>;

/// A file to write, and the reply to send once it is written.
struct Job {
    path: PathBuf,
    text: String,
    reply: Reply,
    result: Result<String, AdmError>,
}

/// The configuration file as the daemon keeps it.
pub(crate) struct ConfigFile {
    doc: DocumentMut,
    /// Where to write it, with `persist = true`.
    persist: Option<PathBuf>,
    writer: Option<mpsc::UnboundedSender<Job>>,
}

impl ConfigFile {
    /// The file `source` was read from (an empty document without one, as
    /// for `--demo`), and its writer task when it persists.
    pub(crate) fn new(source: Option<&Source>) -> (ConfigFile, Option<JoinHandle<()>>) {
        let doc = source
            .and_then(|s| s.text.0.parse::<DocumentMut>().ok())
            .unwrap_or_default();
        let persist = source.filter(|s| s.persist).map(|s| s.path.clone());
        let (writer, task) = match persist {
            Some(_) => {
                let (tx, rx) = mpsc::unbounded_channel();
                (Some(tx), Some(tokio::spawn(write_loop(rx))))
            }
            None => (None, None),
        };
        let file = ConfigFile {
            doc,
            persist,
            writer,
        };
        (file, task)
    }

    /// Takes `text`, the file read again, as the document to edit.
    pub(crate) fn reread(&mut self, text: &str) {
        if let Ok(doc) = text.parse() {
            self.doc = doc;
        }
    }

    /// The live state `admin` as `rtgt.toml`, for `--dump`.
    pub(crate) fn dump(&self, admin: &AdminState) -> String {
        let mut doc = self.doc.clone();
        dump::render(&mut doc, admin);
        dump::dump_text(&doc)
    }

    /// Answers a request that changed the live state: with `persist`, once
    /// the file holds `admin`; else at once.
    pub(crate) fn changed(
        &mut self,
        admin: &AdminState,
        reply: Reply,
        result: Result<String, AdmError>,
    ) {
        let (Some(path), Some(writer)) = (&self.persist, &self.writer) else {
            let _ = reply.send(result);
            return;
        };
        dump::render(&mut self.doc, admin);
        let job = Job {
            path: path.clone(),
            text: self.doc.to_string(),
            reply,
            result,
        };
        if let Err(mpsc::error::SendError(job)) = writer.send(job) {
            warn!("configuration writer gone: the change is not persisted");
            let _ = job.reply.send(job.result);
        }
    }
}

async fn write_loop(mut rx: mpsc::UnboundedReceiver<Job>) {
    while let Some(job) = rx.recv().await {
        let (path, text) = (job.path.clone(), job.text);
        let done = tokio::task::spawn_blocking(move || write_atomic(&path, &text)).await;
        match done {
            Ok(Ok(())) => info!(path = %job.path.display(), "configuration persisted"),
            Ok(Err(e)) => warn!(
                path = %job.path.display(),
                "cannot persist the configuration: {e}: the change is live but not in the file"
            ),
            Err(e) => warn!("configuration writer failed: {e}"),
        }
        let _ = job.reply.send(job.result);
    }
}

/// Replaces `path` by `text` so that a crash leaves the old file or the
/// new one: a temporary file beside it, fsync, rename, fsync of the
/// folder. The file keeps its permissions.
pub(crate) fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map_or_else(|| "rtgt.toml".into(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{name}.rtgtd-{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        if let Ok(meta) = std::fs::metadata(path) {
            f.set_permissions(meta.permissions())?;
        }
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        std::fs::File::open(&dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_replace_the_file_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rtgt.toml");
        std::fs::write(&path, "old\n").unwrap();
        write_atomic(&path, "# new\nportals = []\n").unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "# new\nportals = []\n"
        );
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "no temporary file is left");
    }
}
