//! Log output: `tracing` events to stderr, as text or JSON lines, filtered by `RUST_LOG`
//! (default `info`).
//!
//! This module decides where logs go; it never writes to stdout, which carries only the
//! listening line that scripts and tests parse.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global subscriber. Calling it twice keeps the first one.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let installed = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
    if let Err(e) = installed {
        eprintln!("steadyrtc-server: logging not initialised: {e}");
    }
}
