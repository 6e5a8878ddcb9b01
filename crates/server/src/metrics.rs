//! What `GET /metrics` reports, kept in a `prometheus-client` registry and rendered in
//! the OpenMetrics text format.
//!
//! This module decides metric names, labels and buckets. Gauges that describe current
//! state (rooms, participants, queue length) are set from the state at render time rather
//! than kept twice. Label values come from closed sets (message types, error codes,
//! connection states) or are capped (client failure reasons), so a client cannot grow
//! the registry. It never blocks for long: each update is an atomic add or a short lock.

use std::collections::HashSet;

use parking_lot::Mutex;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;
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

/// The content type of [`Metrics::render`].
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// One label.
type Label = [(&'static str, String); 1];

fn label(key: &'static str, value: &str) -> Label {
    [(key, value.to_owned())]
}

/// Everything `/metrics` reports.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    pub connections_open: Gauge,
    pub connections_total: Counter,
    pub resumes_ok: Counter,
    pub resumes_failed: Counter,
    pub matches_total: Counter,
    pub rate_limited_total: Counter,
    pub abuse_closes_total: Counter,
    relayed: Family<Label, Counter>,
    errors: Family<Label, Counter>,
    failures: Family<Label, Counter>,
    failure_labels: Mutex<HashSet<String>>,
    client_states: Family<Label, Counter>,
    sessions: Histogram,
    setup: Histogram,
    rooms: Gauge,
    participants: Gauge,
    sessions_detached: Gauge,
    queue_length: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::default();
        let mut counter = |name: &str, help: &str| {
            let c = Counter::default();
            registry.register(name, help, c.clone());
            c
        };
        let connections_total = counter(
            "steadyrtc_connections_accepted",
            "WebSocket connections accepted.",
        );
        let matches_total = counter("steadyrtc_matches", "Pairs made by the match queue.");
        let rate_limited_total =
            counter("steadyrtc_rate_limited", "Frames dropped by rate limits.");
        let abuse_closes_total = counter(
            "steadyrtc_abuse_closes",
            "Connections closed with 1008 for repeated bad frames.",
        );
        let mut family = |name: &str, help: &str| {
            let f = Family::<Label, Counter>::default();
            registry.register(name, help, f.clone());
            f
        };
        let resumes = family("steadyrtc_resumes", "Resume attempts by result.");
        let relayed = family("steadyrtc_messages", "Client messages accepted, by type.");
        let errors = family("steadyrtc_errors", "Error frames sent, by code.");
        let client_states = family(
            "steadyrtc_client_connection_states",
            "Connection states reported by clients.",
        );
        let failures = family(
            "steadyrtc_client_failures",
            "Connection failures reported by clients, by reason.",
        );
        let resumes_ok = resumes.get_or_create(&label("result", "ok")).clone();
        let resumes_failed = resumes.get_or_create(&label("result", "failed")).clone();
        let mut gauge = |name: &str, help: &str| {
            let g = Gauge::default();
            registry.register(name, help, g.clone());
            g
        };
        let connections_open = gauge("steadyrtc_connections", "Open WebSocket connections.");
        let rooms = gauge("steadyrtc_rooms", "Rooms that exist.");
        let participants = gauge(
            "steadyrtc_participants",
            "Participants in rooms (detached sessions included).",
        );
        let sessions_detached = gauge(
            "steadyrtc_sessions_detached",
            "Sessions waiting for resume.",
        );
        let queue_length = gauge(
            "steadyrtc_queue_length",
            "Sessions waiting in match queues.",
        );
        let sessions = Histogram::new(SESSION_BUCKETS);
        registry.register(
            "steadyrtc_session_duration_seconds",
            "Duration of ended sessions.",
            sessions.clone(),
        );
        let setup = Histogram::new(SETUP_BUCKETS);
        registry.register(
            "steadyrtc_client_setup_seconds",
            "Call setup time reported by clients.",
            setup.clone(),
        );
        Self {
            registry,
            connections_open,
            connections_total,
            resumes_ok,
            resumes_failed,
            matches_total,
            rate_limited_total,
            abuse_closes_total,
            relayed,
            errors,
            failures,
            failure_labels: Mutex::new(HashSet::new()),
            client_states,
            sessions,
            setup,
            rooms,
            participants,
            sessions_detached,
            queue_length,
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

fn as_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Metrics {
    /// Adds this instance's identity (`steadyrtc_instance_info{instance, store} 1`).
    pub fn register_instance(&mut self, instance: &str, store: &str) {
        let info = Info::new(vec![
            ("instance", instance.to_owned()),
            ("store", store.to_owned()),
        ]);
        self.registry.register(
            "steadyrtc_instance",
            "This instance's id and the store it uses.",
            info,
        );
    }

    /// Adds the metrics of other parts (Redis, the relay) to the same exposition.
    pub fn registry_mut(&mut self) -> &mut Registry {
        &mut self.registry
    }

    /// A client message of `kind` was accepted and relayed or acted on.
    pub fn relayed(&self, kind: &'static str) {
        self.relayed.get_or_create(&label("type", kind)).inc();
    }

    /// An `error` frame with `code` was sent.
    pub fn error(&self, code: ErrorCode) {
        self.errors
            .get_or_create(&label("code", code.as_str()))
            .inc();
        if code == ErrorCode::RateLimited {
            self.rate_limited_total.inc();
        }
    }

    /// A session of `secs` seconds ended.
    pub fn session_ended(&self, secs: f64) {
        self.sessions.observe(secs);
    }

    /// A client reported a connection state, setup time or failure.
    pub fn client_report(&self, state: Option<&str>, setup_ms: Option<u64>, failure: Option<&str>) {
        if let Some(state) = state {
            let state = match state {
                "new" | "connecting" | "connected" | "disconnected" | "failed" | "closed" => state,
                _ => "other",
            };
            self.client_states
                .get_or_create(&label("state", state))
                .inc();
        }
        if let Some(ms) = setup_ms {
            self.setup.observe(ms as f64 / 1000.0);
        }
        if let Some(reason) = failure {
            let clean = reason.len() <= 32
                && reason
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            let label_value = {
                let mut seen = self.failure_labels.lock();
                if clean && (seen.contains(reason) || seen.len() < MAX_REASON_LABELS) {
                    seen.insert(reason.to_owned());
                    reason
                } else {
                    "other"
                }
            };
            self.failures
                .get_or_create(&label("reason", label_value))
                .inc();
        }
    }

    /// The whole exposition, with the current-state `gauges`.
    pub fn render(&self, gauges: Gauges) -> String {
        self.rooms.set(as_i64(gauges.rooms));
        self.participants.set(as_i64(gauges.participants));
        self.sessions_detached.set(as_i64(gauges.sessions_detached));
        self.queue_length.set(as_i64(gauges.queue_length));
        let mut out = String::with_capacity(4096);
        if let Err(e) = encode(&mut out, &self.registry) {
            tracing::warn!(error = %e, "cannot encode the metrics");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_has_help_type_and_values_for_every_family() {
        let mut m = Metrics::default();
        m.register_instance("blue-1", "memory");
        m.relayed("signal");
        m.relayed("signal");
        m.error(ErrorCode::RateLimited);
        m.session_ended(5.0);
        m.client_report(Some("connected"), Some(300), Some("iceFailed"));
        m.client_report(None, None, Some("bad label\"}"));
        m.connections_open.inc();
        let text = m.render(Gauges {
            rooms: 2,
            participants: 3,
            sessions_detached: 0,
            queue_length: 1,
        });
        for line in [
            "steadyrtc_connections 1",
            "steadyrtc_rooms 2",
            "steadyrtc_participants 3",
            "steadyrtc_queue_length 1",
            "steadyrtc_messages_total{type=\"signal\"} 2",
            "steadyrtc_errors_total{code=\"rateLimited\"} 1",
            "steadyrtc_rate_limited_total 1",
            "steadyrtc_session_duration_seconds_bucket{le=\"10.0\"} 1",
            "steadyrtc_session_duration_seconds_bucket{le=\"1.0\"} 0",
            "steadyrtc_session_duration_seconds_count 1",
            "steadyrtc_client_setup_seconds_bucket{le=\"0.5\"} 1",
            "steadyrtc_client_failures_total{reason=\"iceFailed\"} 1",
            "steadyrtc_client_failures_total{reason=\"other\"} 1",
            "steadyrtc_client_connection_states_total{state=\"connected\"} 1",
            "steadyrtc_resumes_total{result=\"ok\"} 0",
            "steadyrtc_instance_info{instance=\"blue-1\",store=\"memory\"} 1",
            "# TYPE steadyrtc_connections gauge",
            "# EOF",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in\n{text}"
            );
        }
    }

    #[test]
    fn failure_reasons_are_capped() {
        let m = Metrics::default();
        for i in 0..100 {
            m.client_report(None, None, Some(&format!("reason{i}")));
        }
        let text = m.render(Gauges::default());
        let labels = text
            .lines()
            .filter(|l| l.starts_with("steadyrtc_client_failures_total{"))
            .count();
        assert_eq!(labels, MAX_REASON_LABELS + 1, "32 reasons and other");
    }
}
