//! Chat that loses nothing. Each line gets an id; the server numbers it like every other
//! message and sends it back to its sender, which is the confirmation: until then the
//! line stays in the outbox and is sent again, with the same id, whenever the session
//! comes back (resumed or rejoined). Receivers drop a line whose id they have seen from
//! that sender, so a line sent twice across a dropped socket shows once. What arrived
//! since joining is kept for `chatHistory()`.

use super::{trace, RoomAction, RoomEngine, RoomEvent};
use crate::error::{ErrorCode, SteadyError};
use std::collections::VecDeque;
use steadyrtc_protocol::ClientMessage;

/// Longest chat text, in characters (the server's limit).
pub const MAX_CHAT_CHARS: usize = 4_000;
/// Lines waiting for their confirmation, at most.
const MAX_PENDING: usize = 100;
/// Ids remembered per room to drop duplicates, and lines kept for the history.
const SEEN_IDS: usize = 512;
const HISTORY: usize = 1_000;

/// A line not yet confirmed.
#[derive(Debug, Clone)]
struct Pending {
    id: String,
    request: u32,
    text: String,
    to: Option<String>,
}

/// One chat line, as `chat` events and `chatHistory()` give it.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatLine {
    pub id: String,
    pub from: String,
    pub name: String,
    pub text: String,
    pub private: bool,
    pub sent_at: u64,
}

/// The room's chat state.
#[derive(Debug, Clone, Default)]
pub(super) struct Chat {
    prefix: String,
    next: u64,
    pending: Vec<Pending>,
    seen: VecDeque<(String, String)>,
    history: VecDeque<ChatLine>,
}

impl Chat {
    pub(super) fn new(prefix: String) -> Self {
        Self {
            prefix,
            ..Self::default()
        }
    }
}

impl RoomEngine {
    /// Queues a chat line for the server (sent now if signaling is up, else when it comes
    /// back); `request` is settled by `SettleChat` once the server confirms it. Errors:
    /// `roomClosed`, `notConnected` before the join, `invalidArgument` for a blank or
    /// oversized text, an unknown peer, or too many lines waiting.
    pub fn send_chat(
        &mut self,
        text: &str,
        to: Option<String>,
        request: u32,
    ) -> Result<Vec<RoomAction>, SteadyError> {
        let step = trace::RoomStep::SendChat {
            text: text.to_owned(),
            to: to.clone(),
            request,
        };
        self.trace.record(self.now, step);
        match self.phase {
            super::Phase::Over => return Err(SteadyError::room_closed()),
            super::Phase::Joined => {}
            _ => {
                return Err(SteadyError::new(
                    ErrorCode::NotConnected,
                    "not in the room yet: chat once connect has resolved",
                ))
            }
        }
        if text.trim().is_empty() || text.chars().count() > MAX_CHAT_CHARS {
            return Err(SteadyError::new(
                ErrorCode::InvalidArgument,
                format!("chat text must be 1 to {MAX_CHAT_CHARS} characters and not blank"),
            ));
        }
        if let Some(peer) = &to {
            if !self.peers.contains_key(peer) {
                return Err(SteadyError::new(
                    ErrorCode::InvalidArgument,
                    format!("no peer {peer:?} in the room"),
                ));
            }
        }
        if self.chat.pending.len() >= MAX_PENDING {
            return Err(SteadyError::new(
                ErrorCode::InvalidArgument,
                format!("{MAX_PENDING} chat lines are waiting for the server already"),
            ));
        }
        self.chat.next += 1;
        let pending = Pending {
            id: format!("{}-{}", self.chat.prefix, self.chat.next),
            request,
            text: text.to_owned(),
            to,
        };
        if self.session.state() == crate::engine::session::SessionState::Connected {
            self.out.push(send(&pending));
        }
        self.chat.pending.push(pending);
        Ok(std::mem::take(&mut self.out))
    }

    /// The session is connected again: every line not confirmed goes again, same id.
    pub(super) fn resend_chat(&mut self) {
        let again: Vec<RoomAction> = self.chat.pending.iter().map(send).collect();
        self.out.extend(again);
    }

    /// A `chat` from the server: ours confirmed, or someone's, once.
    pub(super) fn chat_line(&mut self, line: ChatLine) {
        if line.from == self.me.peer_id {
            if let Some(i) = self.chat.pending.iter().position(|p| p.id == line.id) {
                let done = self.chat.pending.remove(i);
                self.out.push(RoomAction::SettleChat {
                    request: done.request,
                    result: Ok(()),
                });
                self.remember(line);
            }
            return;
        }
        if !line.id.is_empty() {
            let key = (line.from.clone(), line.id.clone());
            if self.chat.seen.contains(&key) {
                return self.ignored("chat", "a line already received (sent again)");
            }
            if self.chat.seen.len() >= SEEN_IDS {
                self.chat.seen.pop_front();
            }
            self.chat.seen.push_back(key);
        }
        self.remember(line.clone());
        self.emit(RoomEvent::Chat {
            id: line.id,
            from: line.from,
            name: line.name,
            text: line.text,
            private: line.private,
            sent_at: line.sent_at,
        });
    }

    /// The server refused the line `id`: its call rejects with the server's code.
    pub(super) fn chat_refused(&mut self, id: &str, code: &str, message: &str) -> bool {
        let Some(i) = self.chat.pending.iter().position(|p| p.id == id) else {
            return false;
        };
        let done = self.chat.pending.remove(i);
        let err = SteadyError::new(ErrorCode::ServerRefused, message).with_server_code(code);
        self.out.push(RoomAction::SettleChat {
            request: done.request,
            result: Err(err),
        });
        true
    }

    /// Every waiting line rejects (the room is over).
    pub(super) fn abort_chat(&mut self) {
        for p in std::mem::take(&mut self.chat.pending) {
            self.out.push(RoomAction::SettleChat {
                request: p.request,
                result: Err(SteadyError::room_closed()),
            });
        }
    }

    /// The lines received and confirmed since joining, oldest first (at most 1,000).
    pub fn chat_history(&self) -> Vec<ChatLine> {
        self.chat.history.iter().cloned().collect()
    }

    fn remember(&mut self, line: ChatLine) {
        if self.chat.history.len() >= HISTORY {
            self.chat.history.pop_front();
        }
        self.chat.history.push_back(line);
    }
}

fn send(p: &Pending) -> RoomAction {
    RoomAction::Send {
        message: ClientMessage::Chat {
            text: p.text.clone(),
            to: p.to.clone(),
            id: Some(p.id.clone()),
        },
    }
}
