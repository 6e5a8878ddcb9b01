//! The verdicts of the pre-call check (`checkConnectivity`): what each measurement the
//! browser made means for a call, as a step with `pass`, `warn` or `fail`, the time it
//! took and a sentence a user can act on. Pure: the browser layer measures (a socket, the
//! HTTP API, ICE gathering, the camera and microphone) and hands the results here.

use crate::error::ErrorCode;
use serde::Serialize;
use steadyrtc_protocol::IceServer;

/// How a step went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Status {
    Pass,
    Warn,
    Fail,
}

/// One step of the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    /// Which check: `signaling`, `token`, `iceServers`, `hostCandidate`, `srflxCandidate`,
    /// `relayUdp`, `relayTcp`, `loopback`, `camera`, `microphone`.
    pub name: &'static str,
    pub status: Status,
    /// How long it took, in milliseconds.
    pub ms: u64,
    /// What it means, in words.
    pub message: String,
}

fn step(name: &'static str, status: Status, ms: u64, message: impl Into<String>) -> Step {
    Step {
        name,
        status,
        ms,
        message: message.into(),
    }
}

/// Where the server's ICE configuration is, from the signaling URL (`ws://host/ws` ->
/// `http://host/api/webrtc/config`).
pub fn config_url(ws_url: &str) -> Option<String> {
    let (scheme, rest) = ws_url.split_once("://")?;
    let scheme = match scheme {
        "ws" => "http",
        "wss" => "https",
        _ => return None,
    };
    let host = rest
        .split(['/', '?', '#'])
        .next()
        .filter(|h| !h.is_empty())?;
    Some(format!("{scheme}://{host}/api/webrtc/config"))
}

/// The signaling socket: opened after `ms`, or not (`why`).
pub fn signaling(result: Result<u64, (u64, String)>) -> Step {
    match result {
        Ok(ms) => step(
            "signaling",
            Status::Pass,
            ms,
            "The signaling server is reachable.",
        ),
        Err((ms, why)) => step(
            "signaling",
            Status::Fail,
            ms,
            format!("The signaling server cannot be reached ({why}): check the address, and that a firewall or proxy lets WebSockets through."),
        ),
    }
}

/// What the server's HTTP API answered to the token: its status (0: no answer) and its
/// error code, if any.
pub fn token(status: u16, code: Option<&str>, ms: u64) -> Step {
    match (status, code) {
        (200, _) => step("token", Status::Pass, ms, "The token is valid."),
        (0, _) => step(
            "token",
            Status::Fail,
            ms,
            "The server's HTTP API did not answer, so the token could not be checked.",
        ),
        (_, Some("tokenExpired")) => step(
            "token",
            Status::Fail,
            ms,
            "The token has expired: get a fresh one from your backend.",
        ),
        (401 | 403, code) => step(
            "token",
            Status::Fail,
            ms,
            format!(
                "The server refused the token ({}): it is invalid, or for another server.",
                code.unwrap_or("unauthorized")
            ),
        ),
        (status, code) => step(
            "token",
            Status::Fail,
            ms,
            format!(
                "The server answered {status} ({}) when the token was checked.",
                code.unwrap_or("no code")
            ),
        ),
    }
}

/// What kinds of ICE servers a list has: STUN, TURN over UDP, TURN over TCP (or TLS).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IceKinds {
    pub stun: bool,
    pub turn_udp: bool,
    pub turn_tcp: bool,
}

impl IceKinds {
    pub fn of(servers: &[IceServer]) -> Self {
        let mut kinds = IceKinds::default();
        for url in servers.iter().flat_map(|s| s.urls.iter()) {
            let url = url.to_ascii_lowercase();
            if url.starts_with("stun:") || url.starts_with("stuns:") {
                kinds.stun = true;
            } else if url.starts_with("turns:") || url.contains("transport=tcp") {
                kinds.turn_tcp = true;
            } else if url.starts_with("turn:") {
                kinds.turn_udp = true;
            }
        }
        kinds
    }
}

/// The ICE servers the server handed out (`None`: none could be fetched).
pub fn ice_servers(servers: Option<&[IceServer]>, ms: u64) -> Step {
    let Some(servers) = servers else {
        return step(
            "iceServers",
            Status::Fail,
            ms,
            "No ICE server list was received (the token check failed).",
        );
    };
    let kinds = IceKinds::of(servers);
    if kinds.turn_udp || kinds.turn_tcp {
        step(
            "iceServers",
            Status::Pass,
            ms,
            format!("{} ICE servers received, TURN among them.", servers.len()),
        )
    } else if kinds.stun {
        step("iceServers", Status::Warn, ms, "Only STUN servers were received: users behind strict NATs or firewalls will not connect without TURN.")
    } else {
        step("iceServers", Status::Warn, ms, "No STUN or TURN server was received: calls work only between devices on the same network.")
    }
}

/// A candidate the browser gathered: its type, for a relay how it reaches TURN (the
/// candidate's `relayProtocol`, which Chromium 156 leaves null for UDP), and the URL of
/// the server it came from (the candidate's `url`, else the older event's `url`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Gathered {
    pub kind: String,
    pub relay_protocol: Option<String>,
    pub url: Option<String>,
}

impl Gathered {
    /// How a relay candidate reaches its TURN server: what the browser says, else what
    /// the server's URL says (`turns:` TLS, `transport=tcp` TCP, else UDP).
    pub fn relay_via(&self) -> Option<String> {
        if self.kind != "relay" {
            return None;
        }
        self.relay_protocol.clone().or_else(|| {
            let url = self.url.as_deref()?.to_ascii_lowercase();
            Some(if url.starts_with("turns:") {
                "tls".into()
            } else if url.contains("transport=tcp") {
                "tcp".into()
            } else {
                "udp".into()
            })
        })
    }
}

/// The candidate steps from what was gathered in `ms` with the servers of `kinds`.
pub fn candidates(gathered: &[Gathered], kinds: IceKinds, ms: u64) -> [Step; 4] {
    let has = |kind: &str| gathered.iter().any(|g| g.kind == kind);
    let relay = |protocols: &[&str]| {
        gathered
            .iter()
            .filter_map(Gathered::relay_via)
            .any(|p| protocols.contains(&p.as_str()))
    };
    let host = if has("host") {
        step(
            "hostCandidate",
            Status::Pass,
            ms,
            "A local address was found.",
        )
    } else {
        step(
            "hostCandidate",
            Status::Fail,
            ms,
            "No local address was found: WebRTC may be disabled by a browser setting or extension.",
        )
    };
    let srflx = match (has("srflx"), kinds.stun || kinds.turn_udp) {
        (true, _) => step(
            "srflxCandidate",
            Status::Pass,
            ms,
            "The public address was found through STUN.",
        ),
        (false, false) => step(
            "srflxCandidate",
            Status::Warn,
            ms,
            "No STUN server to find the public address with.",
        ),
        (false, true) => step(
            "srflxCandidate",
            Status::Warn,
            ms,
            "STUN did not answer: outgoing UDP may be blocked, so calls may need TURN over TCP.",
        ),
    };
    let udp_ok = relay(&["udp"]);
    let tcp_ok = relay(&["tcp", "tls"]);
    let relay_udp = match (udp_ok, kinds.turn_udp) {
        (true, _) => step("relayUdp", Status::Pass, ms, "TURN over UDP works."),
        (false, false) => step("relayUdp", Status::Warn, ms, "No TURN server over UDP was configured."),
        (false, true) if tcp_ok => step("relayUdp", Status::Warn, ms, "TURN over UDP is unreachable (UDP looks blocked), but TURN over TCP works: calls will be relayed over TCP."),
        (false, true) => step("relayUdp", Status::Fail, ms, "TURN over UDP is unreachable: check the TURN server and the firewall."),
    };
    let relay_tcp = match (tcp_ok, kinds.turn_tcp) {
        (true, _) if !udp_ok => step(
            "relayTcp",
            Status::Pass,
            ms,
            "TURN over TCP works: it is the path calls will take here.",
        ),
        (true, _) => step("relayTcp", Status::Pass, ms, "TURN over TCP works."),
        (false, false) => step(
            "relayTcp",
            Status::Warn,
            ms,
            "No TURN server over TCP was configured: networks that block UDP cannot call.",
        ),
        (false, true) => step(
            "relayTcp",
            Status::Fail,
            ms,
            "TURN over TCP is unreachable: check the TURN server and the firewall.",
        ),
    };
    [host, srflx, relay_udp, relay_tcp]
}

/// Whether a call to itself through TURN is worth trying: some relayed address came.
pub fn can_relay(gathered: &[Gathered]) -> bool {
    gathered.iter().any(|g| g.relay_via().is_some())
}

/// Below this, a relayed call will not carry video well.
pub const LOOPBACK_MIN_KBPS: f64 = 500.0;
/// Above this round trip, a relayed call feels laggy.
pub const LOOPBACK_MAX_RTT_MS: f64 = 300.0;

/// A call to itself through TURN (`None`: not tried, no TURN server): the round trip and
/// the bitrate that arrived over the measurement, or why no relayed path came up.
pub fn loopback(result: Option<Result<(Option<f64>, f64), String>>, ms: u64) -> Step {
    let Some(result) = result else {
        return step(
            "loopback",
            Status::Warn,
            ms,
            "Not tried: no TURN server to relay a test call through.",
        );
    };
    let (rtt, kbps) = match result {
        Ok(measured) => measured,
        Err(why) => {
            return step(
                "loopback",
                Status::Fail,
                ms,
                format!("A test call through TURN did not connect ({why})."),
            )
        }
    };
    let rtt_text = rtt.map_or_else(
        || "round trip unknown".into(),
        |r| format!("{} ms round trip", r.round()),
    );
    let measured = format!("{} kbps, {rtt_text}", kbps.round());
    if kbps < LOOPBACK_MIN_KBPS || rtt.is_some_and(|r| r > LOOPBACK_MAX_RTT_MS) {
        step(
            "loopback",
            Status::Warn,
            ms,
            format!("A test call through TURN is slow ({measured}): expect low video quality."),
        )
    } else {
        step(
            "loopback",
            Status::Pass,
            ms,
            format!("A test call through TURN works ({measured})."),
        )
    }
}

/// The camera or the microphone: captured after `ms`, or refused with `code`.
pub fn device(name: &'static str, result: Result<(), ErrorCode>, ms: u64) -> Step {
    let what = if name == "camera" {
        "camera"
    } else {
        "microphone"
    };
    let Err(code) = result else {
        return step(name, Status::Pass, ms, format!("The {what} works."));
    };
    let message = match code {
        ErrorCode::MediaPermissionDenied => {
            format!("Access to the {what} was refused: allow it in the browser's site settings.")
        }
        ErrorCode::MediaDeviceNotFound => format!("No {what} was found: plug one in."),
        ErrorCode::MediaDeviceInUse => {
            format!("The {what} is in use by another application: close it.")
        }
        _ => format!("The {what} cannot be used here ({}).", code.as_str()),
    };
    step(name, Status::Fail, ms, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(url: &str) -> IceServer {
        IceServer {
            urls: vec![url.into()],
            username: None,
            credential: None,
        }
    }

    fn seen(kind: &str, protocol: Option<&str>) -> Gathered {
        Gathered {
            kind: kind.into(),
            relay_protocol: protocol.map(str::to_owned),
            url: None,
        }
    }

    #[test]
    fn a_relay_without_relay_protocol_is_read_from_its_servers_url() {
        let from = |url: &str| Gathered {
            kind: "relay".into(),
            relay_protocol: None,
            url: Some(url.into()),
        };
        assert_eq!(
            from("turn:t:3478?transport=udp").relay_via().as_deref(),
            Some("udp")
        );
        assert_eq!(from("turn:t:3478").relay_via().as_deref(), Some("udp"));
        assert_eq!(
            from("turn:t:3478?transport=tcp").relay_via().as_deref(),
            Some("tcp")
        );
        assert_eq!(from("turns:t:5349").relay_via().as_deref(), Some("tls"));
        let said = Gathered {
            relay_protocol: Some("tcp".into()),
            ..from("turn:t:3478?transport=udp")
        };
        assert_eq!(said.relay_via().as_deref(), Some("tcp"));
        assert!(can_relay(&[seen("host", None), said.clone()]));
        assert!(!can_relay(&[seen("host", None), seen("srflx", None)]));
        assert_eq!(
            Gathered {
                kind: "host".into(),
                ..said
            }
            .relay_via(),
            None
        );
        let kinds = IceKinds {
            stun: false,
            turn_udp: true,
            turn_tcp: true,
        };
        let steps = candidates(
            &[
                from("turn:t:3478?transport=udp"),
                from("turn:t:3478?transport=tcp"),
            ],
            kinds,
            5,
        );
        assert_eq!(steps[2].status, Status::Pass);
        assert_eq!(steps[3].status, Status::Pass);
    }

    #[test]
    fn ice_server_kinds_are_read_from_their_urls() {
        let list = [
            server("stun:s.example.org:3478"),
            server("turn:t.example.org:3478?transport=udp"),
        ];
        assert_eq!(
            IceKinds::of(&list),
            IceKinds {
                stun: true,
                turn_udp: true,
                turn_tcp: false
            }
        );
        let tcp = [server("turn:t:3478?transport=tcp"), server("turns:t:5349")];
        assert_eq!(
            IceKinds::of(&tcp),
            IceKinds {
                stun: false,
                turn_udp: false,
                turn_tcp: true
            }
        );
        assert_eq!(ice_servers(Some(&list), 3).status, Status::Pass);
        assert_eq!(
            ice_servers(Some(&[server("stun:s")]), 3).status,
            Status::Warn
        );
        assert_eq!(ice_servers(Some(&[]), 3).status, Status::Warn);
        assert_eq!(ice_servers(None, 3).status, Status::Fail);
    }

    #[test]
    fn udp_blocked_with_turn_over_tcp_working_names_tcp_as_the_path() {
        let kinds = IceKinds {
            stun: true,
            turn_udp: true,
            turn_tcp: true,
        };
        let steps = candidates(
            &[seen("host", None), seen("relay", Some("tcp"))],
            kinds,
            900,
        );
        let status: Vec<Status> = steps.iter().map(|s| s.status).collect();
        assert_eq!(
            status,
            [Status::Pass, Status::Warn, Status::Warn, Status::Pass]
        );
        assert!(steps[2].message.contains("UDP looks blocked"));
        assert!(steps[3].message.contains("the path calls will take"));
        assert!(steps.iter().all(|s| s.ms == 900));
    }

    #[test]
    fn everything_gathered_passes_and_nothing_configured_only_warns() {
        let all = [
            seen("host", None),
            seen("srflx", None),
            seen("relay", Some("udp")),
            seen("relay", Some("tls")),
        ];
        let kinds = IceKinds {
            stun: true,
            turn_udp: true,
            turn_tcp: true,
        };
        assert!(candidates(&all, kinds, 1)
            .iter()
            .all(|s| s.status == Status::Pass));
        let none = candidates(&[seen("host", None)], IceKinds::default(), 1);
        assert_eq!(
            none.iter().map(|s| s.status).collect::<Vec<_>>(),
            [Status::Pass, Status::Warn, Status::Warn, Status::Warn]
        );
        let broken = candidates(&[], kinds, 1);
        assert_eq!(
            broken.iter().map(|s| s.status).collect::<Vec<_>>(),
            [Status::Fail, Status::Warn, Status::Fail, Status::Fail]
        );
    }

    #[test]
    fn the_turn_loopback_passes_when_fast_warns_when_slow_and_fails_without_a_path() {
        assert_eq!(loopback(None, 0).status, Status::Warn);
        let good = loopback(Some(Ok((Some(12.4), 8_000.0))), 5_100);
        assert_eq!((good.status, good.ms), (Status::Pass, 5_100));
        assert!(
            good.message.contains("8000 kbps, 12 ms round trip"),
            "{}",
            good.message
        );
        assert_eq!(
            loopback(Some(Ok((Some(12.0), 300.0))), 1).status,
            Status::Warn
        );
        assert_eq!(
            loopback(Some(Ok((Some(450.0), 5_000.0))), 1).status,
            Status::Warn
        );
        assert_eq!(loopback(Some(Ok((None, 5_000.0))), 1).status, Status::Pass);
        let none = loopback(Some(Err("no relayed path within 10 s".into())), 10_000);
        assert_eq!(none.status, Status::Fail);
        assert!(none.message.contains("no relayed path"));
    }

    #[test]
    fn the_config_is_asked_of_the_signaling_servers_http_side() {
        assert_eq!(
            config_url("ws://localhost:8080/ws").as_deref(),
            Some("http://localhost:8080/api/webrtc/config")
        );
        assert_eq!(
            config_url("wss://rtc.example.org/ws?x=1").as_deref(),
            Some("https://rtc.example.org/api/webrtc/config")
        );
        assert_eq!(config_url("http://x/ws"), None);
        assert_eq!(config_url("ws:///ws"), None);
    }

    #[test]
    fn token_and_socket_and_device_verdicts() {
        assert_eq!(token(200, None, 5).status, Status::Pass);
        assert!(token(401, Some("tokenExpired"), 5)
            .message
            .contains("expired"));
        assert!(token(401, Some("invalidToken"), 5)
            .message
            .contains("invalidToken"));
        assert_eq!(token(0, None, 5).status, Status::Fail);
        assert_eq!(signaling(Ok(12)).status, Status::Pass);
        let down = signaling(Err((5_000, "no answer in 5 s".into())));
        assert_eq!((down.status, down.ms), (Status::Fail, 5_000));
        assert_eq!(device("camera", Ok(()), 40).status, Status::Pass);
        let denied = device("microphone", Err(ErrorCode::MediaPermissionDenied), 40);
        assert_eq!(denied.status, Status::Fail);
        assert!(denied.message.contains("microphone"));
        assert_eq!(
            serde_json::to_value(&denied).unwrap()["status"],
            serde_json::json!("fail")
        );
    }
}
