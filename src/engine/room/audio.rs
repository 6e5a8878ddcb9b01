//! The room's audio levels and active speakers: measured only while the app listens for
//! `audioLevel` or `activeSpeakers`, every `audioLevelIntervalMs`, through the speaking
//! detector's hysteresis.

use super::{RoomAction, RoomEngine, RoomEvent, RoomTimer};

impl RoomEngine {
    /// The app started or stopped listening for levels or speakers.
    pub(super) fn audio_listeners(&mut self, levels: bool, speakers: bool) {
        let was = self.audio.levels || self.audio.speakers;
        self.audio.levels = levels;
        self.audio.speakers = speakers;
        let now = levels || speakers;
        if now && !was {
            self.schedule(RoomTimer::AudioLevels, 0);
        } else if !now && was {
            self.cancel(RoomTimer::AudioLevels);
        }
    }

    pub(super) fn audio_due(&mut self) {
        if self.audio.levels || self.audio.speakers {
            self.out.push(RoomAction::MeasureAudio);
            self.schedule(RoomTimer::AudioLevels, self.cfg.audio_level_interval_ms);
        }
    }

    pub(super) fn audio_levels(&mut self, levels: Vec<(String, f64)>) {
        // A participant with several tracks (an old and a new one during a rebuild) is
        // as loud as the loudest.
        let mut loudest: Vec<(String, f64)> = Vec::new();
        for (id, level) in levels {
            match loudest.iter_mut().find(|(l, _)| *l == id) {
                Some((_, max)) => *max = max.max(level),
                None => loudest.push((id, level)),
            }
        }
        let mut changed = false;
        for (id, level) in loudest {
            if id != "local" && !self.peers.contains_key(&id) {
                continue;
            }
            let (level, change) = self.audio.detector.observe(self.now, &id, level);
            changed |= change;
            if self.audio.levels {
                self.emit(RoomEvent::AudioLevel { peer_id: id, level });
            }
        }
        if changed {
            self.emit_speakers();
        }
    }

    /// `id` left (or its audio went away): it speaks no more.
    pub(super) fn audio_gone(&mut self, id: &str) {
        if self.audio.detector.remove(id) {
            self.emit_speakers();
        }
    }

    pub(super) fn audio_blocked(&mut self, blocked: bool) {
        if blocked && !self.audio.blocked {
            self.emit(RoomEvent::AudioPlaybackBlocked {});
        }
        self.audio.blocked = blocked;
    }

    fn emit_speakers(&mut self) {
        if self.audio.speakers {
            let peer_ids = self.audio.detector.speakers();
            self.emit(RoomEvent::ActiveSpeakers { peer_ids });
        }
    }
}

/// What the room knows of audio.
#[derive(Debug, Clone, Default)]
pub(super) struct AudioState {
    pub levels: bool,
    pub speakers: bool,
    pub blocked: bool,
    pub detector: crate::engine::speaking::SpeakingDetector,
}
