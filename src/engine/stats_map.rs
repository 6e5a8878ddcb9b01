//! From a `getStats()` report, copied entry by entry into [`RawStats`], to a
//! [`StatsSample`]. Pure: the browser layer only copies the fields named here out of the
//! JS objects; every choice about which entry means what is made here, and Chromium's and
//! Firefox's differences are handled here:
//!
//! - the selected candidate pair is the one named by a `transport`'s
//!   `selectedCandidatePairId`, else one with `selected: true` (Firefox), else the
//!   nominated, succeeded pair that carried the most bytes;
//! - an RTP entry's kind is `kind`, or `mediaType` in older Firefox builds;
//! - codecs are found through each RTP entry's `codecId`;
//! - an entry of a type not read here is skipped; a field of the wrong type reads as
//!   absent.

use super::stats::{InboundRtp, MediaKind, OutboundRtp, PairStats, RemoteInboundRtp, StatsSample};
use super::vec_map::VecMap;

/// One entry of a `getStats()` report: the fields this module reads, each absent when
/// the browser did not give it (or gave something of another type).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawStats {
    /// The entry's `type` (`inbound-rtp`, `candidate-pair`, ...).
    pub kind_of_entry: Option<String>,
    pub id: Option<String>,
    pub kind: Option<String>,
    pub media_type: Option<String>,
    pub codec_id: Option<String>,
    pub mime_type: Option<String>,
    pub packets_received: Option<f64>,
    pub packets_lost: Option<f64>,
    pub jitter: Option<f64>,
    pub bytes_received: Option<f64>,
    pub frames_decoded: Option<f64>,
    pub frames_dropped: Option<f64>,
    pub frames_per_second: Option<f64>,
    pub concealed_samples: Option<f64>,
    pub total_samples_received: Option<f64>,
    pub frame_width: Option<f64>,
    pub frame_height: Option<f64>,
    pub packets_sent: Option<f64>,
    pub bytes_sent: Option<f64>,
    pub quality_limitation_reason: Option<String>,
    pub fraction_lost: Option<f64>,
    pub round_trip_time: Option<f64>,
    pub selected_candidate_pair_id: Option<String>,
    pub selected: Option<bool>,
    pub nominated: Option<bool>,
    pub state: Option<String>,
    pub current_round_trip_time: Option<f64>,
    pub available_outgoing_bitrate: Option<f64>,
    pub responses_received: Option<f64>,
    pub local_candidate_id: Option<String>,
    pub remote_candidate_id: Option<String>,
    pub candidate_type: Option<String>,
    pub relay_protocol: Option<String>,
}

/// The JS names of the fields [`RawStats`] holds, by type: what the browser copies.
pub const TEXT_FIELDS: [&str; 13] = [
    "type",
    "id",
    "kind",
    "mediaType",
    "codecId",
    "mimeType",
    "qualityLimitationReason",
    "selectedCandidatePairId",
    "state",
    "localCandidateId",
    "remoteCandidateId",
    "candidateType",
    "relayProtocol",
];
pub const NUMBER_FIELDS: [&str; 18] = [
    "packetsReceived",
    "packetsLost",
    "jitter",
    "bytesReceived",
    "framesDecoded",
    "framesDropped",
    "framesPerSecond",
    "concealedSamples",
    "totalSamplesReceived",
    "frameWidth",
    "frameHeight",
    "packetsSent",
    "bytesSent",
    "fractionLost",
    "roundTripTime",
    "currentRoundTripTime",
    "availableOutgoingBitrate",
    "responsesReceived",
];
pub const FLAG_FIELDS: [&str; 2] = ["selected", "nominated"];

impl RawStats {
    /// Sets the field named `key` (its JS name) from a string.
    pub fn set_text(&mut self, key: &str, value: String) {
        let slot = match key {
            "type" => &mut self.kind_of_entry,
            "id" => &mut self.id,
            "kind" => &mut self.kind,
            "mediaType" => &mut self.media_type,
            "codecId" => &mut self.codec_id,
            "mimeType" => &mut self.mime_type,
            "qualityLimitationReason" => &mut self.quality_limitation_reason,
            "selectedCandidatePairId" => &mut self.selected_candidate_pair_id,
            "state" => &mut self.state,
            "localCandidateId" => &mut self.local_candidate_id,
            "remoteCandidateId" => &mut self.remote_candidate_id,
            "candidateType" => &mut self.candidate_type,
            "relayProtocol" => &mut self.relay_protocol,
            _ => return,
        };
        *slot = Some(value);
    }

    /// Sets the field named `key` (its JS name) from a number; non-finite reads as absent.
    pub fn set_number(&mut self, key: &str, value: f64) {
        let slot = match key {
            "packetsReceived" => &mut self.packets_received,
            "packetsLost" => &mut self.packets_lost,
            "jitter" => &mut self.jitter,
            "bytesReceived" => &mut self.bytes_received,
            "framesDecoded" => &mut self.frames_decoded,
            "framesDropped" => &mut self.frames_dropped,
            "framesPerSecond" => &mut self.frames_per_second,
            "concealedSamples" => &mut self.concealed_samples,
            "totalSamplesReceived" => &mut self.total_samples_received,
            "frameWidth" => &mut self.frame_width,
            "frameHeight" => &mut self.frame_height,
            "packetsSent" => &mut self.packets_sent,
            "bytesSent" => &mut self.bytes_sent,
            "fractionLost" => &mut self.fraction_lost,
            "roundTripTime" => &mut self.round_trip_time,
            "currentRoundTripTime" => &mut self.current_round_trip_time,
            "availableOutgoingBitrate" => &mut self.available_outgoing_bitrate,
            "responsesReceived" => &mut self.responses_received,
            _ => return,
        };
        *slot = value.is_finite().then_some(value);
    }

    /// Sets the field named `key` (its JS name) from a boolean.
    pub fn set_flag(&mut self, key: &str, value: bool) {
        match key {
            "selected" => self.selected = Some(value),
            "nominated" => self.nominated = Some(value),
            _ => {}
        }
    }
}

/// The sample a report gives, taken at `at_ms`.
pub fn sample_from_report(at_ms: u64, entries: &[RawStats]) -> StatsSample {
    let by_id: VecMap<&str, &RawStats> = entries
        .iter()
        .filter_map(|e| Some((e.id.as_deref()?, e)))
        .collect();
    let mut sample = StatsSample {
        at_ms,
        pair: selected_pair(entries, &by_id),
        ..StatsSample::default()
    };
    for e in entries {
        let Some(kind) = kind_of(e) else { continue };
        let codec = e
            .codec_id
            .as_deref()
            .and_then(|id| by_id.get(id))
            .and_then(|c| c.mime_type.clone());
        match e.kind_of_entry.as_deref() {
            Some("inbound-rtp") => sample.inbound.push(InboundRtp {
                packets_received: count(e.packets_received),
                packets_lost: e.packets_lost.unwrap_or(0.0) as i64,
                jitter_s: e.jitter.unwrap_or(0.0),
                bytes_received: count(e.bytes_received),
                frames_decoded: count(e.frames_decoded),
                frames_dropped: count(e.frames_dropped),
                frames_per_second: e.frames_per_second,
                concealed_samples: count(e.concealed_samples),
                total_samples_received: count(e.total_samples_received),
                frame_width: e.frame_width.map(|w| w as u32),
                frame_height: e.frame_height.map(|h| h as u32),
                ..InboundRtp::with_kind(kind)
            }),
            Some("outbound-rtp") => sample.outbound.push(OutboundRtp {
                packets_sent: count(e.packets_sent),
                bytes_sent: count(e.bytes_sent),
                frames_per_second: e.frames_per_second,
                quality_limitation_reason: e.quality_limitation_reason.clone(),
                ..OutboundRtp::with_kind(kind)
            }),
            Some("remote-inbound-rtp") => sample.remote_inbound.push(RemoteInboundRtp {
                packets_lost: e.packets_lost.unwrap_or(0.0) as i64,
                fraction_lost: e.fraction_lost.unwrap_or(0.0),
                round_trip_time_s: e.round_trip_time,
                jitter_s: e.jitter.unwrap_or(0.0),
                ..RemoteInboundRtp::with_kind(kind)
            }),
            _ => continue,
        }
        let slot = match kind {
            MediaKind::Audio => &mut sample.audio_codec,
            MediaKind::Video => &mut sample.video_codec,
        };
        if slot.is_none() {
            *slot = codec;
        }
    }
    sample
}

fn selected_pair(entries: &[RawStats], by_id: &VecMap<&str, &RawStats>) -> Option<PairStats> {
    let of_type = |t: &'static str| {
        entries
            .iter()
            .filter(move |e| e.kind_of_entry.as_deref() == Some(t))
    };
    let chosen = of_type("transport")
        .filter_map(|t| t.selected_candidate_pair_id.as_deref())
        .find_map(|id| by_id.get(id).copied())
        .or_else(|| of_type("candidate-pair").find(|p| p.selected == Some(true)))
        .or_else(|| {
            of_type("candidate-pair")
                .filter(|p| p.nominated == Some(true) && p.state.as_deref() == Some("succeeded"))
                .max_by_key(|p| count(p.bytes_received) + count(p.bytes_sent))
        })?;
    let candidate = |id: &Option<String>| id.as_deref().and_then(|id| by_id.get(id).copied());
    let local = candidate(&chosen.local_candidate_id);
    let remote = candidate(&chosen.remote_candidate_id);
    Some(PairStats {
        current_round_trip_time_s: chosen.current_round_trip_time,
        available_outgoing_bitrate: chosen.available_outgoing_bitrate,
        bytes_received: count(chosen.bytes_received),
        bytes_sent: count(chosen.bytes_sent),
        responses_received: count(chosen.responses_received),
        local_candidate_type: local.and_then(|c| c.candidate_type.clone()),
        remote_candidate_type: remote.and_then(|c| c.candidate_type.clone()),
        relay_protocol: local.and_then(|c| c.relay_protocol.clone()),
    })
}

fn kind_of(e: &RawStats) -> Option<MediaKind> {
    match e.kind.as_deref().or(e.media_type.as_deref())? {
        "audio" => Some(MediaKind::Audio),
        "video" => Some(MediaKind::Video),
        _ => None,
    }
}

/// A counter: absent or negative reads as 0.
fn count(x: Option<f64>) -> u64 {
    x.filter(|x| *x >= 0.0).map_or(0, |x| x as u64)
}

#[cfg(test)]
#[path = "stats_map_tests.rs"]
mod tests;
