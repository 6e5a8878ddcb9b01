//! Video back at once after a short outage. After a blackout that ICE rode out, video
//! stayed frozen for about 3 s while packets were already flowing, in steadyrtc and in a
//! plain `RTCPeerConnection` alike. Measured in the lab (Chromium 156, 3 s blackouts),
//! the receiver waits twice:
//! 1. it assembles no frame (`framesReceived` stands still, NACKs every interval) until
//!    its own key frame request, about 3 s later; and once a key frame arrives,
//! 2. it holds the frames for playout (a `jitterBufferDelay` of 2.6 s on the first one
//!    decoded, then 41-55 frames dropped at once).
//!
//! What is decided here:
//! - a sender whose link comes back from `reconnecting` on its own (not rebuilt) sends a
//!   key frame at once, without being asked (`RoomAction::ForceKeyFrame`);
//! - a receiver whose samples show video packets arriving and no frame decoded asks the
//!   sender for one with a `keyFrame` signal (PROTOCOL.md §8), at most once a second;
//! - a receiver whose link comes back, or that gets packets and decodes nothing, plays
//!   its video with no added delay for a few seconds (`RoomAction::PlayoutNow`), so the
//!   held frames go out at once.
//!
//! No key frame is forced while adaptation pauses the video to that peer.

use super::{turn, RoomAction, RoomEngine, RoomTimer};
use crate::engine::adapt::Rung;
use steadyrtc_protocol::SignalData;

/// A receiver asks a sender at most this often.
pub const ASK_EVERY_MS: u64 = 1_000;
/// A sender forces key frames to one peer at most this often.
pub const FORCE_EVERY_MS: u64 = 500;
/// How long a receiver plays video with no added delay after an outage.
pub const PLAYOUT_NOW_MS: u64 = 3_000;

impl RoomEngine {
    /// Sends the link to `id` a key frame now, unless its video is paused or one was just
    /// sent.
    pub(super) fn force_key_frame(&mut self, id: &str) {
        let now = self.now;
        let Some(remote) = self.peers.get_mut(id) else {
            return;
        };
        if !remote.link_open
            || remote.adapter.rung() == Rung::AudioOnly
            || !turn(&mut remote.key_frame_forced_at, now, FORCE_EVERY_MS)
        {
            return;
        }
        self.out.push(RoomAction::ForceKeyFrame {
            peer_id: id.to_owned(),
        });
    }

    /// The link to `id` is back from an outage: the held video should play at once, for
    /// `PLAYOUT_NOW_MS` from now.
    pub(super) fn play_out_now(&mut self, id: &str) {
        let timer = RoomTimer::Playout {
            peer_id: id.to_owned(),
        };
        if !self.timers.contains_key(&timer) {
            self.out.push(RoomAction::PlayoutNow {
                peer_id: id.to_owned(),
                now: true,
            });
        }
        self.schedule(timer, PLAYOUT_NOW_MS);
    }

    /// Our decoder of `id`'s video gets packets and decodes nothing: ask for a key frame,
    /// and play what comes with no added delay.
    pub(super) fn ask_key_frame(&mut self, id: &str) {
        let now = self.now;
        let Some(remote) = self.peers.get_mut(id) else {
            return;
        };
        if !turn(&mut remote.key_frame_asked_at, now, ASK_EVERY_MS) {
            return;
        }
        self.play_out_now(id);
        let Some(epoch) = self.peers.get(id).map(|r| r.epoch) else {
            return;
        };
        self.send_signal(id, SignalData::KeyFrame, epoch);
    }
}
