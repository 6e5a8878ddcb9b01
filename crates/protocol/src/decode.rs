//! Hand-written readers of what a client receives: [`ServerMessage`] and the
//! [`SignalEnvelope`] in a `signal`'s `data`.
//!
//! They accept what the serde derives accept (a test compares the two on every example,
//! and on each with one field removed, nulled or of another type), except a struct written
//! as a JSON list of its fields, which no server writes, and they are what `ServerMessage::parse_frame`
//! and `SignalEnvelope::from_value` use. The reason is size: serde reads an internally
//! tagged enum by buffering every field in a generic tree that is compiled again for each
//! type, which cost the WebAssembly client about a tenth of its code.

use crate::message::{LeaveReason, PeerInfo, ServerMessage};
use crate::signal::{SignalData, SignalEnvelope};
use crate::{ErrorCode, Grants, Heartbeat, IceServer, Role};
use serde_json::{Map, Value};

/// Why a value was refused: names the field and what it should have been.
pub type DecodeError = String;
type Result<T> = std::result::Result<T, DecodeError>;

/// The fields of one JSON object, read the way serde's derive reads a struct: unknown
/// fields ignored, a missing `Option` is `None`, a field with a default may be missing
/// (but not null).
struct Fields<'a> {
    map: &'a Map<String, Value>,
    what: &'a str,
}

impl<'a> Fields<'a> {
    fn of(value: &'a Value, what: &'a str) -> Result<Self> {
        match value {
            Value::Object(map) => Ok(Self { map, what }),
            _ => Err(format!("{what}: expected an object")),
        }
    }

    fn wrong(&self, key: &str, expected: &str) -> DecodeError {
        format!("{}: field `{key}` must be {expected}", self.what)
    }

    fn missing(&self, key: &str) -> DecodeError {
        format!("{}: missing field `{key}`", self.what)
    }

    /// The field, or `None` when absent.
    fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key)
    }

    fn required(&self, key: &str) -> Result<&'a Value> {
        self.get(key).ok_or_else(|| self.missing(key))
    }

    fn string(&self, key: &str) -> Result<String> {
        let v = self.required(key)?;
        v.as_str()
            .map(str::to_owned)
            .ok_or_else(|| self.wrong(key, "a string"))
    }

    fn string_or_default(&self, key: &str) -> Result<String> {
        match self.get(key) {
            None => Ok(String::new()),
            Some(v) => v
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| self.wrong(key, "a string")),
        }
    }

    fn opt_string(&self, key: &str) -> Result<Option<String>> {
        match self.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_str()
                .map(|s| Some(s.to_owned()))
                .ok_or_else(|| self.wrong(key, "a string")),
        }
    }

    fn u64_in(&self, key: &str, v: &Value, max: u64) -> Result<u64> {
        v.as_u64()
            .filter(|n| *n <= max)
            .ok_or_else(|| self.wrong(key, "a whole number in range"))
    }

    fn u64(&self, key: &str) -> Result<u64> {
        self.u64_in(key, self.required(key)?, u64::MAX)
    }

    fn u64_or_default(&self, key: &str) -> Result<u64> {
        self.get(key)
            .map_or(Ok(0), |v| self.u64_in(key, v, u64::MAX))
    }

    fn u32(&self, key: &str) -> Result<u32> {
        self.u32_of(key, self.required(key)?)
    }

    fn u32_of(&self, key: &str, v: &Value) -> Result<u32> {
        let n = self.u64_in(key, v, u32::MAX.into())?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    fn opt_u16(&self, key: &str) -> Result<Option<u16>> {
        match self.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => {
                let n = self.u64_in(key, v, u16::MAX.into())?;
                Ok(Some(u16::try_from(n).unwrap_or(u16::MAX)))
            }
        }
    }

    fn bool(&self, key: &str) -> Result<bool> {
        let v = self.required(key)?;
        v.as_bool().ok_or_else(|| self.wrong(key, "true or false"))
    }

    fn bool_or_default(&self, key: &str) -> Result<bool> {
        self.get(key).map_or(Ok(false), |v| {
            v.as_bool().ok_or_else(|| self.wrong(key, "true or false"))
        })
    }

    fn opt_bool(&self, key: &str) -> Result<Option<bool>> {
        match self.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_bool()
                .map(Some)
                .ok_or_else(|| self.wrong(key, "true or false")),
        }
    }

    /// A field read by `read` when present, `default` when absent.
    fn or_default<T>(
        &self,
        key: &str,
        read: impl Fn(&Value) -> Result<T>,
        default: T,
    ) -> Result<T> {
        self.get(key).map_or(Ok(default), read)
    }

    fn list<T>(&self, key: &str, item: impl Fn(&Value) -> Result<T>) -> Result<Vec<T>> {
        list(self.required(key)?, item).map_err(|e| format!("{}: `{key}`: {e}", self.what))
    }
}

fn list<T>(v: &Value, item: impl Fn(&Value) -> Result<T>) -> Result<Vec<T>> {
    match v {
        Value::Array(items) => items.iter().map(item).collect(),
        _ => Err("expected a list".into()),
    }
}

/// A unit enum written as one of its wire strings.
fn named<T: Copy>(v: &Value, what: &str, all: &[T], name: impl Fn(T) -> &'static str) -> Result<T> {
    let s = v
        .as_str()
        .ok_or_else(|| format!("{what}: expected a string"))?;
    all.iter()
        .copied()
        .find(|x| name(*x) == s)
        .ok_or_else(|| format!("{what}: unknown value {s:?}"))
}

fn role(v: &Value) -> Result<Role> {
    named(
        v,
        "role",
        &[Role::Host, Role::Guest, Role::Listener],
        Role::as_str,
    )
}

fn leave_reason(v: &Value) -> Result<LeaveReason> {
    let all = [
        LeaveReason::Left,
        LeaveReason::Disconnected,
        LeaveReason::Timeout,
    ];
    named(v, "reason", &all, |r| match r {
        LeaveReason::Left => "left",
        LeaveReason::Disconnected => "disconnected",
        LeaveReason::Timeout => "timeout",
    })
}

fn error_code(v: &Value) -> Result<ErrorCode> {
    named(v, "code", &ErrorCode::ALL, ErrorCode::as_str)
}

fn peer_info(v: &Value) -> Result<PeerInfo> {
    let f = Fields::of(v, "peer")?;
    Ok(PeerInfo {
        id: f.string("id")?,
        name: f.string("name")?,
        role: f.or_default("role", role, Role::default())?,
        polite: f.bool_or_default("polite")?,
    })
}

fn grants(v: &Value) -> Result<Grants> {
    let f = Fields::of(v, "grants")?;
    Ok(Grants {
        publish: f.bool_or_default("publish")?,
        subscribe: f.bool_or_default("subscribe")?,
        chat: f.bool_or_default("chat")?,
        record: f.bool_or_default("record")?,
        admin: f.bool_or_default("admin")?,
    })
}

fn heartbeat(v: &Value) -> Result<Heartbeat> {
    let f = Fields::of(v, "heartbeat")?;
    Ok(Heartbeat {
        interval_ms: f.u64("intervalMs")?,
        timeout_ms: f.u64("timeoutMs")?,
    })
}

fn ice_server(v: &Value) -> Result<IceServer> {
    let f = Fields::of(v, "iceServer")?;
    Ok(IceServer {
        urls: f.list("urls", |u| {
            u.as_str()
                .map(str::to_owned)
                .ok_or_else(|| "expected a string".into())
        })?,
        username: f.opt_string("username")?,
        credential: f.opt_string("credential")?,
    })
}

/// A list of ICE servers.
pub fn ice_servers(v: &Value) -> Result<Vec<IceServer>> {
    list(v, ice_server)
}

/// A server message from its JSON object (`type` names the variant; other fields than
/// the variant's, such as `seq`, are ignored).
pub fn server_message(v: &Value) -> Result<ServerMessage> {
    let kind = Fields::of(v, "message")?.string("type")?;
    let f = Fields::of(v, &kind)?;
    Ok(match kind.as_str() {
        "welcome" => ServerMessage::Welcome {
            protocol_version: f.u32("protocolVersion")?,
            room: f.string("room")?,
            peer_id: f.string("peerId")?,
            peers: f.list("peers", peer_info)?,
            session_id: f.string_or_default("sessionId")?,
            role: f.or_default("role", role, Role::default())?,
            grants: f.or_default("grants", grants, Grants::default())?,
            heartbeat: f.or_default("heartbeat", heartbeat, Heartbeat::default())?,
            resume_window_ms: f.u64_or_default("resumeWindowMs")?,
            ice_servers: f.or_default("iceServers", |l| list(l, ice_server), Vec::new())?,
        },
        "resumed" => ServerMessage::Resumed {
            session_id: f.string("sessionId")?,
            peer_id: f.string("peerId")?,
            room: f.string("room")?,
        },
        "peerJoined" => ServerMessage::PeerJoined {
            peer: peer_info(f.required("peer")?)?,
        },
        "peerLeft" => ServerMessage::PeerLeft {
            peer_id: f.string("peerId")?,
            reason: leave_reason(f.required("reason")?)?,
        },
        "signal" => ServerMessage::Signal {
            from: f.string("from")?,
            data: f.required("data")?.clone(),
        },
        "chat" => ServerMessage::Chat {
            from: f.string("from")?,
            text: f.string("text")?,
            private: f.bool_or_default("private")?,
            id: f.opt_string("id")?,
            name: f.string_or_default("name")?,
            sent_at: f.u64_or_default("sentAt")?,
        },
        "recording" => ServerMessage::Recording {
            by: f.string("by")?,
            active: f.bool("active")?,
        },
        "queued" => ServerMessage::Queued {
            position: f.or_default("position", |v| f.u32_of("position", v), 0)?,
        },
        "matched" => ServerMessage::Matched {
            room: f.string("room")?,
            peer: peer_info(f.required("peer")?)?,
            polite: f.bool("polite")?,
        },
        "roleChanged" => ServerMessage::RoleChanged {
            peer_id: f.string("peerId")?,
            role: role(f.required("role")?)?,
            grants: grants(f.required("grants")?)?,
            by: f.string("by")?,
        },
        "handRaised" => ServerMessage::HandRaised {
            peer_id: f.string("peerId")?,
            name: f.string("name")?,
            raised: f.bool("raised")?,
        },
        "ping" => ServerMessage::Ping {},
        "goAway" => ServerMessage::GoAway {
            reason: f.string("reason")?,
            reconnect_in_ms: f.u64("reconnectInMs")?,
        },
        "roomEnded" => ServerMessage::RoomEnded {
            room: f.string("room")?,
            reason: f.string("reason")?,
            by: f.opt_string("by")?,
        },
        "error" => ServerMessage::Error {
            code: error_code(f.required("code")?)?,
            message: f.string("message")?,
            id: f.opt_string("id")?,
        },
        other => return Err(format!("unknown message type {other:?}")),
    })
}

/// A signal's `data`: the payload tagged by `kind`, and its `epoch` (0 when absent).
pub fn signal_envelope(v: &Value) -> Result<SignalEnvelope> {
    let kind = Fields::of(v, "signal")?.string("kind")?;
    let f = Fields::of(v, &kind)?;
    let data = match kind.as_str() {
        "offer" => SignalData::Offer {
            sdp: f.string("sdp")?,
        },
        "answer" => SignalData::Answer {
            sdp: f.string("sdp")?,
        },
        "candidate" => SignalData::Candidate {
            candidate: f.string("candidate")?,
            sdp_mid: f.opt_string("sdpMid")?,
            sdp_m_line_index: f.opt_u16("sdpMLineIndex")?,
            username_fragment: f.opt_string("usernameFragment")?,
        },
        "endOfCandidates" => SignalData::EndOfCandidates,
        "reconnect" => SignalData::Reconnect,
        "mediaState" => SignalData::MediaState {
            video_paused: f.bool("videoPaused")?,
            reason: f.string_or_default("reason")?,
            camera: f.opt_bool("camera")?,
            microphone: f.opt_bool("microphone")?,
            screen: f.opt_string("screen")?,
        },
        "keyFrame" => SignalData::KeyFrame,
        other => return Err(format!("unknown signal kind {other:?}")),
    };
    let epoch = match f.get("epoch") {
        None => 0,
        Some(e) => u32::try_from(f.u64_in("epoch", e, u32::MAX.into())?).unwrap_or(u32::MAX),
    };
    Ok(SignalEnvelope { data, epoch })
}

#[cfg(test)]
#[path = "decode_tests.rs"]
mod tests;
