//! Tidy checks, run as xtask's own tests so that `cargo xtask test` (which
//! runs every workspace test) keeps them: the sans-IO crates depend on no
//! crate that does IO, reads the clock or draws the OS's randomness.

#[cfg(test)]
mod tests {
    use crate::cmd::{cargo, display};

    /// The crates that must stay sans-IO (see ARCHITECTURE.md).
    const SANS_IO: &[&str] = &[
        "rtgt-proto",
        "rtgt-scsi",
        "rtgt-target-core",
        "rtgt-initiator-core",
    ];

    /// Crates for sockets, files, timers, the wall clock or OS randomness,
    /// and runtimes and subscribers that would bring them in.
    const IO_CRATES: &[&str] = &[
        "async-std",
        "chrono",
        "getrandom",
        "mio",
        "nix",
        "rand",
        "rand_core",
        "rustix",
        "smol",
        "socket2",
        "time",
        "tokio",
        "tracing-subscriber",
    ];

    #[test]
    fn sans_io_crates_depend_on_no_io_crate() {
        for krate in SANS_IO {
            let mut tree = cargo();
            tree.args([
                "tree",
                "--package",
                krate,
                "--edges",
                "normal",
                "--prefix",
                "none",
                "--format",
                "{p}",
            ]);
            let out = tree.output().expect("cargo runs");
            assert!(
                out.status.success(),
                "`{}` failed: {}",
                display(&tree),
                String::from_utf8_lossy(&out.stderr)
            );
            let listing = String::from_utf8_lossy(&out.stdout);
            let mut found: Vec<&str> = listing
                .lines()
                .filter_map(|line| line.split_whitespace().next())
                .filter(|name| IO_CRATES.contains(name))
                .collect();
            found.sort_unstable();
            found.dedup();
            assert!(
                found.is_empty(),
                "{krate} must stay sans-IO but depends on {found:?} \
                 (`{}`); move the IO to a driver crate or put a trait at the seam",
                display(&tree)
            );
        }
    }
}
