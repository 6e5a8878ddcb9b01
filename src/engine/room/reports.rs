//! What the room tells the server about its connections (`report`), for the server's
//! metrics and diagnostics: every state change the app is shown (with the setup time once,
//! and the reason of a drop or a failure), and the quality score at most every 10 s.

use super::{RoomAction, RoomEngine};
use crate::engine::types::ConnState;
use steadyrtc_protocol::{ClientMessage, Report};

/// Quality scores go to the server at most this often per peer.
pub const REPORT_INTERVAL_MS: u64 = 10_000;

impl RoomEngine {
    pub(super) fn report_state(&mut self, id: &str, to: ConnState, reason: &str) {
        let now = self.now;
        let Some(remote) = self.peers.get_mut(id) else {
            return;
        };
        let setup_ms = (to == ConnState::Connected && !remote.setup_reported)
            .then(|| now.saturating_sub(remote.opened_at));
        if setup_ms.is_some() {
            remote.setup_reported = true;
        }
        let failure_reason =
            matches!(to, ConnState::Reconnecting | ConnState::Failed).then(|| reason_token(reason));
        remote.reported_at = Some(now);
        self.send_report(Report {
            peer_id: Some(id.to_owned()),
            connection_state: Some(browser_state(to).to_owned()),
            setup_ms,
            failure_reason,
            quality: None,
        });
    }

    pub(super) fn report_quality(&mut self, id: &str, score: f64) {
        let now = self.now;
        let Some(remote) = self.peers.get_mut(id) else {
            return;
        };
        if !super::turn(&mut remote.reported_at, now, REPORT_INTERVAL_MS) {
            return;
        }
        let quality = Some(score.clamp(0.0, 100.0).round() as u8);
        self.send_report(Report {
            peer_id: Some(id.to_owned()),
            quality,
            ..Report::default()
        });
    }

    fn send_report(&mut self, report: Report) {
        if self.session.state() == crate::engine::session::SessionState::Connected {
            self.out.push(RoomAction::Send {
                message: ClientMessage::Report(report),
            });
        }
    }
}

/// The browser's `connectionState` word closest to a link state (what the server's
/// metrics count by).
pub fn browser_state(state: ConnState) -> &'static str {
    match state {
        ConnState::Initializing => "new",
        ConnState::Signaling
        | ConnState::IceGathering
        | ConnState::IceExchange
        | ConnState::Connecting => "connecting",
        ConnState::Connected => "connected",
        ConnState::Reconnecting => "disconnected",
        ConnState::Failed => "failed",
        ConnState::Closed => "closed",
    }
}

/// A reason as a short token the server accepts (letters, digits, `-`, `_`; 32 at most):
/// `recoveryExhausted: not connected again within 300000 ms` -> `recoveryExhausted`.
pub fn reason_token(reason: &str) -> String {
    reason
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .take(32)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::sim::*;
    use super::super::*;
    use super::*;
    use steadyrtc_protocol::Role;

    fn reports(acts: &[RoomAction]) -> Vec<Report> {
        acts.iter()
            .filter_map(|a| match a {
                RoomAction::Send {
                    message: ClientMessage::Report(r),
                } => Some(r.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn state_changes_are_reported_with_the_setup_time_once_and_the_reason_of_a_drop() {
        let mut sim = Sim::joined(vec![peer("a", Role::Guest, true)]);
        sim.advance(850);
        let r = reports(&sim.state("a", 0, ConnState::Connecting, ConnState::Connected));
        assert_eq!(r.len(), 1);
        assert_eq!(
            (r[0].connection_state.as_deref(), r[0].setup_ms),
            (Some("connected"), Some(850))
        );
        let r = reports(&sim.link(
            "a",
            0,
            LinkReport::State {
                from: ConnState::Connected,
                to: ConnState::Reconnecting,
                reason: "statsStalled".into(),
            },
        ));
        assert_eq!(
            (
                r[0].connection_state.as_deref(),
                r[0].failure_reason.as_deref()
            ),
            (Some("disconnected"), Some("statsStalled"))
        );
        let r = reports(&sim.back("a", 0, ConnState::Reconnecting));
        assert_eq!(r[0].setup_ms, None, "setup is reported once");
    }

    #[test]
    fn quality_goes_to_the_server_at_most_every_ten_seconds() {
        let mut sim = Sim::joined(vec![peer("a", Role::Guest, true)]);
        sim.state("a", 0, ConnState::Connecting, ConnState::Connected);
        let mut sent = Vec::new();
        for i in 0..25u64 {
            sim.now = 20_000 + i * 1_000;
            let acts = sim.feed(RoomInput::Stats {
                peer_id: "a".into(),
                epoch: 0,
                sample: sample(sim.now, 50 * (i + 1), 100 * (i + 1), 1_000 * (i + 1), i),
            });
            sent.extend(
                reports(&acts)
                    .into_iter()
                    .filter(|r| r.quality.is_some())
                    .map(|_| sim.now),
            );
        }
        assert_eq!(sent.len(), 3, "{sent:?}");
        assert!(sent.windows(2).all(|w| w[1] - w[0] >= REPORT_INTERVAL_MS));
    }

    #[test]
    fn reasons_become_tokens_the_server_accepts() {
        assert_eq!(
            reason_token("recoveryExhausted: not connected again within 300000 ms"),
            "recoveryExhausted"
        );
        assert_eq!(reason_token("iceDisconnected"), "iceDisconnected");
        assert_eq!(reason_token(&"x".repeat(50)).len(), 32);
    }
}
