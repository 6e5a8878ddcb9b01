//! How the room reads each server message, in each phase and session state: numbering
//! and acknowledgement, the first `welcome`, refusals, the rejoin diff, and the messages
//! that only inform the app.

use super::{Me, Phase, RoomAction, RoomEngine, RoomEvent};
use crate::engine::session::{SessionInput, SessionState};
use crate::error::{ErrorCode, SteadyError};
use steadyrtc_protocol::{
    ClientMessage, ErrorCode as ServerCode, LeaveReason, PeerInfo, ServerMessage,
};

impl RoomEngine {
    pub(super) fn frame(&mut self, seq: Option<u64>, message: ServerMessage) {
        if let Some(seq) = seq {
            // A replay after `resume` never goes backwards: drop what was seen already.
            if seq <= self.last_seq {
                return self.ignored(
                    "frame",
                    &format!("seq {seq} already received (last {})", self.last_seq),
                );
            }
            self.last_seq = seq;
            self.out.push(RoomAction::Send {
                message: ClientMessage::Ack { seq },
            });
        }
        match self.phase {
            Phase::Joining { .. } => self.while_joining(message),
            Phase::Joined => {
                self.run_session(SessionInput::FrameReceived);
                self.while_joined(message);
            }
            Phase::Idle | Phase::Over => {}
        }
    }

    fn while_joining(&mut self, message: ServerMessage) {
        match message {
            ServerMessage::Welcome { .. } => {
                self.cancel(super::RoomTimer::Join);
                self.phase = Phase::Joined;
                self.welcome(message);
                self.out.push(RoomAction::ConnectDone { result: Ok(()) });
            }
            ServerMessage::Error { code, message, .. } => {
                if self.refresh_token_for(code) {
                    return;
                }
                let err = SteadyError::new(ErrorCode::JoinRejected, message)
                    .with_server_code(code.as_str());
                self.join_failed(err);
            }
            other => self.ignored(other.type_name(), "not expected before welcome"),
        }
    }

    fn while_joined(&mut self, message: ServerMessage) {
        let session = self.session.state();
        match message {
            ServerMessage::Welcome { .. } if session == SessionState::Rejoining => {
                self.welcome(message)
            }
            ServerMessage::Welcome { .. } => self.ignored("welcome", "a welcome outside a rejoin"),
            ServerMessage::Resumed { .. } => self.run_session(SessionInput::Resumed),
            ServerMessage::Error {
                code: ServerCode::DuplicateIdentity,
                message,
                ..
            } => {
                // Joined again elsewhere with the same identity: this session is over, and
                // reconnecting would only replace the newer one in turn.
                let err = SteadyError::new(ErrorCode::SessionReplaced, message)
                    .with_server_code("duplicateIdentity");
                self.emit(RoomEvent::error(&err, None));
                self.out.push(RoomAction::CloseSocket);
                self.finish();
            }
            ServerMessage::Error { code, .. } if session == SessionState::Resuming => {
                // The server forgot the session: the numbering starts again with the new
                // one, or its `welcome` (seq 1) would be dropped as a replay. (`unavailable`
                // only means not now: the session is tried again as it is.)
                if code != ServerCode::Unavailable {
                    self.last_seq = 0;
                }
                self.run_session(SessionInput::ResumeRefused {
                    code: code.as_str().into(),
                });
            }
            ServerMessage::Error { code, message, .. } if session == SessionState::Rejoining => {
                if self.refresh_token_for(code) {
                    return;
                }
                let err = SteadyError::new(ErrorCode::JoinRejected, message)
                    .with_server_code(code.as_str());
                self.emit(RoomEvent::error(&err, None));
                self.run_session(SessionInput::JoinRefused {
                    code: code.as_str().into(),
                });
            }
            ServerMessage::Error { code, message, id } => {
                if let Some(id) = id {
                    if self.chat_refused(&id, code.as_str(), &message) {
                        return;
                    }
                }
                let err = SteadyError::new(ErrorCode::ServerRefused, message)
                    .with_server_code(code.as_str());
                self.emit(RoomEvent::error(&err, None));
            }
            ServerMessage::PeerJoined { peer } => {
                if peer.id == self.me.peer_id || self.peers.contains_key(&peer.id) {
                    return self.ignored("peerJoined", "already known");
                }
                let event = RoomEvent::PeerJoined {
                    id: peer.id.clone(),
                    name: peer.name.clone(),
                    role: peer.role,
                };
                // They joined after us: they offer, unless they may not publish.
                let initiator =
                    self.me.can_publish && peer.role == steadyrtc_protocol::Role::Listener;
                self.add_peer(peer, initiator);
                self.emit(event);
                self.count_attendees();
            }
            ServerMessage::PeerLeft { peer_id, reason } => {
                self.remove_peer(&peer_id, reason);
                self.count_attendees();
                self.partner_gone();
            }
            ServerMessage::Signal { from, data } => self.signal_from(&from, data),
            ServerMessage::Chat {
                from,
                text,
                private,
                id,
                name,
                sent_at,
            } => self.chat_line(super::ChatLine {
                id: id.unwrap_or_default(),
                from,
                name,
                text,
                private,
                sent_at,
            }),
            ServerMessage::Recording { by, active } => {
                self.emit(RoomEvent::Recording { by, active })
            }
            ServerMessage::Queued { position } => self.queued(position),
            ServerMessage::Matched { room, peer, polite } => self.matched(room, peer, polite),
            ServerMessage::RoleChanged {
                peer_id,
                role,
                grants,
                by,
            } => self.role_changed(peer_id, role, grants, by),
            ServerMessage::HandRaised {
                peer_id,
                name,
                raised,
            } => self.emit(RoomEvent::HandRaised {
                peer_id,
                name,
                raised,
            }),
            ServerMessage::Ping {} => {}
            ServerMessage::GoAway {
                reason,
                reconnect_in_ms,
            } => {
                self.emit(RoomEvent::GoAway {
                    reason,
                    reconnect_in_ms,
                });
                self.run_session(SessionInput::GoAway { reconnect_in_ms });
            }
            ServerMessage::RoomEnded { room, reason, by } => {
                self.emit(RoomEvent::RoomEnded { room, reason, by });
                self.out.push(RoomAction::CloseSocket);
                self.finish();
            }
        }
    }

    /// A refusal of the token while a tokenProvider exists: ask it once per join.
    fn refresh_token_for(&mut self, code: ServerCode) -> bool {
        let token_problem = matches!(code, ServerCode::InvalidToken | ServerCode::TokenExpired);
        if !(token_problem && self.cfg.has_token_provider)
            || self.token_refreshed
            || self.awaiting_token
        {
            return false;
        }
        self.token_refreshed = true;
        self.awaiting_token = true;
        self.out.push(RoomAction::FetchToken);
        true
    }

    /// A `welcome`: the first one, or one after a rejoin (we are a new participant: links
    /// to peers still there are rebuilt with us offering, as the later joiner; peers gone
    /// are reported as left, new ones as joined).
    fn welcome(&mut self, welcome: ServerMessage) {
        let ServerMessage::Welcome {
            protocol_version,
            peer_id,
            peers,
            session_id,
            heartbeat,
            grants,
            role,
            ice_servers,
            ..
        } = welcome
        else {
            return;
        };
        let was_recording = self.me.recording;
        // A rejoin starts from the token's grants: a promotion (or demotion) of the old
        // session is over, and the app hears it as it heard the promotion.
        let regranted = !self.me.peer_id.is_empty() && self.me.can_publish != grants.publish;
        self.me = Me {
            peer_id,
            session_id,
            can_publish: grants.publish,
            can_record: grants.record,
            can_admin: grants.admin,
            server_version: protocol_version,
            recording: false,
        };
        self.forget_wait();
        if !grants.publish {
            self.may_not_publish();
        }
        self.announce_recording(was_recording);
        // Fresh TURN credentials with every welcome.
        self.ice_servers = ice_servers;
        let old = std::mem::take(&mut self.peers);
        for (id, remote) in &old {
            if remote.link_open {
                self.out.push(RoomAction::CloseLink {
                    peer_id: id.clone(),
                });
            }
            self.cancel_recovery_timers(id);
        }
        let mut joined = Vec::new();
        for info in peers {
            if info.id == self.me.peer_id || self.peers.contains_key(&info.id) {
                continue;
            }
            if !old.contains_key(&info.id) {
                joined.push(RoomEvent::PeerJoined {
                    id: info.id.clone(),
                    name: info.name.clone(),
                    role: info.role,
                });
            }
            let initiator = self.me.can_publish;
            self.add_peer(info, initiator);
        }
        for (id, remote) in old {
            if !self.peers.contains_key(&id) {
                self.audio_gone(&id);
                self.emit(RoomEvent::PeerLeft {
                    id,
                    name: remote.info.name,
                    reason: LeaveReason::Disconnected,
                });
            }
        }
        for event in joined {
            self.emit(event);
        }
        if regranted {
            self.emit(RoomEvent::RoleChanged {
                peer_id: self.me.peer_id.clone(),
                role,
                by: String::new(),
                local: true,
            });
        }
        self.count_attendees();
        self.run_session(SessionInput::Joined {
            heartbeat_timeout_ms: heartbeat.timeout_ms,
        });
    }

    pub(super) fn remove_peer(&mut self, peer_id: &str, reason: LeaveReason) {
        let Some(remote) = self.peers.get(peer_id) else {
            return self.ignored("peerLeft", "not a peer of this room");
        };
        let name = remote.info.name.clone();
        self.close_link(peer_id);
        self.cancel_recovery_timers(peer_id);
        self.peers.remove(peer_id);
        self.audio_gone(peer_id);
        self.emit(RoomEvent::PeerLeft {
            id: peer_id.to_owned(),
            name,
            reason,
        });
    }

    /// Opens the link to a new peer.
    pub(super) fn add_peer(&mut self, info: PeerInfo, initiator: bool) {
        let id = info.id.clone();
        self.peers.insert(
            id.clone(),
            super::Remote {
                info,
                epoch: 0,
                shown: crate::engine::ConnState::Initializing,
                link_open: false,
                episode: None,
                rebuild_pending: false,
                renewing: false,
                rebuilds: 0,
                link_state: crate::engine::ConnState::Initializing,
                quality: Default::default(),
                adapter: Default::default(),
                opened_at: self.now,
                setup_reported: false,
                reported_at: None,
                media: Default::default(),
                sent_paused: None,
                key_frame_forced_at: None,
                key_frame_asked_at: None,
            },
        );
        self.open_link(&id, initiator);
    }
}
