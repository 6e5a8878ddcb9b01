//! Video back at once after a short outage. When packets return after a blackout that ICE
//! rode out, the remote's decoder may wait seconds for a key frame (measured: about 3.1 s
//! in steadyrtc and in a plain `RTCPeerConnection` alike). Two ways out, both decided here:
//! - a sender whose link comes back from `reconnecting` on its own (not rebuilt) sends a
//!   key frame at once, without being asked;
//! - a receiver whose samples show video packets arriving and no frame decoded asks the
//!   sender for one with a `keyFrame` signal (PROTOCOL.md §8), at most once a second.
//!
//! The driver forces the key frame (`RoomAction::ForceKeyFrame`). Nothing is forced while
//! adaptation pauses the video to that peer.

use super::{RoomAction, RoomEngine};
use crate::engine::adapt::Rung;
use steadyrtc_protocol::{ClientMessage, SignalData, SignalEnvelope};

/// A receiver asks a sender at most this often.
pub const ASK_EVERY_MS: u64 = 1_000;
/// A sender forces key frames to one peer at most this often.
pub const FORCE_EVERY_MS: u64 = 500;

impl RoomEngine {
    /// Sends the link to `id` a key frame now, unless its video is paused or one was just
    /// sent.
    pub(super) fn force_key_frame(&mut self, id: &str) {
        let now = self.now;
        let Some(remote) = self.peers.get_mut(id) else {
            return;
        };
        let recent = remote
            .key_frame_forced_at
            .is_some_and(|t| now.saturating_sub(t) < FORCE_EVERY_MS);
        if !remote.link_open || remote.adapter.rung() == Rung::AudioOnly || recent {
            return;
        }
        remote.key_frame_forced_at = Some(now);
        self.out.push(RoomAction::ForceKeyFrame {
            peer_id: id.to_owned(),
        });
    }

    /// Our decoder of `id`'s video gets packets and decodes nothing: ask for a key frame.
    pub(super) fn ask_key_frame(&mut self, id: &str) {
        let now = self.now;
        let Some(remote) = self.peers.get_mut(id) else {
            return;
        };
        if remote
            .key_frame_asked_at
            .is_some_and(|t| now.saturating_sub(t) < ASK_EVERY_MS)
        {
            return;
        }
        remote.key_frame_asked_at = Some(now);
        let envelope = SignalEnvelope {
            data: SignalData::KeyFrame,
            epoch: remote.epoch,
        };
        if let Ok(data) = serde_json::to_value(envelope) {
            self.out.push(RoomAction::Send {
                message: ClientMessage::Signal {
                    to: id.to_owned(),
                    data,
                },
            });
        }
    }
}
