//! Recording the room, a host's right: who may, what video is recorded, and that everyone
//! is told (the server broadcasts `recording`, so every participant sees it: consent).
//! The driver records; this decides.

use super::{trace, RoomAction, RoomEngine};
use crate::error::{ErrorCode, SteadyError};
use steadyrtc_protocol::ClientMessage;

impl RoomEngine {
    /// Starts (`active`) or stops recording. `video` names whose video to record
    /// (`"local"` or a peer id); by default the one speaking now, else our own camera.
    /// Errors: `roomClosed`, `notConnected` while signaling is down (everyone must be
    /// told), `forbidden` without the record grant, `invalidArgument` for a second start,
    /// a stop without a start, or an unknown peer.
    pub fn set_recording(
        &mut self,
        now_ms: u64,
        active: bool,
        video: Option<String>,
    ) -> Result<Vec<RoomAction>, SteadyError> {
        let step = trace::RoomStep::SetRecording {
            active,
            video: video.clone(),
        };
        self.trace.record(now_ms, step);
        self.now = self.now.max(now_ms);
        self.require_signaling("recording must be announced to everyone")?;
        if !self.me.can_record {
            return Err(SteadyError::new(
                ErrorCode::Forbidden,
                "recording needs the record grant (a host's token)",
            ));
        }
        if active == self.me.recording {
            let what = if active {
                "already recording"
            } else {
                "not recording"
            };
            return Err(SteadyError::new(ErrorCode::InvalidArgument, what));
        }
        if active {
            let from = match video {
                Some(v) if v == "local" || self.peers.contains_key(&v) => v,
                Some(v) => {
                    return Err(SteadyError::new(
                        ErrorCode::InvalidArgument,
                        format!("no peer {v:?} in the room to record"),
                    ))
                }
                None => self
                    .audio
                    .detector
                    .speakers()
                    .into_iter()
                    .find(|s| self.peers.contains_key(s))
                    .unwrap_or_else(|| "local".into()),
            };
            self.out
                .push(RoomAction::StartRecorder { video_from: from });
        } else {
            self.out.push(RoomAction::StopRecorder);
        }
        self.me.recording = active;
        self.out.push(RoomAction::Send {
            message: ClientMessage::Recording { active },
        });
        Ok(std::mem::take(&mut self.out))
    }

    /// The recorder failed: the room hears that the recording stopped, the app why.
    pub(super) fn recording_failed(&mut self, message: String) {
        if self.me.recording && self.phase == super::Phase::Joined {
            self.end_recording();
        }
        let err = SteadyError::new(ErrorCode::BrowserError, format!("recording: {message}"));
        self.emit(super::RoomEvent::error(&err, None));
    }

    /// Leaving while recording: the others hear that it stopped.
    pub(super) fn end_recording(&mut self) {
        if std::mem::take(&mut self.me.recording) {
            self.out.push(RoomAction::Send {
                message: ClientMessage::Recording { active: false },
            });
        }
    }

    /// A new session (a rejoin) while recording: the room hears it again.
    pub(super) fn announce_recording(&mut self, was_recording: bool) {
        if !was_recording {
            return;
        }
        if self.me.can_record {
            self.me.recording = true;
            self.out.push(RoomAction::Send {
                message: ClientMessage::Recording { active: true },
            });
        } else {
            self.out.push(RoomAction::StopRecorder);
        }
    }
}
