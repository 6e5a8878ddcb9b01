//! Test harness: an in-process server on 127.0.0.1 port 0 with temporary static
//! directories, WebSocket clients that speak the protocol, and a minimal HTTP GET.
//! Every await is bounded by [`STEP`] so a broken server fails a test instead of hanging it.

#![allow(dead_code)] // each test file uses a different part of the harness

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use steadyrtc_protocol::{
    ClientMessage, ErrorCode, PeerId, PeerInfo, ServerMessage, PROTOCOL_VERSION,
};
use steadyrtc_server::{Config, Server};
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// The longest any single step of a test may take.
pub const STEP: Duration = Duration::from_secs(5);

/// Awaits `fut` for at most [`STEP`], panicking with `what` if it takes longer.
pub async fn within<T>(what: &str, fut: impl Future<Output = T>) -> T {
    match tokio::time::timeout(STEP, fut).await {
        Ok(value) => value,
        Err(_) => panic!("timed out after {STEP:?} waiting for {what}"),
    }
}

/// A server running in this test's runtime.
pub struct TestServer {
    pub addr: SocketAddr,
    pub www: PathBuf,
    pub pkg: PathBuf,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), steadyrtc_server::ServerError>>>,
    _dir: TempDir,
}

impl TestServer {
    /// Starts a server with default options except port 0 and fresh static directories;
    /// `adjust` may change any option before binding.
    pub async fn start(adjust: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let www = dir.path().join("www");
        let pkg = dir.path().join("pkg");
        std::fs::create_dir_all(&www).expect("www dir");
        std::fs::create_dir_all(&pkg).expect("pkg dir");
        let mut config = Config {
            host: "127.0.0.1".into(),
            port: 0,
            www_dir: www.clone(),
            pkg_dir: pkg.clone(),
            ..Config::default()
        };
        adjust(&mut config);
        let server = within("bind", Server::bind(config))
            .await
            .expect("bind on port 0");
        let addr = server.local_addr();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server.run_until(async {
            let _ = stopped.await;
        }));
        Self {
            addr,
            www,
            pkg,
            stop: Some(stop),
            task: Some(task),
            _dir: dir,
        }
    }

    pub async fn client(&self) -> Client {
        Client::connect(self.addr).await
    }

    /// Stops the server and waits for it to finish.
    /// Two clients in room "demo", the first named `first`, the second `second`, with the
    /// first's `peerJoined` already read. Returns them and their peer ids.
    pub async fn pair(&self, first: &str, second: &str) -> (Client, PeerId, Client, PeerId) {
        let mut a = self.client().await;
        let mut b = self.client().await;
        let (a_id, _) = a.join("demo", first).await;
        let (b_id, _) = b.join("demo", second).await;
        a.recv().await; // peerJoined
        (a, a_id, b, b_id)
    }

    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            within("server shutdown", task)
                .await
                .expect("server task")
                .expect("server result");
        }
    }
}

/// A WebSocket client speaking the protocol.
pub struct Client {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// What a client read: a message, or the end of the connection.
#[derive(Debug)]
pub enum Received {
    Message(ServerMessage),
    Closed(Option<CloseFrame>),
}

impl Client {
    pub async fn connect(addr: SocketAddr) -> Self {
        let url = format!("ws://{addr}/ws");
        let (ws, _) = within("websocket connect", tokio_tungstenite::connect_async(url))
            .await
            .expect("websocket handshake");
        Self { ws }
    }

    pub async fn send_frame(&mut self, frame: Message) {
        within("send", self.ws.send(frame))
            .await
            .expect("send frame");
    }

    pub async fn send_text(&mut self, text: impl Into<String>) {
        self.send_frame(Message::text(text.into())).await;
    }

    pub async fn send(&mut self, message: &ClientMessage) {
        self.send_text(message.to_json()).await;
    }

    /// The next message or the end of the connection (pings and pongs are skipped).
    pub async fn next(&mut self) -> Received {
        within("a frame from the server", async {
            loop {
                match self.ws.next().await {
                    Some(Ok(Message::Text(text))) => {
                        let message = ServerMessage::parse(text.as_str()).unwrap_or_else(|e| {
                            panic!("server sent an unparsable frame {text:?}: {e}")
                        });
                        return Received::Message(message);
                    }
                    Some(Ok(Message::Close(frame))) => return Received::Closed(frame),
                    Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
                    Some(Ok(Message::Binary(b))) => {
                        panic!("server sent a binary frame of {} bytes", b.len())
                    }
                    Some(Err(_)) | None => return Received::Closed(None),
                }
            }
        })
        .await
    }

    /// The next message; panics if the connection ends instead.
    pub async fn recv(&mut self) -> ServerMessage {
        match self.next().await {
            Received::Message(message) => message,
            Received::Closed(frame) => {
                panic!("connection closed ({frame:?}) while a message was expected")
            }
        }
    }

    /// Asserts that the next message is an `error` with `code`; returns its text.
    pub async fn expect_error(&mut self, code: ErrorCode) -> String {
        match self.recv().await {
            ServerMessage::Error { code: got, message } if got == code => message,
            other => panic!("expected error {code}, got {other:?}"),
        }
    }

    /// Asserts that nothing arrives for `wait`.
    pub async fn expect_silence(&mut self, wait: Duration) {
        if let Ok(frame) = tokio::time::timeout(wait, self.ws.next()).await {
            match frame {
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                other => panic!("expected silence, got {other:?}"),
            }
        }
    }

    /// Asserts that the server ends the connection; returns its close frame, if any.
    pub async fn expect_closed(&mut self) -> Option<CloseFrame> {
        loop {
            match self.next().await {
                Received::Closed(frame) => return frame,
                Received::Message(ServerMessage::Error { .. }) => continue,
                Received::Message(other) => {
                    panic!("expected the connection to close, got {other:?}")
                }
            }
        }
    }

    /// Joins `room` as `name`; returns this peer's id and the peers listed in `welcome`.
    pub async fn join(&mut self, room: &str, name: &str) -> (PeerId, Vec<PeerInfo>) {
        self.send(&join_message(room, name)).await;
        match self.recv().await {
            ServerMessage::Welcome {
                protocol_version,
                room: r,
                peer_id,
                peers,
            } => {
                assert_eq!(protocol_version, PROTOCOL_VERSION);
                assert_eq!(r, room);
                (peer_id, peers)
            }
            other => panic!("expected welcome, got {other:?}"),
        }
    }

    pub async fn signal(&mut self, to: &str, data: Value) {
        self.send(&ClientMessage::Signal {
            to: to.into(),
            data,
        })
        .await;
    }

    /// Starts the close handshake and returns the server's close reply.
    pub async fn close_and_read_reply(mut self) -> Received {
        let bye = CloseFrame {
            code: CloseCode::Normal,
            reason: "bye".into(),
        };
        within("close", self.ws.close(Some(bye)))
            .await
            .expect("send close");
        self.next().await
    }

    pub async fn close(mut self) {
        let _ = within("close", self.ws.close(None)).await;
    }
}

pub fn join_message(room: &str, name: &str) -> ClientMessage {
    ClientMessage::Join {
        protocol_version: PROTOCOL_VERSION,
        room: room.into(),
        name: name.into(),
    }
}

/// A response to [`http_get`].
#[derive(Debug)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// `GET path` over HTTP/1.1 with `Connection: close`, read to the end.
pub async fn http_get(addr: SocketAddr, path: &str) -> HttpResponse {
    within("http get", async {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        stream
            .write_all(request.as_bytes())
            .await
            .expect("write request");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.expect("read response");
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("end of headers");
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        let body = raw[split + 4..].to_vec();
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or_default();
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("status code");
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
            .collect();
        HttpResponse {
            status,
            headers,
            body,
        }
    })
    .await
}

/// `(rooms, peers)` as `/health` reports them.
pub async fn room_and_peer_counts(addr: SocketAddr) -> (u64, u64) {
    let response = http_get(addr, "/health").await;
    assert_eq!(response.status, 200);
    let body: Value = serde_json::from_slice(&response.body).expect("health is JSON");
    let count = |field: &str| {
        body[field]
            .as_u64()
            .unwrap_or_else(|| panic!("no {field} in {body}"))
    };
    (count("rooms"), count("peers"))
}
