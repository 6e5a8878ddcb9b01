//! `room.diagnostics()`: what happened to each connection and what it looks like now, in
//! one JSON report a user can paste into a bug report. Built from the events the room
//! emits (so it says exactly what the app was told), plus recommendations in plain words.
//! The API layer turns it into the JS object field by field (a serde serializer for it
//! cost 13 KiB of wasm).

use super::events::RoomEvent;
use crate::engine::adapt::Rung;
use crate::engine::decimal::fixed;
use crate::engine::quality::Level;
use crate::engine::session::SessionState;
use crate::engine::types::ConnState;
use crate::engine::vec_map::VecMap;
use std::collections::VecDeque;

/// Timeline entries kept per peer and for the session.
const KEEP: usize = 50;

/// One step of a timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub at_ms: u64,
    pub from: String,
    pub to: String,
    pub reason: String,
}

/// What is known of one peer's connection.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PeerDiagnostics {
    pub peer_id: String,
    pub state: Option<ConnState>,
    pub timeline: VecDeque<Step>,
    /// The last `quality` event.
    pub quality: Option<RoomEvent>,
    /// What is sent to this peer now.
    pub rung: Option<Rung>,
    /// The rung is the app's choice (`setQuality`), not the network's.
    pub rung_chosen: bool,
    /// Full reconnects the app asked for (`reconnectPeer`).
    pub manual_rebuilds: u32,
    /// Recovery attempts started, per level: ICE restart, signaling reset, full reconnect.
    pub recovery_attempts: [u32; 3],
    pub recoveries: u32,
    pub last_time_to_recover_ms: Option<u64>,
    pub recommendations: Vec<String>,
}

/// The whole report.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Diagnostics {
    pub at_ms: u64,
    pub peer_id: String,
    pub room: String,
    pub session_state: Option<SessionState>,
    pub session_timeline: VecDeque<Step>,
    pub peers: Vec<PeerDiagnostics>,
}

/// Collects what the room emits.
#[derive(Debug, Clone, Default)]
pub struct DiagnosticsLog {
    session: VecDeque<Step>,
    peers: VecMap<String, PeerDiagnostics>,
}

fn push(timeline: &mut VecDeque<Step>, step: Step) {
    if timeline.len() == KEEP {
        timeline.pop_front();
    }
    timeline.push_back(step);
}

impl DiagnosticsLog {
    pub fn observe(&mut self, now: u64, event: &RoomEvent) {
        match event {
            RoomEvent::SessionStateChange { from, to, reason } => push(
                &mut self.session,
                Step {
                    at_ms: now,
                    from: from.as_str().into(),
                    to: to.as_str().into(),
                    reason: reason.clone(),
                },
            ),
            RoomEvent::StateChange {
                peer_id,
                from,
                to,
                reason,
            } => {
                let p = self.entry(peer_id);
                p.state = Some(*to);
                push(
                    &mut p.timeline,
                    Step {
                        at_ms: now,
                        from: from.as_str().into(),
                        to: to.as_str().into(),
                        reason: reason.clone(),
                    },
                );
            }
            RoomEvent::Recovery {
                peer_id,
                phase,
                level,
                elapsed_ms,
                ..
            } => {
                let p = self.entry(peer_id);
                match phase {
                    super::RecoveryPhase::Attempt => {
                        p.recovery_attempts[level.index()] += 1;
                    }
                    super::RecoveryPhase::Recovered => {
                        p.recoveries += 1;
                        p.last_time_to_recover_ms = Some(*elapsed_ms);
                    }
                    super::RecoveryPhase::GaveUp => {}
                }
            }
            RoomEvent::Quality { peer_id, .. } => self.entry(peer_id).quality = Some(event.clone()),
            RoomEvent::QualityLevelChange {
                peer_id,
                to,
                trigger,
                ..
            } => {
                let p = self.entry(peer_id);
                p.rung = Some(*to);
                p.rung_chosen = *trigger == crate::engine::adapt::Trigger::Preference;
            }
            RoomEvent::PeerLeft { id, .. } => {
                self.peers.remove(id);
            }
            _ => {}
        }
    }

    /// The app asked for the connection to `peer_id` to be rebuilt: its full reconnect
    /// says nothing about the network.
    pub fn manual_rebuild(&mut self, peer_id: &str) {
        self.entry(peer_id).manual_rebuilds += 1;
    }

    fn entry(&mut self, id: &str) -> &mut PeerDiagnostics {
        self.peers
            .get_or_insert_with(id.to_owned(), || PeerDiagnostics {
                peer_id: id.to_owned(),
                ..Default::default()
            })
    }

    /// The report at `now`.
    pub fn report(&self, now: u64, me: &str, room: &str, session: SessionState) -> Diagnostics {
        Diagnostics {
            at_ms: now,
            peer_id: me.to_owned(),
            room: room.to_owned(),
            session_state: Some(session),
            session_timeline: self.session.clone(),
            peers: self
                .peers
                .values()
                .map(|p| PeerDiagnostics {
                    recommendations: recommendations(p),
                    ..p.clone()
                })
                .collect(),
        }
    }
}

/// What a user could do about what the numbers show, in plain words.
pub fn recommendations(p: &PeerDiagnostics) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(RoomEvent::Quality {
        metrics,
        limitation,
        level,
        ..
    }) = &p.quality
    {
        if metrics.candidate_type.as_deref() == Some("relay") {
            let via = metrics.relay_protocol.as_deref().unwrap_or("udp");
            if via == "udp" {
                out.push("Media is relayed through a TURN server: a direct path was not found (a strict NAT or firewall).".into());
            } else {
                let via = match via {
                    "tcp" => "TCP",
                    "tls" => "TLS",
                    other => other,
                };
                out.push(format!("UDP is blocked: media is relayed over TURN/{via}. Allowing UDP would lower latency."));
            }
        }
        match limitation.as_deref() {
            Some("bandwidth") => out.push(
                "Your uplink is limited by bandwidth: video is sent at a lower quality.".into(),
            ),
            Some("cpu") => {
                out.push("Encoding is limited by the CPU: close other tabs or applications.".into())
            }
            _ => {}
        }
        if metrics.loss_pct_in > 5.0 || metrics.loss_pct_out > 5.0 {
            out.push(format!(
                "Packets are being lost ({} % in, {} % out): a wired connection or being closer to the Wi-Fi access point helps.",
                fixed(metrics.loss_pct_in, 0),
                fixed(metrics.loss_pct_out, 0)
            ));
        }
        if metrics.rtt_ms.is_some_and(|r| r > 300.0) {
            out.push(format!(
                "High latency ({} ms round trip): conversation will feel delayed.",
                fixed(metrics.rtt_ms.unwrap_or(0.0), 0)
            ));
        }
        if *level <= Level::Poor && out.is_empty() {
            out.push("The connection is poor; the numbers above show where.".into());
        }
    }
    if p.rung == Some(Rung::AudioOnly) && p.rung_chosen {
        out.push("Video to this peer is paused: audio only was chosen (setQuality).".into());
    } else if p.rung == Some(Rung::AudioOnly) {
        out.push(
            "Video to this peer is paused to keep the call going on a poor connection.".into(),
        );
    }
    if p.recovery_attempts[2] > p.manual_rebuilds {
        out.push("The connection had to be rebuilt from scratch at least once: the network dropped for a long time.".into());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::recovery::RecoveryLevel;
    use crate::engine::room::events::QualityMetrics;

    #[test]
    fn the_log_follows_events_and_recommends_what_the_numbers_show() {
        let mut log = DiagnosticsLog::default();
        log.observe(
            1,
            &RoomEvent::StateChange {
                peer_id: "a".into(),
                from: ConnState::Connecting,
                to: ConnState::Connected,
                reason: "connected".into(),
            },
        );
        log.observe(
            2,
            &RoomEvent::Recovery {
                peer_id: "a".into(),
                phase: super::super::RecoveryPhase::Attempt,
                level: RecoveryLevel::FullReconnect,
                attempt: 1,
                elapsed_ms: 0,
            },
        );
        log.observe(
            3,
            &RoomEvent::Recovery {
                peer_id: "a".into(),
                phase: super::super::RecoveryPhase::Recovered,
                level: RecoveryLevel::FullReconnect,
                attempt: 0,
                elapsed_ms: 1_500,
            },
        );
        let metrics = QualityMetrics {
            candidate_type: Some("relay".into()),
            relay_protocol: Some("tcp".into()),
            loss_pct_in: 8.0,
            ..QualityMetrics::default()
        };
        log.observe(
            4,
            &RoomEvent::Quality {
                peer_id: "a".into(),
                score: 60.0,
                level: Level::Poor,
                metrics,
                limitation: Some("bandwidth".into()),
            },
        );
        let report = log.report(5, "me", "r", SessionState::Connected);
        let a = &report.peers[0];
        assert_eq!(a.state, Some(ConnState::Connected));
        assert_eq!(a.recovery_attempts, [0, 0, 1]);
        assert_eq!((a.recoveries, a.last_time_to_recover_ms), (1, Some(1_500)));
        let text = a.recommendations.join(" ");
        for expected in [
            "UDP is blocked",
            "TURN/TCP",
            "limited by bandwidth",
            "Packets are being lost (8 %",
            "rebuilt from scratch",
        ] {
            assert!(text.contains(expected), "{expected:?} missing from {text}");
        }
        log.observe(
            6,
            &RoomEvent::PeerLeft {
                id: "a".into(),
                name: "A".into(),
                reason: steadyrtc_protocol::LeaveReason::Left,
            },
        );
        assert!(log
            .report(7, "me", "r", SessionState::Connected)
            .peers
            .is_empty());
    }

    #[test]
    fn timelines_keep_the_last_fifty_steps() {
        let mut log = DiagnosticsLog::default();
        for i in 0..120 {
            log.observe(
                i,
                &RoomEvent::StateChange {
                    peer_id: "a".into(),
                    from: ConnState::Connected,
                    to: ConnState::Reconnecting,
                    reason: format!("{i}"),
                },
            );
        }
        let report = log.report(200, "me", "r", SessionState::Connected);
        assert_eq!(report.peers[0].timeline.len(), KEEP);
        assert_eq!(report.peers[0].timeline[0].reason, "70");
    }
}
