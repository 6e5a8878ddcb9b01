//! The floor of a broadcast room: a host promotes a listener to publish and demotes it
//! again, listeners raise their hand, and the host counts its attendees.
//!
//! This part decides what a change of this participant's publish grant does (a lost grant
//! releases the capture; either way every link is renewed with the new grant, the other
//! side offering first when it may), when the attendee count is news, and which commands
//! are refused before anything is sent. The server enforces the grants again.

use super::{trace, RoomAction, RoomEngine, RoomEvent};
use crate::error::{ErrorCode, SteadyError};
use steadyrtc_protocol::{ClientMessage, Grants, Role, SignalData};

/// The protocol version that brought `endRoom`.
const END_ROOM_VERSION: u32 = 5;

impl RoomEngine {
    /// `promote` (`publish: true`) or `demote` the participant `peer_id`. Errors:
    /// `roomClosed`, `notConnected`, `forbidden` without the admin grant,
    /// `invalidArgument` for an unknown peer.
    pub fn set_publish(
        &mut self,
        now_ms: u64,
        peer_id: &str,
        publish: bool,
    ) -> Result<Vec<RoomAction>, SteadyError> {
        let step = trace::RoomStep::SetPublish {
            peer_id: peer_id.to_owned(),
            publish,
        };
        self.trace.record(now_ms, step);
        self.now = self.now.max(now_ms);
        self.require_signaling("a role change goes through the server")?;
        if !self.me.can_admin {
            return Err(SteadyError::new(
                ErrorCode::Forbidden,
                "promote and demote need the admin grant (a host's token)",
            ));
        }
        if !self.peers.contains_key(peer_id) {
            return Err(SteadyError::new(
                ErrorCode::InvalidArgument,
                format!("no peer {peer_id:?} in the room"),
            ));
        }
        let peer_id = peer_id.to_owned();
        self.out.push(RoomAction::Send {
            message: if publish {
                ClientMessage::Promote { peer_id }
            } else {
                ClientMessage::Demote { peer_id }
            },
        });
        Ok(std::mem::take(&mut self.out))
    }

    /// Ends the room for everyone (a host's right): the server sends every participant,
    /// this one included, `roomEnded` with reason `endedByHost`, and the room closes
    /// then. Errors: `roomClosed`, `notConnected`, `forbidden` without the admin grant,
    /// `serverRefused` when the server predates protocol version 5.
    pub fn end_room(&mut self, now_ms: u64) -> Result<Vec<RoomAction>, SteadyError> {
        self.trace.record(now_ms, trace::RoomStep::EndRoom);
        self.now = self.now.max(now_ms);
        self.require_signaling("ending the room goes through the server")?;
        if !self.me.can_admin {
            return Err(SteadyError::new(
                ErrorCode::Forbidden,
                "endRoom needs the admin grant (a host's token)",
            ));
        }
        if self.me.server_version < END_ROOM_VERSION {
            return Err(SteadyError::new(
                ErrorCode::ServerRefused,
                format!(
                    "the server speaks protocol version {}; ending a room needs version {END_ROOM_VERSION}",
                    self.me.server_version
                ),
            ));
        }
        self.out.push(RoomAction::Send {
            message: ClientMessage::EndRoom {},
        });
        Ok(std::mem::take(&mut self.out))
    }

    /// Raises (or lowers) this participant's hand: the hosts get `handRaised`. Errors:
    /// `roomClosed`, `notConnected`.
    pub fn raise_hand(
        &mut self,
        now_ms: u64,
        raised: bool,
    ) -> Result<Vec<RoomAction>, SteadyError> {
        self.trace
            .record(now_ms, trace::RoomStep::RaiseHand { raised });
        self.now = self.now.max(now_ms);
        self.require_signaling("a raised hand goes through the server")?;
        self.out.push(RoomAction::Send {
            message: ClientMessage::RaiseHand { raised },
        });
        Ok(std::mem::take(&mut self.out))
    }

    /// Whether this participant may publish now (its role's grant, or a promotion).
    pub fn can_publish(&self) -> bool {
        self.me.can_publish
    }

    /// The listeners this participant sees (a host sees every attendee).
    pub fn attendee_count(&self) -> usize {
        self.peers
            .values()
            .filter(|r| r.info.role == Role::Listener)
            .count()
    }

    /// `roleChanged`: ours (the publish grant may have changed) or another peer's.
    pub(super) fn role_changed(&mut self, peer_id: String, role: Role, grants: Grants, by: String) {
        if peer_id == self.me.peer_id {
            let could = self.me.can_publish;
            self.me.can_publish = grants.publish;
            self.me.can_record = grants.record;
            self.me.can_admin = grants.admin;
            if could && !grants.publish {
                self.may_not_publish();
            }
            if could != grants.publish {
                self.renew_links();
            }
            self.emit(RoomEvent::RoleChanged {
                peer_id,
                role,
                by,
                local: true,
            });
        } else {
            let Some(remote) = self.peers.get_mut(&peer_id) else {
                return self.ignored("roleChanged", "not a peer of this room");
            };
            // It renews its links when it gains or loses the right to publish.
            remote.renewing |= (remote.info.role == Role::Listener) != (role == Role::Listener);
            remote.info.role = role;
            self.emit(RoomEvent::RoleChanged {
                peer_id,
                role,
                by,
                local: false,
            });
        }
        self.count_attendees();
    }

    /// Rebuilds every link at its next epoch after our publish grant changed, so that a
    /// promoted listener may offer (its camera, once on) and a demoted one answers
    /// receive-only. A peer that publishes offers first (asked with `reconnect`), as it did
    /// to us as a listener: we never offer into its own first offer (two offers crossing
    /// at the start of a connection make the browsers disagree on header extensions). We
    /// offer only to a listener, who cannot.
    fn renew_links(&mut self) {
        for id in self.open_links() {
            let Some(remote) = self.peers.get_mut(&id) else {
                continue;
            };
            remote.epoch = remote.epoch.wrapping_add(1);
            let epoch = remote.epoch;
            let we_offer = self.me.can_publish && remote.info.role == Role::Listener;
            self.close_link(&id);
            self.open_link(&id, we_offer);
            if !we_offer {
                self.send_signal(&id, SignalData::Reconnect, epoch);
            }
        }
    }

    /// Emits `attendees` when the number of listeners this participant sees changed.
    pub(super) fn count_attendees(&mut self) {
        let count = self.attendee_count();
        if count != self.attendees {
            self.attendees = count;
            self.emit(RoomEvent::Attendees {
                count: u32::try_from(count).unwrap_or(u32::MAX),
            });
        }
    }
}
