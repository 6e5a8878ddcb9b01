//! The server's configuration: one typed [`Config`], read from the command line and
//! `STEADYRTC_*` environment variables, with the defaults in one place.
//!
//! This module decides names, defaults and ranges. It never touches the network or the
//! file system beyond reporting which static directories are missing.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};

pub const DEFAULT_HOST: &str = "127.0.0.1";
pub const DEFAULT_PORT: u16 = 8080;
pub const DEFAULT_WWW_DIR: &str = "www/dist";
pub const DEFAULT_PKG_DIR: &str = "pkg";
pub const DEFAULT_MAX_PEERS_PER_ROOM: u32 = 16;
pub const DEFAULT_IDLE_TIMEOUT_SECS: u64 = 45;

/// How log lines are written (always to stderr; stdout carries only the listening line).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// steadyrtc signaling server: WebSocket signaling on /ws, health on /health, the demo
/// page and the npm package as static files.
#[derive(Debug, Clone, PartialEq, Eq, Parser)]
#[command(name = "steadyrtc-server", version, about)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "STEADYRTC_HOST", default_value = DEFAULT_HOST)]
    pub host: String,

    /// Port to listen on; 0 picks a free port (the listening line shows which).
    #[arg(long, env = "STEADYRTC_PORT", default_value_t = DEFAULT_PORT)]
    pub port: u16,

    /// Directory of the demo page, served at /.
    #[arg(long, env = "STEADYRTC_WWW_DIR", default_value = DEFAULT_WWW_DIR)]
    pub www_dir: PathBuf,

    /// Directory of the built npm package (wasm-bindgen output), served at /pkg/.
    #[arg(long, env = "STEADYRTC_PKG_DIR", default_value = DEFAULT_PKG_DIR)]
    pub pkg_dir: PathBuf,

    /// Most peers one room may hold; a further `join` gets `roomFull`.
    #[arg(
        long,
        env = "STEADYRTC_MAX_PEERS_PER_ROOM",
        default_value_t = DEFAULT_MAX_PEERS_PER_ROOM,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub max_peers_per_room: u32,

    /// Seconds a connection may stay silent (no frame, not even a pong to the server's
    /// pings) before it is closed and its room told it disconnected. Pings go out every
    /// third of this.
    #[arg(
        long,
        env = "STEADYRTC_IDLE_TIMEOUT_SECS",
        default_value_t = DEFAULT_IDLE_TIMEOUT_SECS,
        value_parser = clap::value_parser!(u64).range(1..=86_400)
    )]
    pub idle_timeout_secs: u64,

    /// Log format.
    #[arg(long, env = "STEADYRTC_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

impl Default for Config {
    /// The same values as the command line defaults, without reading the environment.
    fn default() -> Self {
        Self {
            host: DEFAULT_HOST.to_owned(),
            port: DEFAULT_PORT,
            www_dir: PathBuf::from(DEFAULT_WWW_DIR),
            pkg_dir: PathBuf::from(DEFAULT_PKG_DIR),
            max_peers_per_room: DEFAULT_MAX_PEERS_PER_ROOM,
            idle_timeout_secs: DEFAULT_IDLE_TIMEOUT_SECS,
            log_format: LogFormat::Text,
        }
    }
}

impl Config {
    /// How long a connection may stay silent.
    pub fn idle_timeout(&self) -> Duration {
        Duration::from_secs(self.idle_timeout_secs.max(1))
    }

    /// How often the server pings each connection.
    pub fn ping_interval(&self) -> Duration {
        self.idle_timeout() / 3
    }

    /// The static directories that do not exist, with the option that names each.
    pub fn missing_dirs(&self) -> Vec<(&'static str, &PathBuf)> {
        [("--www-dir", &self.www_dir), ("--pkg-dir", &self.pkg_dir)]
            .into_iter()
            .filter(|(_, dir)| !dir.is_dir())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVERY_FLAG: [&str; 15] = [
        "steadyrtc-server",
        "--host",
        "0.0.0.0",
        "--port",
        "0",
        "--www-dir",
        "/srv/www",
        "--pkg-dir",
        "/srv/pkg",
        "--max-peers-per-room",
        "2",
        "--idle-timeout-secs",
        "9",
        "--log-format",
        "json",
    ];

    #[test]
    fn every_flag_sets_its_field() {
        let config = Config::try_parse_from(EVERY_FLAG).unwrap();
        assert_eq!(
            config,
            Config {
                host: "0.0.0.0".into(),
                port: 0,
                www_dir: "/srv/www".into(),
                pkg_dir: "/srv/pkg".into(),
                max_peers_per_room: 2,
                idle_timeout_secs: 9,
                log_format: LogFormat::Json,
            }
        );
        assert_eq!(config.ping_interval(), Duration::from_secs(3));
    }

    #[test]
    fn out_of_range_values_are_rejected() {
        for (flag, value) in [
            ("--max-peers-per-room", "0"),
            ("--port", "70000"),
            ("--idle-timeout-secs", "0"),
            ("--log-format", "xml"),
        ] {
            assert!(
                Config::try_parse_from(["steadyrtc-server", flag, value]).is_err(),
                "{flag} {value}"
            );
        }
    }

    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        Config::command().debug_assert();
    }

    #[test]
    fn missing_dirs_names_the_option() {
        let here = std::env::temp_dir();
        let config = Config {
            www_dir: here.clone(),
            pkg_dir: here.join("surely-not-here-steadyrtc"),
            ..Config::default()
        };
        let missing = config.missing_dirs();
        assert_eq!(missing.len(), 1);
        assert_eq!(missing[0].0, "--pkg-dir");
    }
}
