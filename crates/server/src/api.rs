//! The HTTP API: tokens, rooms, ICE configuration, readiness, metrics, stats and
//! diagnostics.
//!
//! This module decides who may call what: the API key and secret (HTTP Basic) may do
//! everything; in `--dev` mode anyone may get host or guest tokens; a valid token may
//! read the ICE configuration; a host (admin) token may read its own room's diagnostics.
//! Errors are JSON `{code, message}` with the protocol's error codes.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use rand::distr::{Alphanumeric, SampleString};
use serde::{Deserialize, Serialize};
use serde_json::json;
use steadyrtc_protocol::{validate_room, ErrorCode, Grants, IceServer, Role};

use crate::metrics::Gauges;
use crate::rooms::Refusal;
use crate::state::AppState;
use crate::store::{RoomMode, RoomSpec, StoreError};
use crate::tokens::{api_credentials_match, unix_now, Claims};

/// The longest token lifetime `POST /api/token` issues: 30 days.
pub const MAX_TOKEN_TTL_SECS: u64 = 30 * 86_400;

/// An API error: status plus `{code, message}`.
#[derive(Debug)]
pub struct ApiError(StatusCode, ErrorCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({"code": self.1, "message": self.2}))).into_response()
    }
}

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> Self {
        ApiError(StatusCode::BAD_REQUEST, r.code, r.message)
    }
}

fn unauthorized(message: &str) -> ApiError {
    ApiError(
        StatusCode::UNAUTHORIZED,
        ErrorCode::Forbidden,
        message.to_owned(),
    )
}

/// Whether the request carries the configured API key and secret.
fn has_api_credentials(state: &AppState, headers: &HeaderMap) -> bool {
    let (Some(key), Some(secret)) = (&state.config.api_key, &state.config.api_secret) else {
        return false;
    };
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    api_credentials_match(auth, key, secret)
}

fn require_api(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    if has_api_credentials(state, headers) {
        Ok(())
    } else {
        Err(unauthorized(
            "this endpoint needs the API key and secret (HTTP Basic)",
        ))
    }
}

/// The claims of a `Authorization: Bearer <token>` header.
fn bearer_claims(state: &AppState, headers: &HeaderMap) -> Result<Claims, ApiError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| unauthorized("send the token as Authorization: Bearer <token>"))?;
    state
        .keys
        .verify(token.trim())
        .map_err(|e| ApiError(StatusCode::UNAUTHORIZED, e.code, e.message))
}

/// The body of `POST /api/token`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TokenRequest {
    pub room: String,
    /// Stable user id; a random one when missing.
    #[serde(default)]
    pub identity: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub role: Role,
    /// Grants instead of the role's defaults (API key only).
    #[serde(default)]
    pub grants: Option<Grants>,
    #[serde(default)]
    pub ttl_secs: Option<u64>,
    /// Creates the room in this mode when it does not exist yet (an existing room keeps
    /// its own), so that a dev server's demo can open a broadcast room without the API key.
    #[serde(default)]
    pub mode: Option<RoomMode>,
}

/// The answer of `POST /api/token`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenResponse {
    pub token: String,
    pub room: String,
    pub identity: String,
    pub role: Role,
    pub grants: Grants,
    pub expires_at: u64,
}

/// `POST /api/token`.
pub async fn issue_token(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Json<TokenRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<TokenResponse>, ApiError> {
    let Json(req) = body.map_err(|e| {
        ApiError(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidMessage,
            e.body_text(),
        )
    })?;
    let privileged = has_api_credentials(&state, &headers);
    if !privileged {
        if !state.config.dev {
            return Err(unauthorized(
                "POST /api/token needs the API key and secret (HTTP Basic)",
            ));
        }
        if req.grants.is_some() || req.ttl_secs.is_some() {
            return Err(ApiError(
                StatusCode::FORBIDDEN,
                ErrorCode::Forbidden,
                "without an API key (dev mode) only tokens with a role's default grants and the default lifetime"
                    .into(),
            ));
        }
    }
    validate_room(&req.room).map_err(|e| ApiError(StatusCode::BAD_REQUEST, e.code, e.message))?;
    let ttl = match req.ttl_secs {
        Some(ttl) if (1..=MAX_TOKEN_TTL_SECS).contains(&ttl) => ttl,
        Some(ttl) => {
            return Err(ApiError(
                StatusCode::BAD_REQUEST,
                ErrorCode::InvalidMessage,
                format!("ttlSecs must be 1..{MAX_TOKEN_TTL_SECS} (30 days), not {ttl}"),
            ))
        }
        None => state.config.token_ttl_secs.clamp(1, MAX_TOKEN_TTL_SECS),
    };
    if let Some(mode) = req.mode {
        let spec = room_spec(&state, req.room.clone(), mode, None, None)?;
        match state.store.create_room(spec).await {
            Ok(()) | Err(StoreError::Exists) => {}
            Err(StoreError::Full) => return Err(too_many_rooms()),
            Err(e @ StoreError::Unavailable(_)) => return Err(store_unavailable(&e)),
        }
    }
    let now = unix_now();
    let claims = Claims {
        sub: req
            .identity
            .unwrap_or_else(|| format!("u-{}", Alphanumeric.sample_string(&mut rand::rng(), 12))),
        room: req.room,
        name: req.name,
        role: req.role,
        grants: req.grants.unwrap_or_else(|| req.role.default_grants()),
        exp: now + ttl,
        nbf: now,
        iat: now,
    };
    let token = state
        .keys
        .issue(&claims)
        .map_err(|e| ApiError(StatusCode::BAD_REQUEST, e.code, e.message))?;
    Ok(Json(TokenResponse {
        token,
        room: claims.room,
        identity: claims.sub,
        role: claims.role,
        grants: claims.grants,
        expires_at: claims.exp,
    }))
}

/// The body of `POST /api/rooms`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateRoom {
    pub name: String,
    #[serde(default)]
    pub mode: RoomMode,
    #[serde(default)]
    pub max_participants: Option<u32>,
    #[serde(default)]
    pub empty_timeout_secs: Option<u64>,
}

/// `POST /api/rooms`.
pub async fn create_room(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Json<CreateRoom>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<RoomSpec>), ApiError> {
    require_api(&state, &headers)?;
    let Json(req) = body.map_err(|e| {
        ApiError(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidMessage,
            e.body_text(),
        )
    })?;
    validate_room(&req.name).map_err(|e| ApiError(StatusCode::BAD_REQUEST, e.code, e.message))?;
    let spec = room_spec(
        &state,
        req.name,
        req.mode,
        req.max_participants,
        req.empty_timeout_secs,
    )?;
    match state.store.create_room(spec.clone()).await {
        Ok(()) => Ok((StatusCode::CREATED, Json(spec))),
        Err(StoreError::Exists) => Err(ApiError(
            StatusCode::CONFLICT,
            ErrorCode::InvalidRoom,
            "a room with this name exists".into(),
        )),
        Err(StoreError::Full) => Err(too_many_rooms()),
        Err(e @ StoreError::Unavailable(_)) => Err(store_unavailable(&e)),
    }
}

/// A room's definition with the server's limits: `maxParticipants` up to
/// `--max-peers-per-room` (a match room holds two), empty for 300 s by default.
fn room_spec(
    state: &AppState,
    name: String,
    mode: RoomMode,
    max_participants: Option<u32>,
    empty_timeout_secs: Option<u64>,
) -> Result<RoomSpec, ApiError> {
    let cap = state.config.max_peers_per_room;
    let max = max_participants.unwrap_or(cap);
    if max == 0 || max > cap {
        return Err(ApiError(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidMessage,
            format!("maxParticipants must be 1..{cap}"),
        ));
    }
    Ok(RoomSpec {
        name,
        mode,
        max_participants: if mode == RoomMode::Match { 2 } else { max },
        empty_timeout_secs: empty_timeout_secs.unwrap_or(300).min(86_400 * 30),
        created_at: unix_now(),
    })
}

fn too_many_rooms() -> ApiError {
    ApiError(
        StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::TooManyRooms,
        "the server holds as many rooms as it may".into(),
    )
}

/// The answer when the store does not answer: 503 `unavailable`.
fn store_unavailable(e: &StoreError) -> ApiError {
    tracing::warn!(error = %e, "an API call failed: the store does not answer");
    ApiError(
        StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::Unavailable,
        "the server's shared store does not answer; try again shortly".into(),
    )
}

/// `GET /api/rooms/:room`: the room's definition (if created through the API) and who is in it.
pub async fn get_room(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(room): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    require_api(&state, &headers)?;
    let spec = state
        .store
        .room(&room)
        .await
        .map_err(|e| store_unavailable(&e))?;
    let participants: Vec<_> = state
        .participants(&room)
        .into_iter()
        .map(|(id, name, role)| json!({"peerId": id, "name": name, "role": role}))
        .collect();
    if spec.is_none() && participants.is_empty() {
        return Err(ApiError(
            StatusCode::NOT_FOUND,
            ErrorCode::RoomNotFound,
            format!("no room {room:?}"),
        ));
    }
    let spec = spec.map(|s| serde_json::to_value(s).unwrap_or_default()).unwrap_or_else(|| {
        json!({"name": room, "mode": "mesh", "maxParticipants": state.config.max_peers_per_room, "emptyTimeoutSecs": 0, "createdAt": null})
    });
    let mut body = spec;
    body["participants"] = json!(participants);
    Ok(Json(body))
}

/// `DELETE /api/rooms/:room`: ends the room; participants get `roomEnded`.
pub async fn delete_room(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(room): Path<String>,
) -> Result<StatusCode, ApiError> {
    require_api(&state, &headers)?;
    let defined = state
        .store
        .delete_room(&room)
        .await
        .map_err(|e| store_unavailable(&e))?;
    let mut ended = state.end_room(&room, "deleted");
    if let Some(cluster) = &state.cluster {
        // The room's sessions may live on another instance: its owner ends them.
        match cluster.room_owner(&room).await {
            Ok(Some(owner)) if owner != cluster.instance => {
                cluster.send(
                    &state,
                    &owner,
                    crate::cluster::Envelope::EndRoom {
                        room: room.clone(),
                        reason: "deleted".into(),
                    },
                );
                ended += 1;
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(room = %room, error = %e, "cannot tell the room's instance to end it")
            }
        }
    }
    if !defined && ended == 0 {
        return Err(ApiError(
            StatusCode::NOT_FOUND,
            ErrorCode::RoomNotFound,
            format!("no room {room:?}"),
        ));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/rooms/:room/diagnostics`: API key, or a token for this room with the admin grant.
pub async fn diagnostics(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(room): Path<String>,
) -> Result<Response, ApiError> {
    if !has_api_credentials(&state, &headers) {
        let claims = bearer_claims(&state, &headers)?;
        if claims.room != room || !claims.grants.admin {
            return Err(ApiError(
                StatusCode::FORBIDDEN,
                ErrorCode::Forbidden,
                "diagnostics need the API key or a token for this room with the admin grant".into(),
            ));
        }
    }
    match state.diagnostics(&room) {
        Some(d) => Ok(Json(d).into_response()),
        None => Err(ApiError(
            StatusCode::NOT_FOUND,
            ErrorCode::RoomNotFound,
            format!("nobody is in room {room:?}"),
        )),
    }
}

/// The answer of `GET /api/webrtc/config`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IceConfig {
    pub ice_servers: Vec<IceServer>,
    pub ttl_secs: u64,
}

/// `GET /api/webrtc/config` with `Authorization: Bearer <token>`.
pub async fn webrtc_config(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Json<IceConfig>, ApiError> {
    let claims = bearer_claims(&state, &headers)?;
    Ok(Json(IceConfig {
        ice_servers: state.ice_servers(&claims.sub),
        ttl_secs: state.config.turn_ttl_secs,
    }))
}

/// `GET /api/webrtc/stats`.
pub async fn webrtc_stats(State(state): State<Arc<AppState>>) -> Response {
    Json(state.summary(state.started.elapsed().as_secs())).into_response()
}

/// `GET /ready`: 200 when the store answers and the server is not shutting down. The
/// body names the instance and the store, so a load balancer's log tells which one.
pub async fn ready(State(state): State<Arc<AppState>>) -> Response {
    let about = |status: &str| json!({"status": status, "instance": state.instance_id, "store": state.store.kind()});
    if state.shutdown.is_cancelled() {
        return (StatusCode::SERVICE_UNAVAILABLE, Json(about("shuttingDown"))).into_response();
    }
    match state.store.ping().await {
        Ok(()) => Json(about("ready")).into_response(),
        Err(e) => {
            tracing::debug!(error = %e, "not ready: the store does not answer");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(about("storeUnavailable")),
            )
                .into_response()
        }
    }
}

/// `GET /metrics` in the OpenMetrics text format.
pub async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    let gauges: Gauges = state.gauges();
    if let Some(cluster) = &state.cluster {
        cluster.update_gauges();
    }
    (
        [(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)],
        state.metrics.render(gauges),
    )
        .into_response()
}
