//! Room membership and routing: who is in which room, who may join, and which peer gets
//! which message when someone joins, leaves or signals.
//!
//! This module decides; it never sends. Every operation returns [`Delivery`]s ("peer X
//! gets message M") and the caller puts them on the wire, so the rules are unit tested
//! here without sockets, tasks or clocks. It never sees a message from another room's
//! peer: routing only ever looks inside the sender's own room.

use std::collections::HashMap;

use serde_json::Value;
use steadyrtc_protocol::{
    validate_name, validate_room, ErrorCode, LeaveReason, PeerId, PeerInfo, ServerMessage,
    PROTOCOL_VERSION,
};

/// One message for one peer.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub to: PeerId,
    pub message: ServerMessage,
}

impl Delivery {
    fn new(to: &str, message: ServerMessage) -> Self {
        Self {
            to: to.to_owned(),
            message,
        }
    }
}

/// Why a request was refused: the code and text of the `error` frame the requester gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: ErrorCode,
    pub message: String,
}

impl Refusal {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// The `error` frame for this refusal.
    pub fn to_message(&self) -> ServerMessage {
        ServerMessage::error(self.code, self.message.clone())
    }
}

/// A successful join: the new peer's id and what everyone (the joiner included) gets.
#[derive(Debug, Clone, PartialEq)]
pub struct Joined {
    pub peer_id: PeerId,
    pub deliveries: Vec<Delivery>,
}

/// Every room of one server, and the room of every joined peer.
#[derive(Debug)]
pub struct Rooms {
    max_peers_per_room: usize,
    /// Room name -> members in join order. A room exists only while it has members.
    rooms: HashMap<String, Vec<PeerInfo>>,
    /// Peer id -> the room it is in.
    peer_rooms: HashMap<PeerId, String>,
}

impl Rooms {
    /// Rooms that hold at most `max_peers_per_room` peers each (at least one).
    pub fn new(max_peers_per_room: usize) -> Self {
        Self {
            max_peers_per_room: max_peers_per_room.max(1),
            rooms: HashMap::new(),
            peer_rooms: HashMap::new(),
        }
    }

    /// Number of rooms with at least one peer.
    pub fn room_count(&self) -> usize {
        self.rooms.len()
    }

    /// Number of joined peers across all rooms.
    pub fn peer_count(&self) -> usize {
        self.peer_rooms.len()
    }

    /// Whether `peer` is in a room.
    pub fn contains(&self, peer: &str) -> bool {
        self.peer_rooms.contains_key(peer)
    }

    /// The members of `room` in join order (empty if the room does not exist).
    pub fn members(&self, room: &str) -> &[PeerInfo] {
        self.rooms.get(room).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Admits a new peer to `room`. `new_id` is asked for ids until it yields one that is
    /// not in use. The checks run in a fixed order: protocol version, room name, display
    /// name, room capacity. On success the joiner gets `welcome` (listing the others in
    /// join order) and every other member gets `peerJoined`.
    pub fn join(
        &mut self,
        mut new_id: impl FnMut() -> PeerId,
        protocol_version: u32,
        room: &str,
        name: &str,
    ) -> Result<Joined, Refusal> {
        if protocol_version != PROTOCOL_VERSION {
            return Err(Refusal::new(
                ErrorCode::UnsupportedVersion,
                format!(
                    "protocol version {protocol_version} is not supported; this server speaks {PROTOCOL_VERSION}"
                ),
            ));
        }
        validate_room(room).map_err(|e| Refusal::new(e.code, e.message))?;
        validate_name(name).map_err(|e| Refusal::new(e.code, e.message))?;
        let present = self.members(room).len();
        if present >= self.max_peers_per_room {
            return Err(Refusal::new(
                ErrorCode::RoomFull,
                format!("room {room:?} is full ({} peers)", self.max_peers_per_room),
            ));
        }

        let peer_id = loop {
            let id = new_id();
            if !self.peer_rooms.contains_key(&id) {
                break id;
            }
        };
        let me = PeerInfo {
            id: peer_id.clone(),
            name: name.to_owned(),
        };
        let members = self.rooms.entry(room.to_owned()).or_default();
        let mut deliveries = Vec::with_capacity(members.len() + 1);
        deliveries.push(Delivery::new(
            &peer_id,
            ServerMessage::Welcome {
                protocol_version: PROTOCOL_VERSION,
                room: room.to_owned(),
                peer_id: peer_id.clone(),
                peers: members.clone(),
            },
        ));
        for other in members.iter() {
            deliveries.push(Delivery::new(
                &other.id,
                ServerMessage::PeerJoined { peer: me.clone() },
            ));
        }
        members.push(me);
        self.peer_rooms.insert(peer_id.clone(), room.to_owned());
        Ok(Joined {
            peer_id,
            deliveries,
        })
    }

    /// Removes `peer` from its room; the others get `peerLeft` with `reason`. An empty room
    /// is removed. A peer that is in no room yields nothing.
    pub fn leave(&mut self, peer: &str, reason: LeaveReason) -> Vec<Delivery> {
        let Some(room) = self.peer_rooms.remove(peer) else {
            return Vec::new();
        };
        let Some(members) = self.rooms.get_mut(&room) else {
            return Vec::new();
        };
        members.retain(|m| m.id != peer);
        let deliveries = members
            .iter()
            .map(|m| {
                Delivery::new(
                    &m.id,
                    ServerMessage::PeerLeft {
                        peer_id: peer.to_owned(),
                        reason,
                    },
                )
            })
            .collect();
        if members.is_empty() {
            self.rooms.remove(&room);
        }
        deliveries
    }

    /// Routes a `signal` from `from` to `to`. Refused with `notJoined` if the sender is in
    /// no room, and with `unknownPeer` if `to` is not another member of the sender's room
    /// (a peer of another room is indistinguishable from one that does not exist).
    pub fn signal(&self, from: &str, to: &str, data: Value) -> Result<Delivery, Refusal> {
        let Some(room) = self.peer_rooms.get(from) else {
            return Err(Refusal::new(
                ErrorCode::NotJoined,
                "join a room before sending signals",
            ));
        };
        if to == from {
            return Err(Refusal::new(
                ErrorCode::UnknownPeer,
                "a peer cannot signal itself",
            ));
        }
        if self.peer_rooms.get(to) != Some(room) {
            return Err(Refusal::new(
                ErrorCode::UnknownPeer,
                format!("no peer {to:?} in room {room:?}"),
            ));
        }
        Ok(Delivery::new(
            to,
            ServerMessage::Signal {
                from: from.to_owned(),
                data,
            },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// An id source that yields "p1", "p2", ... so tests can name peers.
    fn ids() -> impl FnMut() -> PeerId {
        let mut n = 0;
        move || {
            n += 1;
            format!("p{n}")
        }
    }

    fn join(
        rooms: &mut Rooms,
        next: &mut impl FnMut() -> PeerId,
        room: &str,
        name: &str,
    ) -> Joined {
        rooms.join(next, PROTOCOL_VERSION, room, name).unwrap()
    }

    fn info(id: &str, name: &str) -> PeerInfo {
        PeerInfo {
            id: id.into(),
            name: name.into(),
        }
    }

    #[test]
    fn first_joiner_gets_welcome_with_no_peers() {
        let mut rooms = Rooms::new(16);
        let joined = rooms.join(ids(), PROTOCOL_VERSION, "demo", "Ada").unwrap();
        assert_eq!(joined.peer_id, "p1");
        assert_eq!(
            joined.deliveries,
            vec![Delivery::new(
                "p1",
                ServerMessage::Welcome {
                    protocol_version: PROTOCOL_VERSION,
                    room: "demo".into(),
                    peer_id: "p1".into(),
                    peers: vec![]
                }
            )]
        );
        assert_eq!((rooms.room_count(), rooms.peer_count()), (1, 1));
    }

    #[test]
    fn later_joiner_sees_others_in_join_order_and_they_see_it() {
        let mut rooms = Rooms::new(16);
        let mut next = ids();
        join(&mut rooms, &mut next, "demo", "Ada");
        join(&mut rooms, &mut next, "demo", "Bo");
        let joined = join(&mut rooms, &mut next, "demo", "Cy");
        let Delivery { to, message } = &joined.deliveries[0];
        assert_eq!(to, "p3");
        let ServerMessage::Welcome { peers, peer_id, .. } = message else {
            panic!("expected welcome, got {message:?}");
        };
        assert_eq!(peer_id, "p3");
        assert_eq!(peers, &vec![info("p1", "Ada"), info("p2", "Bo")]);
        let joined_msg = ServerMessage::PeerJoined {
            peer: info("p3", "Cy"),
        };
        assert_eq!(
            joined.deliveries[1..],
            [
                Delivery::new("p1", joined_msg.clone()),
                Delivery::new("p2", joined_msg)
            ]
        );
    }

    #[test]
    fn rooms_are_isolated_from_each_other() {
        let mut rooms = Rooms::new(16);
        let mut next = ids();
        join(&mut rooms, &mut next, "a", "Ada");
        let joined = join(&mut rooms, &mut next, "b", "Bo");
        assert_eq!(
            joined.deliveries.len(),
            1,
            "nobody in room a hears of room b"
        );
        assert_eq!(rooms.room_count(), 2);
    }

    #[test]
    fn join_checks_version_then_room_then_name() {
        let mut rooms = Rooms::new(16);
        let code = |rooms: &mut Rooms, v, room: &str, name: &str| {
            rooms.join(ids(), v, room, name).unwrap_err().code
        };
        assert_eq!(
            code(&mut rooms, PROTOCOL_VERSION + 1, "bad room", ""),
            ErrorCode::UnsupportedVersion
        );
        assert_eq!(
            code(&mut rooms, PROTOCOL_VERSION, "bad room", ""),
            ErrorCode::InvalidRoom
        );
        assert_eq!(
            code(&mut rooms, PROTOCOL_VERSION, "", "Ada"),
            ErrorCode::InvalidRoom
        );
        assert_eq!(
            code(&mut rooms, PROTOCOL_VERSION, "ok", "  "),
            ErrorCode::InvalidName
        );
        assert_eq!(
            code(&mut rooms, PROTOCOL_VERSION, "ok", "a\u{7}"),
            ErrorCode::InvalidName
        );
        assert_eq!(
            (rooms.room_count(), rooms.peer_count()),
            (0, 0),
            "refusals change nothing"
        );
    }

    #[test]
    fn full_room_refuses_and_frees_a_seat_after_leave() {
        let mut rooms = Rooms::new(2);
        let mut next = ids();
        join(&mut rooms, &mut next, "demo", "Ada");
        join(&mut rooms, &mut next, "demo", "Bo");
        let refusal = rooms
            .join(&mut next, PROTOCOL_VERSION, "demo", "Cy")
            .unwrap_err();
        assert_eq!(refusal.code, ErrorCode::RoomFull);
        assert!(
            rooms
                .join(&mut next, PROTOCOL_VERSION, "other", "Cy")
                .is_ok(),
            "other rooms are not full"
        );
        rooms.leave("p1", LeaveReason::Left);
        assert!(rooms
            .join(&mut next, PROTOCOL_VERSION, "demo", "Cy")
            .is_ok());
    }

    #[test]
    fn ids_in_use_are_never_handed_out_twice() {
        let mut rooms = Rooms::new(16);
        let mut always_same = || "dup".to_owned();
        join(&mut rooms, &mut always_same, "demo", "Ada");
        let mut seq = vec!["dup".to_owned(), "dup".to_owned(), "fresh".to_owned()].into_iter();
        let joined = rooms
            .join(
                || seq.next().unwrap_or_default(),
                PROTOCOL_VERSION,
                "demo",
                "Bo",
            )
            .unwrap();
        assert_eq!(joined.peer_id, "fresh");
    }

    #[test]
    fn leave_tells_the_others_with_the_reason_and_removes_empty_rooms() {
        let mut rooms = Rooms::new(16);
        let mut next = ids();
        join(&mut rooms, &mut next, "demo", "Ada");
        join(&mut rooms, &mut next, "demo", "Bo");
        assert_eq!(
            rooms.leave("p1", LeaveReason::Left),
            vec![Delivery::new(
                "p2",
                ServerMessage::PeerLeft {
                    peer_id: "p1".into(),
                    reason: LeaveReason::Left
                }
            )]
        );
        assert_eq!(rooms.members("demo"), &[info("p2", "Bo")]);
        assert_eq!(rooms.leave("p2", LeaveReason::Disconnected), vec![]);
        assert_eq!((rooms.room_count(), rooms.peer_count()), (0, 0));
    }

    #[test]
    fn leaving_twice_or_without_joining_yields_nothing() {
        let mut rooms = Rooms::new(16);
        let mut next = ids();
        join(&mut rooms, &mut next, "demo", "Ada");
        join(&mut rooms, &mut next, "demo", "Bo");
        assert_eq!(rooms.leave("p1", LeaveReason::Left).len(), 1);
        assert_eq!(rooms.leave("p1", LeaveReason::Disconnected), vec![]);
        assert_eq!(rooms.leave("nobody", LeaveReason::Left), vec![]);
    }

    #[test]
    fn signal_reaches_a_member_of_the_same_room_with_the_sender_id() {
        let mut rooms = Rooms::new(16);
        let mut next = ids();
        join(&mut rooms, &mut next, "demo", "Ada");
        join(&mut rooms, &mut next, "demo", "Bo");
        let data = json!({"kind": "offer", "sdp": "v=0"});
        assert_eq!(
            rooms.signal("p1", "p2", data.clone()).unwrap(),
            Delivery::new(
                "p2",
                ServerMessage::Signal {
                    from: "p1".into(),
                    data
                }
            )
        );
    }

    #[test]
    fn signal_to_another_room_or_nobody_or_self_is_unknown_peer() {
        let mut rooms = Rooms::new(16);
        let mut next = ids();
        join(&mut rooms, &mut next, "a", "Ada");
        join(&mut rooms, &mut next, "b", "Bo");
        for to in ["p2", "nobody", "p1"] {
            assert_eq!(
                rooms.signal("p1", to, json!({})).unwrap_err().code,
                ErrorCode::UnknownPeer,
                "{to}"
            );
        }
    }

    #[test]
    fn signal_from_a_peer_in_no_room_is_not_joined() {
        let mut rooms = Rooms::new(16);
        let mut next = ids();
        join(&mut rooms, &mut next, "a", "Ada");
        assert_eq!(
            rooms.signal("ghost", "p1", json!({})).unwrap_err().code,
            ErrorCode::NotJoined
        );
        rooms.leave("p1", LeaveReason::Left);
        assert_eq!(
            rooms.signal("p1", "p1", json!({})).unwrap_err().code,
            ErrorCode::NotJoined
        );
    }
}
