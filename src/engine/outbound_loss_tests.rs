use super::*;
use crate::engine::stats::{OutboundRtp, RemoteInboundRtp};

/// One kind's numbers in a sample: cumulative packets sent, the remote's cumulative lost
/// count, the fraction of its last report and that report's round trip.
#[derive(Clone, Copy)]
struct K(u64, i64, f64, f64);

fn at(at_ms: u64, audio: K, video: K) -> StatsSample {
    let mut s = StatsSample {
        at_ms,
        ..StatsSample::default()
    };
    for (kind, K(sent, lost, fraction, rtt)) in
        [(MediaKind::Audio, audio), (MediaKind::Video, video)]
    {
        s.outbound.push(OutboundRtp {
            packets_sent: sent,
            ..OutboundRtp::with_kind(kind)
        });
        s.remote_inbound.push(RemoteInboundRtp {
            fraction_lost: fraction,
            packets_lost: lost,
            round_trip_time_s: Some(rtt),
            ..RemoteInboundRtp::with_kind(kind)
        });
    }
    s
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn each_kinds_report_is_weighted_by_the_packets_it_sent() {
    let mut l = OutboundLoss::default();
    let prev = at(0, K(1_000, 0, 0.0, 0.02), K(10_000, 0, 0.0, 0.02));
    assert_eq!(
        l.push(&prev, &prev),
        0.0,
        "nothing sent: no loss to speak of"
    );
    // Audio's report says 50 % (one packet of two), video's 10 % of 190 packets.
    let cur = at(1_000, K(1_010, 1, 0.5, 0.021), K(10_190, 19, 0.1, 0.021));
    let pct = l.push(&cur, &prev);
    assert!(close(pct, 12.0), "{pct}");
}

#[test]
fn a_report_read_again_stops_counting_once_a_newer_report_of_another_kind_says_more() {
    let mut l = OutboundLoss::default();
    let s0 = at(0, K(0, 0, 0.0, 0.02), K(0, 0, 0.0, 0.02));
    let s1 = at(1_000, K(50, 5, 0.1, 0.02), K(100, 10, 0.1, 0.021));
    l.push(&s0, &s0);
    assert!(close(l.push(&s1, &s0), 10.0));
    // The loss ends. Video's reports come every second and say so; audio's last one
    // (10 %) is what getStats still shows, unchanged.
    let mut prev = s1;
    let mut seen = Vec::new();
    for t in 2..8 {
        let cur = at(
            t * 1_000,
            K(50 * t, 5, 0.1, 0.02),
            K(100 * t, 10, 0.0, 0.02 + t as f64 / 1_000.0),
        );
        seen.push(l.push(&cur, &prev));
        prev = cur;
    }
    // It counts while it is at most 3 s old (a third of the packets: 10 % -> 3.3 %),
    // then not at all.
    let third = 100.0 * 0.1 * 50.0 / 150.0;
    assert!(seen[..3].iter().all(|&p| close(p, third)), "{seen:?}");
    assert!(seen[3..].iter().all(|&p| p == 0.0), "{seen:?}");
}

#[test]
fn a_report_that_says_0_percent_while_its_count_rises_counts_the_count() {
    let mut l = OutboundLoss::default();
    let s0 = at(0, K(0, 0, 0.0, 0.02), K(1_000, 40, 0.0, 0.02));
    l.push(&s0, &s0);
    // Video: 20 more counted lost over the 100 packets sent since its last report, with a
    // fraction of 0. No audio was sent.
    let s1 = at(1_000, K(0, 0, 0.0, 0.02), K(1_100, 60, 0.0, 0.021));
    assert!(close(l.push(&s1, &s0), 20.0));
}

#[test]
fn with_no_recent_report_at_all_the_last_rates_still_count() {
    let mut l = OutboundLoss::default();
    let s0 = at(0, K(0, 0, 0.0, 0.02), K(0, 0, 0.0, 0.02));
    let s1 = at(1_000, K(50, 10, 0.2, 0.021), K(100, 30, 0.3, 0.021));
    l.push(&s0, &s0);
    l.push(&s1, &s0);
    // The path loses the reports themselves: nothing new for 5 s.
    let s6 = at(6_000, K(300, 10, 0.2, 0.021), K(600, 30, 0.3, 0.021));
    let pct = l.push(&s6, &s1);
    let expected = 100.0 * (0.2 * 250.0 + 0.3 * 500.0) / 750.0;
    assert!(close(pct, expected), "{pct} vs {expected}");
}
