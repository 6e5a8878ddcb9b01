//! Starting and stopping: bind the listener, serve the router, shut down gracefully.
//!
//! This module decides the lifecycle: the configuration is validated before anything
//! binds, binding is separate from serving so the caller learns the real address (port
//! 0) before any request arrives, and shutdown first tells every WebSocket `goAway`,
//! lets the drain time pass, closes them (code 1001) and then waits a bounded time for
//! them. It never prints to stdout; the binary does that once it has the address.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::serve::ListenerExt;
use tokio::net::TcpListener;

use crate::cluster::Cluster;
use crate::config::Config;
use crate::router::router;
use crate::state::AppState;
use crate::static_files;
use crate::store::RedisStore;

/// How long shutdown waits for open WebSockets beyond the configured drain time.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a draining instance waits for the others to take its rooms over.
const HANDOVER_TIMEOUT: Duration = Duration::from_secs(3);

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The configuration cannot run.
    #[error("{0}")]
    Config(#[from] crate::config::ConfigError),
    /// The listening socket could not be created (address in use, bad host, no permission).
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        #[source]
        source: io::Error,
    },
    /// The `--redis-url` cannot be used.
    #[error("--redis-url: {0}")]
    Store(String),
    /// Serving failed after the listener was bound.
    #[error("server failed: {0}")]
    Serve(#[source] io::Error),
}

/// A bound, not yet serving, server.
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    addr: SocketAddr,
    state: Arc<AppState>,
}

impl Server {
    /// Binds `config.host:config.port` (port 0 picks a free port) and prepares the state.
    /// Warns about missing static directories. Serves nothing until [`Server::run_until`].
    pub async fn bind(config: Config) -> Result<Self, ServerError> {
        config.validate()?;
        if config.dev {
            tracing::warn!("DEVELOPMENT MODE (--dev): anyone may get host, guest and listener tokens from POST /api/token, localhost origins and same-origin pages reached by IP address are allowed{}. Never run this in production.",
                if config.token_secret.is_none() { ", tokens are signed with a random secret" } else { "" });
        }
        if !config.dev && config.allowed_origins.is_empty() {
            tracing::warn!("no --allowed-origins (STEADYRTC_ALLOWED_ORIGINS): browser pages, this server's own included, cannot open /ws or call /api; only clients that send no Origin can");
        }
        static_files::warn_if_missing(&config);
        let shown = display_addr(&config.host, config.port);
        let bind_error = |source| ServerError::Bind {
            addr: shown.clone(),
            source,
        };
        let listener = TcpListener::bind((config.host.as_str(), config.port))
            .await
            .map_err(bind_error)?;
        let addr = listener.local_addr().map_err(bind_error)?;
        let state = match &config.redis_url {
            None => AppState::new(config),
            Some(url) => {
                let url = url.clone();
                let timeout = config.redis_timeout();
                let store = RedisStore::new(&url, config.max_rooms as usize, timeout)
                    .map_err(ServerError::Store)?;
                let stats = store.stats();
                let mut state = AppState::with_store(config, Arc::new(store));
                let cluster = Cluster::new(&url, state.instance_id.clone(), timeout, stats)
                    .map_err(ServerError::Store)?;
                cluster.register(state.metrics.registry_mut());
                state.cluster = Some(Arc::new(cluster));
                state
            }
        };
        tracing::info!(instance = %state.instance_id, store = state.store.kind(), "state ready");
        Ok(Self {
            listener,
            addr,
            state: Arc::new(state),
        })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://IP:PORT` of the bound address.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The shared state (counts, configuration).
    pub fn state(&self) -> Arc<AppState> {
        Arc::clone(&self.state)
    }

    /// Serves until `shutdown` completes, then closes every WebSocket with code 1001
    /// ("going away") and waits up to a few seconds for them.
    pub async fn run_until<F>(self, shutdown: F) -> Result<(), ServerError>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let Self {
            listener,
            addr,
            state,
        } = self;
        let token = state.shutdown.clone();
        let drain = Duration::from_millis(state.config.drain_ms);
        let draining = state.cluster.clone();
        let signal = async move {
            shutdown.await;
            tracing::info!("shutting down");
            // From now on `/ready` answers 503 and new sessions are refused, while the
            // listener still answers: a load balancer sees the instance leave (rather
            // than refused connections) and clients get `goAway`. After the drain time
            // the listener closes. The other instances hear at once that this one drains:
            // none of them hands it a room.
            token.cancel();
            if let Some(cluster) = draining {
                cluster.draining().await;
            }
            tokio::time::sleep(drain).await;
        };
        tracing::info!(%addr, "serving");
        if let Some(cluster) = &state.cluster {
            cluster.start(&state);
        }
        let sweeper = {
            let state = Arc::clone(&state);
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_secs(1));
                loop {
                    tokio::select! {
                        _ = state.shutdown.cancelled() => return,
                        _ = tick.tick() => state.sweep_empty_rooms().await,
                    }
                }
            })
        };
        let app = router(Arc::clone(&state)).into_make_service_with_connect_info::<SocketAddr>();
        // Signaling frames are small and often come in bursts (a candidate after an
        // offer): without TCP_NODELAY, Nagle's algorithm holds a frame back until the
        // previous one is acknowledged, which the peer's delayed ACK puts off by up to
        // 40 ms.
        let listener = listener.tap_io(|tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(error = %e, "cannot set TCP_NODELAY");
            }
        });
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(signal)
            .await;
        state.shutdown.cancel();
        sweeper.abort();
        state.connections.close();
        let wait = Duration::from_millis(state.config.drain_ms) + CLOSE_TIMEOUT;
        if tokio::time::timeout(wait, state.connections.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                left = state.connections.len(),
                "some connections did not close in time"
            );
        }
        if let Some(cluster) = &state.cluster {
            // The local sockets are closed and their sessions wait for `resume`: hand
            // the rooms to the other instances, then leave.
            cluster.hand_over(&state, HANDOVER_TIMEOUT).await;
            cluster.leave(Duration::from_secs(1)).await;
        }
        served.map_err(ServerError::Serve)
    }
}

/// The line the binary prints on stdout once it listens, e.g.
/// `steadyrtc-server listening on http://127.0.0.1:8080`.
pub fn listening_line(addr: SocketAddr) -> String {
    format!("steadyrtc-server listening on http://{addr}")
}

/// A future that completes on Ctrl-C (SIGINT) or SIGTERM.
///
/// On Unix the handlers are installed when this function is called, not when the future
/// is first polled, so a signal that arrives right after the listening line is printed
/// still shuts the server down gracefully. Call it inside the Tokio runtime.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let interrupt = signal(SignalKind::interrupt());
        let terminate = signal(SignalKind::terminate());
        async move {
            let wait = |installed: io::Result<tokio::signal::unix::Signal>, name: &'static str| async move {
                match installed {
                    Ok(mut stream) => {
                        stream.recv().await;
                        tracing::info!(signal = name, "received");
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, signal = name, "cannot listen for signal");
                        std::future::pending::<()>().await;
                    }
                }
            };
            tokio::select! {
                () = wait(interrupt, "SIGINT") => {}
                () = wait(terminate, "SIGTERM") => {}
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            if let Err(e) = tokio::signal::ctrl_c().await {
                tracing::warn!(error = %e, "cannot listen for Ctrl-C");
                std::future::pending::<()>().await;
            }
        }
    }
}

/// `host:port`, with brackets around an IPv6 host.
fn display_addr(host: &str, port: u16) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listening_line_has_the_documented_shape() {
        let addr: SocketAddr = "127.0.0.1:4321".parse().unwrap();
        assert_eq!(
            listening_line(addr),
            "steadyrtc-server listening on http://127.0.0.1:4321"
        );
        let v6: SocketAddr = "[::1]:80".parse().unwrap();
        assert_eq!(
            listening_line(v6),
            "steadyrtc-server listening on http://[::1]:80"
        );
    }

    #[test]
    fn bind_errors_show_the_address_with_ipv6_brackets() {
        assert_eq!(display_addr("127.0.0.1", 80), "127.0.0.1:80");
        assert_eq!(display_addr("::1", 80), "[::1]:80");
    }

    #[tokio::test]
    async fn binding_a_taken_port_is_an_error_naming_the_address() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = taken.local_addr().unwrap().port();
        let config = Config {
            port,
            dev: true,
            ..Config::default()
        };
        let err = Server::bind(config).await.unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with(&format!("cannot listen on 127.0.0.1:{port}: ")),
            "{text}"
        );
        assert!(!text.contains('\n'));
    }
}
