//! The room's side of each link's quality: sampling on a timer (faster while the link
//! recovers), scoring the samples, the `quality` event, and the two decisions stats make
//! about the connection: a silent path means the link is down now (`StatsStalled`, well
//! before the browser's own `disconnected`), and media arriving again on a recovering
//! link whose browser connection never dropped means it is back (`StatsFlowing`).

use super::events::QualityMetrics;
use super::{RoomAction, RoomEngine, RoomEvent, RoomTimer};
use crate::engine::quality::{Quality, QualityMonitor};
use crate::engine::stats::{MediaKind, StatsSample};
use crate::engine::types::{ConnState, Input};

impl RoomEngine {
    /// A new link to `id` starts being sampled, from scratch.
    pub(super) fn start_sampling(&mut self, id: &str) {
        if let Some(remote) = self.peers.get_mut(id) {
            remote.monitor = QualityMonitor::new();
            remote.link_state = ConnState::Initializing;
        }
        self.schedule(
            RoomTimer::Stats {
                peer_id: id.to_owned(),
            },
            self.cfg.stats_interval_ms,
        );
    }

    pub(super) fn stop_sampling(&mut self, id: &str) {
        self.cancel(RoomTimer::Stats {
            peer_id: id.to_owned(),
        });
    }

    pub(super) fn sample_due(&mut self, id: &str) {
        let Some(remote) = self.peers.get(id) else {
            return;
        };
        if !remote.link_open {
            return;
        }
        let next = if remote.link_state == ConnState::Reconnecting {
            self.cfg.stats_interval_recovering_ms
        } else {
            self.cfg.stats_interval_ms
        };
        self.out.push(RoomAction::SampleStats {
            peer_id: id.to_owned(),
        });
        self.schedule(
            RoomTimer::Stats {
                peer_id: id.to_owned(),
            },
            next,
        );
    }

    pub(super) fn stats(&mut self, id: &str, epoch: u32, sample: StatsSample) {
        let now = self.now;
        let Some(remote) = self.peers.get_mut(id) else {
            return;
        };
        if remote.epoch != epoch || !remote.link_open {
            return self.ignored("stats", "from a link that was replaced");
        }
        let extras = (sample.clone(), remote.link_state);
        let Some(q) = remote.monitor.push(sample) else {
            return;
        };
        let event = quality_event(id, &q, &extras.0);
        let level_changed = match &remote.quality {
            Some(RoomEvent::Quality { level, .. }) => *level != q.level,
            _ => true,
        };
        let due = remote
            .quality_emitted_at
            .is_none_or(|t| now.saturating_sub(t) >= 1_000);
        remote.quality = Some(event.clone());
        if level_changed || due {
            remote.quality_emitted_at = Some(now);
            self.emit(event);
        }
        match extras.1 {
            ConnState::Connected if q.path_silent => {
                self.out.push(RoomAction::LinkInput {
                    peer_id: id.to_owned(),
                    input: Input::StatsStalled,
                });
            }
            ConnState::Reconnecting if q.packets_in > 0 && !q.path_silent => {
                self.out.push(RoomAction::LinkInput {
                    peer_id: id.to_owned(),
                    input: Input::StatsFlowing,
                });
            }
            _ => {}
        }
    }
}

fn quality_event(id: &str, q: &Quality, sample: &StatsSample) -> RoomEvent {
    let kinds = [q.audio.as_ref(), q.video.as_ref()];
    let worst = |f: fn(&crate::engine::quality::KindMetrics) -> f64| {
        kinds.iter().flatten().map(|m| f(m)).fold(0.0, f64::max)
    };
    let sum = |f: fn(&crate::engine::quality::KindMetrics) -> f64| {
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
