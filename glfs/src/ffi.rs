//! The libgfapi calls rtgt uses, declared by hand and looked up at run time
//! with `dlopen`/`dlvsym`, so that building rtgt needs no gluster headers
//! or libraries.
//!
//! libgfapi versions its symbols; since GFAPI 6.0 (GlusterFS 6) `pread`,
//! `pwrite`, `ftruncate`, `fsync` and `fdatasync` take extra `struct
//! glfs_stat` out-pointers (passed null here). Each symbol is bound to the
//! exact version whose signature is declared below, as listed by
//! `objdump -T libgfapi.so.0` of GlusterFS 10.

use std::ffi::{c_char, c_int, c_void, CStr};
use std::sync::OnceLock;

use libc::{off_t, size_t, ssize_t};

/// `glfs_t`, opaque.
#[repr(C)]
#[derive(Debug)]
pub(crate) struct GlfsT {
    _private: [u8; 0],
}

/// `glfs_fd_t`, opaque.
#[repr(C)]
#[derive(Debug)]
pub(crate) struct GlfsFdT {
    _private: [u8; 0],
}

/// The library's file name; Debian ships it in `libgfapi0`.
pub const LIBRARY: &str = "libgfapi.so.0";
/// The Debian package that ships [`LIBRARY`].
pub const PACKAGE: &str = "libgfapi0";

/// The bound entry points. Function pointers are plain data: the table is
/// Send and Sync, and the library is never unloaded.
#[derive(Debug)]
pub(crate) struct Api {
    pub new: unsafe extern "C" fn(*const c_char) -> *mut GlfsT,
    pub set_volfile_server:
        unsafe extern "C" fn(*mut GlfsT, *const c_char, *const c_char, c_int) -> c_int,
    pub set_logging: unsafe extern "C" fn(*mut GlfsT, *const c_char, c_int) -> c_int,
    pub set_xlator_option:
        unsafe extern "C" fn(*mut GlfsT, *const c_char, *const c_char, *const c_char) -> c_int,
    pub init: unsafe extern "C" fn(*mut GlfsT) -> c_int,
    pub fini: unsafe extern "C" fn(*mut GlfsT) -> c_int,
    pub open: unsafe extern "C" fn(*mut GlfsT, *const c_char, c_int) -> *mut GlfsFdT,
    pub creat: unsafe extern "C" fn(*mut GlfsT, *const c_char, c_int, libc::mode_t) -> *mut GlfsFdT,
    pub close: unsafe extern "C" fn(*mut GlfsFdT) -> c_int,
    pub fstat: unsafe extern "C" fn(*mut GlfsFdT, *mut libc::stat) -> c_int,
    pub ftruncate: unsafe extern "C" fn(*mut GlfsFdT, off_t, *mut c_void, *mut c_void) -> c_int,
    pub pread: unsafe extern "C" fn(
        *mut GlfsFdT,
        *mut c_void,
        size_t,
        off_t,
        c_int,
        *mut c_void,
    ) -> ssize_t,
    pub pwrite: unsafe extern "C" fn(
        *mut GlfsFdT,
        *const c_void,
        size_t,
        off_t,
        c_int,
        *mut c_void,
        *mut c_void,
    ) -> ssize_t,
    pub fsync: unsafe extern "C" fn(*mut GlfsFdT, *mut c_void, *mut c_void) -> c_int,
    pub fdatasync: unsafe extern "C" fn(*mut GlfsFdT, *mut c_void, *mut c_void) -> c_int,
    pub discard: unsafe extern "C" fn(*mut GlfsFdT, off_t, size_t) -> c_int,
    pub zerofill: unsafe extern "C" fn(*mut GlfsFdT, off_t, off_t) -> c_int,
}

static API: OnceLock<Result<Api, String>> = OnceLock::new();

/// The library, loaded on first use; the error says what is missing.
pub(crate) fn api() -> Result<&'static Api, String> {
    API.get_or_init(|| load(c"libgfapi.so.0"))
        .as_ref()
        .map_err(Clone::clone)
}

fn dlerror() -> String {
    // SAFETY: dlerror returns null or a NUL-terminated string owned by the
    // C library, valid until the next dl* call on this thread; it is copied
    // at once.
    unsafe {
        let e = libc::dlerror();
        if e.is_null() {
            "unknown error".into()
        } else {
            CStr::from_ptr(e).to_string_lossy().into_owned()
        }
    }
}

/// Reinterprets a symbol address as a function pointer.
///
/// # Safety
/// `F` must be an `extern "C"` function pointer type matching the symbol.
unsafe fn fn_ptr<F: Copy>(p: *mut c_void) -> F {
    assert_eq!(std::mem::size_of::<F>(), std::mem::size_of::<*mut c_void>());
    // SAFETY: same size (asserted); the caller vouches for the signature.
    unsafe { std::mem::transmute_copy::<*mut c_void, F>(&p) }
}

fn load(library: &CStr) -> Result<Api, String> {
    // SAFETY: the name is NUL-terminated; dlopen runs the library's
    // constructors, which libgfapi has for its own globals only.
    let handle = unsafe { libc::dlopen(library.as_ptr(), libc::RTLD_NOW) };
    if handle.is_null() {
        return Err(format!(
            "cannot load {} ({}): install the {PACKAGE} package (apt-get install {PACKAGE})",
            library.to_string_lossy(),
            dlerror()
        ));
    }
    let sym = |name: &CStr, version: &CStr| -> Result<*mut c_void, String> {
        // SAFETY: handle is a live dlopen handle (never closed); name and
        // version are NUL-terminated literals.
        let p = unsafe { libc::dlvsym(handle, name.as_ptr(), version.as_ptr()) };
        if p.is_null() {
            Err(format!(
                "{LIBRARY} lacks {}@{} ({}): install {PACKAGE} from GlusterFS 6 or later",
                name.to_string_lossy(),
                version.to_string_lossy(),
                dlerror()
            ))
        } else {
            Ok(p)
        }
    };
    macro_rules! bind {
        ($name:literal, $version:literal) => {{
            let p = sym($name, $version)?;
            // SAFETY: the symbol of this exact version has the C signature
            // declared in `Api` for this field (see the module docs).
            unsafe { fn_ptr(p) }
        }};
    }
    Ok(Api {
        new: bind!(c"glfs_new", c"GFAPI_3.4.0"),
        set_volfile_server: bind!(c"glfs_set_volfile_server", c"GFAPI_3.4.0"),
        set_logging: bind!(c"glfs_set_logging", c"GFAPI_3.4.0"),
        set_xlator_option: bind!(c"glfs_set_xlator_option", c"GFAPI_3.4.0"),
        init: bind!(c"glfs_init", c"GFAPI_3.4.0"),
        fini: bind!(c"glfs_fini", c"GFAPI_3.4.0"),
        open: bind!(c"glfs_open", c"GFAPI_3.4.0"),
        creat: bind!(c"glfs_creat", c"GFAPI_3.4.0"),
        close: bind!(c"glfs_close", c"GFAPI_3.4.0"),
        fstat: bind!(c"glfs_fstat", c"GFAPI_3.4.0"),
        ftruncate: bind!(c"glfs_ftruncate", c"GFAPI_6.0"),
        pread: bind!(c"glfs_pread", c"GFAPI_6.0"),
        pwrite: bind!(c"glfs_pwrite", c"GFAPI_6.0"),
        fsync: bind!(c"glfs_fsync", c"GFAPI_6.0"),
        fdatasync: bind!(c"glfs_fdatasync", c"GFAPI_6.0"),
        discard: bind!(c"glfs_discard", c"GFAPI_3.5.0"),
        zerofill: bind!(c"glfs_zerofill", c"GFAPI_3.5.0"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_library_names_the_package() {
        let e = load(c"libgfapi-not-here.so.0").unwrap_err();
        assert!(e.contains("libgfapi-not-here.so.0"), "{e}");
        assert!(e.contains("install the libgfapi0 package"), "{e}");
    }
}
