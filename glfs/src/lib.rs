//! GlusterFS through libgfapi, loaded at run time: a [`Volume`] is one
//! connection to a gluster volume (through one or more volfile servers),
//! a [`File`] an open file on it.
//!
//! This is the only crate of rtgt with `unsafe` code: the C calls live in
//! `ffi` (declarations and `dlopen`) and in this module's methods, each
//! with its SAFETY argument. Everything above is safe Rust.
//!
//! Calls are synchronous: the caller runs them on threads that may block
//! (rtgtd's blocking pool). libgfapi's `glfs_t` and `glfs_fd_t` may be used
//! from several threads at once (qemu and tgt's bs_glfs do so).

mod ffi;
mod server;

use std::collections::BTreeMap;
use std::ffi::{c_void, CString};
use std::fmt;
use std::ptr::{null_mut, NonNull};
use std::sync::{Arc, Mutex, Weak};

pub use ffi::{LIBRARY, PACKAGE};
pub use server::{parse_location, Location, Server, DEFAULT_PORT};

/// A libgfapi failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// libgfapi cannot be loaded (the message names the package).
    #[error("{0}")]
    Unavailable(String),
    /// A call failed with `errno`.
    #[error("{op}: {}", std::io::Error::from_raw_os_error(*errno))]
    Call {
        /// The libgfapi call, e.g. "glfs_pread".
        op: &'static str,
        /// The errno it left.
        errno: i32,
    },
    /// An argument holds a NUL byte.
    #[error("{0} holds a NUL byte")]
    Nul(&'static str),
}

impl Error {
    /// The errno of a failed call.
    pub fn errno(&self) -> Option<i32> {
        match self {
            Error::Call { errno, .. } => Some(*errno),
            _ => None,
        }
    }

    fn last(op: &'static str) -> Self {
        let errno = std::io::Error::last_os_error()
            .raw_os_error()
            .filter(|&e| e != 0)
            .unwrap_or(libc::EIO);
        Error::Call { op, errno }
    }
}

impl From<Error> for std::io::Error {
    fn from(e: Error) -> Self {
        match e {
            Error::Call { errno, .. } => std::io::Error::from_raw_os_error(errno),
            e => std::io::Error::other(e.to_string()),
        }
    }
}

/// Loads libgfapi now, so a missing library is reported at start.
pub fn check_available() -> Result<(), Error> {
    ffi::api().map(|_| ()).map_err(Error::Unavailable)
}

/// One connection (`glfs_t`) to a gluster volume.
pub struct Volume {
    fs: NonNull<ffi::GlfsT>,
    api: &'static ffi::Api,
    name: String,
    servers: Vec<Server>,
}

// SAFETY: a glfs_t is an independent client instance whose calls take
// their own locks; libgfapi documents it as usable from several threads,
// and it is only finalised in Drop, when no other reference exists.
unsafe impl Send for Volume {}
// SAFETY: as above: every method takes &self and libgfapi serialises
// internally.
unsafe impl Sync for Volume {}

impl fmt::Debug for Volume {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Volume")
            .field("name", &self.name)
            .field("servers", &self.servers)
            .finish_non_exhaustive()
    }
}

fn cstr(s: &str, what: &'static str) -> Result<CString, Error> {
    CString::new(s).map_err(|_| Error::Nul(what))
}

/// Log levels of libgfapi (`gf_loglevel_t`): errors only.
const LOG_ERROR: i32 = 4;

impl Volume {
    /// Connects to `volume` through `servers` (tried in order by libgfapi
    /// when one is down). Logs go to `log` ("-" for stderr), errors only.
    pub fn connect(volume: &str, servers: &[Server], log: &str) -> Result<Self, Error> {
        let api = ffi::api().map_err(Error::Unavailable)?;
        let name = cstr(volume, "volume")?;
        let log = cstr(log, "log file")?;
        // SAFETY: name is NUL-terminated; glfs_new copies it.
        let fs = unsafe { (api.new)(name.as_ptr()) };
        let fs = NonNull::new(fs).ok_or_else(|| Error::last("glfs_new"))?;
        // From here Drop finalises fs on every error path.
        let vol = Volume {
            fs,
            api,
            name: volume.into(),
            servers: servers.to_vec(),
        };
        for s in servers {
            let transport = cstr(s.transport(), "transport")?;
            let host = cstr(s.host(), "server")?;
            // SAFETY: fs is live and not yet initialised; the strings are
            // NUL-terminated and copied by libgfapi.
            let rc = unsafe {
                (api.set_volfile_server)(
                    fs.as_ptr(),
                    transport.as_ptr(),
                    host.as_ptr(),
                    i32::from(s.port()),
                )
            };
            if rc != 0 {
                return Err(Error::last("glfs_set_volfile_server"));
            }
        }
        // SAFETY: fs is live; log is NUL-terminated and copied.
        if unsafe { (api.set_logging)(fs.as_ptr(), log.as_ptr(), LOG_ERROR) } != 0 {
            return Err(Error::last("glfs_set_logging"));
        }
        // As qemu does: when an fsync fails, write-behind keeps the failed
        // writes and retries them at the next fsync instead of dropping
        // acknowledged data.
        // SAFETY: fs is live; the three strings are NUL-terminated literals.
        let rc = unsafe {
            (api.set_xlator_option)(
                fs.as_ptr(),
                c"*-write-behind".as_ptr(),
                c"resync-failed-syncs-after-fsync".as_ptr(),
                c"on".as_ptr(),
            )
        };
        if rc != 0 {
            return Err(Error::last("glfs_set_xlator_option"));
        }
        // SAFETY: fs is live and configured; glfs_init blocks until the
        // volume graph is up or fails.
        if unsafe { (api.init)(fs.as_ptr()) } != 0 {
            return Err(Error::last("glfs_init"));
        }
        Ok(vol)
    }

    /// The volume's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The volfile servers.
    pub fn servers(&self) -> &[Server] {
        &self.servers
    }

    /// Opens `path` read-write (or read-only), creating it when `create`.
    pub fn open(
        self: &Arc<Self>,
        path: &str,
        read_only: bool,
        create: bool,
    ) -> Result<File, Error> {
        let p = cstr(path, "path")?;
        let flags = if read_only {
            libc::O_RDONLY
        } else {
            libc::O_RDWR
        };
        let fd = if create && !read_only {
            // SAFETY: fs is live (self is borrowed); p is NUL-terminated.
            unsafe { (self.api.creat)(self.fs.as_ptr(), p.as_ptr(), flags, 0o644) }
        } else {
            // SAFETY: as above.
            unsafe { (self.api.open)(self.fs.as_ptr(), p.as_ptr(), flags) }
        };
        let op = if create { "glfs_creat" } else { "glfs_open" };
        let fd = NonNull::new(fd).ok_or_else(|| Error::last(op))?;
        Ok(File {
            fd,
            vol: Arc::clone(self),
        })
    }
}

impl Drop for Volume {
    fn drop(&mut self) {
        // SAFETY: fs came from glfs_new and every File holds an Arc to this
        // Volume, so no fd of it is open any more.
        unsafe { (self.api.fini)(self.fs.as_ptr()) };
    }
}

/// One connection per (volume, servers), shared by every file opened on
/// it while any is open.
pub fn shared_volume(volume: &str, servers: &[Server], log: &str) -> Result<Arc<Volume>, Error> {
    type Key = (String, Vec<Server>);
    static VOLUMES: Mutex<BTreeMap<Key, Weak<Volume>>> = Mutex::new(BTreeMap::new());
    let key = (volume.to_owned(), servers.to_vec());
    let mut map = VOLUMES.lock().unwrap_or_else(|p| p.into_inner());
    map.retain(|_, w| w.strong_count() > 0);
    if let Some(v) = map.get(&key).and_then(Weak::upgrade) {
        return Ok(v);
    }
    let v = Arc::new(Volume::connect(volume, servers, log)?);
    map.insert(key, Arc::downgrade(&v));
    Ok(v)
}

/// An open file (`glfs_fd_t`) on a [`Volume`].
pub struct File {
    fd: NonNull<ffi::GlfsFdT>,
    vol: Arc<Volume>,
}

// SAFETY: positional calls on one glfs_fd_t from several threads are
// supported by libgfapi (tgt's bs_glfs issues them from 16 threads); the fd
// is closed only in Drop.
unsafe impl Send for File {}
// SAFETY: as above.
unsafe impl Sync for File {}

impl fmt::Debug for File {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("File")
            .field("volume", &self.vol)
            .finish_non_exhaustive()
    }
}

impl File {
    fn api(&self) -> &'static ffi::Api {
        self.vol.api
    }

    /// The volume the file is on.
    pub fn volume(&self) -> &Arc<Volume> {
        &self.vol
    }

    /// Size in bytes.
    pub fn len(&self) -> Result<u64, Error> {
        // SAFETY: an all-zero stat is a valid value of this plain C struct.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: fd is live; st is a valid, writable struct stat.
        if unsafe { (self.api().fstat)(self.fd.as_ptr(), &mut st) } != 0 {
            return Err(Error::last("glfs_fstat"));
        }
        u64::try_from(st.st_size).map_err(|_| Error::Call {
            op: "glfs_fstat",
            errno: libc::EOVERFLOW,
        })
    }

    /// True when the file holds no byte.
    pub fn is_empty(&self) -> Result<bool, Error> {
        self.len().map(|n| n == 0)
    }

    /// Sets the size to `len` bytes.
    pub fn set_len(&self, len: u64) -> Result<(), Error> {
        let len = off(len, "glfs_ftruncate")?;
        // SAFETY: fd is live; null stat pointers are allowed.
        if unsafe { (self.api().ftruncate)(self.fd.as_ptr(), len, null_mut(), null_mut()) } != 0 {
            return Err(Error::last("glfs_ftruncate"));
        }
        Ok(())
    }

    /// Fills `buf` from `offset`; bytes past the end of the file read as
    /// zero.
    pub fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> Result<(), Error> {
        let mut done = 0usize;
        while let Some(rest) = buf.get_mut(done..).filter(|r| !r.is_empty()) {
            let at = off(offset + done as u64, "glfs_pread")?;
            // SAFETY: fd is live; rest is a writable buffer of rest.len()
            // bytes borrowed for the whole (synchronous) call; null poststat
            // is allowed.
            let n = unsafe {
                (self.api().pread)(
                    self.fd.as_ptr(),
                    rest.as_mut_ptr().cast::<c_void>(),
                    rest.len(),
                    at,
                    0,
                    null_mut(),
                )
            };
            match n {
                n if n < 0 => return Err(Error::last("glfs_pread")),
                0 => {
                    rest.fill(0);
                    return Ok(());
                }
                n => done += n as usize,
            }
        }
        Ok(())
    }

    /// Writes all of `data` at `offset`.
    pub fn write_all_at(&self, data: &[u8], offset: u64) -> Result<(), Error> {
        let mut done = 0usize;
        while let Some(rest) = data.get(done..).filter(|r| !r.is_empty()) {
            let at = off(offset + done as u64, "glfs_pwrite")?;
            // SAFETY: fd is live; rest is a readable buffer of rest.len()
            // bytes borrowed for the whole (synchronous) call; null stat
            // pointers are allowed.
            let n = unsafe {
                (self.api().pwrite)(
                    self.fd.as_ptr(),
                    rest.as_ptr().cast::<c_void>(),
                    rest.len(),
                    at,
                    0,
                    null_mut(),
                    null_mut(),
                )
            };
            match n {
                n if n < 0 => return Err(Error::last("glfs_pwrite")),
                0 => {
                    return Err(Error::Call {
                        op: "glfs_pwrite",
                        errno: libc::EIO,
                    })
                }
                n => done += n as usize,
            }
        }
        Ok(())
    }

    /// fdatasync: every write returned so far is stable.
    pub fn sync_data(&self) -> Result<(), Error> {
        // SAFETY: fd is live; null stat pointers are allowed.
        if unsafe { (self.api().fdatasync)(self.fd.as_ptr(), null_mut(), null_mut()) } != 0 {
            return Err(Error::last("glfs_fdatasync"));
        }
        Ok(())
    }

    /// fsync: data and metadata stable.
    pub fn sync_all(&self) -> Result<(), Error> {
        // SAFETY: fd is live; null stat pointers are allowed.
        if unsafe { (self.api().fsync)(self.fd.as_ptr(), null_mut(), null_mut()) } != 0 {
            return Err(Error::last("glfs_fsync"));
        }
        Ok(())
    }

    /// Gives back the space of `len` bytes at `offset` (they read as zero).
    pub fn discard(&self, offset: u64, len: u64) -> Result<(), Error> {
        let at = off(offset, "glfs_discard")?;
        let len = usize::try_from(len).map_err(|_| Error::Call {
            op: "glfs_discard",
            errno: libc::EINVAL,
        })?;
        // SAFETY: fd is live.
        if unsafe { (self.api().discard)(self.fd.as_ptr(), at, len) } != 0 {
            return Err(Error::last("glfs_discard"));
        }
        Ok(())
    }

    /// Writes `len` zero bytes at `offset` without sending them.
    pub fn zerofill(&self, offset: u64, len: u64) -> Result<(), Error> {
        let at = off(offset, "glfs_zerofill")?;
        let len = off(len, "glfs_zerofill")?;
        // SAFETY: fd is live.
        if unsafe { (self.api().zerofill)(self.fd.as_ptr(), at, len) } != 0 {
            return Err(Error::last("glfs_zerofill"));
        }
        Ok(())
    }
}

impl Drop for File {
    fn drop(&mut self) {
        // SAFETY: fd came from glfs_open/glfs_creat and is closed once; the
        // Volume (held by self.vol) is still live.
        unsafe { (self.api().close)(self.fd.as_ptr()) };
    }
}

fn off(v: u64, op: &'static str) -> Result<libc::off_t, Error> {
    libc::off_t::try_from(v).map_err(|_| Error::Call {
        op,
        errno: libc::EOVERFLOW,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_carry_errno() {
        let e = Error::Call {
            op: "glfs_pread",
            errno: libc::EIO,
        };
        assert_eq!(e.errno(), Some(libc::EIO));
        assert!(e.to_string().starts_with("glfs_pread: "));
        let io: std::io::Error = e.into();
        assert_eq!(io.raw_os_error(), Some(libc::EIO));
    }

    #[test]
    fn library_loads_or_names_the_package() {
        match check_available() {
            Ok(()) => {}
            Err(Error::Unavailable(m)) => assert!(m.contains(PACKAGE), "{m}"),
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn connecting_to_no_server_fails_with_errno() {
        if check_available().is_err() {
            return;
        }
        // Port 1 on loopback: nothing listens, glfs_init fails.
        let servers = [Server::parse("127.0.0.1:1").unwrap()];
        let e = Volume::connect("none", &servers, "/dev/null").unwrap_err();
        assert!(e.errno().is_some(), "{e}");
    }
}
