//! The loss the remote reports of what we send, from its RTCP receiver reports as
//! `getStats` shows them (`remote-inbound-rtp`), one estimate per stats interval.
//!
//! Measured in the lab (Chromium, 10 % and 30 % loss on one host):
//! - `getStats` keeps a kind's last report until the next one. Audio's come about every
//!   5 s (2.5-7.5 s, and a lossy path loses some), so a report read again after the loss
//!   ended held the ladder down for up to 9 s more.
//! - Video's `fractionLost` often reads 0 while its cumulative `packetsLost` rises (10-23
//!   lost packets of 30-90 a second under 30 % loss), so the count is read as well.
//!
//! So each kind's report is read once, when it changes, as the larger of its
//! `fractionLost` and the packets it newly counts lost over the packets sent since the
//! previous report; that rate then stands for the packets the kind sends while the report
//! is at most [`REPORT_HOLD_MS`] old. Kinds with no report that recent do not count,
//! unless no kind has one: then every kind's last rate counts (a path that loses the
//! reports themselves is still a lossy path). Each kind is weighted by the packets it sent
//! in the interval: audio's reports alone cover a few dozen packets, so one lost packet in
//! one reads as 2-50 %.

use super::stats::{delta, MediaKind, StatsSample};
use serde::{Deserialize, Serialize};

/// How long a report's rate stands for what its kind sends, in ms.
pub const REPORT_HOLD_MS: u64 = 3_000;

/// One kind's last report and the rate read from it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct Report {
    fraction: f64,
    lost: i64,
    rtt_s: Option<f64>,
    at_ms: u64,
    /// The kind's cumulative packets sent when the report was read.
    sent: u64,
    /// Lost per packet sent, 0..1.
    rate: f64,
}

/// Reads the remote's reports of what we send, one sample after another.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OutboundLoss {
    reports: [Option<Report>; 2],
}

impl OutboundLoss {
    /// The loss over the interval from `prev` to `cur`, in percent.
    pub fn push(&mut self, cur: &StatsSample, prev: &StatsSample) -> f64 {
        // (lost, sent) over the kinds with a recent report, and over all kinds.
        let (mut recent, mut all) = ((0.0, 0.0), (0.0, 0.0));
        for (slot, kind) in self
            .reports
            .iter_mut()
            .zip([MediaKind::Audio, MediaKind::Video])
        {
            let Some((fraction, lost, rtt_s)) = cur
                .remote_inbound
                .iter()
                .filter(|r| r.kind == kind)
                .map(|r| (r.fraction_lost, r.packets_lost, r.round_trip_time_s))
                .reduce(|(f, l, t), (g, m, u)| (f.max(g), l + m, t.or(u)))
            else {
                continue;
            };
            let sent_total = cur.totals(kind).packets_out;
            let report = match *slot {
                Some(r) if (r.fraction, r.lost, r.rtt_s) == (fraction, lost, rtt_s) => r,
                before => {
                    let counted = before.map_or(0.0, |r| {
                        let span = sent_total.saturating_sub(r.sent);
                        let newly = lost.saturating_sub(r.lost).max(0) as f64;
                        if span == 0 {
                            0.0
                        } else {
                            (newly / span as f64).min(1.0)
                        }
                    });
                    let r = Report {
                        fraction,
                        lost,
                        rtt_s,
                        at_ms: cur.at_ms,
                        sent: sent_total,
                        rate: fraction.max(counted),
                    };
                    *slot = Some(r);
                    r
                }
            };
            let sent = delta(sent_total, prev.totals(kind).packets_out) as f64;
            all = (all.0 + report.rate * sent, all.1 + sent);
            if cur.at_ms.saturating_sub(report.at_ms) <= REPORT_HOLD_MS {
                recent = (recent.0 + report.rate * sent, recent.1 + sent);
            }
        }
        let (lost, sent) = if recent.1 > 0.0 { recent } else { all };
        if sent > 0.0 {
            100.0 * lost / sent
        } else {
            0.0
        }
    }
}

#[cfg(test)]
#[path = "outbound_loss_tests.rs"]
mod tests;
