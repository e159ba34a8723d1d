//! `rtgt-traceability`: prints the RFC 7143 traceability matrix
//! (conformance/TRACEABILITY.md) from `requirements/rfc7143.toml` and the
//! catalogue. `cargo xtask traceability` writes it; `--check` compares.

use rtgt_conformance::{catalogue, traceability};
use std::process::ExitCode;

fn main() -> ExitCode {
    match traceability::generate(&catalogue::all()) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("rtgt-traceability: {error}");
            ExitCode::from(2)
        }
    }
}
