//! Counters and histograms for `GET /metrics`, rendered by hand in the Prometheus text
//! exposition format (version 0.0.4).
//!
//! This module decides metric names, labels and buckets. Gauges that describe current
//! state (rooms, participants, queue length) are passed in at render time rather than
//! kept twice. It never blocks for long: each update is an atomic add or a short lock.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;
use steadyrtc_protocol::ErrorCode;

/// Upper bounds (seconds) of the session-duration histogram.
pub const SESSION_BUCKETS: [f64; 8] = [1.0, 10.0, 60.0, 300.0, 900.0, 1800.0, 3600.0, 14400.0];
/// Upper bounds (seconds) of the client-reported setup-time histogram.
pub const SETUP_BUCKETS: [f64; 9] = [0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0];

/// Upper bounds (seconds) of the Redis command latency histogram.
pub const REDIS_BUCKETS: [f64; 10] = [
    0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.1, 0.5, 2.0,
];

/// Most distinct failure-reason labels kept; later ones count as `other`.
const MAX_REASON_LABELS: usize = 32;

/// A cumulative histogram with fixed bounds.
#[derive(Debug)]
pub(crate) struct Histogram {
    bounds: &'static [f64],
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Histogram {
    pub(crate) fn new(bounds: &'static [f64]) -> Self {
        Self {
            bounds,
            counts: vec![0; bounds.len()],
            sum: 0.0,
            count: 0,
        }
    }

    pub(crate) fn observe(&mut self, value: f64) {
        for (bound, count) in self.bounds.iter().zip(self.counts.iter_mut()) {
            if value <= *bound {
                *count += 1;
            }
        }
        self.sum += value;
        self.count += 1;
    }

    pub(crate) fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        for (bound, count) in self.bounds.iter().zip(&self.counts) {
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {count}");
        }
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {}", self.count);
        let _ = writeln!(out, "{name}_sum {}", self.sum);
        let _ = writeln!(out, "{name}_count {}", self.count);
    }
}

/// Everything `/metrics` reports that is counted as it happens.
#[derive(Debug)]
pub struct Metrics {
    pub connections_open: AtomicU64,
    pub connections_total: AtomicU64,
    pub resumes_ok: AtomicU64,
    pub resumes_failed: AtomicU64,
    pub matches_total: AtomicU64,
    pub rate_limited_total: AtomicU64,
    pub abuse_closes_total: AtomicU64,
    relayed: Mutex<BTreeMap<&'static str, u64>>,
    errors: Mutex<BTreeMap<&'static str, u64>>,
    failures: Mutex<BTreeMap<String, u64>>,
    client_states: Mutex<BTreeMap<String, u64>>,
    sessions: Mutex<Histogram>,
    setup: Mutex<Histogram>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            connections_open: AtomicU64::new(0),
            connections_total: AtomicU64::new(0),
            resumes_ok: AtomicU64::new(0),
            resumes_failed: AtomicU64::new(0),
            matches_total: AtomicU64::new(0),
            rate_limited_total: AtomicU64::new(0),
            abuse_closes_total: AtomicU64::new(0),
            relayed: Mutex::new(BTreeMap::new()),
            errors: Mutex::new(BTreeMap::new()),
            failures: Mutex::new(BTreeMap::new()),
            client_states: Mutex::new(BTreeMap::new()),
            sessions: Mutex::new(Histogram::new(&SESSION_BUCKETS)),
            setup: Mutex::new(Histogram::new(&SETUP_BUCKETS)),
        }
    }
}

/// Current-state gauges, read from the hub when rendering.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Gauges {
    pub rooms: usize,
    pub participants: usize,
    pub sessions_detached: usize,
    pub queue_length: usize,
}

fn bump<K: Ord>(map: &Mutex<BTreeMap<K, u64>>, key: K) {
    *map.lock().entry(key).or_insert(0) += 1;
}

impl Metrics {
    /// A client message of `kind` was accepted and relayed or acted on.
    pub fn relayed(&self, kind: &'static str) {
        bump(&self.relayed, kind);
    }

    /// An `error` frame with `code` was sent.
    pub fn error(&self, code: ErrorCode) {
        bump(&self.errors, code.as_str());
        if code == ErrorCode::RateLimited {
            self.rate_limited_total.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A session of `secs` seconds ended.
    pub fn session_ended(&self, secs: f64) {
        self.sessions.lock().observe(secs);
    }

    /// A client reported a connection state, setup time or failure.
    pub fn client_report(&self, state: Option<&str>, setup_ms: Option<u64>, failure: Option<&str>) {
        if let Some(state) = state {
            let state = match state {
                "new" | "connecting" | "connected" | "disconnected" | "failed" | "closed" => state,
                _ => "other",
            };
            bump(&self.client_states, state.to_owned());
        }
        if let Some(ms) = setup_ms {
            self.setup.lock().observe(ms as f64 / 1000.0);
        }
        if let Some(reason) = failure {
            let mut failures = self.failures.lock();
            let known = failures.contains_key(reason);
            let clean = reason.len() <= 32
                && reason
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            let label = if clean && (known || failures.len() < MAX_REASON_LABELS) {
                reason
            } else {
                "other"
            };
            *failures.entry(label.to_owned()).or_insert(0) += 1;
        }
    }

    /// The whole exposition.
    pub fn render(&self, gauges: Gauges) -> String {
        let mut out = String::with_capacity(4096);
        let gauge = |out: &mut String, name: &str, help: &str, value: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
            );
        };
        let counter = |out: &mut String, name: &str, help: &str, value: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
            );
        };
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        gauge(
            &mut out,
            "steadyrtc_connections",
            "Open WebSocket connections.",
            load(&self.connections_open),
        );
        counter(
            &mut out,
            "steadyrtc_connections_total",
            "WebSocket connections accepted.",
            load(&self.connections_total),
        );
        gauge(
            &mut out,
            "steadyrtc_rooms",
            "Rooms that exist.",
            gauges.rooms as u64,
        );
        gauge(
            &mut out,
            "steadyrtc_participants",
            "Participants in rooms (detached sessions included).",
            gauges.participants as u64,
        );
        gauge(
            &mut out,
            "steadyrtc_sessions_detached",
            "Sessions waiting for resume.",
            gauges.sessions_detached as u64,
        );
        gauge(
            &mut out,
            "steadyrtc_queue_length",
            "Sessions waiting in match queues.",
            gauges.queue_length as u64,
        );
        counter(
            &mut out,
            "steadyrtc_matches_total",
            "Pairs made by the match queue.",
            load(&self.matches_total),
        );
        counter(
            &mut out,
            "steadyrtc_rate_limited_total",
            "Frames dropped by rate limits.",
            load(&self.rate_limited_total),
        );
        counter(
            &mut out,
            "steadyrtc_abuse_closes_total",
            "Connections closed with 1008 for repeated bad frames.",
            load(&self.abuse_closes_total),
        );
        let _ = writeln!(out, "# HELP steadyrtc_resumes_total Resume attempts by result.\n# TYPE steadyrtc_resumes_total counter");
        let _ = writeln!(
            out,
            "steadyrtc_resumes_total{{result=\"ok\"}} {}",
            load(&self.resumes_ok)
        );
        let _ = writeln!(
            out,
            "steadyrtc_resumes_total{{result=\"failed\"}} {}",
            load(&self.resumes_failed)
        );
        let labelled =
            |out: &mut String, name: &str, help: &str, label: &str, rows: Vec<(String, u64)>| {
                let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
                for (value, count) in rows {
                    let _ = writeln!(out, "{name}{{{label}=\"{value}\"}} {count}");
                }
            };
        let rows = |m: &Mutex<BTreeMap<&'static str, u64>>| {
            m.lock()
                .iter()
                .map(|(k, v)| (k.to_string(), *v))
                .collect::<Vec<_>>()
        };
        let owned_rows = |m: &Mutex<BTreeMap<String, u64>>| {
            m.lock()
                .iter()
                .map(|(k, v)| (k.clone(), *v))
                .collect::<Vec<_>>()
        };
        labelled(
            &mut out,
            "steadyrtc_messages_total",
            "Client messages accepted, by type.",
            "type",
            rows(&self.relayed),
        );
        labelled(
            &mut out,
            "steadyrtc_errors_total",
            "Error frames sent, by code.",
            "code",
            rows(&self.errors),
        );
        labelled(
            &mut out,
            "steadyrtc_client_connection_states_total",
            "Connection states reported by clients.",
            "state",
            owned_rows(&self.client_states),
        );
        labelled(
            &mut out,
            "steadyrtc_client_failures_total",
            "Connection failures reported by clients, by reason.",
            "reason",
            owned_rows(&self.failures),
        );
        self.sessions.lock().render(
            &mut out,
            "steadyrtc_session_duration_seconds",
            "Duration of ended sessions.",
        );
        self.setup.lock().render(
            &mut out,
            "steadyrtc_client_setup_seconds",
            "Call setup time reported by clients.",
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_has_help_type_and_values_for_every_family() {
        let m = Metrics::default();
        m.relayed("signal");
        m.relayed("signal");
        m.error(ErrorCode::RateLimited);
        m.session_ended(5.0);
        m.client_report(Some("connected"), Some(300), Some("iceFailed"));
        m.client_report(None, None, Some("bad label\"}"));
        let text = m.render(Gauges {
            rooms: 2,
            participants: 3,
            sessions_detached: 0,
            queue_length: 1,
        });
        for line in [
            "steadyrtc_rooms 2",
            "steadyrtc_participants 3",
            "steadyrtc_queue_length 1",
            "steadyrtc_messages_total{type=\"signal\"} 2",
            "steadyrtc_errors_total{code=\"rateLimited\"} 1",
            "steadyrtc_rate_limited_total 1",
            "steadyrtc_session_duration_seconds_bucket{le=\"10\"} 1",
            "steadyrtc_session_duration_seconds_bucket{le=\"1\"} 0",
            "steadyrtc_session_duration_seconds_count 1",
            "steadyrtc_client_setup_seconds_bucket{le=\"0.5\"} 1",
            "steadyrtc_client_failures_total{reason=\"iceFailed\"} 1",
            "steadyrtc_client_failures_total{reason=\"other\"} 1",
            "steadyrtc_client_connection_states_total{state=\"connected\"} 1",
            "# TYPE steadyrtc_connections gauge",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in\n{text}"
            );
        }
    }
}
