//! Roles and grants: what a participant may do, as its token says and `welcome` repeats.
//!
//! This module decides the default grants of each role. It never checks a token: the
//! server does that and enforces the grants on every message.

use serde::{Deserialize, Serialize};

/// What a participant is in its room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Role {
    /// Runs the room: publishes, subscribes, chats, records, administers.
    Host,
    /// A normal participant: publishes, subscribes, chats.
    #[default]
    Guest,
    /// Watches only: subscribes and chats, never publishes.
    Listener,
}

impl Role {
    /// The wire string, e.g. `"host"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Host => "host",
            Role::Guest => "guest",
            Role::Listener => "listener",
        }
    }

    /// The grants a token of this role gets when it names none.
    pub fn default_grants(self) -> Grants {
        match self {
            Role::Host => Grants {
                publish: true,
                subscribe: true,
                chat: true,
                record: true,
                admin: true,
            },
            Role::Guest => Grants {
                publish: true,
                subscribe: true,
                chat: true,
                record: false,
                admin: false,
            },
            Role::Listener => Grants {
                publish: false,
                subscribe: true,
                chat: true,
                record: false,
                admin: false,
            },
        }
    }
}

/// What a participant may do. A missing field is `false`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Grants {
    /// Send media: send `offer` signals.
    pub publish: bool,
    /// Receive media: be sent `offer` signals.
    pub subscribe: bool,
    /// Send `chat`.
    pub chat: bool,
    /// Send `recording`.
    pub record: bool,
    /// Room administration (diagnostics over HTTP with this token).
    pub admin: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listener_cannot_publish_and_only_host_records_or_administers() {
        assert!(!Role::Listener.default_grants().publish);
        assert!(Role::Guest.default_grants().publish);
        for role in [Role::Guest, Role::Listener] {
            assert!(!role.default_grants().record && !role.default_grants().admin);
        }
        assert!(Role::Host.default_grants().record && Role::Host.default_grants().admin);
    }

    #[test]
    fn grants_default_missing_fields_to_false() {
        let g: Grants = serde_json::from_str(r#"{"chat":true}"#).unwrap();
        assert_eq!(
            g,
            Grants {
                chat: true,
                ..Grants::default()
            }
        );
        assert_eq!(
            serde_json::to_string(&Role::Listener).unwrap(),
            "\"listener\""
        );
    }
}
