//! The names of the events a `Room` emits. Pure Rust, shared by the API layer and the
//! native test that checks the published type definitions.

use crate::engine::room::RoomEvent;
use crate::error::{ErrorCode, SteadyError};

/// The name of an event a `Room` emits (a key of `RoomEvents` in the type definitions).
/// The names are those of [`RoomEvent`], the one schema of events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventName(&'static str);

impl EventName {
    pub fn as_str(self) -> &'static str {
        self.0
    }

    /// Parses an event name, or says which names exist.
    pub fn parse(name: &str) -> Result<Self, SteadyError> {
        RoomEvent::NAMES
            .into_iter()
            .find(|e| *e == name)
            .map(EventName)
            .ok_or_else(|| {
                SteadyError::new(
                    ErrorCode::InvalidArgument,
                    format!(
                        "unknown event {name:?}; events are {}",
                        RoomEvent::NAMES.join(", ")
                    ),
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
