//! The room's side of the signaling session supervisor
//! ([`SessionSupervisor`](crate::engine::session::SessionSupervisor)): feeds it what the
//! socket does and executes what it decides. Opens and drops sockets, sends `resume` or
//! `join`, tells the peer links whether signals can flow, runs its timers, and after a
//! rejoin rebuilds the links from the new `welcome`.

use super::{link_config, peer_info_js, Inner};
use crate::api::events::EventName;
use crate::browser::js::object;
use crate::browser::signaling::SignalingClient;
use crate::engine::session::{SessionAction, SessionInput};
use gloo_timers::callback::Timeout;
use std::rc::Rc;
use steadyrtc_protocol::{ClientMessage, ServerMessage, PROTOCOL_VERSION};

impl Inner {
    /// Feeds the supervisor and executes its actions.
    pub(super) fn session_input(self: &Rc<Self>, input: SessionInput) {
        let now = js_sys::Date::now() as u64;
        let actions = self.session.borrow_mut().handle(now, input);
        for action in actions {
            self.session_action(action);
        }
    }

    fn session_action(self: &Rc<Self>, action: SessionAction) {
        match action {
            SessionAction::OpenSocket => {
                self.drop_socket();
                let (url, tx) = {
                    let state = self.state.borrow();
                    (state.url.clone(), state.sig_tx.clone())
                };
                match SignalingClient::connect(&url, tx) {
                    Ok(client) => self.state.borrow_mut().signaling = Some(client),
                    Err(e) => {
                        tracing::warn!(%e, "cannot open a new signaling socket");
                        self.session_input(SessionInput::SocketClosed { code: 1006 });
                    }
                }
            }
            SessionAction::CloseSocket => self.drop_socket(),
            SessionAction::SendResume => {
                let state = self.state.borrow();
                if let Some(socket) = &state.signaling {
                    socket.continue_from(state.last_seq);
                    let resume = ClientMessage::Resume {
                        protocol_version: PROTOCOL_VERSION,
                        session_id: state.session_id.clone(),
                        last_seq: state.last_seq,
                    };
                    if let Err(e) = socket.send(&resume) {
                        tracing::warn!(%e, "resume not sent");
                    }
                }
            }
            SessionAction::SendJoin => {
                let mut state = self.state.borrow_mut();
                state.last_seq = 0;
                if let Some(socket) = &state.signaling {
                    let join = ClientMessage::Join {
                        protocol_version: PROTOCOL_VERSION,
                        room: state.room.clone(),
                        name: state.name.clone(),
                        token: state.token.clone(),
                    };
                    if let Err(e) = socket.send(&join) {
                        tracing::warn!(%e, "join not sent");
                    }
                }
            }
            SessionAction::LinksSignaling { up } => {
                let links: Vec<_> = self.state.borrow().peers.iter().map(|p| p.link.clone()).collect();
                for link in links {
                    link.set_signaling_up(up);
                }
            }
            SessionAction::ScheduleTimer { timer, at_ms } => {
                let weak = Rc::downgrade(self);
                let delay = at_ms.saturating_sub(js_sys::Date::now() as u64).min(u32::MAX as u64) as u32;
                let timeout = Timeout::new(delay, move || {
                    if let Some(inner) = weak.upgrade() {
                        inner.session_timers.borrow_mut().remove(&timer);
                        inner.session_input(SessionInput::TimerFired { timer });
                    }
                });
                self.session_timers.borrow_mut().insert(timer, timeout);
            }
            SessionAction::CancelTimer { timer } => {
                self.session_timers.borrow_mut().remove(&timer);
            }
            SessionAction::StateChanged { from, to, reason } => {
                tracing::info!(from = from.as_str(), to = to.as_str(), %reason, "signaling session");
                let payload = object(&[
                    ("from", from.as_str().into()),
                    ("to", to.as_str().into()),
                    ("reason", reason.into()),
                ]);
                self.events.emit(EventName::SessionStateChange, &payload);
            }
        }
    }

    /// Drops the current socket (closing it), keeping how far its numbering got.
    pub(super) fn drop_socket(&self) {
        let old = {
            let mut state = self.state.borrow_mut();
            let old = state.signaling.take();
            if let Some(socket) = &old {
                state.last_seq = state.last_seq.max(socket.last_seq());
            }
            old
        };
        drop(old);
    }

    /// A `welcome` after a rejoin: we are a new participant. Links to peers still there are
    /// rebuilt (we offer, as the later joiner); peers gone are reported as left, new ones as
    /// joined.
    pub(super) fn rejoined(self: &Rc<Self>, welcome: ServerMessage) {
        let ServerMessage::Welcome { peer_id, peers, session_id, heartbeat, grants, .. } = welcome else {
            return;
        };
        let old = {
            let mut state = self.state.borrow_mut();
            state.peer_id = peer_id;
            state.session_id = session_id;
            state.can_publish = grants.publish;
            std::mem::take(&mut state.peers)
        };
        for remote in &old {
            remote.link.close();
        }
        for info in peers {
            let known = old.iter().any(|r| r.info.id == info.id);
            let payload = peer_info_js(&info);
            let config = link_config(&info, true, grants.publish);
            if self.add_peer(info, config).is_some() && !known {
                self.events.emit(EventName::PeerJoined, &payload);
            }
        }
        let still_here: Vec<String> = self.state.borrow().peers.iter().map(|p| p.info.id.clone()).collect();
        for remote in old.iter().filter(|r| !still_here.contains(&r.info.id)) {
            let payload = object(&[
                ("id", remote.info.id.as_str().into()),
                ("name", remote.info.name.as_str().into()),
                ("reason", "disconnected".into()),
            ]);
            self.events.emit(EventName::PeerLeft, &payload);
        }
        self.session_input(SessionInput::Joined { heartbeat_timeout_ms: heartbeat.timeout_ms });
    }
}
