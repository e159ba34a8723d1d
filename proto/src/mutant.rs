//! Test only: which deliberately broken variant of the cores is active.
//!
//! Each broken variant sits behind a `broken-*` feature of the crate it
//! breaks, and its site reads
//! `cfg!(feature = "broken-x") && rtgt_proto::mutant::on("broken-x")`, so a
//! build without the feature holds no switch at all. A build with several
//! `broken-*` features (the simulator's `mutants` feature) picks one per
//! thread with [`select`], so one build measures every variant; until a
//! thread selects, every variant compiled in is active.

#[cfg(feature = "mutants")]
mod imp {
    use std::cell::Cell;

    thread_local! {
        static ACTIVE: Cell<Option<&'static str>> = const { Cell::new(None) };
    }

    /// Makes `name` the only active variant on this thread (`None`: every
    /// variant compiled in; a name no variant has, such as `"none"`: none).
    pub fn select(name: Option<&'static str>) {
        ACTIVE.with(|a| a.set(name));
    }

    /// Whether the variant `name` is active on this thread.
    pub fn on(name: &str) -> bool {
        ACTIVE.with(|a| a.get().is_none_or(|n| n == name))
    }
}

#[cfg(feature = "mutants")]
pub use imp::{on, select};

/// Without the `mutants` feature no variant is compiled in.
#[cfg(not(feature = "mutants"))]
pub const fn on(_name: &str) -> bool {
    false
}
