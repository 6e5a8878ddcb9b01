//! Call quality: from two consecutive [`StatsSample`]s to metrics, a 0..100 score and a
//! level.
//!
//! Audio follows the ITU-T G.107 E-model, simplified:
//!   Ld = RTT/2 + 2 x jitter + 10 ms (one-way delay plus the jitter buffer and codec),
//!   Id = Ld/40 up to 160 ms, then 4 + (Ld - 160)/10 (delay hurts much more past 160 ms),
//!   R  = 93.2 - Id - 2.5 x loss%,   MOS = 1 + 0.035 R + 7e-6 R (R - 60)(100 - R).
//! Video: 95 - 2.5 x loss%, minus up to 30 points when the frame rate falls under the
//! expected one and up to 20 when the bitrate falls under the target.
//! The link's score is the worse of the two. Levels ([`Level::from_score`]):
//!   excellent >= 90 > good >= 85 > fair >= 70 > poor >= 50 > critical.
//! So at 20 ms RTT: 0 % loss is excellent, 2 % good, 5 % fair, 12 % poor. When packets
//! stop arriving although they did before, the score is 0 (critical) at once.
//! Smoothing: the reported score falls at once and rises by at most 2 points a second.

use super::outbound_loss::OutboundLoss;
use super::stats::{MediaKind, StatsSample};
use serde::{Deserialize, Serialize};

/// Score bands, best first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Level {
    #[default]
    Critical,
    Poor,
    Fair,
    Good,
    Excellent,
}

impl Level {
    pub const EXCELLENT: f64 = 90.0;
    pub const GOOD: f64 = 85.0;
    pub const FAIR: f64 = 70.0;
    pub const POOR: f64 = 50.0;

    pub fn from_score(score: f64) -> Self {
        match score {
            s if s >= Self::EXCELLENT => Level::Excellent,
            s if s >= Self::GOOD => Level::Good,
            s if s >= Self::FAIR => Level::Fair,
            s if s >= Self::POOR => Level::Poor,
            _ => Level::Critical,
        }
    }
}

/// Rise limit of the smoothed score, points per second.
pub const MAX_RISE_PER_S: f64 = 2.0;
/// Frame rate a healthy video stream is expected to reach.
pub const EXPECTED_FPS: f64 = 24.0;

/// Per-kind metrics over one interval.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KindMetrics {
    /// Inbound loss over the interval, percent.
    pub loss_pct: f64,
    pub jitter_ms: f64,
    pub bitrate_in_kbps: f64,
    pub bitrate_out_kbps: f64,
    pub fps: Option<f64>,
    pub packets_received: u64,
    /// Share of audio samples concealed, percent.
    pub concealed_pct: f64,
}

/// Metrics of one interval and the resulting score.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Quality {
    pub interval_ms: u64,
    pub rtt_ms: Option<f64>,
    pub available_outgoing_kbps: Option<f64>,
    pub quality_limitation_reason: Option<String>,
    pub audio: Option<KindMetrics>,
    pub video: Option<KindMetrics>,
    /// Loss the remote reports for what we send, percent.
    pub outbound_loss_pct: f64,
    /// Unsmoothed score of this interval.
    pub raw_score: f64,
    /// Smoothed score, 0..100.
    pub score: f64,
    pub mos: Option<f64>,
    pub level: Level,
    /// Packets stopped arriving.
    pub stalled: bool,
    /// Nothing at all arrived in the interval although media had been arriving: no RTP
    /// of any kind, no byte on the selected pair (so no RTCP), no consent response. A
    /// remote that stops one track (or both) still sends RTCP, so this is the path.
    pub path_silent: bool,
    /// RTP packets arrived in the interval (any kind).
    pub packets_in: u64,
    /// Video packets arrived in the interval but not one frame was decoded: the decoder
    /// waits for a key frame (after an outage, or heavy loss of one).
    pub video_undecodable: bool,
}

/// Video packets in one interval, none decoded, from which the decoder is taken to wait
/// for a key frame (a few stray packets, e.g. padding, say nothing).
pub const UNDECODABLE_MIN_PACKETS: u64 = 10;

/// E-model R factor from RTT, jitter (ms) and loss (%).
pub fn r_factor(rtt_ms: f64, jitter_ms: f64, loss_pct: f64) -> f64 {
    let ld = rtt_ms / 2.0 + 2.0 * jitter_ms + 10.0;
    let id = if ld <= 160.0 {
        ld / 40.0
    } else {
        4.0 + (ld - 160.0) / 10.0
    };
    (93.2 - id - 2.5 * loss_pct).clamp(0.0, 100.0)
}

/// MOS (1..4.5) from an R factor.
pub fn mos(r: f64) -> f64 {
    if r <= 0.0 {
        1.0
    } else if r >= 100.0 {
        4.5
    } else {
        1.0 + 0.035 * r + 7e-6 * r * (r - 60.0) * (100.0 - r)
    }
}

/// Turns consecutive samples of one peer into [`Quality`] reports.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct QualityMonitor {
    prev: Option<StatsSample>,
    smoothed: Option<f64>,
    /// Video bitrate we aim to send, for the bitrate penalty (0: unknown).
    pub target_video_kbps: f64,
    seen_packets: [bool; 2],
    #[serde(default)]
    outbound_loss: OutboundLoss,
}

impl QualityMonitor {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds one sample; the first only primes the deltas and gives `None`.
    pub fn push(&mut self, sample: StatsSample) -> Option<Quality> {
        let prev = self.prev.replace(sample)?;
        let cur = self.prev.as_ref()?;
        let interval_ms = cur.at_ms.saturating_sub(prev.at_ms).max(1);
        let secs = interval_ms as f64 / 1000.0;
        let rtt_ms = cur
            .pair
            .as_ref()
            .and_then(|p| p.current_round_trip_time_s)
            .or_else(|| cur.remote_inbound.iter().find_map(|r| r.round_trip_time_s))
            .map(|s| s * 1000.0);
        let mut q = Quality {
            interval_ms,
            rtt_ms,
            available_outgoing_kbps: cur
                .pair
                .as_ref()
                .and_then(|p| p.available_outgoing_bitrate)
                .map(|b| b / 1000.0),
            quality_limitation_reason: cur
                .outbound
                .iter()
                .filter_map(|o| o.quality_limitation_reason.clone())
                .find(|r| r != "none"),
            outbound_loss_pct: self.outbound_loss.push(cur, &prev),
            ..Quality::default()
        };
        for (i, kind) in [MediaKind::Audio, MediaKind::Video].into_iter().enumerate() {
            if !cur.has_inbound(kind) && !cur.outbound.iter().any(|o| o.kind == kind) {
                continue;
            }
            let d = cur.totals(kind).delta(&prev.totals(kind));
            let expected = d.received + d.lost;
            let m = KindMetrics {
                loss_pct: if expected == 0 {
                    0.0
                } else {
                    d.lost as f64 * 100.0 / expected as f64
                },
                jitter_ms: cur
                    .inbound
                    .iter()
                    .filter(|s| s.kind == kind)
                    .map(|s| s.jitter_s * 1000.0)
                    .fold(0.0, f64::max),
                bitrate_in_kbps: d.bytes_in as f64 * 8.0 / 1000.0 / secs,
                bitrate_out_kbps: d.bytes_out as f64 * 8.0 / 1000.0 / secs,
                fps: cur
                    .inbound
                    .iter()
                    .filter(|s| s.kind == kind)
                    .find_map(|s| s.frames_per_second),
                packets_received: d.received,
                concealed_pct: if d.samples == 0 {
                    0.0
                } else {
                    d.concealed as f64 * 100.0 / d.samples as f64
                },
            };
            if kind == MediaKind::Video && cur.has_inbound(kind) {
                q.video_undecodable =
                    d.received >= UNDECODABLE_MIN_PACKETS && d.frames_decoded == 0;
            }
            if cur.has_inbound(kind) {
                if d.received > 0 {
                    self.seen_packets[i] = true;
                } else if self.seen_packets[i] {
                    q.stalled = true;
                }
            }
            match kind {
                MediaKind::Audio => q.audio = Some(m),
                MediaKind::Video => q.video = Some(m),
            }
        }
        q.packets_in = q.audio.as_ref().map_or(0, |m| m.packets_received)
            + q.video.as_ref().map_or(0, |m| m.packets_received);
        let pair_moved = match (&cur.pair, &prev.pair) {
            (Some(c), Some(p)) => {
                super::stats::delta(c.bytes_received, p.bytes_received) > 0
                    || super::stats::delta(c.responses_received, p.responses_received) > 0
            }
            (Some(c), None) => c.bytes_received > 0,
            _ => false,
        };
        q.path_silent = self.seen_packets.iter().any(|s| *s) && q.packets_in == 0 && !pair_moved;
        q.raw_score = self.raw_score(&q);
        if let Some(a) = &q.audio {
            q.mos = Some(mos(r_factor(
                rtt_ms.unwrap_or(0.0),
                a.jitter_ms,
                a.loss_pct,
            )));
        }
        let smoothed = match self.smoothed {
            Some(prev) if q.raw_score > prev => q.raw_score.min(prev + MAX_RISE_PER_S * secs),
            _ => q.raw_score,
        };
        self.smoothed = Some(smoothed);
        q.score = (smoothed * 10.0).round() / 10.0;
        q.level = Level::from_score(q.score);
        Some(q)
    }

    fn raw_score(&self, q: &Quality) -> f64 {
        if q.stalled {
            return 0.0;
        }
        let rtt = q.rtt_ms.unwrap_or(0.0);
        let audio = q
            .audio
            .as_ref()
            .map(|a| r_factor(rtt, a.jitter_ms, a.loss_pct));
        let video = q.video.as_ref().map(|v| {
            let mut s = 95.0 - 2.5 * v.loss_pct;
            if let Some(fps) = v.fps.filter(|_| v.packets_received > 0) {
                s -= 30.0 * ((EXPECTED_FPS - fps) / EXPECTED_FPS).clamp(0.0, 1.0);
            }
            if self.target_video_kbps > 0.0 && v.bitrate_out_kbps > 0.0 {
                s -= 20.0 * (1.0 - v.bitrate_out_kbps / self.target_video_kbps).clamp(0.0, 1.0);
            }
            // Delay hurts video less than audio, but a long RTT still does.
            s - (rtt - 300.0).max(0.0) / 20.0
        });
        match (audio, video) {
            (Some(a), Some(v)) => a.min(v),
            (Some(a), None) => a,
            (None, Some(v)) => v,
            (None, None) => 100.0,
        }
        .clamp(0.0, 100.0)
    }
}

#[cfg(test)]
#[path = "quality_tests.rs"]
mod tests;
