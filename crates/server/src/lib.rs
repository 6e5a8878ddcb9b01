//! steadyrtc-server: the signaling server of steadyrtc.
//!
//! It relays the WebRTC negotiation (`steadyrtc-protocol` messages over a WebSocket at
//! `/ws`) between the peers of a room, with tokens and grants, sessions that survive a
//! dropped connection (`resume`), a match queue, ICE server configuration with ephemeral
//! TURN credentials, health, readiness, Prometheus metrics and diagnostics, and serves
//! the demo page and the npm package as static files. It never reads the SDP or
//! candidates it relays (only a signal's `kind`, to enforce the publish grant).
//!
//! Start one from Rust (tests do this on port 0):
//!
//! ```no_run
//! # async fn demo() -> Result<(), steadyrtc_server::ServerError> {
//! use steadyrtc_server::{Config, Server};
//! let server = Server::bind(Config { port: 0, dev: true, ..Config::default() }).await?;
//! let addr = server.local_addr(); // the real port
//! tokio::spawn(server.run_until(std::future::pending()));
//! # let _ = addr; Ok(()) }
//! ```
//!
//! Modules: [`config`] (options), [`server`] (lifecycle), [`router`](mod@router) (routes
//! and the WebSocket gate), [`http_policy`] (Origin rule, CORS, security headers), [`api`]
//! (HTTP API), [`session`] (one WebSocket), [`state`]
//! (sessions, delivery, replay), [`rooms`] (membership and routing rules), [`matching`]
//! (the match queue), [`tokens`] (JWTs), [`ice`] (TURN credentials), [`ratelimit`],
//! [`metrics`], [`store`] (room definitions behind a trait), [`cluster`] (several
//! instances over Redis), [`static_files`], [`logging`].

pub mod api;
pub mod cluster;
pub mod config;
pub mod http_policy;
pub mod ice;
pub mod logging;
pub mod matching;
pub mod metrics;
pub mod ratelimit;
pub mod relay;
pub mod rooms;
pub mod router;
pub mod server;
pub mod session;
pub mod state;
pub mod static_files;
pub mod store;
pub mod tokens;

pub use config::{Config, ConfigError, LogFormat};
pub use router::router;
pub use server::{listening_line, shutdown_signal, Server, ServerError};
pub use state::AppState;
