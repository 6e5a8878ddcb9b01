//! steadyrtc-server: the signaling server of steadyrtc.
//!
//! It relays the WebRTC negotiation (`steadyrtc-protocol` messages over a WebSocket at
//! `/ws`) between the peers of a room, reports `/health`, and serves the demo page and
//! the npm package as static files. It never reads the SDP or candidates it relays.
//!
//! Start one from Rust (tests do this on port 0):
//!
//! ```no_run
//! # async fn demo() -> Result<(), steadyrtc_server::ServerError> {
//! use steadyrtc_server::{Config, Server};
//! let server = Server::bind(Config { port: 0, ..Config::default() }).await?;
//! let addr = server.local_addr(); // the real port
//! tokio::spawn(server.run_until(std::future::pending()));
//! # let _ = addr; Ok(()) }
//! ```
//!
//! Modules: [`config`] (options), [`server`] (lifecycle), [`router`](mod@router) (routes),
//! [`session`] (one WebSocket), [`state`] (shared state and delivery), [`rooms`]
//! (membership and routing rules), [`static_files`], [`logging`].

pub mod config;
pub mod logging;
pub mod rooms;
pub mod router;
pub mod server;
pub mod session;
pub mod state;
pub mod static_files;

pub use config::{Config, LogFormat};
pub use router::router;
pub use server::{listening_line, shutdown_signal, Server, ServerError};
pub use state::AppState;
