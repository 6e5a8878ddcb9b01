//! The verdicts of the pre-call check (`checkConnectivity`): what each measurement the
//! browser made means for a call, as a step with `pass`, `warn` or `fail`, the time it
//! took and a sentence a user can act on. Pure: the browser layer measures (a socket, the
//! HTTP API, ICE gathering, the camera and microphone) and hands the results here.

use super::decimal::fixed;
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
    /// `loopback` only: the path the test call took, as the selected pair's local
    /// candidate type and how it reaches TURN (`relay/udp`, `relay/tcp`, `relay/tls`).
    /// Its round trip and bitrate are in `message`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
}

fn step(name: &'static str, status: Status, ms: u64, message: impl Into<String>) -> Step {
    Step {
        name,
        status,
        ms,
        message: message.into(),
        via: None,
    }
}

/// How media from here will travel, as far as the check could tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Path {
    /// UDP gets out (a public address through STUN, or a relay over UDP): media goes
    /// directly or through TURN over UDP.
    Udp,
    /// Only TURN over TCP got through: every call is relayed over TCP.
    TurnTcp,
    /// Only TURN over TLS got through: every call is relayed over TLS.
    TurnTls,
}

impl Path {
    /// The report's `path`: `udp`, `turnTcp`, `turnTls`.
    pub fn as_str(self) -> &'static str {
        match self {
            Path::Udp => "udp",
            Path::TurnTcp => "turnTcp",
            Path::TurnTls => "turnTls",
        }
    }
}

/// The whole report: `ok` when no step failed, the path media will take (`None`: none
/// was found), one sentence that sums it up, and the steps.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub ok: bool,
    pub path: Option<Path>,
    pub summary: String,
    pub steps: Vec<Step>,
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
    let udp_ok = relay(&["udp"]);
    let srflx = match (has("srflx"), kinds.stun || kinds.turn_udp) {
        // The browser leaves out a public address equal to a local one: with UDP reaching
        // the TURN server, no NAT is the likely reason, not a blocked STUN.
        (false, true) if udp_ok => step(
            "srflxCandidate",
            Status::Pass,
            ms,
            "No separate public address, but UDP reaches the servers: this device's own address is likely public (no NAT).",
        ),
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
            "STUN gave no public address: outgoing UDP may be blocked (calls may need TURN over TCP), or this device's address is already public.",
        ),
    };
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

/// A call to itself through TURN, measured: the round trip (`None` if the browser gave
/// none), the kilobits per second that arrived, and the selected pair's local candidate:
/// its type and, for a relay, how it reaches TURN.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Measured {
    pub rtt_ms: Option<f64>,
    pub kbps: f64,
    pub local_type: Option<String>,
    pub relay_protocol: Option<String>,
}

impl Measured {
    /// The path as `type/protocol` (`relay/tcp`), or the type alone.
    pub fn via(&self) -> Option<String> {
        let kind = self.local_type.as_deref()?;
        Some(match self.relay_protocol.as_deref() {
            Some(protocol) if kind == "relay" => {
                format!("{kind}/{}", protocol.to_ascii_lowercase())
            }
            _ => kind.to_owned(),
        })
    }
}

/// Whether a call to itself through TURN is worth trying: some relayed address came.
pub fn can_relay(gathered: &[Gathered]) -> bool {
    gathered.iter().any(|g| g.relay_via().is_some())
}

/// Below this, a relayed call will not carry video well.
pub const LOOPBACK_MIN_KBPS: f64 = 500.0;
/// Above this round trip, a relayed call feels laggy.
pub const LOOPBACK_MAX_RTT_MS: f64 = 300.0;

/// A call to itself through TURN (`None`: not tried, no TURN server): what was measured
/// over it (see `Measured`), or why no relayed path came up.
pub fn loopback(result: Option<Result<Measured, String>>, ms: u64) -> Step {
    let Some(result) = result else {
        return step(
            "loopback",
            Status::Warn,
            ms,
            "Not tried: no TURN server to relay a test call through.",
        );
    };
    let measured = match result {
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
    let rtt = measured.rtt_ms;
    let kbps = measured.kbps;
    let rtt_text = rtt.map_or_else(
        || "round trip unknown".into(),
        |r| format!("{} ms round trip", fixed(r, 0)),
    );
    let relayed = measured.local_type.as_deref() == Some("relay");
    let over = match measured.relay_protocol.as_deref() {
        Some("udp") if relayed => " over UDP",
        Some("tcp") if relayed => " over TCP",
        Some("tls") if relayed => " over TLS",
        _ => "",
    };
    let numbers = format!("{} kbps, {rtt_text}", fixed(kbps, 0));
    let mut verdict = if kbps < LOOPBACK_MIN_KBPS || rtt.is_some_and(|r| r > LOOPBACK_MAX_RTT_MS) {
        step(
            "loopback",
            Status::Warn,
            ms,
            format!(
                "A test call through TURN{over} is slow ({numbers}): expect low video quality."
            ),
        )
    } else {
        step(
            "loopback",
            Status::Pass,
            ms,
            format!("A test call through TURN{over} works ({numbers})."),
        )
    };
    verdict.via = measured.via();
    verdict
}

/// The path media will take from here: UDP when anything reached out over UDP (a public
/// address through STUN, a relay over UDP, or the test call over UDP); else the TURN
/// transport the test call took; else the one a relayed address was gathered over.
pub fn path(gathered: &[Gathered], measured: Option<&Measured>) -> Option<Path> {
    let over = |p: &str| match p {
        "udp" => Some(Path::Udp),
        "tcp" => Some(Path::TurnTcp),
        "tls" => Some(Path::TurnTls),
        _ => None,
    };
    let tried = measured
        .filter(|m| m.local_type.as_deref() == Some("relay"))
        .and_then(|m| m.relay_protocol.as_deref())
        .and_then(|p| over(&p.to_ascii_lowercase()));
    let relays = || gathered.iter().filter_map(|g| over(&g.relay_via()?));
    if gathered.iter().any(|g| g.kind == "srflx")
        || tried == Some(Path::Udp)
        || relays().any(|p| p == Path::Udp)
    {
        return Some(Path::Udp);
    }
    tried.or_else(|| relays().next())
}

/// The report from its steps: `ok` when none failed, the path (see `path`), and one
/// sentence: the first failure if there is one, else how calls will get through.
pub fn report(
    steps: Vec<Step>,
    gathered: &[Gathered],
    kinds: IceKinds,
    measured: Option<&Measured>,
) -> Report {
    let path = path(gathered, measured);
    let failed = steps.iter().find(|s| s.status == Status::Fail);
    let relayed = |over: &str| {
        format!("Ready for calls, relayed over {over}: UDP is blocked here, so media goes through TURN over {over}, with more delay than over UDP.")
    };
    let summary = match (failed, path) {
        (Some(step), _) => format!("Not ready for calls: {}", step.message),
        (None, Some(Path::Udp)) => {
            "Ready for calls: UDP gets through, directly or through TURN over UDP.".into()
        }
        (None, Some(Path::TurnTcp)) => relayed("TCP"),
        (None, Some(Path::TurnTls)) => relayed("TLS"),
        (None, None) if kinds.stun || kinds.turn_udp || kinds.turn_tcp => {
            "Calls may only work on this network: no STUN or TURN server answered.".into()
        }
        (None, None) => {
            "Calls will only work on the same network: no STUN or TURN server is configured.".into()
        }
    };
    Report {
        ok: failed.is_none(),
        path,
        summary,
        steps,
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
    fn no_public_address_with_udp_reaching_turn_is_a_public_address_not_a_blocked_stun() {
        let kinds = IceKinds {
            stun: true,
            turn_udp: true,
            turn_tcp: true,
        };
        // No NAT: the browser leaves out a public address equal to its own.
        let open = candidates(
            &[seen("host", None), seen("relay", Some("udp"))],
            kinds,
            500,
        );
        assert_eq!(open[1].status, Status::Pass, "{:?}", open[1]);
        assert!(open[1].message.contains("likely public"));
        // Nothing over UDP at all: still a warning, naming both readings.
        let blocked = candidates(&[seen("host", None)], kinds, 500);
        assert_eq!(blocked[1].status, Status::Warn);
        assert!(blocked[1].message.contains("UDP may be blocked"));
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

    fn measured(rtt_ms: Option<f64>, kbps: f64, protocol: &str) -> Measured {
        Measured {
            rtt_ms,
            kbps,
            local_type: Some("relay".into()),
            relay_protocol: Some(protocol.into()),
        }
    }

    #[test]
    fn the_turn_loopback_passes_when_fast_warns_when_slow_and_fails_without_a_path() {
        assert_eq!(loopback(None, 0).status, Status::Warn);
        let good = loopback(Some(Ok(measured(Some(12.4), 8_000.0, "udp"))), 5_100);
        assert_eq!((good.status, good.ms), (Status::Pass, 5_100));
        assert!(
            good.message
                .contains("over UDP works (8000 kbps, 12 ms round trip)"),
            "{}",
            good.message
        );
        assert_eq!(good.via.as_deref(), Some("relay/udp"));
        assert_eq!(
            loopback(Some(Ok(measured(Some(12.0), 300.0, "udp"))), 1).status,
            Status::Warn
        );
        assert_eq!(
            loopback(Some(Ok(measured(Some(450.0), 5_000.0, "tcp"))), 1).status,
            Status::Warn
        );
        let no_rtt = loopback(Some(Ok(measured(None, 5_000.0, "tcp"))), 1);
        assert_eq!(no_rtt.status, Status::Pass);
        assert!(no_rtt.message.contains("round trip unknown"));
        let none = loopback(Some(Err("no relayed path within 10 s".into())), 10_000);
        assert_eq!(none.status, Status::Fail);
        assert!(none.message.contains("no relayed path"));
        assert_eq!(none.via, None);
        // The extra fields are left out of the JSON when there is nothing to say.
        let json = serde_json::to_value(loopback(None, 0)).unwrap();
        assert!(json.get("via").is_none());
        let json = serde_json::to_value(&good).unwrap();
        assert_eq!(json["via"], serde_json::json!("relay/udp"));
    }

    fn all_steps(gathered: &[Gathered], kinds: IceKinds, call: Option<&Measured>) -> Vec<Step> {
        let mut steps = vec![
            signaling(Ok(3)),
            token(200, None, 4),
            ice_servers(Some(&[]), 4),
        ];
        steps.extend(candidates(gathered, kinds, 10_000));
        steps.push(loopback(call.cloned().map(Ok), 5_200));
        steps
    }

    #[test]
    fn udp_blocked_the_report_names_turn_over_tcp_as_the_working_path() {
        // What the network lab sees with UDP dropped: STUN and TURN over UDP silent,
        // TURN over TCP relaying, the test call over relay/tcp.
        let kinds = IceKinds {
            stun: true,
            turn_udp: true,
            turn_tcp: true,
        };
        let gathered = [seen("host", None), seen("relay", Some("tcp"))];
        let call = measured(Some(3.2), 2_400.0, "tcp");
        let steps = all_steps(&gathered, kinds, Some(&call));
        let loop_step = steps.last().unwrap().clone();
        assert_eq!(loop_step.status, Status::Pass);
        assert_eq!(loop_step.via.as_deref(), Some("relay/tcp"));
        assert!(
            loop_step.message.contains("through TURN over TCP works"),
            "{}",
            loop_step.message
        );
        let report = report(steps, &gathered, kinds, Some(&call));
        assert!(report.ok);
        assert_eq!(report.path, Some(Path::TurnTcp));
        assert!(
            report
                .summary
                .contains("UDP is blocked here, so media goes through TURN over TCP"),
            "{}",
            report.summary
        );
        assert_eq!(report.path.map(Path::as_str), Some("turnTcp"));
        let json = serde_json::to_value(&report.steps[7]).unwrap();
        assert_eq!(json["via"], serde_json::json!("relay/tcp"));
        assert!(report.steps[7]
            .message
            .contains("(2400 kbps, 3 ms round trip)"));
    }

    #[test]
    fn the_path_is_udp_when_anything_got_out_over_udp_and_none_without_servers() {
        let kinds = IceKinds {
            stun: true,
            turn_udp: true,
            turn_tcp: true,
        };
        let open = [
            seen("host", None),
            seen("srflx", None),
            seen("relay", Some("udp")),
            seen("relay", Some("tcp")),
        ];
        let call = measured(Some(1.0), 9_000.0, "udp");
        let r = report(
            all_steps(&open, kinds, Some(&call)),
            &open,
            kinds,
            Some(&call),
        );
        assert_eq!((r.ok, r.path), (true, Some(Path::Udp)));
        assert!(
            r.summary.starts_with("Ready for calls: UDP gets through"),
            "{}",
            r.summary
        );
        // A STUN answer alone is enough to know UDP gets out.
        assert_eq!(path(&[seen("srflx", None)], None), Some(Path::Udp));
        // Only TLS relayed, no test call: the path is TURN over TLS.
        assert_eq!(
            path(&[seen("relay", Some("tls"))], None),
            Some(Path::TurnTls)
        );
        // Nothing configured: no path, and the sentence says why.
        let host = [seen("host", None)];
        let r = report(
            all_steps(&host, IceKinds::default(), None),
            &host,
            IceKinds::default(),
            None,
        );
        assert_eq!((r.ok, r.path), (true, None));
        assert!(
            r.summary
                .contains("only work on the same network: no STUN or TURN server is configured"),
            "{}",
            r.summary
        );
        let r = report(all_steps(&host, kinds, None), &host, kinds, None);
        assert_eq!((r.ok, r.path), (false, None));
        assert!(
            r.summary
                .starts_with("Not ready for calls: TURN over UDP is unreachable"),
            "{}",
            r.summary
        );
    }

    #[test]
    fn a_failed_test_call_makes_the_report_not_ready_whatever_the_path() {
        let kinds = IceKinds {
            stun: false,
            turn_udp: false,
            turn_tcp: true,
        };
        let gathered = [seen("host", None), seen("relay", Some("tcp"))];
        let mut steps = all_steps(&gathered, kinds, None);
        steps.pop();
        steps.push(loopback(
            Some(Err("no relayed path within 10 s".into())),
            10_000,
        ));
        let r = report(steps, &gathered, kinds, None);
        assert_eq!((r.ok, r.path), (false, Some(Path::TurnTcp)));
        assert!(r.summary.contains("did not connect"), "{}", r.summary);
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
