use super::*;
use crate::engine::stats::{InboundRtp, OutboundRtp, PairStats};

/// One second of a 50 packet/s audio + 30 fps video call at `loss_pct`, `rtt_ms`.
fn call(at_s: u64, loss_pct: f64, rtt_ms: f64, received_per_s: u64) -> StatsSample {
    let mut s = StatsSample {
        at_ms: at_s * 1000,
        ..Default::default()
    };
    s.pair = Some(PairStats {
        current_round_trip_time_s: Some(rtt_ms / 1000.0),
        available_outgoing_bitrate: Some(2_000_000.0),
        ..PairStats::default()
    });
    let lost = |n: u64| ((n as f64) * loss_pct / (100.0 - loss_pct)).round() as i64;
    let audio_rx = received_per_s * at_s;
    s.inbound.push(InboundRtp {
        packets_received: audio_rx,
        packets_lost: lost(audio_rx),
        jitter_s: 0.004,
        bytes_received: 4_000 * at_s,
        ..InboundRtp::with_kind(MediaKind::Audio)
    });
    let video_rx = received_per_s * 4 * at_s;
    s.inbound.push(InboundRtp {
        packets_received: video_rx,
        packets_lost: lost(video_rx),
        bytes_received: 100_000 * at_s,
        frames_per_second: Some(30.0),
        ..InboundRtp::with_kind(MediaKind::Video)
    });
    s.outbound.push(OutboundRtp {
        bytes_sent: 100_000 * at_s,
        ..OutboundRtp::with_kind(MediaKind::Video)
    });
    s
}

fn settle(loss: f64, rtt: f64) -> Quality {
    let mut m = QualityMonitor::new();
    let mut last = None;
    for t in 0..=3 {
        last = m.push(call(t, loss, rtt, 50));
    }
    last.expect("quality after the second sample")
}

#[test]
fn golden_profiles_map_to_their_levels() {
    assert_eq!(settle(0.0, 20.0).level, Level::Excellent);
    assert_eq!(settle(2.0, 20.0).level, Level::Good);
    assert_eq!(settle(5.0, 20.0).level, Level::Fair);
    assert_eq!(settle(12.0, 20.0).level, Level::Poor);
}

#[test]
fn nothing_received_while_the_remote_was_sending_is_critical_at_once() {
    let mut m = QualityMonitor::new();
    m.push(call(0, 0.0, 20.0, 50));
    assert_eq!(
        m.push(call(1, 0.0, 20.0, 50)).unwrap().level,
        Level::Excellent
    );
    let mut frozen = call(1, 0.0, 20.0, 50);
    frozen.at_ms = 2_000;
    let q = m.push(frozen).unwrap();
    assert!(q.stalled);
    assert_eq!(q.score, 0.0);
    assert_eq!(q.level, Level::Critical);
}

#[test]
fn the_e_model_matches_its_formula_and_gets_steeper_past_160_ms() {
    // Ld = 10 + 0 + 10 = 20 -> Id = 0.5 -> R = 92.7
    assert!((r_factor(20.0, 0.0, 0.0) - 92.7).abs() < 1e-9);
    let below = r_factor(280.0, 0.0, 0.0) - r_factor(300.0, 0.0, 0.0); // Ld 150 -> 160
    let above = r_factor(400.0, 0.0, 0.0) - r_factor(420.0, 0.0, 0.0); // Ld 210 -> 220
    assert!(above > below * 3.0, "{above} vs {below}");
    assert!((mos(93.2) - 4.41).abs() < 0.01);
    assert_eq!(mos(-5.0), 1.0);
}

#[test]
fn the_score_falls_at_once_and_rises_two_points_a_second() {
    let mut m = QualityMonitor::new();
    m.push(call(0, 12.0, 20.0, 50));
    let low = m.push(call(1, 12.0, 20.0, 50)).unwrap().score;
    // Loss stops: the raw score jumps, the reported one climbs slowly.
    let mut prev = low;
    let mut s = call(1, 12.0, 20.0, 50);
    for t in 2..=6u64 {
        let mut next = call(t, 0.0, 20.0, 50);
        next.inbound[0].packets_lost = s.inbound[0].packets_lost;
        next.inbound[1].packets_lost = s.inbound[1].packets_lost;
        let q = m.push(next.clone()).unwrap();
        assert!(q.raw_score > 90.0);
        assert!(
            q.score <= prev + 2.0 + 1e-9,
            "rose from {prev} to {}",
            q.score
        );
        prev = q.score;
        s = next;
    }
    let mut bad = call(7, 0.0, 20.0, 50);
    bad.inbound[0].packets_lost = s.inbound[0].packets_lost + 100;
    assert!(m.push(bad).unwrap().score < prev - 10.0, "falls at once");
}

#[test]
fn counter_resets_do_not_produce_negative_rates() {
    let mut m = QualityMonitor::new();
    m.push(call(10, 0.0, 20.0, 50));
    let q = m.push(call(11, 0.0, 20.0, 1)).unwrap(); // counters went down: a reset
    let v = q.video.unwrap();
    assert!(v.bitrate_in_kbps >= 0.0 && v.loss_pct >= 0.0);
}

#[test]
fn the_first_sample_only_primes() {
    assert!(QualityMonitor::new().push(call(0, 0.0, 20.0, 50)).is_none());
}
