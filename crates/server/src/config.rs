//! The server's configuration: one typed [`Config`], read from the command line and
//! `STEADYRTC_*` environment variables, with the defaults and the validation in one place.
//!
//! This module decides names, defaults, ranges and which combinations are refused at
//! start ([`Config::validate`]). It never touches the network or the file system beyond
//! reporting which static directories are missing.

use std::path::PathBuf;
use std::time::Duration;

use clap::builder::TypedValueParser as _;
use clap::{Parser, ValueEnum};
use steadyrtc_protocol::{Heartbeat, IceServer, MAX_FRAME_BYTES};

pub const DEFAULT_HOST: &str = "127.0.0.1";
pub const DEFAULT_PORT: u16 = 8080;
pub const DEFAULT_WWW_DIR: &str = "www/dist";
pub const DEFAULT_PKG_DIR: &str = "pkg";
pub const DEFAULT_MAX_PEERS_PER_ROOM: u32 = 16;
/// The environment variable that holds the token signing secret.
pub const TOKEN_SECRET_ENV: &str = "STEADYRTC_TOKEN_SECRET";
/// Shortest accepted token secret, in bytes.
pub const MIN_SECRET_BYTES: usize = 16;

/// How log lines are written (always to stderr; stdout carries only the listening line).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// A configuration that cannot run, with what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("no token secret: set {TOKEN_SECRET_ENV} (or --token-secret) to at least {MIN_SECRET_BYTES} random bytes, or run with --dev for local development")]
    MissingTokenSecret,
    #[error("the token secret is shorter than {MIN_SECRET_BYTES} bytes: set {TOKEN_SECRET_ENV} to a longer random value")]
    ShortTokenSecret,
    #[error(
        "--api-key and --api-secret (STEADYRTC_API_KEY, STEADYRTC_API_SECRET) must be set together"
    )]
    HalfApiCredentials,
    #[error("--turn-url needs --turn-secret (STEADYRTC_TURN_SECRET) for ephemeral credentials")]
    TurnWithoutSecret,
    #[error("--heartbeat-timeout-ms must be larger than --heartbeat-interval-ms")]
    HeartbeatTimeoutTooShort,
    #[error("--static-ice-servers is not a JSON list of {{urls, username?, credential?}}: {0}")]
    BadStaticIceServers(String),
    #[error("{0}")]
    BadUrl(String),
    #[error("--instance-id (STEADYRTC_INSTANCE_ID) must be 1 to 64 printable ASCII characters without spaces")]
    BadInstanceId,
}

/// steadyrtc signaling server: WebSocket signaling on /ws, tokens, rooms, ICE servers,
/// health and metrics over HTTP, the demo page and the npm package as static files.
#[derive(Debug, Clone, PartialEq, Eq, Parser)]
#[command(name = "steadyrtc-server", version, about)]
pub struct Config {
    /// Development mode: anyone may get host or guest tokens from POST /api/token without
    /// an API key, localhost origins and same-origin pages reached by IP address are
    /// allowed, and a missing token secret is replaced by a random one. Never use it in
    /// production.
    #[arg(long, env = "STEADYRTC_DEV")]
    pub dev: bool,

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

    /// Secret that signs and checks access tokens (HS256). Required unless --dev.
    #[arg(long, env = TOKEN_SECRET_ENV, hide_env_values = true)]
    pub token_secret: Option<String>,

    /// API key that POST /api/token and the rooms API accept (with --api-secret).
    #[arg(long, env = "STEADYRTC_API_KEY")]
    pub api_key: Option<String>,

    /// API secret belonging to --api-key.
    #[arg(long, env = "STEADYRTC_API_SECRET", hide_env_values = true)]
    pub api_secret: Option<String>,

    /// Lifetime of tokens issued by POST /api/token when the request names none.
    #[arg(long, env = "STEADYRTC_TOKEN_TTL_SECS", default_value_t = 3_600,
        value_parser = clap::value_parser!(u64).range(1..=2_592_000))]
    pub token_ttl_secs: u64,

    /// Most peers one room may hold (rooms created by the API may set a lower number).
    #[arg(long, env = "STEADYRTC_MAX_PEERS_PER_ROOM", default_value_t = DEFAULT_MAX_PEERS_PER_ROOM,
        value_parser = clap::value_parser!(u32).range(1..))]
    pub max_peers_per_room: u32,

    /// Most rooms the server holds at once.
    #[arg(long, env = "STEADYRTC_MAX_ROOMS", default_value_t = 10_000,
        value_parser = clap::value_parser!(u32).range(1..))]
    pub max_rooms: u32,

    /// Most open WebSocket connections from one IP address.
    #[arg(long, env = "STEADYRTC_MAX_CONNECTIONS_PER_IP", default_value_t = 64,
        value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections_per_ip: u32,

    /// Whether `join` may open a room that was not created through the API (as mesh).
    #[arg(long, env = "STEADYRTC_AUTO_CREATE_ROOMS", default_value_t = true, action = clap::ArgAction::Set)]
    pub auto_create_rooms: bool,

    /// One session per identity and room: a `join` whose token names the same identity
    /// (`sub`) as a session already in that room replaces it (the old connection gets
    /// `error duplicateIdentity` and is closed with 1008; the others see it leave and the
    /// new one join). With false, one identity may hold several sessions in a room.
    #[arg(long, env = "STEADYRTC_ONE_SESSION_PER_IDENTITY", default_value_t = true, action = clap::ArgAction::Set)]
    pub one_session_per_identity: bool,

    /// Largest text frame accepted, in bytes; larger ones get `frameTooLarge`.
    #[arg(long, env = "STEADYRTC_MAX_FRAME_BYTES", default_value_t = MAX_FRAME_BYTES,
        value_parser = clap::value_parser!(u32).range(1024..=16_777_216).map(|v| v as usize))]
    pub max_frame_bytes: usize,

    /// How often the server sends `ping`.
    #[arg(long, env = "STEADYRTC_HEARTBEAT_INTERVAL_MS", default_value_t = 5_000,
        value_parser = clap::value_parser!(u64).range(10..=600_000))]
    pub heartbeat_interval_ms: u64,

    /// A connection silent for this long is dead (its session waits for `resume`).
    #[arg(long, env = "STEADYRTC_HEARTBEAT_TIMEOUT_MS", default_value_t = 15_000,
        value_parser = clap::value_parser!(u64).range(20..=3_600_000))]
    pub heartbeat_timeout_ms: u64,

    /// How long a session whose connection dropped waits for `resume`; 0 ends it at once.
    #[arg(long, env = "STEADYRTC_RESUME_WINDOW_MS", default_value_t = 30_000,
        value_parser = clap::value_parser!(u64).range(0..=3_600_000))]
    pub resume_window_ms: u64,

    /// Most unacknowledged messages a session keeps for replay; a client that lets more
    /// pile up is dropped as too slow.
    #[arg(long, env = "STEADYRTC_MAX_UNACKED", default_value_t = 4_096,
        value_parser = clap::value_parser!(u32).range(16..=1_000_000).map(|v| v as usize))]
    pub max_unacked: usize,

    /// Most bytes of unacknowledged messages a session keeps; beyond it the session is
    /// dropped as too slow.
    #[arg(long, env = "STEADYRTC_MAX_UNACKED_BYTES", default_value_t = 8 * 1024 * 1024,
        value_parser = clap::value_parser!(u32).range(65_536..).map(|v| v as usize))]
    pub max_unacked_bytes: usize,

    /// Frames per second one connection may send (token bucket refill rate).
    #[arg(long, env = "STEADYRTC_RATE_PER_CONNECTION", default_value_t = 50,
        value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_per_connection: u32,

    /// Burst size of the per-connection bucket.
    #[arg(long, env = "STEADYRTC_BURST_PER_CONNECTION", default_value_t = 200,
        value_parser = clap::value_parser!(u32).range(1..))]
    pub burst_per_connection: u32,

    /// Frames per second all connections of one IP address may send together.
    #[arg(long, env = "STEADYRTC_RATE_PER_IP", default_value_t = 500,
        value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_per_ip: u32,

    /// Burst size of the per-IP bucket.
    #[arg(long, env = "STEADYRTC_BURST_PER_IP", default_value_t = 2_000,
        value_parser = clap::value_parser!(u32).range(1..))]
    pub burst_per_ip: u32,

    /// Refused frames (errors) a connection may cause within 10 s before it is closed
    /// with the policy-violation code 1008.
    #[arg(long, env = "STEADYRTC_ABUSE_LIMIT", default_value_t = 50,
        value_parser = clap::value_parser!(u32).range(1..))]
    pub abuse_limit: u32,

    /// Origins of the browser pages allowed to open the WebSocket and call the API (exact
    /// `scheme://host[:port]`, comma separated), the server's own pages included: the
    /// Host header is not trusted (DNS rebinding). Clients without an Origin header are
    /// always allowed; --dev also allows localhost, 127.0.0.1 and [::1] on any port, and
    /// same-origin pages reached by an IP address.
    #[arg(long, env = "STEADYRTC_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,

    /// Origins of pages (on other sites) that may call POST /api/token and
    /// GET /api/webrtc/config through CORS (exact `scheme://host[:port]`, comma
    /// separated). Empty (the default): no CORS.
    #[arg(long, env = "STEADYRTC_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,

    /// STUN URLs handed to clients (comma separated), e.g. stun:stun.example.org:3478.
    #[arg(long, env = "STEADYRTC_STUN_URLS", value_delimiter = ',')]
    pub stun_urls: Vec<String>,

    /// TURN URLs handed to clients with ephemeral credentials (comma separated).
    #[arg(long, env = "STEADYRTC_TURN_URLS", value_delimiter = ',')]
    pub turn_urls: Vec<String>,

    /// The coturn `static-auth-secret` (use-auth-secret scheme).
    #[arg(long, env = "STEADYRTC_TURN_SECRET", hide_env_values = true)]
    pub turn_secret: Option<String>,

    /// Lifetime of TURN credentials.
    #[arg(long, env = "STEADYRTC_TURN_TTL_SECS", default_value_t = 3_600,
        value_parser = clap::value_parser!(u64).range(60..=604_800))]
    pub turn_ttl_secs: u64,

    /// Further ICE servers handed out as they are: a JSON list of
    /// `{"urls": [...], "username": "...", "credential": "..."}`.
    #[arg(long, env = "STEADYRTC_STATIC_ICE_SERVERS")]
    pub static_ice_servers: Option<String>,

    /// On shutdown: how long clients get between `goAway` and the server closing their
    /// connection.
    #[arg(long, env = "STEADYRTC_DRAIN_MS", default_value_t = 1_000,
        value_parser = clap::value_parser!(u64).range(0..=60_000))]
    pub drain_ms: u64,

    /// Log format.
    #[arg(long, env = "STEADYRTC_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Keep room definitions in this Redis (`redis://host:6379/0`), shared by every
    /// instance that names the same one. Without it they live in this process's memory.
    #[arg(long, env = "STEADYRTC_REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<String>,

    /// The longest a Redis command may take before the store counts as unavailable
    /// (new joins are then refused with `unavailable`, `/ready` answers 503).
    #[arg(long, env = "STEADYRTC_REDIS_TIMEOUT_MS", default_value_t = 1_000,
        value_parser = clap::value_parser!(u64).range(10..=30_000))]
    pub redis_timeout_ms: u64,

    /// This instance's name in `/metrics`, `/ready` and diagnostics; a random one if unset.
    #[arg(long, env = "STEADYRTC_INSTANCE_ID")]
    pub instance_id: Option<String>,
}

impl Default for Config {
    /// The same values as the command line defaults, without reading the environment.
    fn default() -> Self {
        Self {
            dev: false,
            host: DEFAULT_HOST.to_owned(),
            port: DEFAULT_PORT,
            www_dir: PathBuf::from(DEFAULT_WWW_DIR),
            pkg_dir: PathBuf::from(DEFAULT_PKG_DIR),
            token_secret: None,
            api_key: None,
            api_secret: None,
            token_ttl_secs: 3_600,
            max_peers_per_room: DEFAULT_MAX_PEERS_PER_ROOM,
            max_rooms: 10_000,
            max_connections_per_ip: 64,
            auto_create_rooms: true,
            one_session_per_identity: true,
            max_frame_bytes: MAX_FRAME_BYTES,
            heartbeat_interval_ms: 5_000,
            heartbeat_timeout_ms: 15_000,
            resume_window_ms: 30_000,
            max_unacked: 4_096,
            max_unacked_bytes: 8 * 1024 * 1024,
            rate_per_connection: 50,
            burst_per_connection: 200,
            rate_per_ip: 500,
            burst_per_ip: 2_000,
            abuse_limit: 50,
            allowed_origins: Vec::new(),
            cors_origins: Vec::new(),
            stun_urls: Vec::new(),
            turn_urls: Vec::new(),
            turn_secret: None,
            turn_ttl_secs: 3_600,
            static_ice_servers: None,
            drain_ms: 1_000,
            log_format: LogFormat::Text,
            redis_url: None,
            redis_timeout_ms: 1_000,
            instance_id: None,
        }
    }
}

impl Config {
    /// Refuses configurations that cannot run safely, naming what to set.
    pub fn validate(&self) -> Result<(), ConfigError> {
        match &self.token_secret {
            None if !self.dev => return Err(ConfigError::MissingTokenSecret),
            Some(s) if s.len() < MIN_SECRET_BYTES => return Err(ConfigError::ShortTokenSecret),
            _ => {}
        }
        if self.api_key.is_some() != self.api_secret.is_some() {
            return Err(ConfigError::HalfApiCredentials);
        }
        if !self.turn_urls.is_empty() && self.turn_secret.is_none() {
            return Err(ConfigError::TurnWithoutSecret);
        }
        if self.heartbeat_timeout_ms <= self.heartbeat_interval_ms {
            return Err(ConfigError::HeartbeatTimeoutTooShort);
        }
        for (flag, list) in [
            ("--allowed-origins", &self.allowed_origins),
            ("--cors-origins", &self.cors_origins),
        ] {
            if let Some(bad) = list.iter().find(|o| !is_origin(o)) {
                return Err(ConfigError::BadUrl(format!(
                    "{flag}: {bad:?} is not an origin like https://app.example.org or http://localhost:3000 (scheme, host and port only)"
                )));
            }
        }
        for url in &self.stun_urls {
            if !(url.starts_with("stun:") || url.starts_with("stuns:")) {
                return Err(ConfigError::BadUrl(format!(
                    "--stun-urls: {url:?} must start with stun: or stuns:"
                )));
            }
        }
        for url in &self.turn_urls {
            if !(url.starts_with("turn:") || url.starts_with("turns:")) {
                return Err(ConfigError::BadUrl(format!(
                    "--turn-urls: {url:?} must start with turn: or turns:"
                )));
            }
        }
        self.parsed_static_ice_servers()?;
        if let Some(url) = &self.redis_url {
            let scheme_ok = ["redis://", "rediss://", "unix://", "redis+unix://"]
                .iter()
                .any(|s| url.starts_with(s));
            if !scheme_ok {
                return Err(ConfigError::BadUrl(
                    "--redis-url must start with redis://, rediss:// or unix:// (e.g. redis://127.0.0.1:6379/0)".into(),
                ));
            }
        }
        if let Some(id) = &self.instance_id {
            if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(ConfigError::BadInstanceId);
            }
        }
        Ok(())
    }

    /// The Redis command timeout.
    pub fn redis_timeout(&self) -> Duration {
        Duration::from_millis(self.redis_timeout_ms.max(1))
    }

    /// The `--static-ice-servers` list, parsed.
    pub fn parsed_static_ice_servers(&self) -> Result<Vec<IceServer>, ConfigError> {
        match &self.static_ice_servers {
            None => Ok(Vec::new()),
            Some(text) => serde_json::from_str(text)
                .map_err(|e| ConfigError::BadStaticIceServers(e.to_string())),
        }
    }

    /// How long a connection may stay silent.
    pub fn heartbeat_timeout(&self) -> Duration {
        Duration::from_millis(self.heartbeat_timeout_ms.max(1))
    }

    /// How often the server pings each connection.
    pub fn heartbeat_interval(&self) -> Duration {
        Duration::from_millis(self.heartbeat_interval_ms.max(1))
    }

    /// Both heartbeat numbers, as `welcome` tells them.
    pub fn heartbeat(&self) -> Heartbeat {
        Heartbeat {
            interval_ms: self.heartbeat_interval_ms,
            timeout_ms: self.heartbeat_timeout_ms,
        }
    }

    /// How long a detached session waits for `resume`.
    pub fn resume_window(&self) -> Duration {
        Duration::from_millis(self.resume_window_ms)
    }

    /// The largest frame the WebSocket layer reads at all: frames between
    /// `max_frame_bytes` and this get `frameTooLarge`; larger ones end the connection.
    pub fn hard_frame_limit(&self) -> usize {
        self.max_frame_bytes.saturating_mul(4)
    }

    /// The static directories that do not exist, with the option that names each.
    pub fn missing_dirs(&self) -> Vec<(&'static str, &PathBuf)> {
        [("--www-dir", &self.www_dir), ("--pkg-dir", &self.pkg_dir)]
            .into_iter()
            .filter(|(_, dir)| !dir.is_dir())
            .collect()
    }
}

/// Whether `text` is an origin: `http://` or `https://`, then a host and optional port,
/// nothing else (a trailing `/` is tolerated).
fn is_origin(text: &str) -> bool {
    let text = text.trim().trim_end_matches('/');
    let Some(authority) = text
        .strip_prefix("http://")
        .or_else(|| text.strip_prefix("https://"))
    else {
        return false;
    };
    !authority.is_empty()
        && !authority.contains(['/', '?', '#', '@', ' ', '*'])
        && authority.is_ascii()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Config, clap::Error> {
        Config::try_parse_from(std::iter::once("steadyrtc-server").chain(args.iter().copied()))
    }

    #[test]
    fn flags_set_their_fields() {
        let config = parse(&[
            "--host",
            "0.0.0.0",
            "--port",
            "0",
            "--dev",
            "--max-peers-per-room",
            "2",
            "--heartbeat-interval-ms",
            "100",
            "--heartbeat-timeout-ms",
            "300",
            "--resume-window-ms",
            "0",
            "--log-format",
            "json",
            "--stun-urls",
            "stun:a:3478,stun:b:3478",
            "--auto-create-rooms",
            "false",
            "--one-session-per-identity",
            "false",
        ])
        .unwrap();
        assert_eq!(config.host, "0.0.0.0");
        assert!(config.dev && !config.auto_create_rooms && !config.one_session_per_identity);
        assert_eq!(config.max_peers_per_room, 2);
        assert_eq!(
            config.heartbeat(),
            Heartbeat {
                interval_ms: 100,
                timeout_ms: 300
            }
        );
        assert_eq!(config.resume_window(), Duration::ZERO);
        assert_eq!(config.log_format, LogFormat::Json);
        assert_eq!(config.stun_urls, vec!["stun:a:3478", "stun:b:3478"]);
    }

    #[test]
    fn defaults_match_the_documented_values() {
        let c = Config::default();
        assert_eq!(
            c.heartbeat(),
            Heartbeat {
                interval_ms: 5_000,
                timeout_ms: 15_000
            }
        );
        assert_eq!(c.resume_window(), Duration::from_secs(30));
        assert_eq!(c.max_frame_bytes, 64 * 1024);
        assert_eq!(c.turn_ttl_secs, 3_600);
        assert!(!c.dev && c.one_session_per_identity);
    }

    #[test]
    fn out_of_range_values_are_rejected() {
        for (flag, value) in [
            ("--max-peers-per-room", "0"),
            ("--port", "70000"),
            ("--heartbeat-interval-ms", "0"),
            ("--log-format", "xml"),
            ("--max-frame-bytes", "10"),
        ] {
            assert!(parse(&[flag, value]).is_err(), "{flag} {value}");
        }
    }

    #[test]
    fn production_without_a_token_secret_refuses_naming_the_variable() {
        let err = Config::default().validate().unwrap_err();
        assert_eq!(err, ConfigError::MissingTokenSecret);
        assert!(err.to_string().contains("STEADYRTC_TOKEN_SECRET"), "{err}");
        let dev = Config {
            dev: true,
            ..Config::default()
        };
        assert_eq!(dev.validate(), Ok(()));
        let short = Config {
            token_secret: Some("short".into()),
            ..Config::default()
        };
        assert_eq!(short.validate(), Err(ConfigError::ShortTokenSecret));
    }

    #[test]
    fn inconsistent_combinations_are_refused() {
        let base = Config {
            dev: true,
            ..Config::default()
        };
        let cases = [
            (
                Config {
                    api_key: Some("k".into()),
                    ..base.clone()
                },
                ConfigError::HalfApiCredentials,
            ),
            (
                Config {
                    turn_urls: vec!["turn:t:3478".into()],
                    ..base.clone()
                },
                ConfigError::TurnWithoutSecret,
            ),
            (
                Config {
                    heartbeat_timeout_ms: 5_000,
                    ..base.clone()
                },
                ConfigError::HeartbeatTimeoutTooShort,
            ),
        ];
        for (config, expected) in cases {
            assert_eq!(config.validate(), Err(expected));
        }
        let bad_url = Config {
            stun_urls: vec!["http://x".into()],
            ..base.clone()
        };
        assert!(matches!(bad_url.validate(), Err(ConfigError::BadUrl(_))));
        for origins in [
            vec!["app.example".to_owned()],
            vec!["https://a.example/path".to_owned()],
            vec!["*".to_owned()],
        ] {
            let bad = Config {
                cors_origins: origins.clone(),
                ..base.clone()
            };
            assert!(
                matches!(bad.validate(), Err(ConfigError::BadUrl(_))),
                "{origins:?}"
            );
        }
        let good = Config {
            cors_origins: vec!["https://a.example".into(), "http://localhost:3000/".into()],
            allowed_origins: vec!["http://[::1]:8080".into()],
            ..base.clone()
        };
        assert_eq!(good.validate(), Ok(()));
        let bad_json = Config {
            static_ice_servers: Some("{".into()),
            ..base
        };
        assert!(matches!(
            bad_json.validate(),
            Err(ConfigError::BadStaticIceServers(_))
        ));
    }

    #[test]
    fn redis_url_and_instance_id_are_checked_before_binding() {
        let base = Config {
            dev: true,
            ..Config::default()
        };
        let with = |url: &str, id: Option<&str>| Config {
            redis_url: Some(url.into()),
            instance_id: id.map(Into::into),
            ..base.clone()
        };
        assert_eq!(
            with("redis://127.0.0.1:6379/0", Some("blue-1")).validate(),
            Ok(())
        );
        assert_eq!(with("rediss://cache.example:6380", None).validate(), Ok(()));
        assert!(matches!(
            with("127.0.0.1:6379", None).validate(),
            Err(ConfigError::BadUrl(_))
        ));
        for id in ["", "has space", &"x".repeat(65)] {
            assert_eq!(
                with("redis://r", Some(id)).validate(),
                Err(ConfigError::BadInstanceId),
                "{id:?}"
            );
        }
        let parsed = parse(&["--redis-url", "redis://r:1", "--instance-id", "a"]).unwrap();
        assert_eq!(
            (
                parsed.redis_url.as_deref(),
                parsed.instance_id.as_deref(),
                parsed.redis_timeout_ms
            ),
            (Some("redis://r:1"), Some("a"), 1_000)
        );
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
