//! The HTTP surface: which path goes to which handler, and the WebSocket gate.
//!
//! `GET /health`, `GET /ready`, `GET /metrics`, the `/api/...` endpoints
//! ([`crate::api`], behind the Origin gate and CORS of [`crate::http_policy`]), `GET /ws`
//! (upgrades to the signaling WebSocket after the Origin check), `/pkg/*` serves the npm
//! package, everything else the demo page; every response gets the security headers.
//! This module decides routes and the WebSocket size limits; the Origin rule lives in
//! [`crate::http_policy`], the signaling rules in [`crate::session`] and [`crate::state`].

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use tower_http::trace::TraceLayer;

use crate::api;
use crate::http_policy;
use crate::session;
use crate::state::AppState;
use crate::static_files;

/// The WebSocket read buffer per connection. The WebSocket layer fills all of it
/// (zeroed) before each read, so all of it counts in every idle connection's memory;
/// most signaling frames are well under it, and a larger one is read in several steps.
pub const READ_BUFFER_BYTES: usize = 2 * 1024;

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
    let api = Router::new()
        .route(
            "/api/token",
            post(api::issue_token).options(http_policy::preflight),
        )
        .route("/api/rooms", post(api::create_room))
        .route(
            "/api/rooms/{room}",
            get(api::get_room).delete(api::delete_room),
        )
        .route("/api/rooms/{room}/diagnostics", get(api::diagnostics))
        .route(
            "/api/webrtc/config",
            get(api::webrtc_config).options(http_policy::preflight),
        )
        .route("/api/webrtc/stats", get(api::webrtc_stats))
        .route_layer(from_fn_with_state(
            Arc::clone(&state),
            http_policy::api_guard,
        ));
    Router::new()
        .route("/health", get(health))
        .route("/ready", get(api::ready))
        .route("/metrics", get(api::metrics))
        .route("/ws", get(websocket))
        .merge(api)
        .nest_service("/pkg", pkg)
        .fallback_service(www)
        .layer(from_fn(http_policy::security_headers))
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
    if !http_policy::origin_allowed(&state.config, text(header::ORIGIN), text(header::HOST)) {
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
