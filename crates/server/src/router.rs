//! The HTTP surface: which path goes to which handler.
//!
//! `GET /health` reports liveness and counts, `GET /ws` upgrades to the signaling
//! WebSocket, `/pkg/*` serves the npm package, everything else the demo page. This module
//! decides routes and the WebSocket size limits; the signaling rules live in
//! [`crate::session`] and [`crate::rooms`].

use std::sync::Arc;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use tower_http::trace::TraceLayer;

use crate::session::{self, HARD_FRAME_LIMIT};
use crate::state::AppState;
use crate::static_files;

/// The body of `GET /health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Health {
    pub status: &'static str,
    pub version: &'static str,
    pub rooms: usize,
    pub peers: usize,
}

/// The whole application, ready for `axum::serve`.
pub fn router(state: Arc<AppState>) -> Router {
    let pkg = static_files::pkg(&state.config);
    let www = static_files::www(&state.config);
    Router::new()
        .route("/health", get(health))
        .route("/ws", get(websocket))
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

async fn websocket(ws: WebSocketUpgrade, State(state): State<Arc<AppState>>) -> Response {
    if state.shutdown.is_cancelled() {
        return (StatusCode::SERVICE_UNAVAILABLE, "server shutting down").into_response();
    }
    let connections = state.connections.clone();
    ws.max_message_size(HARD_FRAME_LIMIT)
        .max_frame_size(HARD_FRAME_LIMIT)
        .on_upgrade(move |socket| connections.track_future(session::run(socket, state)))
}
