//! Room membership and routing: who is in which room, who sees whom, who may join, and
//! which peer gets which message when someone joins, leaves, signals, chats or records.
//!
//! This module decides; it never sends. Every operation returns [`Delivery`]s ("peer X
//! gets message M") and the caller puts them on the wire, so the rules are unit tested
//! here without sockets, tasks or clocks. Routing only ever looks inside the sender's
//! own room, and in broadcast rooms listeners never see one another. It also assigns
//! perfect-negotiation roles: in every pair the later joiner is polite.

use std::collections::HashMap;

use serde_json::Value;
use steadyrtc_protocol::{ErrorCode, Grants, LeaveReason, PeerId, PeerInfo, Role, ServerMessage};

use crate::store::RoomMode;

/// One message for one peer.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub to: PeerId,
    pub message: ServerMessage,
}

impl Delivery {
    pub fn new(to: &str, message: ServerMessage) -> Self {
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
    /// The id of the client message refused (a chat line's).
    pub id: Option<String>,
}

impl Refusal {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            id: None,
        }
    }

    /// This refusal, about the client message `id`.
    pub fn about(mut self, id: Option<String>) -> Self {
        self.id = id;
        self
    }

    /// The `error` frame for this refusal.
    pub fn to_message(&self) -> ServerMessage {
        ServerMessage::Error {
            code: self.code,
            message: self.message.clone(),
            id: self.id.clone(),
        }
    }
}

/// A participant as the room keeps it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Member {
    pub id: PeerId,
    pub name: String,
    pub role: Role,
    pub grants: Grants,
}

impl Member {
    /// How `viewer` sees this member; `polite` is the viewer's side towards it.
    fn info(&self, polite: bool) -> PeerInfo {
        PeerInfo {
            id: self.id.clone(),
            name: self.name.clone(),
            role: self.role,
            polite,
        }
    }
}

/// One room: its rules and its members in join order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Room {
    pub mode: RoomMode,
    pub max_participants: usize,
    pub members: Vec<Member>,
}

impl Room {
    /// Whether `a` and `b` know of each other. In broadcast rooms two members that may
    /// not publish (listeners) do not.
    fn sees(&self, a: &Member, b: &Member) -> bool {
        a.id != b.id
            && !(self.mode == RoomMode::Broadcast && !a.grants.publish && !b.grants.publish)
    }

    fn member(&self, id: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.id == id)
    }
}

/// Whether an SDP has an audio or video section that sends (`a=sendrecv` or
/// `a=sendonly`; a section without a direction is `sendrecv` by default).
fn sends_media(sdp: &str) -> bool {
    let mut media = false;
    let mut direction: Option<&str> = None;
    let mut sends = false;
    let mut close = |media: bool, direction: Option<&str>| {
        sends |= media && matches!(direction, None | Some("sendrecv") | Some("sendonly"));
    };
    for line in sdp.lines().map(str::trim) {
        if let Some(m) = line.strip_prefix("m=") {
            close(media, direction);
            media = m.starts_with("audio") || m.starts_with("video");
            direction = None;
        } else if let Some(a) = line.strip_prefix("a=") {
            if matches!(a, "sendrecv" | "sendonly" | "recvonly" | "inactive") {
                direction = Some(a);
            }
        }
    }
    close(media, direction);
    sends
}

/// Every room of one server, and the room of every joined peer.
#[derive(Debug, Default)]
pub struct Rooms {
    rooms: HashMap<String, Room>,
    peer_rooms: HashMap<PeerId, String>,
}

impl Rooms {
    /// Puts back a room as it was (members in join order), e.g. one handed over by
    /// another instance. Replaces a room of that name.
    pub fn restore(&mut self, name: &str, room: Room) {
        for m in &room.members {
            self.peer_rooms.insert(m.id.clone(), name.to_owned());
        }
        self.rooms.insert(name.to_owned(), room);
    }

    /// Every room's name.
    pub fn names(&self) -> Vec<String> {
        self.rooms.keys().cloned().collect()
    }

    pub fn room_count(&self) -> usize {
        self.rooms.len()
    }

    pub fn peer_count(&self) -> usize {
        self.peer_rooms.len()
    }

    pub fn room(&self, name: &str) -> Option<&Room> {
        self.rooms.get(name)
    }

    pub fn room_of(&self, peer: &str) -> Option<&str> {
        self.peer_rooms.get(peer).map(String::as_str)
    }

    /// The members of `room` in join order (empty if the room does not exist).
    pub fn members(&self, room: &str) -> &[Member] {
        self.rooms
            .get(room)
            .map(|r| r.members.as_slice())
            .unwrap_or(&[])
    }

    /// Adds `me` to `room`, opening it with `mode` and `max` if it does not exist.
    /// Returns the peers `me` sees (each marked polite: the newcomer is polite towards
    /// everyone present) and the `peerJoined` deliveries for those who see `me` (where
    /// they are impolite). Refuses with `roomFull`.
    pub fn join(
        &mut self,
        room: &str,
        mode: RoomMode,
        max: usize,
        me: Member,
    ) -> Result<(Vec<PeerInfo>, Vec<Delivery>), Refusal> {
        let entry = self.rooms.entry(room.to_owned()).or_insert_with(|| Room {
            mode,
            max_participants: max.max(1),
            members: Vec::new(),
        });
        if entry.members.len() >= entry.max_participants {
            let refusal = Refusal::new(
                ErrorCode::RoomFull,
                format!(
                    "room {room:?} is full ({} participants)",
                    entry.max_participants
                ),
            );
            if entry.members.is_empty() {
                self.rooms.remove(room);
            }
            return Err(refusal);
        }
        let mut present = Vec::new();
        let mut deliveries = Vec::new();
        for other in &entry.members {
            if entry.sees(&me, other) {
                present.push(other.info(true));
                deliveries.push(Delivery::new(
                    &other.id,
                    ServerMessage::PeerJoined {
                        peer: me.info(false),
                    },
                ));
            }
        }
        self.peer_rooms.insert(me.id.clone(), room.to_owned());
        entry.members.push(me);
        Ok((present, deliveries))
    }

    /// Removes `peer` from its room; those who saw it get `peerLeft` with `reason`. An
    /// empty room is removed (the name is returned in the second field then).
    pub fn leave(&mut self, peer: &str, reason: LeaveReason) -> (Vec<Delivery>, Option<String>) {
        let Some(name) = self.peer_rooms.remove(peer) else {
            return (Vec::new(), None);
        };
        let Some(room) = self.rooms.get_mut(&name) else {
            return (Vec::new(), None);
        };
        let Some(pos) = room.members.iter().position(|m| m.id == peer) else {
            return (Vec::new(), None);
        };
        let me = room.members.remove(pos);
        let deliveries = room
            .members
            .iter()
            .filter(|m| room.sees(m, &me))
            .map(|m| {
                Delivery::new(
                    &m.id,
                    ServerMessage::PeerLeft {
                        peer_id: me.id.clone(),
                        reason,
                    },
                )
            })
            .collect();
        let emptied = if room.members.is_empty() {
            self.rooms.remove(&name);
            Some(name)
        } else {
            None
        };
        (deliveries, emptied)
    }

    /// Removes a whole room; returns its members.
    pub fn remove_room(&mut self, name: &str) -> Vec<Member> {
        let members = self
            .rooms
            .remove(name)
            .map(|r| r.members)
            .unwrap_or_default();
        for m in &members {
            self.peer_rooms.remove(&m.id);
        }
        members
    }

    /// The name of the room that `by` asks to end (`endRoom`). Refused with `notJoined`
    /// and `forbidden` (no admin grant).
    pub fn room_to_end(&self, by: &str) -> Result<String, Refusal> {
        let (_, me) = self.sender_and_room(by)?;
        if !me.grants.admin {
            return Err(Refusal::new(
                ErrorCode::Forbidden,
                "endRoom needs the admin grant (a host's token)",
            ));
        }
        self.peer_rooms
            .get(by)
            .cloned()
            .ok_or_else(|| Refusal::new(ErrorCode::NotJoined, "join a room first"))
    }

    fn sender_and_room(&self, from: &str) -> Result<(&Room, &Member), Refusal> {
        let room = self
            .peer_rooms
            .get(from)
            .and_then(|name| self.rooms.get(name))
            .ok_or_else(|| Refusal::new(ErrorCode::NotJoined, "join a room first"))?;
        let me = room
            .member(from)
            .ok_or_else(|| Refusal::new(ErrorCode::NotJoined, "join a room first"))?;
        Ok((room, me))
    }

    fn visible<'a>(room: &'a Room, me: &Member, to: &str) -> Result<&'a Member, Refusal> {
        room.member(to)
            .filter(|other| room.sees(me, other))
            .ok_or_else(|| {
                Refusal::new(
                    ErrorCode::UnknownPeer,
                    format!("no peer {to:?} in your room"),
                )
            })
    }

    /// Checks that `to` names a member of `from`'s room that `from` sees (never `from`
    /// itself): the one visibility rule of every message that names a peer (`signal`,
    /// `chat` to one peer, `report` about one peer). Refused with `unknownPeer`, also when
    /// `from` is in no room.
    pub fn check_visible(&self, from: &str, to: &str) -> Result<(), Refusal> {
        match self.sender_and_room(from) {
            Ok((room, me)) => Self::visible(room, me, to).map(|_| ()),
            Err(_) => Err(Refusal::new(
                ErrorCode::UnknownPeer,
                format!("no peer {to:?} in your room"),
            )),
        }
    }

    /// Routes a `signal`. Refused with `notJoined` (sender in no room), `unknownPeer` (`to`
    /// is not a member the sender sees, or is the sender) and `forbidden` (an `offer` from
    /// a sender without the publish grant, or to a peer without the subscribe grant; an
    /// `answer` of such a sender that would send audio or video).
    pub fn signal(&self, from: &str, to: &str, data: Value) -> Result<Delivery, Refusal> {
        let kind = data.get("kind").and_then(Value::as_str);
        let sdp = data.get("sdp").and_then(Value::as_str);
        self.check_signal(from, to, kind, sdp)?;
        Ok(Delivery::new(
            to,
            ServerMessage::Signal {
                from: from.to_owned(),
                data,
            },
        ))
    }

    /// The rules of [`Rooms::signal`] for a signal whose `data` has `kind` and `sdp`
    /// (when they are strings): whether it may go from `from` to `to`.
    pub fn check_signal(
        &self,
        from: &str,
        to: &str,
        kind: Option<&str>,
        sdp: Option<&str>,
    ) -> Result<(), Refusal> {
        let (room, me) = self.sender_and_room(from)?;
        let other = Self::visible(room, me, to)?;
        if !me.grants.publish && kind == Some("answer") && sends_media(sdp.unwrap_or_default()) {
            return Err(Refusal::new(
                ErrorCode::Forbidden,
                "you may not publish: your answer sends audio or video (sendrecv or sendonly); answer recvonly",
            ));
        }
        if kind == Some("offer") {
            if !me.grants.publish {
                return Err(Refusal::new(
                    ErrorCode::Forbidden,
                    "you may not publish: an offer needs the publish grant",
                ));
            }
            if !other.grants.subscribe {
                return Err(Refusal::new(
                    ErrorCode::Forbidden,
                    format!("peer {to:?} does not subscribe"),
                ));
            }
        }
        Ok(())
    }

    /// Routes a `chat` line to everyone the sender sees, or to `to` alone. With an `id`, the sender gets it back too (its
    /// confirmation, numbered like everything it receives).
    pub fn chat(
        &self,
        from: &str,
        text: &str,
        to: Option<&str>,
        id: Option<&str>,
        sent_at: u64,
    ) -> Result<Vec<Delivery>, Refusal> {
        let (room, me) = self.sender_and_room(from)?;
        if !me.grants.chat {
            return Err(Refusal::new(
                ErrorCode::Forbidden,
                "chat needs the chat grant",
            ));
        }
        let line = |private| ServerMessage::Chat {
            from: from.to_owned(),
            text: text.to_owned(),
            private,
            id: id.map(str::to_owned),
            name: me.name.clone(),
            sent_at,
        };
        let mut out: Vec<Delivery> = match to {
            Some(to) => vec![Delivery::new(&Self::visible(room, me, to)?.id, line(true))],
            None => room
                .members
                .iter()
                .filter(|m| room.sees(me, m))
                .map(|m| Delivery::new(&m.id, line(false)))
                .collect(),
        };
        if id.is_some() {
            out.push(Delivery::new(&me.id, line(to.is_some())));
        }
        Ok(out)
    }

    /// `promote` (`publish: true`) or `demote`: `by` (with the admin grant) gives `target`
    /// the publish grant and the role `guest`, or takes it back (role `listener`). The
    /// target hears `roleChanged` first; then, as visibility follows the publish grant in
    /// broadcast rooms, each member gets `roleChanged` (it still sees the target),
    /// `peerJoined` (they now see each other, both sides, the later joiner polite) or
    /// `peerLeft` (they no longer do, both sides). Returns the target as it is now.
    /// Refused with `forbidden` (no admin grant, the target administers too),
    /// `unknownPeer` and `invalidMessage` (yourself).
    pub fn set_publish(
        &mut self,
        by: &str,
        target: &str,
        publish: bool,
    ) -> Result<(Member, Vec<Delivery>), Refusal> {
        let (room, me) = self.sender_and_room(by)?;
        if !me.grants.admin {
            return Err(Refusal::new(
                ErrorCode::Forbidden,
                "promote and demote need the admin grant",
            ));
        }
        if target == by {
            return Err(Refusal::new(
                ErrorCode::InvalidMessage,
                "you cannot promote or demote yourself",
            ));
        }
        let other = room.member(target).ok_or_else(|| {
            Refusal::new(
                ErrorCode::UnknownPeer,
                format!("no peer {target:?} in your room"),
            )
        })?;
        if other.grants.admin {
            return Err(Refusal::new(
                ErrorCode::Forbidden,
                "the role of a participant with the admin grant cannot be changed",
            ));
        }
        let Some(name) = self.peer_rooms.get(by).cloned() else {
            return Err(Refusal::new(ErrorCode::NotJoined, "join a room first"));
        };
        let Some(room) = self.rooms.get_mut(&name) else {
            return Err(Refusal::new(ErrorCode::NotJoined, "join a room first"));
        };
        let Some(at) = room.members.iter().position(|m| m.id == target) else {
            return Err(Refusal::new(
                ErrorCode::UnknownPeer,
                format!("no peer {target:?} in your room"),
            ));
        };
        let before = room.members[at].clone();
        let saw: Vec<bool> = room.members.iter().map(|m| room.sees(m, &before)).collect();
        let changed = &mut room.members[at];
        changed.grants.publish = publish;
        changed.role = if publish { Role::Guest } else { Role::Listener };
        let after = changed.clone();
        let role_changed = ServerMessage::RoleChanged {
            peer_id: after.id.clone(),
            role: after.role,
            grants: after.grants,
            by: by.to_owned(),
        };
        let mut out = vec![Delivery::new(&after.id, role_changed.clone())];
        for (i, m) in room.members.iter().enumerate() {
            if i == at {
                continue;
            }
            // The later joiner (the higher index) is the polite side of a pair.
            let target_polite = at > i;
            match (saw[i], room.sees(m, &after)) {
                (true, true) => out.push(Delivery::new(&m.id, role_changed.clone())),
                (false, true) => {
                    out.push(Delivery::new(
                        &m.id,
                        ServerMessage::PeerJoined {
                            peer: after.info(!target_polite),
                        },
                    ));
                    out.push(Delivery::new(
                        &after.id,
                        ServerMessage::PeerJoined {
                            peer: m.info(target_polite),
                        },
                    ));
                }
                (true, false) => {
                    for (to, gone) in [(&m.id, &after.id), (&after.id, &m.id)] {
                        out.push(Delivery::new(
                            to,
                            ServerMessage::PeerLeft {
                                peer_id: gone.clone(),
                                reason: LeaveReason::Left,
                            },
                        ));
                    }
                }
                (false, false) => {}
            }
        }
        Ok((after, out))
    }

    /// `raiseHand`: the members with the admin grant (not the sender) hear `handRaised`.
    pub fn raise_hand(&self, from: &str, raised: bool) -> Result<Vec<Delivery>, Refusal> {
        let (room, me) = self.sender_and_room(from)?;
        Ok(room
            .members
            .iter()
            .filter(|m| m.grants.admin && m.id != me.id)
            .map(|m| {
                Delivery::new(
                    &m.id,
                    ServerMessage::HandRaised {
                        peer_id: me.id.clone(),
                        name: me.name.clone(),
                        raised,
                    },
                )
            })
            .collect())
    }

    /// Tells the whole room (the sender included) that recording started or stopped.
    pub fn recording(&self, from: &str, active: bool) -> Result<Vec<Delivery>, Refusal> {
        let (room, me) = self.sender_and_room(from)?;
        if !me.grants.record {
            return Err(Refusal::new(
                ErrorCode::Forbidden,
                "recording control needs the record grant",
            ));
        }
        Ok(room
            .members
            .iter()
            .map(|m| {
                Delivery::new(
                    &m.id,
                    ServerMessage::Recording {
                        by: from.to_owned(),
                        active,
                    },
                )
            })
            .collect())
    }
}

#[cfg(test)]
mod tests;
