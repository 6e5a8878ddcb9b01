//! Read-only views of the shared state for the HTTP API: room diagnostics and the
//! `GET /api/webrtc/stats` summary.
//!
//! This part decides what operators see; it never changes state.

use std::collections::BTreeMap;

use serde::Serialize;
use steadyrtc_protocol::Role;

use super::AppState;

/// One participant as `GET /api/rooms/:room/diagnostics` shows it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ParticipantDiagnostics {
    pub peer_id: String,
    pub identity: String,
    pub name: String,
    pub role: Role,
    /// False while the session waits for `resume`.
    pub connected: bool,
    /// The instance holding the participant's socket (absent while it waits for
    /// `resume`); with one instance, always this one's id.
    pub instance: Option<String>,
    pub last_seen_ms_ago: u64,
    pub session_age_secs: u64,
    pub unacked: usize,
    pub candidates_relayed: u64,
    /// The last reported connection state and quality, per remote peer ("" = overall).
    pub reports: BTreeMap<String, ReportView>,
}

/// A stored report.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportView {
    pub connection_state: Option<String>,
    pub quality: Option<u8>,
}

/// The body of `GET /api/rooms/:room/diagnostics`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RoomDiagnostics {
    pub room: String,
    pub participants: Vec<ParticipantDiagnostics>,
}

/// The body of `GET /api/webrtc/stats`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatsSummary {
    pub connections: u64,
    pub rooms: usize,
    pub participants: usize,
    pub sessions_detached: usize,
    pub queue_length: usize,
    pub resumes_ok: u64,
    pub resumes_failed: u64,
    pub matches: u64,
    /// Latest reported connection state of every (reporter, remote peer) pair, counted.
    pub reported_states: BTreeMap<String, usize>,
    pub uptime_secs: u64,
}

impl AppState {
    /// Diagnostics of the live room `room`; `None` if nobody is in it.
    pub fn diagnostics(&self, room: &str) -> Option<RoomDiagnostics> {
        let hub = self.hub();
        let room_ref = hub.rooms.room(room)?;
        let participants = room_ref
            .members
            .iter()
            .filter_map(|m| {
                let s = hub.sessions.get(&m.id)?;
                Some(ParticipantDiagnostics {
                    peer_id: m.id.clone(),
                    identity: s.identity.clone(),
                    name: s.name.clone(),
                    role: s.role,
                    connected: s.link.is_some(),
                    instance: s
                        .link
                        .as_ref()
                        .map(|l| l.via.clone().unwrap_or_else(|| self.instance_id.clone())),
                    last_seen_ms_ago: s.last_seen.elapsed().as_millis() as u64,
                    session_age_secs: s.started.elapsed().as_secs(),
                    unacked: s.outbox.len(),
                    candidates_relayed: s.candidates_relayed,
                    reports: s
                        .reports
                        .iter()
                        .map(|(k, r)| {
                            (
                                k.clone(),
                                ReportView {
                                    connection_state: r.connection_state.clone(),
                                    quality: r.quality,
                                },
                            )
                        })
                        .collect(),
                })
            })
            .collect();
        Some(RoomDiagnostics {
            room: room.to_owned(),
            participants,
        })
    }

    /// Peer ids and identities of the live room `room`.
    pub fn participants(&self, room: &str) -> Vec<(String, String, Role)> {
        let hub = self.hub();
        hub.rooms
            .members(room)
            .iter()
            .map(|m| (m.id.clone(), m.name.clone(), m.role))
            .collect()
    }

    /// The `GET /api/webrtc/stats` summary.
    pub fn summary(&self, uptime_secs: u64) -> StatsSummary {
        let gauges = self.gauges();
        let mut reported_states = BTreeMap::new();
        for s in self.hub().sessions.values() {
            for r in s.reports.values() {
                if let Some(state) = &r.connection_state {
                    *reported_states.entry(state.clone()).or_insert(0) += 1;
                }
            }
        }
        StatsSummary {
            connections: u64::try_from(self.metrics.connections_open.get()).unwrap_or(0),
            rooms: gauges.rooms,
            participants: gauges.participants,
            sessions_detached: gauges.sessions_detached,
            queue_length: gauges.queue_length,
            resumes_ok: self.metrics.resumes_ok.get(),
            resumes_failed: self.metrics.resumes_failed.get(),
            matches: self.metrics.matches_total.get(),
            reported_states,
            uptime_secs,
        }
    }
}
