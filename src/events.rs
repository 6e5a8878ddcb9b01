//! The names of the events a `Room` emits. Pure Rust, shared by the API layer and the
//! native test that checks the published type definitions.

use crate::engine::room::RoomEvent;
use crate::error::{ErrorCode, SteadyError};

/// The name of an event a `Room` emits (a key of `RoomEvents` in the type definitions).
/// The names are those of [`RoomEvent`], the one schema of events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventName(&'static str);

impl EventName {
    /// A `Peer`'s `signal` event (no room event has that name).
    pub const SIGNAL: EventName = EventName("signal");

    pub fn as_str(self) -> &'static str {
        self.0
    }

    /// Parses the name of an event of a `Room`, or says which names exist.
    pub fn parse(name: &str) -> Result<Self, SteadyError> {
        Self::parse_in(&RoomEvent::NAMES, name)
    }

    /// Parses the name of an event of a `Peer`, or says which names exist.
    pub fn parse_peer(name: &str) -> Result<Self, SteadyError> {
        Self::parse_in(&crate::engine::peer_call::PEER_EVENT_NAMES, name)
    }

    fn parse_in(names: &[&'static str], name: &str) -> Result<Self, SteadyError> {
        names
            .iter()
            .find(|e| **e == name)
            .map(|e| EventName(e))
            .ok_or_else(|| {
                SteadyError::new(
                    ErrorCode::InvalidArgument,
                    format!("unknown event {name:?}; events are {}", names.join(", ")),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hand-written TypeScript definitions must name every event and error code.
    const TYPES: &str = include_str!("../pkg-template/steadyrtc.extra.d.ts");

    #[test]
    fn type_definitions_list_every_error_code() {
        for code in ErrorCode::ALL {
            assert!(
                TYPES.contains(&format!("| \"{}\"", code.as_str())),
                "{} missing",
                code.as_str()
            );
        }
    }

    #[test]
    fn type_definitions_list_every_connection_state() {
        let states = TYPES
            .split("export type ConnectionState")
            .nth(1)
            .and_then(|s| s.split(';').next())
            .unwrap_or_default();
        for s in crate::engine::ConnState::ALL {
            assert!(
                states.contains(&format!("\"{}\"", s.as_str())),
                "{} missing",
                s.as_str()
            );
        }
    }

    #[test]
    fn peer_events_are_room_events_but_signal_and_the_d_ts_declares_each() {
        use crate::engine::peer_call::PEER_EVENT_NAMES;
        let map = TYPES
            .split("export interface PeerEvents {")
            .nth(1)
            .and_then(|s| s.split("\n}").next())
            .expect("PeerEvents in the d.ts");
        let declared: Vec<&str> = map
            .lines()
            .map(str::trim)
            .filter_map(|l| l.split_once(": ").map(|(name, _)| name))
            .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric()))
            .collect();
        assert_eq!(declared, PEER_EVENT_NAMES);
        for name in PEER_EVENT_NAMES {
            assert_eq!(EventName::parse_peer(name).map(EventName::as_str), Ok(name));
            assert!(
                name == "signal" || RoomEvent::NAMES.contains(&name),
                "{name}"
            );
            if name != "signal" {
                // The same payload type as the room's event of that name.
                let room = TYPES
                    .split("export interface RoomEvents {")
                    .nth(1)
                    .and_then(|s| {
                        s.lines()
                            .map(str::trim)
                            .find(|l| l.starts_with(&format!("{name}: ")))
                    });
                let peer = map
                    .lines()
                    .map(str::trim)
                    .find(|l| l.starts_with(&format!("{name}: ")));
                assert_eq!(room, peer, "{name}");
            }
        }
        assert_eq!(
            EventName::parse_peer("peerJoined").unwrap_err().code,
            ErrorCode::InvalidArgument
        );
    }

    #[test]
    fn event_names_parse_and_unknown_names_list_the_known_ones() {
        for name in RoomEvent::NAMES {
            assert_eq!(EventName::parse(name).map(EventName::as_str), Ok(name));
        }
        let err = EventName::parse("peerjoined").unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidArgument);
        assert!(
            err.message.contains("peerJoined, peerLeft"),
            "{}",
            err.message
        );
    }
}
