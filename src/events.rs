//! The names of the events a `Room` emits. Pure Rust, shared by the API layer and the
//! native test that checks the published type definitions.

use crate::error::{ErrorCode, SteadyError};

/// The events a `Room` emits (the keys of `RoomEvents` in the type definitions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventName {
    PeerJoined,
    PeerLeft,
    Track,
    StateChange,
    Message,
    Disconnected,
    SessionStateChange,
    Error,
}

impl EventName {
    pub const ALL: [EventName; 8] = [
        EventName::PeerJoined,
        EventName::PeerLeft,
        EventName::Track,
        EventName::StateChange,
        EventName::Message,
        EventName::Disconnected,
        EventName::SessionStateChange,
        EventName::Error,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventName::PeerJoined => "peerJoined",
            EventName::PeerLeft => "peerLeft",
            EventName::Track => "track",
            EventName::StateChange => "stateChange",
            EventName::Message => "message",
            EventName::Disconnected => "disconnected",
            EventName::SessionStateChange => "sessionStateChange",
            EventName::Error => "error",
        }
    }

    /// Parses an event name, or says which names exist.
    pub fn parse(name: &str) -> Result<Self, SteadyError> {
        Self::ALL
            .into_iter()
            .find(|e| e.as_str() == name)
            .ok_or_else(|| {
                let known: Vec<_> = Self::ALL.iter().map(|e| e.as_str()).collect();
                SteadyError::new(
                    ErrorCode::InvalidArgument,
                    format!("unknown event {name:?}; events are {}", known.join(", ")),
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
    fn type_definitions_list_every_event() {
        let events = TYPES
            .split("export interface RoomEvents")
            .nth(1)
            .unwrap_or_default();
        for e in EventName::ALL {
            assert!(
                events.contains(&format!("  {}: ", e.as_str())),
                "{} missing",
                e.as_str()
            );
        }
    }

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
        use crate::engine::ConnState::*;
        let states = TYPES
            .split("export type ConnectionState")
            .nth(1)
            .and_then(|s| s.split(';').next())
            .unwrap_or_default();
        for s in [Initializing, Signaling, IceGathering, IceExchange, Connecting, Connected, Reconnecting, Failed, Closed] {
            assert!(states.contains(&format!("\"{}\"", s.as_str())), "{} missing", s.as_str());
        }
    }

    #[test]
    fn event_names_parse_and_unknown_names_list_the_known_ones() {
        for e in EventName::ALL {
            assert_eq!(EventName::parse(e.as_str()), Ok(e));
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
