//! What `getStats()` gives for one peer, as plain data, and the per-interval deltas
//! between two samples. Counters that go backwards (a stream was recreated) count as a
//! reset: the delta is the new value, never negative.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum MediaKind {
    Audio,
    Video,
}

/// The selected candidate pair.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PairStats {
    pub current_round_trip_time_s: Option<f64>,
    pub available_outgoing_bitrate: Option<f64>,
    /// Everything received on the pair (RTP, RTCP, data channel), in bytes.
    pub bytes_received: u64,
    pub bytes_sent: u64,
    /// STUN binding responses received (consent freshness).
    pub responses_received: u64,
    /// `host`, `srflx`, `prflx` or `relay`.
    pub local_candidate_type: Option<String>,
    pub remote_candidate_type: Option<String>,
    /// How the local relay candidate reaches its TURN server (`udp`, `tcp`, `tls`).
    pub relay_protocol: Option<String>,
}

/// One `inbound-rtp` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct InboundRtp {
    pub kind: MediaKind,
    pub packets_received: u64,
    pub packets_lost: i64,
    pub jitter_s: f64,
    pub bytes_received: u64,
    pub frames_decoded: u64,
    pub frames_dropped: u64,
    pub frames_per_second: Option<f64>,
    pub concealed_samples: u64,
    pub total_samples_received: u64,
    pub frame_width: Option<u32>,
    pub frame_height: Option<u32>,
}

/// One `outbound-rtp` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OutboundRtp {
    pub kind: MediaKind,
    pub packets_sent: u64,
    pub bytes_sent: u64,
    pub frames_per_second: Option<f64>,
    pub quality_limitation_reason: Option<String>,
}

/// One `remote-inbound-rtp` entry: how the remote receives what we send.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RemoteInboundRtp {
    pub kind: MediaKind,
    pub packets_lost: i64,
    pub fraction_lost: f64,
    pub round_trip_time_s: Option<f64>,
    pub jitter_s: f64,
}

macro_rules! default_kind {
    ($($t:ident),*) => {$(
        impl Default for $t {
            fn default() -> Self {
                Self::with_kind(MediaKind::Audio)
            }
        }
    )*};
}
default_kind!(InboundRtp, OutboundRtp, RemoteInboundRtp);

impl InboundRtp {
    pub fn with_kind(kind: MediaKind) -> Self {
        Self {
            kind,
            packets_received: 0,
            packets_lost: 0,
            jitter_s: 0.0,
            bytes_received: 0,
            frames_decoded: 0,
            frames_dropped: 0,
            frames_per_second: None,
            concealed_samples: 0,
            total_samples_received: 0,
            frame_width: None,
            frame_height: None,
        }
    }
}

impl OutboundRtp {
    pub fn with_kind(kind: MediaKind) -> Self {
        Self {
            kind,
            packets_sent: 0,
            bytes_sent: 0,
            frames_per_second: None,
            quality_limitation_reason: None,
        }
    }
}

impl RemoteInboundRtp {
    pub fn with_kind(kind: MediaKind) -> Self {
        Self {
            kind,
            packets_lost: 0,
            fraction_lost: 0.0,
            round_trip_time_s: None,
            jitter_s: 0.0,
        }
    }
}

/// One `getStats()` result for one peer, reduced to what quality scoring reads.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct StatsSample {
    pub at_ms: u64,
    pub pair: Option<PairStats>,
    pub inbound: Vec<InboundRtp>,
    pub outbound: Vec<OutboundRtp>,
    pub remote_inbound: Vec<RemoteInboundRtp>,
    /// The codecs in use (`mimeType`, e.g. `audio/opus`, `video/VP8`).
    pub audio_codec: Option<String>,
    pub video_codec: Option<String>,
}

/// Counter totals of one media kind within one sample.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct KindTotals {
    pub received: u64,
    pub lost: u64,
    pub bytes_in: u64,
    pub frames_decoded: u64,
    pub frames_dropped: u64,
    pub concealed: u64,
    pub samples: u64,
    pub bytes_out: u64,
    pub packets_out: u64,
}

impl StatsSample {
    pub(crate) fn totals(&self, kind: MediaKind) -> KindTotals {
        let mut t = KindTotals::default();
        for s in self.inbound.iter().filter(|s| s.kind == kind) {
            t.received += s.packets_received;
            t.lost += s.packets_lost.max(0) as u64;
            t.bytes_in += s.bytes_received;
            t.frames_decoded += s.frames_decoded;
            t.frames_dropped += s.frames_dropped;
            t.concealed += s.concealed_samples;
            t.samples += s.total_samples_received;
        }
        for s in self.outbound.iter().filter(|s| s.kind == kind) {
            t.bytes_out += s.bytes_sent;
            t.packets_out += s.packets_sent;
        }
        t
    }

    pub(crate) fn has_inbound(&self, kind: MediaKind) -> bool {
        self.inbound.iter().any(|s| s.kind == kind)
    }
}

/// `cur - prev`, or `cur` when the counter went backwards (a reset).
pub(crate) fn delta(cur: u64, prev: u64) -> u64 {
    if cur >= prev {
        cur - prev
    } else {
        cur
    }
}

impl KindTotals {
    pub(crate) fn delta(&self, prev: &KindTotals) -> KindTotals {
        KindTotals {
            received: delta(self.received, prev.received),
            lost: delta(self.lost, prev.lost),
            bytes_in: delta(self.bytes_in, prev.bytes_in),
            frames_decoded: delta(self.frames_decoded, prev.frames_decoded),
            frames_dropped: delta(self.frames_dropped, prev.frames_dropped),
            concealed: delta(self.concealed, prev.concealed),
            samples: delta(self.samples, prev.samples),
            bytes_out: delta(self.bytes_out, prev.bytes_out),
            packets_out: delta(self.packets_out, prev.packets_out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deltas_never_go_negative_and_treat_a_decrease_as_a_reset() {
        assert_eq!(delta(150, 100), 50);
        assert_eq!(delta(30, 100), 30);
        let mut a = StatsSample::default();
        a.inbound.push(InboundRtp {
            packets_received: 100,
            packets_lost: 5,
            ..InboundRtp::with_kind(MediaKind::Video)
        });
        let mut b = a.clone();
        b.inbound[0].packets_received = 10; // stream recreated
        b.inbound[0].packets_lost = -2; // remote reports can be negative (duplicates)
        let d = b
            .totals(MediaKind::Video)
            .delta(&a.totals(MediaKind::Video));
        assert_eq!(d.received, 10);
        assert_eq!(d.lost, 0);
    }

    #[test]
    fn samples_parse_from_partial_json() {
        let s: StatsSample = serde_json::from_str(
            r#"{"atMs": 5, "inbound": [{"kind": "audio", "packetsReceived": 7}], "pair": {"currentRoundTripTimeS": 0.02}}"#,
        )
        .unwrap();
        assert_eq!(s.inbound[0].packets_received, 7);
        assert_eq!(s.pair.unwrap().current_round_trip_time_s, Some(0.02));
    }
}
