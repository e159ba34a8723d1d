//! `rtgt.toml`: the daemon's configuration file, read with serde and toml.
//!
//! [`Config::load`] reads and checks a file; every error names the file, the
//! line and the column, and says how to fix it. [`Config::build`] opens the
//! backstores and produces the core's [`PortalGroupConfig`]. Unknown keys
//! are errors. `rtgt.example.toml` at the repository root documents every
//! key.

pub mod alua;
mod build;
mod check;
mod schema;
pub mod state;
mod values;

pub(crate) use build::lun_id;
pub use build::{Account, AdminSeed, Built, IsnsSettings, LunBackend, Source, TargetSeed};
pub use schema::{BackstoreKind, FileConfig, LogLevel};
pub use values::{IscsiName, Portal, Secret, Size};

use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::core::PortalGroupConfig;

/// A configuration file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("cannot read {path}: {source}: check the path given to --config")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A value or table is wrong at a place in the file.
    #[error("{path}:{line}:{column}: {message}\n{snippet}")]
    At {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
        snippet: String,
    },
}

/// A parsed and checked configuration file.
pub struct Config {
    pub file: FileConfig,
    path: PathBuf,
    text: String,
}

impl std::fmt::Debug for Config {
    // The text holds CHAP secrets: only the path is shown (the parsed
    // secrets print as `Secret(..)`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("path", &self.path)
            .field("file", &self.file)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// Reads and checks `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.into(),
            source,
        })?;
        Config::parse(path, text)
    }

    /// Checks `text` as if read from `path`.
    pub fn parse(path: &Path, text: String) -> Result<Config, ConfigError> {
        let file: FileConfig = match toml::from_str(&text) {
            Ok(f) => f,
            Err(e) => {
                let span = e.span().unwrap_or(0..0);
                return Err(error_at(path, &text, span, e.message().trim_end()));
            }
        };
        let cfg = Config {
            file,
            path: path.into(),
            text,
        };
        if let Err((span, msg)) = check::check(&cfg.file) {
            return Err(cfg.error(span, &msg));
        }
        Ok(cfg)
    }

    /// An error at `span` of this file.
    pub(crate) fn error(&self, span: Range<usize>, message: &str) -> ConfigError {
        error_at(&self.path, &self.text, span, message)
    }

    /// Opens the backstores and builds the core's configuration.
    pub fn build(&self) -> Result<Built, ConfigError> {
        build::build(self)
    }
}

/// The line and column (both from 1) of byte `at` of `text`, and the line.
fn locate(text: &str, at: usize) -> (usize, usize, &str) {
    let at = at.min(text.len());
    let before = text.get(..at).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(start..).map_or(0, |s| s.chars().count()) + 1;
    let end = text
        .get(start..)
        .and_then(|s| s.find('\n'))
        .map_or(text.len(), |i| start + i);
    (line, column, text.get(start..end).unwrap_or(""))
}

fn error_at(path: &Path, text: &str, span: Range<usize>, message: &str) -> ConfigError {
    let (line, column, src) = locate(text, span.start);
    let width = span
        .end
        .saturating_sub(span.start)
        .clamp(1, src.len().saturating_sub(column - 1).max(1));
    let gutter = line.to_string().len();
    let snippet = format!(
        "{:gutter$} |\n{line} | {src}\n{:gutter$} | {}{}",
        "",
        "",
        " ".repeat(column - 1),
        "^".repeat(width)
    );
    ConfigError::At {
        path: path.into(),
        line,
        column,
        message: message.to_string(),
        snippet,
    }
}

/// The core configuration a [`Built`] carries, for callers that only need
/// it (tests).
impl Built {
    pub fn group(&self) -> &PortalGroupConfig {
        &self.group
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_alua;
#[cfg(test)]
mod tests_glfs;
