use super::*;
use serde_json::{json, Value};

/// Real `getStats()` reports of one side of a two-peer call with fake camera and
/// microphone, saved from the browsers (see tests/fixtures/stats/README.md).
const CHROMIUM: &str = include_str!("../../tests/fixtures/stats/chromium.json");
const FIREFOX: &str = include_str!("../../tests/fixtures/stats/firefox.json");

/// What the browser's copy makes of each entry: the fields `RawStats` names, each only
/// when it has the right type (`copy` mirrors `browser::stats`).
fn copy(v: &Value) -> RawStats {
    let mut raw = RawStats::default();
    for key in TEXT_FIELDS {
        if let Some(x) = v.get(key).and_then(Value::as_str) {
            raw.set_text(key, x.to_owned());
        }
    }
    for key in NUMBER_FIELDS {
        if let Some(x) = v.get(key).and_then(Value::as_f64) {
            raw.set_number(key, x);
        }
    }
    for key in FLAG_FIELDS {
        if let Some(x) = v.get(key).and_then(Value::as_bool) {
            raw.set_flag(key, x);
        }
    }
    raw
}

fn entries(json: &str) -> Vec<RawStats> {
    let values: Vec<Value> = serde_json::from_str(json).expect("fixture is a JSON array");
    values.iter().map(copy).collect()
}

fn raw(values: &[Value]) -> Vec<RawStats> {
    values.iter().map(copy).collect()
}

#[test]
fn every_field_name_sets_its_field() {
    let mut r = RawStats::default();
    for key in TEXT_FIELDS {
        r.set_text(key, key.to_owned());
    }
    for (i, key) in NUMBER_FIELDS.iter().enumerate() {
        r.set_number(key, i as f64 + 1.0);
    }
    for key in FLAG_FIELDS {
        r.set_flag(key, true);
    }
    let json = format!("{r:?}");
    assert!(
        !json.contains("None"),
        "a listed name sets no field: {json}"
    );
    let mut nan = RawStats::default();
    nan.set_number("jitter", f64::NAN);
    assert_eq!(nan.jitter, None);
}

fn check_real(sample: &StatsSample, browser: &str) {
    let pair = sample
        .pair
        .as_ref()
        .unwrap_or_else(|| panic!("{browser}: no selected pair"));
    assert!(pair.current_round_trip_time_s.is_some(), "{browser}: rtt");
    assert!(
        pair.bytes_received > 0 && pair.bytes_sent > 0,
        "{browser}: pair bytes {pair:?}"
    );
    assert_eq!(
        pair.local_candidate_type.as_deref(),
        Some("host"),
        "{browser}"
    );
    assert_eq!(
        pair.remote_candidate_type.as_deref(),
        Some("host"),
        "{browser}"
    );
    for kind in [MediaKind::Audio, MediaKind::Video] {
        let inbound = sample
            .inbound
            .iter()
            .find(|s| s.kind == kind)
            .unwrap_or_else(|| panic!("{browser}: inbound {kind:?}"));
        assert!(
            inbound.packets_received > 0 && inbound.bytes_received > 0,
            "{browser}: {inbound:?}"
        );
        let outbound = sample
            .outbound
            .iter()
            .find(|s| s.kind == kind)
            .unwrap_or_else(|| panic!("{browser}: outbound {kind:?}"));
        assert!(
            outbound.packets_sent > 0 && outbound.bytes_sent > 0,
            "{browser}: {outbound:?}"
        );
    }
    let video = sample
        .inbound
        .iter()
        .find(|s| s.kind == MediaKind::Video)
        .unwrap();
    assert!(video.frames_decoded > 0, "{browser}: frames decoded");
    assert!(
        video.frame_width.is_some_and(|w| w > 0),
        "{browser}: frame width"
    );
    assert_eq!(
        sample
            .audio_codec
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("audio/opus"),
        "{browser}"
    );
    assert!(
        sample
            .video_codec
            .as_deref()
            .is_some_and(|c| c.starts_with("video/")),
        "{browser}: {:?}",
        sample.video_codec
    );
}

#[test]
fn a_real_chromium_report_maps_to_a_full_sample() {
    let sample = sample_from_report(5, &entries(CHROMIUM));
    assert_eq!(sample.at_ms, 5);
    check_real(&sample, "chromium");
    let video_out = sample
        .outbound
        .iter()
        .find(|s| s.kind == MediaKind::Video)
        .unwrap();
    assert!(
        video_out.quality_limitation_reason.is_some(),
        "Chromium reports qualityLimitationReason"
    );
    assert!(sample
        .pair
        .as_ref()
        .unwrap()
        .available_outgoing_bitrate
        .is_some());
}

#[test]
fn a_real_firefox_report_maps_to_a_full_sample() {
    check_real(&sample_from_report(5, &entries(FIREFOX)), "firefox");
}

#[test]
fn the_pair_is_found_by_transport_then_by_selected_then_by_nomination() {
    let pair = |id: &str, extra: Value| {
        let mut p = json!({"type": "candidate-pair", "id": id, "bytesReceived": 10, "bytesSent": 10, "currentRoundTripTime": 0.05});
        if let (Value::Object(p), Value::Object(e)) = (&mut p, extra) {
            p.extend(e);
        }
        p
    };
    let rtt = |entries: &[Value]| {
        sample_from_report(0, &raw(entries))
            .pair
            .and_then(|p| p.current_round_trip_time_s)
    };
    let by_transport = [
        pair(
            "a",
            json!({"nominated": true, "state": "succeeded", "bytesReceived": 999}),
        ),
        pair("b", json!({"currentRoundTripTime": 0.2})),
        json!({"type": "transport", "id": "t", "selectedCandidatePairId": "b"}),
    ];
    assert_eq!(rtt(&by_transport), Some(0.2));
    let by_selected = [
        pair("a", json!({"nominated": true, "state": "succeeded"})),
        pair("b", json!({"selected": true, "currentRoundTripTime": 0.3})),
    ];
    assert_eq!(rtt(&by_selected), Some(0.3));
    let by_bytes = [
        pair(
            "a",
            json!({"nominated": true, "state": "succeeded", "bytesReceived": 5, "currentRoundTripTime": 0.4}),
        ),
        pair(
            "b",
            json!({"nominated": true, "state": "succeeded", "bytesReceived": 500, "currentRoundTripTime": 0.5}),
        ),
        pair(
            "c",
            json!({"nominated": false, "state": "succeeded", "bytesReceived": 5000}),
        ),
    ];
    assert_eq!(rtt(&by_bytes), Some(0.5));
    assert_eq!(
        sample_from_report(0, &raw(&[pair("a", json!({"state": "in-progress"}))])).pair,
        None
    );
}

#[test]
fn junk_entries_and_fields_of_the_wrong_type_are_skipped_not_fatal() {
    let entries = [
        json!("not an object"),
        json!({"type": "inbound-rtp"}),
        json!({"type": "inbound-rtp", "kind": "data"}),
        json!({"type": "inbound-rtp", "mediaType": "video", "packetsReceived": "many", "bytesReceived": -5, "framesPerSecond": 30}),
        json!({"type": "outbound-rtp", "kind": "audio", "packetsSent": 7, "codecId": "missing"}),
        json!({"type": "codec", "id": "c"}),
        json!(null),
    ];
    let s = sample_from_report(1, &raw(&entries));
    assert_eq!(s.inbound.len(), 1);
    assert_eq!(
        s.inbound[0].kind,
        MediaKind::Video,
        "older Firefox names the kind mediaType"
    );
    assert_eq!(
        (s.inbound[0].packets_received, s.inbound[0].bytes_received),
        (0, 0)
    );
    assert_eq!(s.inbound[0].frames_per_second, Some(30.0));
    assert_eq!(s.outbound[0].packets_sent, 7);
    assert_eq!(s.audio_codec, None);
    assert_eq!(s.pair, None);
}
