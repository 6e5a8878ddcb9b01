//! The options of `Room.join`, read from the JS object's JSON (`options_read`) and
//! validated here, in pure Rust, so that every rule is tested natively. Unknown fields are
//! refused: a typo such as `iceServer` is an error with a clear message, not a silently
//! ignored option.

use crate::error::{ErrorCode, SteadyError};
use serde::Serialize;

/// Default time a join may take: socket open plus the server's welcome.
pub const DEFAULT_JOIN_TIMEOUT_MS: u32 = 10_000;

/// What `Room.join` accepts.
#[derive(Debug, Clone, PartialEq)]
pub struct RoomOptions {
    /// WebSocket URL of the signaling endpoint, `ws://` or `wss://`.
    pub url: String,
    /// Room to join.
    pub room: String,
    /// Display name shown to the others.
    pub name: String,
    /// Access token for this room, from the server's `POST /api/token` (minted by your
    /// backend with the API key, or by the dev server for the demo).
    pub token: Option<String>,
    pub media: MediaOptions,
    pub ice: IceOptions,
    /// How long the join may take before it fails with `signalingTimeout`.
    pub join_timeout_ms: u32,
    /// How long a lost connection to one peer is tried again (ICE restarts, then new
    /// connections) before it is given up (`failed`, `recoveryExhausted`).
    pub recovery_timeout_ms: u32,
    pub adaptive: AdaptiveOptions,
}

/// How each link's sending adapts (`adaptive` of `connect`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AdaptiveOptions {
    /// The best quality the ladder may climb to: `auto` (the default) reads it from the
    /// browser: `navigator.connection` (effectiveType, saveData), a mobile device, a low
    /// battery that is discharging. `high`, `medium`, `low`, `minimum` or `audioOnly`
    /// replace all of those. Unlike `setQuality`, which pins one rung, the ladder still
    /// steps down on a bad link. (A string checked by `validate`: an enum's derived
    /// reader costs more wasm than this.)
    pub preset: Option<String>,
}

impl AdaptiveOptions {
    /// The cap the preset sets, `None` for `auto`; an unknown name is refused.
    pub fn cap(&self) -> Result<Option<crate::engine::adapt::Rung>, String> {
        use crate::engine::adapt::Rung;
        match self.preset.as_deref() {
            None | Some("auto") => Ok(None),
            Some(name) => Rung::ALL
                .into_iter()
                .find(|r| r.as_str() == name)
                .map(Some)
                .ok_or_else(|| {
                    format!(
                        "adaptive.preset must be auto, high, medium, low, minimum or audioOnly; got {name:?}"
                    )
                }),
        }
    }
}

/// Default time a lost peer connection is tried again: 5 minutes.
pub const DEFAULT_RECOVERY_TIMEOUT_MS: u32 = 300_000;

/// Which local media to capture and publish.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaOptions {
    pub audio: bool,
    pub video: bool,
}

impl Default for MediaOptions {
    fn default() -> Self {
        Self {
            audio: true,
            video: true,
        }
    }
}

/// ICE configuration. No public STUN server is configured by default: an unreachable one
/// stalls gathering, and calls on one network need none.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IceOptions {
    pub ice_servers: Vec<IceServer>,
    pub ice_transport_policy: IceTransportPolicy,
}

/// One STUN or TURN server, as in `RTCIceServer`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IceServer {
    pub urls: Urls,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

impl From<steadyrtc_protocol::IceServer> for IceServer {
    /// An ICE server as the signaling server hands it out in `welcome`.
    fn from(s: steadyrtc_protocol::IceServer) -> Self {
        Self {
            urls: Urls::Many(s.urls),
            username: s.username,
            credential: s.credential,
        }
    }
}

/// `urls` may be one string or a list, as in the browser's API.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Urls {
    One(String),
    Many(Vec<String>),
}

impl Urls {
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        let slice: &[String] = match self {
            Urls::One(u) => std::slice::from_ref(u),
            Urls::Many(v) => v,
        };
        slice.iter().map(String::as_str)
    }
}

/// `all` uses every candidate; `relay` only TURN relays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum IceTransportPolicy {
    #[default]
    All,
    Relay,
}

impl RoomOptions {
    /// Checks every rule and returns the first broken one as `invalidOptions`.
    pub fn validate(&self) -> Result<(), SteadyError> {
        let invalid = |msg: String| SteadyError::new(ErrorCode::InvalidOptions, msg);
        if !(self.url.starts_with("ws://") || self.url.starts_with("wss://")) {
            return Err(invalid(format!(
                "url must start with ws:// or wss://, got {:?}",
                self.url
            )));
        }
        steadyrtc_protocol::validate_room(&self.room)
            .map_err(|e| invalid(format!("room: {}", e.message)))?;
        steadyrtc_protocol::validate_name(&self.name)
            .map_err(|e| invalid(format!("name: {}", e.message)))?;
        if let Some(token) = &self.token {
            // A JWT is three base64url parts; catch an empty or pasted-wrong value early.
            let looks_like_jwt = token.split('.').count() == 3
                && token.len() <= 8_192
                && token
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
            if !looks_like_jwt {
                return Err(invalid(
                    "token must be the JWT string from POST /api/token".into(),
                ));
            }
        }
        if !(1_000..=120_000).contains(&self.join_timeout_ms) {
            return Err(invalid(
                "joinTimeoutMs must be between 1000 and 120000".into(),
            ));
        }
        if !(5_000..=3_600_000).contains(&self.recovery_timeout_ms) {
            return Err(invalid(
                "recoveryTimeoutMs must be between 5000 and 3600000".into(),
            ));
        }
        self.adaptive.cap().map_err(invalid)?;
        self.ice.validate().map_err(invalid)
    }
}

/// What `new Peer(options)` accepts (the JS layer takes `media.stream` out first: a
/// `MediaStream` is not data).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PeerOptions {
    /// Perfect negotiation's role: exactly one of the two sides must be polite. The polite
    /// side offers first.
    pub polite: bool,
    pub ice_servers: Vec<IceServer>,
    pub ice_transport_policy: IceTransportPolicy,
    /// Camera and microphone to capture on `connect`; none when absent (data only).
    pub media: Option<MediaOptions>,
    /// The `peerId` of every event (the app's name for the remote peer). Default `remote`.
    pub peer_id: Option<String>,
}

impl PeerOptions {
    /// Checks every rule and returns the first broken one as `invalidOptions`.
    pub fn validate(&self) -> Result<(), SteadyError> {
        let invalid = |msg: String| SteadyError::new(ErrorCode::InvalidOptions, msg);
        if let Some(id) = &self.peer_id {
            if id.trim().is_empty() || id.chars().count() > 64 {
                return Err(invalid(
                    "peerId must be 1 to 64 characters, not blank".into(),
                ));
            }
        }
        self.ice().validate().map_err(invalid)
    }

    pub fn ice(&self) -> IceOptions {
        IceOptions {
            ice_servers: self.ice_servers.clone(),
            ice_transport_policy: self.ice_transport_policy,
        }
    }
}

/// What `checkConnectivity` accepts.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectivityOptions {
    /// The signaling URL, as for `connect`.
    pub url: String,
    /// A token for the server (as for `connect`).
    pub token: String,
    /// Which devices to try. Default: both.
    pub media: MediaOptions,
}

impl ConnectivityOptions {
    pub fn validate(&self) -> Result<(), SteadyError> {
        if !(self.url.starts_with("ws://") || self.url.starts_with("wss://")) {
            return Err(SteadyError::new(
                ErrorCode::InvalidOptions,
                format!("url must start with ws:// or wss://, got {:?}", self.url),
            ));
        }
        Ok(())
    }
}

impl IceOptions {
    /// The configuration a new peer connection uses: the app's own ICE servers if it gave
    /// any, else the ones the signaling server handed out (STUN, and TURN with fresh
    /// credentials), with the app's transport policy either way.
    pub fn or_server(&self, server: &[steadyrtc_protocol::IceServer]) -> IceOptions {
        if !self.ice_servers.is_empty() {
            return self.clone();
        }
        IceOptions {
            ice_servers: server.iter().cloned().map(IceServer::from).collect(),
            ice_transport_policy: self.ice_transport_policy,
        }
    }

    fn validate(&self) -> Result<(), String> {
        for (i, server) in self.ice_servers.iter().enumerate() {
            let mut any = false;
            for url in server.urls.iter() {
                any = true;
                let scheme = url.split(':').next().unwrap_or_default();
                match scheme {
                    "stun" | "stuns" => {}
                    "turn" | "turns" => {
                        if server.username.is_none() || server.credential.is_none() {
                            return Err(format!(
                                "ice.iceServers[{i}]: TURN url {url:?} needs username and credential"
                            ));
                        }
                    }
                    _ => {
                        return Err(format!(
                            "ice.iceServers[{i}]: url {url:?} must start with stun:, stuns:, turn: or turns:"
                        ))
                    }
                }
            }
            if !any {
                return Err(format!("ice.iceServers[{i}]: urls is empty"));
            }
        }
        if self.ice_transport_policy == IceTransportPolicy::Relay
            && !self
                .ice_servers
                .iter()
                .any(|s| s.urls.iter().any(|u| u.starts_with("turn")))
        {
            return Err("ice.iceTransportPolicy 'relay' needs at least one TURN server".into());
        }
        Ok(())
    }
}

/// Parses and validates options given as JSON (the API layer parses a JS object with the
/// same serde rules).
pub fn parse_options_json(json: &str) -> Result<RoomOptions, SteadyError> {
    let invalid = |e: String| SteadyError::new(ErrorCode::InvalidOptions, e);
    let options = RoomOptions::from_value(&crate::options_read::parse(json).map_err(invalid)?)
        .map_err(invalid)?;
    options.validate()?;
    Ok(options)
}

/// The value of `room.setQuality(...)`.
pub fn parse_quality(s: &str) -> Result<crate::engine::adapt::Preference, SteadyError> {
    use crate::engine::adapt::Preference;
    Ok(match s {
        "auto" => Preference::Auto,
        "high" => Preference::High,
        "medium" => Preference::Medium,
        "low" => Preference::Low,
        "audioOnly" => Preference::AudioOnly,
        _ => {
            return Err(SteadyError::new(
                ErrorCode::InvalidArgument,
                format!("quality must be auto, high, medium, low or audioOnly; got {s:?}"),
            ))
        }
    })
}

/// How much the library logs to the console (`logLevel` of `new Room`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Off,
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

impl LogLevel {
    pub fn parse(s: &str) -> Result<Self, SteadyError> {
        Ok(match s {
            "off" | "silent" => LogLevel::Off,
            "error" => LogLevel::Error,
            "warn" => LogLevel::Warn,
            "info" => LogLevel::Info,
            "debug" => LogLevel::Debug,
            "trace" => LogLevel::Trace,
            _ => {
                return Err(SteadyError::new(
                    ErrorCode::InvalidOptions,
                    format!(
                        "logLevel must be one of off, error, warn, info, debug, trace; got {s:?}"
                    ),
                ))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<RoomOptions, SteadyError> {
        parse_options_json(json)
    }

    #[test]
    fn peer_options_default_to_impolite_data_only_and_refuse_typos_and_bad_values() {
        let peer = |json: &str| PeerOptions::from_value(&serde_json::from_str(json).unwrap());
        let empty = peer("{}").unwrap();
        assert_eq!(empty, PeerOptions::default());
        assert!(empty.validate().is_ok());
        let full = peer(
            r#"{"polite": true, "iceServers": [{"urls": "stun:s:3478"}], "media": {"video": false}, "peerId": "bob"}"#,
        )
        .unwrap();
        assert!(full.polite && full.validate().is_ok());
        assert_eq!(full.ice().ice_servers.len(), 1);
        assert_eq!(
            full.media,
            Some(MediaOptions {
                audio: true,
                video: false
            })
        );
        assert!(peer(r#"{"initiator": true}"#)
            .unwrap_err()
            .contains("unknown field `initiator`"));
        assert_eq!(
            peer(r#"{"polite": "yes"}"#).unwrap_err(),
            "options.polite must be true or false"
        );
        for bad in [
            r#"{"peerId": " "}"#,
            r#"{"iceServers": [{"urls": "http://x"}]}"#,
        ] {
            let options = peer(bad).unwrap();
            assert_eq!(
                options.validate().unwrap_err().code,
                ErrorCode::InvalidOptions,
                "{bad}"
            );
        }
    }

    #[test]
    fn the_apps_ice_servers_win_and_otherwise_the_servers_are_used_with_the_apps_policy() {
        let server = [steadyrtc_protocol::IceServer {
            urls: vec!["turn:t:3478".into()],
            username: Some("u".into()),
            credential: Some("c".into()),
        }];
        let none = IceOptions {
            ice_servers: vec![],
            ice_transport_policy: IceTransportPolicy::Relay,
        };
        let used = none.or_server(&server);
        assert_eq!(used.ice_servers.len(), 1);
        assert_eq!(used.ice_servers[0].username.as_deref(), Some("u"));
        assert_eq!(used.ice_transport_policy, IceTransportPolicy::Relay);
        let own = IceOptions {
            ice_servers: vec![IceServer {
                urls: Urls::One("stun:s".into()),
                username: None,
                credential: None,
            }],
            ..IceOptions::default()
        };
        assert_eq!(own.or_server(&server), own);
    }

    #[test]
    fn quality_choices_parse_and_anything_else_is_an_invalid_argument() {
        use crate::engine::adapt::Preference;
        assert_eq!(parse_quality("audioOnly"), Ok(Preference::AudioOnly));
        assert_eq!(parse_quality("auto"), Ok(Preference::Auto));
        assert_eq!(
            parse_quality("audio-only").unwrap_err().code,
            ErrorCode::InvalidArgument
        );
    }

    #[test]
    fn log_levels_parse_and_a_typo_is_an_invalid_option() {
        assert_eq!(LogLevel::parse("warn"), Ok(LogLevel::Warn));
        assert!(LogLevel::Debug > LogLevel::Info);
        assert_eq!(
            LogLevel::parse("warning").unwrap_err().code,
            ErrorCode::InvalidOptions
        );
    }

    #[test]
    fn minimal_options_get_documented_defaults() {
        let o = parse(r#"{"url":"ws://localhost:8080/ws","room":"demo","name":"Ada"}"#).unwrap();
        assert_eq!(
            o.media,
            MediaOptions {
                audio: true,
                video: true
            }
        );
        assert!(o.ice.ice_servers.is_empty(), "no public STUN default");
        assert_eq!(o.ice.ice_transport_policy, IceTransportPolicy::All);
        assert_eq!(o.join_timeout_ms, DEFAULT_JOIN_TIMEOUT_MS);
        assert_eq!(o.recovery_timeout_ms, 300_000);
        assert_eq!(o.token, None);
        assert_eq!(o.adaptive.cap(), Ok(None), "auto: read from the browser");
    }

    #[test]
    fn an_adaptive_preset_names_the_best_rung_and_a_typo_is_refused() {
        use crate::engine::adapt::Rung;
        let with = |preset: &str| {
            parse(&format!(
                r#"{{"url":"ws://x/ws","room":"r","name":"n","adaptive":{{"preset":"{preset}"}}}}"#
            ))
        };
        assert_eq!(with("low").unwrap().adaptive.cap(), Ok(Some(Rung::Low)));
        assert_eq!(
            with("audioOnly").unwrap().adaptive.cap(),
            Ok(Some(Rung::AudioOnly))
        );
        assert_eq!(with("auto").unwrap().adaptive.cap(), Ok(None));
        let err = with("ultra").unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidOptions);
        assert!(err.message.contains("ultra"), "{}", err.message);
    }

    #[test]
    fn token_is_optional_and_must_look_like_a_jwt() {
        let o = parse(r#"{"url":"ws://x/ws","room":"r","name":"n","token":"aGVhZA.Ym9keQ.c2ln"}"#)
            .unwrap();
        assert_eq!(o.token.as_deref(), Some("aGVhZA.Ym9keQ.c2ln"));
        for bad in [r#""""#, r#""not a token""#, r#""a.b""#] {
            let json = format!(r#"{{"url":"ws://x/ws","room":"r","name":"n","token":{bad}}}"#);
            let err = parse(&json).unwrap_err();
            assert!(err.to_string().contains("token"), "{bad}: {err}");
        }
    }

    #[test]
    fn full_options_parse() {
        let o = parse(
            r#"{"url":"wss://x/ws","room":"r","name":"n","media":{"video":false},
               "ice":{"iceServers":[{"urls":"stun:stun.example:3478"},
                      {"urls":["turn:t:3478","turns:t:5349"],"username":"u","credential":"c"}],
                      "iceTransportPolicy":"relay"},"joinTimeoutMs":5000}"#,
        )
        .unwrap();
        assert_eq!(
            o.media,
            MediaOptions {
                audio: true,
                video: false
            }
        );
        assert_eq!(o.ice.ice_servers[1].urls.iter().count(), 2);
        assert_eq!(o.ice.ice_transport_policy, IceTransportPolicy::Relay);
    }

    #[test]
    fn typos_and_bad_values_are_invalid_options_with_a_reason() {
        let cases = [
            (r#"{"url":"http://x","room":"r","name":"n"}"#, "ws://"),
            (r#"{"url":"ws://x","room":"a b","name":"n"}"#, "room"),
            (r#"{"url":"ws://x","room":"r","name":" "}"#, "name"),
            (
                r#"{"url":"ws://x","room":"r","name":"n","iceServer":[]}"#,
                "iceServer",
            ),
            (r#"{"url":"ws://x","room":"r"}"#, "name"),
            (
                r#"{"url":"ws://x","room":"r","name":"n","joinTimeoutMs":5}"#,
                "joinTimeoutMs",
            ),
            (
                r#"{"url":"ws://x","room":"r","name":"n","recoveryTimeoutMs":4999}"#,
                "recoveryTimeoutMs must be between 5000 and 3600000",
            ),
            (
                r#"{"url":"ws://x","room":"r","name":"n","ice":{"iceServers":[{"urls":"turn:t"}]}}"#,
                "username",
            ),
            (
                r#"{"url":"ws://x","room":"r","name":"n","ice":{"iceServers":[{"urls":"http://t"}]}}"#,
                "stun:",
            ),
            (
                r#"{"url":"ws://x","room":"r","name":"n","ice":{"iceServers":[{"urls":[]}]}}"#,
                "empty",
            ),
            (
                r#"{"url":"ws://x","room":"r","name":"n","ice":{"iceTransportPolicy":"relay"}}"#,
                "TURN",
            ),
        ];
        for (json, needle) in cases {
            let err = parse(json).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidOptions, "{json}");
            assert!(err.message.contains(needle), "{json}: {}", err.message);
        }
    }

    #[test]
    fn ice_servers_from_the_welcome_keep_urls_and_credentials() {
        let from_server = steadyrtc_protocol::IceServer {
            urls: vec!["turn:10.0.0.3:3478?transport=tcp".into()],
            username: Some("1700000000:ada".into()),
            credential: Some("c2VjcmV0".into()),
        };
        let s = IceServer::from(from_server);
        assert_eq!(
            s.urls,
            Urls::Many(vec!["turn:10.0.0.3:3478?transport=tcp".into()])
        );
        assert_eq!(s.username.as_deref(), Some("1700000000:ada"));
        assert_eq!(s.credential.as_deref(), Some("c2VjcmV0"));
    }
}

/// Checks what `Match.start` wants from the queue, as the server will: at most 16 tags,
/// each (and the language) 1 to 32 characters.
pub fn validate_match_prefs(prefs: &steadyrtc_protocol::MatchPrefs) -> Result<(), SteadyError> {
    let bad = |t: &String| t.trim().is_empty() || t.chars().count() > 32;
    if prefs.tags.len() > 16 || prefs.tags.iter().chain(prefs.language.iter()).any(bad) {
        return Err(SteadyError::new(
            ErrorCode::InvalidOptions,
            "tags: at most 16, each (and language) 1 to 32 characters, not blank",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod match_prefs_tests {
    use super::*;
    use steadyrtc_protocol::MatchPrefs;

    #[test]
    fn match_prefs_are_held_to_the_servers_limits() {
        let prefs = |tags: &[&str], language: Option<&str>| MatchPrefs {
            tags: tags.iter().map(|t| t.to_string()).collect(),
            language: language.map(Into::into),
        };
        assert!(validate_match_prefs(&prefs(&["chess"], Some("en"))).is_ok());
        assert!(validate_match_prefs(&prefs(&[], None)).is_ok());
        for bad in [
            prefs(&[" "], None),
            prefs(&["x"; 17], None),
            prefs(&[], Some("")),
            prefs(&[&"y".repeat(33)], None),
        ] {
            assert_eq!(
                validate_match_prefs(&bad).unwrap_err().code,
                ErrorCode::InvalidOptions,
                "{bad:?}"
            );
        }
    }
}
