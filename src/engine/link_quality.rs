//! What one link's `getStats()` samples decide, for a `Room` and a `Peer` alike: the
//! score, the `quality` event (on every level change, at most once a second otherwise),
//! when the next sample is due (sooner while the link recovers), and the two verdicts
//! stats give about the connection: a silent path means it is down now (`StatsStalled`,
//! well before the browser's own `disconnected`), and media arriving again on a
//! recovering link whose browser connection never dropped means it is back
//! (`StatsFlowing`).
//!
//! It never samples anything itself: the owner asks for samples and feeds them here.

use super::quality::{Quality, QualityMonitor};
use super::room::{QualityMetrics, RoomEvent};
use super::stats::{MediaKind, StatsSample};
use super::types::{ConnState, Input};

/// How often a link is sampled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SampleIntervals {
    pub normal_ms: u64,
    /// While the link recovers, to notice sooner that media flows again.
    pub recovering_ms: u64,
}

impl SampleIntervals {
    /// When the next sample of a link in `state` is due, from now.
    pub fn next(&self, state: ConnState) -> u64 {
        if state == ConnState::Reconnecting {
            self.recovering_ms
        } else {
            self.normal_ms
        }
    }
}

/// What one sample decided.
#[derive(Debug, Clone)]
pub struct Scored {
    /// The score and what was measured (the adaptation ladder reads it).
    pub quality: Quality,
    /// The `quality` event to emit now, if one is due.
    pub event: Option<RoomEvent>,
    /// What the link's engine must hear (`StatsStalled`, `StatsFlowing`), if anything.
    pub link_input: Option<Input>,
}

/// The quality side of one link: its monitor and the last event.
#[derive(Debug, Clone, Default)]
pub struct LinkQuality {
    monitor: QualityMonitor,
    last: Option<RoomEvent>,
    emitted_at: Option<u64>,
}

impl LinkQuality {
    /// The last `quality` event computed (emitted or not).
    pub fn last(&self) -> Option<&RoomEvent> {
        self.last.as_ref()
    }

    /// Scores `sample` of the link to `peer_id`, whose engine is in `state`. `None` until
    /// two samples make an interval.
    pub fn push(
        &mut self,
        now: u64,
        peer_id: &str,
        sample: StatsSample,
        state: ConnState,
    ) -> Option<Scored> {
        let q = self.monitor.push(sample.clone())?;
        let event = quality_event(peer_id, &q, &sample);
        let level_changed = match &self.last {
            Some(RoomEvent::Quality { level, .. }) => *level != q.level,
            _ => true,
        };
        let due = self
            .emitted_at
            .is_none_or(|t| now.saturating_sub(t) >= 1_000);
        self.last = Some(event.clone());
        let event = (level_changed || due).then(|| {
            self.emitted_at = Some(now);
            event
        });
        let link_input = match state {
            ConnState::Connected if q.path_silent => Some(Input::StatsStalled),
            ConnState::Reconnecting if q.packets_in > 0 && !q.path_silent => {
                Some(Input::StatsFlowing)
            }
            _ => None,
        };
        Some(Scored {
            quality: q,
            event,
            link_input,
        })
    }
}

fn quality_event(id: &str, q: &Quality, sample: &StatsSample) -> RoomEvent {
    let kinds = [q.audio.as_ref(), q.video.as_ref()];
    let worst = |f: fn(&super::quality::KindMetrics) -> f64| {
        kinds.iter().flatten().map(|m| f(m)).fold(0.0, f64::max)
    };
    let sum = |f: fn(&super::quality::KindMetrics) -> f64| {
        kinds.iter().flatten().map(|m| f(m)).sum::<f64>()
    };
    let video_in = sample.inbound.iter().find(|s| s.kind == MediaKind::Video);
    let pair = sample.pair.as_ref();
    let round = |x: f64| (x * 10.0).round() / 10.0;
    RoomEvent::Quality {
        peer_id: id.to_owned(),
        score: q.score,
        level: q.level,
        metrics: QualityMetrics {
            rtt_ms: q.rtt_ms.map(round),
            jitter_ms: round(worst(|m| m.jitter_ms)),
            loss_pct_in: round(worst(|m| m.loss_pct)),
            loss_pct_out: round(q.outbound_loss_pct),
            bitrate_in_kbps: round(sum(|m| m.bitrate_in_kbps)),
            bitrate_out_kbps: round(sum(|m| m.bitrate_out_kbps)),
            fps: q.video.as_ref().and_then(|m| m.fps),
            resolution: video_in
                .and_then(|v| Some(format!("{}x{}", v.frame_width?, v.frame_height?))),
            audio_codec: sample.audio_codec.clone(),
            video_codec: sample.video_codec.clone(),
            candidate_type: pair.and_then(|p| p.local_candidate_type.clone()),
            relay_protocol: pair.and_then(|p| p.relay_protocol.clone()),
        },
        limitation: q.quality_limitation_reason.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovering_links_are_sampled_sooner() {
        let i = SampleIntervals {
            normal_ms: 1_000,
            recovering_ms: 500,
        };
        assert_eq!(i.next(ConnState::Connected), 1_000);
        assert_eq!(i.next(ConnState::Connecting), 1_000);
        assert_eq!(i.next(ConnState::Reconnecting), 500);
    }
}
