//! The HTTP surface: which path goes to which handler, and the WebSocket gate.
//!
//! `GET /health`, `GET /ready`, `GET /metrics`, the `/api/...` endpoints
//! ([`crate::api`]), `GET /ws` (upgrades to the signaling WebSocket after the Origin
//! check), `/pkg/*` serves the npm package, everything else the demo page. This module
//! decides routes, the Origin allowlist and the WebSocket size limits; the signaling
//! rules live in [`crate::session`] and [`crate::state`].

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use tower_http::trace::TraceLayer;

use crate::api;
use crate::config::Config;
use crate::session;
use crate::state::AppState;
use crate::static_files;

/// The WebSocket read buffer per connection.
pub const READ_BUFFER_BYTES: usize = 8 * 1024;

/// The body of `GET /health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Health {
    pub status: &'static str,
    pub version: &'static str,
    pub rooms: usize,
    pub peers: usize,
}

/// The whole application, ready for `axum::serve` (with connect info).
pub fn router(state: Arc<AppState>) -> Router {
    let pkg = static_files::pkg(&state.config);
    let www = static_files::www(&state.config);
    Router::new()
        .route("/health", get(health))
        .route("/ready", get(api::ready))
        .route("/metrics", get(api::metrics))
        .route("/ws", get(websocket))
        .route("/api/token", post(api::issue_token))
        .route("/api/rooms", post(api::create_room))
        .route(
            "/api/rooms/{room}",
            get(api::get_room).delete(api::delete_room),
        )
        .route("/api/rooms/{room}/diagnostics", get(api::diagnostics))
        .route("/api/webrtc/config", get(api::webrtc_config))
        .route("/api/webrtc/stats", get(api::webrtc_stats))
        .nest_service("/pkg", pkg)
        .fallback_service(www)
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn health(State(state): State<Arc<AppState>>) -> Json<Health> {
    let stats = state.stats();
    Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
        rooms: stats.rooms,
        peers: stats.peers,
    })
}

/// Whether a WebSocket from a page at `origin` may connect to this server reached as
/// `host` (the Host header). No Origin (not a browser) and same-origin are allowed;
/// otherwise the allowlist decides, and `--dev` adds localhost on any port.
pub fn origin_allowed(config: &Config, origin: Option<&str>, host: Option<&str>) -> bool {
    let Some(origin) = origin else { return true };
    let authority = origin.split_once("://").map(|(_, rest)| rest).unwrap_or("");
    if host.is_some_and(|h| h.eq_ignore_ascii_case(authority)) {
        return true;
    }
    if config
        .allowed_origins
        .iter()
        .any(|o| o.trim_end_matches('/').eq_ignore_ascii_case(origin))
    {
        return true;
    }
    if config.dev {
        let hostname = authority.rsplit_once(':').map_or(authority, |(h, port)| {
            if port.chars().all(|c| c.is_ascii_digit()) {
                h
            } else {
                authority
            }
        });
        return matches!(hostname, "localhost" | "127.0.0.1" | "[::1]");
    }
    false
}

async fn websocket(
    ws: WebSocketUpgrade,
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    if state.shutdown.is_cancelled() {
        return (StatusCode::SERVICE_UNAVAILABLE, "server shutting down").into_response();
    }
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &axum::http::HeaderValue| v.to_str().ok())
    };
    if !origin_allowed(&state.config, text(header::ORIGIN), text(header::HOST)) {
        tracing::info!(
            origin = text(header::ORIGIN),
            "refused a WebSocket from a foreign origin"
        );
        return (StatusCode::FORBIDDEN, "origin not allowed").into_response();
    }
    let connections = state.connections.clone();
    let limit = state.config.hard_frame_limit();
    // Signaling frames are small: a small read buffer keeps memory per connection low
    // (the WebSocket layer's default preallocates 128 KiB per connection).
    ws.read_buffer_size(READ_BUFFER_BYTES)
        .max_message_size(limit)
        .max_frame_size(limit)
        .on_upgrade(move |socket| connections.track_future(session::run(socket, state, peer.ip())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_rules() {
        let prod = Config {
            allowed_origins: vec!["https://app.example".into()],
            ..Config::default()
        };
        let dev = Config {
            dev: true,
            ..Config::default()
        };
        assert!(origin_allowed(&prod, None, Some("x")));
        assert!(origin_allowed(
            &prod,
            Some("https://sig.example"),
            Some("sig.example")
        ));
        assert!(origin_allowed(
            &prod,
            Some("https://app.example"),
            Some("sig.example")
        ));
        assert!(!origin_allowed(
            &prod,
            Some("https://evil.example"),
            Some("sig.example")
        ));
        assert!(!origin_allowed(
            &prod,
            Some("http://localhost:3000"),
            Some("sig.example")
        ));
        assert!(origin_allowed(
            &dev,
            Some("http://localhost:3000"),
            Some("sig.example")
        ));
        assert!(origin_allowed(
            &dev,
            Some("http://127.0.0.1:5173"),
            Some("sig.example")
        ));
        assert!(!origin_allowed(
            &dev,
            Some("http://localhost.evil.example"),
            Some("sig.example")
        ));
        assert!(!origin_allowed(&dev, Some("null"), Some("sig.example")));
    }
}
