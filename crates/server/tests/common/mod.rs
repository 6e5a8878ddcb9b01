//! Test harness: an in-process server on 127.0.0.1 port 0 with temporary static
//! directories and known secrets, WebSocket clients that speak the protocol (they answer
//! `ping` themselves and mint their own tokens), and a minimal HTTP client.
//! Every await is bounded by [`STEP`] so a broken server fails a test instead of hanging it.

#![allow(dead_code)] // each test file uses a different part of the harness

pub mod redis;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use base64::Engine;
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use steadyrtc_protocol::{
    ClientMessage, ErrorCode, PeerId, PeerInfo, Role, ServerMessage, PROTOCOL_VERSION,
};
use steadyrtc_server::tokens::{unix_now, Claims, TokenKeys};
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
/// The token secret of every test server.
pub const SECRET: &str = "test-secret-0123456789abcdef";
pub const API_KEY: &str = "test-key";
pub const API_SECRET: &str = "test-api-secret";

/// Awaits `fut` for at most [`STEP`], panicking with `what` if it takes longer.
pub async fn within<T>(what: &str, fut: impl Future<Output = T>) -> T {
    match tokio::time::timeout(STEP, fut).await {
        Ok(value) => value,
        Err(_) => panic!("timed out after {STEP:?} waiting for {what}"),
    }
}

/// A token for `room` as `identity` with `role`'s default grants, valid for a minute.
pub fn token(room: &str, identity: &str, role: Role) -> String {
    let now = unix_now();
    TokenKeys::new(SECRET.as_bytes())
        .issue(&Claims {
            sub: identity.into(),
            room: room.into(),
            name: None,
            role,
            grants: role.default_grants(),
            exp: now + 60,
            nbf: now,
            iat: now,
        })
        .expect("issue token")
}

/// A fresh identity per call.
pub fn identity() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("user-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// A `join` with a guest token for `room` (or for "x" if `room` is not a valid name).
pub fn join_message(room: &str, name: &str) -> ClientMessage {
    let token_room = if steadyrtc_protocol::validate_room(room).is_ok() {
        room
    } else {
        "x"
    };
    ClientMessage::Join {
        protocol_version: PROTOCOL_VERSION,
        room: room.into(),
        name: name.into(),
        token: Some(token(token_room, &identity(), Role::Guest)),
    }
}

/// Where a test server keeps its room definitions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// In memory (the default).
    Memory,
    /// In a fresh `redis-server` of the test's own.
    Redis,
}

/// Runs each named `async fn(Backend)` as two tests, `memory::NAME` and `redis::NAME`:
/// the same behaviour checked against both stores.
#[macro_export]
macro_rules! on_both_stores {
    ($($name:ident),+ $(,)?) => {
        mod memory {
            $(#[tokio::test]
            async fn $name() {
                super::$name($crate::common::Backend::Memory).await
            })+
        }
        mod redis {
            $(#[tokio::test]
            async fn $name() {
                super::$name($crate::common::Backend::Redis).await
            })+
        }
    };
}

/// A server running in this test's runtime.
pub struct TestServer {
    pub addr: SocketAddr,
    pub www: PathBuf,
    pub pkg: PathBuf,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), steadyrtc_server::ServerError>>>,
    /// The server's own Redis, with [`Backend::Redis`].
    pub redis: Option<redis::RedisServer>,
    _dir: TempDir,
}

impl TestServer {
    /// [`TestServer::start`] with room definitions in `backend`.
    pub async fn start_with(backend: Backend, adjust: impl FnOnce(&mut Config)) -> Self {
        let redis = match backend {
            Backend::Memory => None,
            Backend::Redis => Some(redis::RedisServer::start().await),
        };
        let url = redis.as_ref().map(redis::RedisServer::url);
        let mut server = Self::start(|c| {
            c.redis_url = url;
            adjust(c);
        })
        .await;
        server.redis = redis;
        server
    }

    /// Starts a server with test defaults (dev mode, known secrets, no resume window,
    /// short drain) on port 0 with fresh static directories; `adjust` may change any
    /// option before binding.
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
            dev: true,
            token_secret: Some(SECRET.into()),
            api_key: Some(API_KEY.into()),
            api_secret: Some(API_SECRET.into()),
            resume_window_ms: 0,
            drain_ms: 200,
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
            redis: None,
            _dir: dir,
        }
    }

    pub async fn client(&self) -> Client {
        Client::connect(self.addr).await
    }

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

    /// Stops the server and waits for it to finish.
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
    /// The `seq` of the last numbered message read.
    pub last_seq: Option<u64>,
    /// Whether `ping`s are answered (true unless a test plays a dead client).
    pub answer_pings: bool,
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
        Self {
            ws,
            last_seq: None,
            answer_pings: true,
        }
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

    /// The next message with its seq, or the end of the connection. `ping`s are answered
    /// with `pong` (see [`Client::answer_pings`]) and skipped, as are WebSocket pings.
    pub async fn next_frame(&mut self) -> Result<(Option<u64>, ServerMessage), Option<CloseFrame>> {
        within("a frame from the server", async {
            loop {
                match self.ws.next().await {
                    Some(Ok(Message::Text(text))) => {
                        let (seq, message) = ServerMessage::parse_frame(text.as_str())
                            .unwrap_or_else(|e| {
                                panic!("server sent an unparsable frame {text:?}: {e}")
                            });
                        if message == (ServerMessage::Ping {}) {
                            assert_eq!(seq, None, "pings carry no seq");
                            if self.answer_pings {
                                let _ = self
                                    .ws
                                    .send(Message::text(ClientMessage::Pong {}.to_json()))
                                    .await;
                            }
                            continue;
                        }
                        if let Some(seq) = seq {
                            if let Some(last) = self.last_seq {
                                assert!(seq > last, "seq went from {last} to {seq}");
                            }
                            self.last_seq = Some(seq);
                        }
                        return Ok((seq, message));
                    }
                    Some(Ok(Message::Close(frame))) => return Err(frame),
                    Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
                    Some(Ok(Message::Binary(b))) => {
                        panic!("server sent a binary frame of {} bytes", b.len())
                    }
                    Some(Err(_)) | None => return Err(None),
                }
            }
        })
        .await
    }

    /// The next text frame other than `ping`, as the server wrote it (pings answered).
    pub async fn next_text(&mut self) -> String {
        within("a text frame from the server", async {
            loop {
                match self.ws.next().await {
                    Some(Ok(Message::Text(text))) => {
                        if ServerMessage::parse(text.as_str()) == Ok(ServerMessage::Ping {}) {
                            let _ = self
                                .ws
                                .send(Message::text(ClientMessage::Pong {}.to_json()))
                                .await;
                            continue;
                        }
                        return text.as_str().to_owned();
                    }
                    Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
                    other => panic!("expected a text frame, got {other:?}"),
                }
            }
        })
        .await
    }

    /// Sends `texts` as frames in one write (one TCP segment when they fit).
    pub async fn send_together(&mut self, texts: &[String]) {
        for text in texts {
            within("feed", self.ws.feed(Message::text(text.clone())))
                .await
                .expect("feed frame");
        }
        within("flush", self.ws.flush()).await.expect("flush");
    }

    /// The next text frame parsed with its seq, pings included and not answered.
    pub async fn next_frame_raw(
        &mut self,
    ) -> Result<(Option<u64>, ServerMessage), Option<CloseFrame>> {
        loop {
            match self.ws.next().await {
                Some(Ok(Message::Text(text))) => {
                    return Ok(ServerMessage::parse_frame(text.as_str())
                        .unwrap_or_else(|e| panic!("unparsable {text:?}: {e}")))
                }
                Some(Ok(Message::Close(frame))) => return Err(frame),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return Err(None),
            }
        }
    }

    /// The next message or the end of the connection.
    pub async fn next(&mut self) -> Received {
        match self.next_frame().await {
            Ok((_, message)) => Received::Message(message),
            Err(frame) => Received::Closed(frame),
        }
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
        match self.next_frame().await {
            Ok((
                seq,
                ServerMessage::Error {
                    code: got, message, ..
                },
            )) if got == code => {
                assert_eq!(seq, None, "error frames carry no seq");
                message
            }
            other => panic!("expected error {code}, got {other:?}"),
        }
    }

    /// Every message that arrives within `wait`.
    pub async fn drain_for(&mut self, wait: Duration) -> Vec<ServerMessage> {
        let deadline = tokio::time::Instant::now() + wait;
        let mut got = Vec::new();
        while let Ok(Ok((_, message))) = tokio::time::timeout_at(deadline, self.next_frame()).await
        {
            got.push(message);
        }
        got
    }

    /// Asserts that nothing but heartbeats arrives for `wait`.
    pub async fn expect_silence(&mut self, wait: Duration) {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Err(_) => return,
                Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => {}
                Ok(Some(Ok(Message::Text(t))))
                    if ServerMessage::parse(t.as_str()) == Ok(ServerMessage::Ping {}) =>
                {
                    let _ = self
                        .ws
                        .send(Message::text(ClientMessage::Pong {}.to_json()))
                        .await;
                }
                Ok(other) => panic!("expected silence, got {other:?}"),
            }
        }
    }

    /// Asserts that the server ends the connection; returns its close frame, if any.
    /// Errors and `goAway` before the close are skipped.
    pub async fn expect_closed(&mut self) -> Option<CloseFrame> {
        loop {
            match self.next().await {
                Received::Closed(frame) => return frame,
                Received::Message(ServerMessage::Error { .. } | ServerMessage::GoAway { .. }) => {
                    continue
                }
                Received::Message(other) => {
                    panic!("expected the connection to close, got {other:?}")
                }
            }
        }
    }

    /// Joins `room` as `name` with a guest token; returns this peer's id and the peers
    /// listed in `welcome`.
    pub async fn join(&mut self, room: &str, name: &str) -> (PeerId, Vec<PeerInfo>) {
        let (peer_id, peers, _) = self.join_with(&join_message(room, name)).await;
        (peer_id, peers)
    }

    /// Sends `join` and reads `welcome`; returns peer id, peers and session id.
    pub async fn join_with(&mut self, join: &ClientMessage) -> (PeerId, Vec<PeerInfo>, String) {
        self.last_seq = None; // a new session numbers from 1
        self.send(join).await;
        match self.next_frame().await {
            Ok((
                seq,
                ServerMessage::Welcome {
                    protocol_version,
                    peer_id,
                    peers,
                    session_id,
                    ..
                },
            )) => {
                assert_eq!(protocol_version, PROTOCOL_VERSION);
                assert_eq!(seq, Some(1), "welcome is the session's first message");
                (peer_id, peers, session_id)
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

    pub async fn ack(&mut self, seq: u64) {
        self.send(&ClientMessage::Ack { seq }).await;
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

/// A peer as `welcome`/`peerJoined` show it to a guest.
pub fn guest(id: &str, name: &str, polite: bool) -> PeerInfo {
    PeerInfo {
        id: id.into(),
        name: name.into(),
        role: Role::Guest,
        polite,
    }
}

/// A response from [`http`].
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

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
}

/// The `Authorization` header value of the test API credentials.
pub fn api_auth() -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{API_KEY}:{API_SECRET}"))
    )
}

/// Creates a room through `POST /api/rooms` with the test API credentials (`body`: its
/// name, mode, limits); panics unless the server answers 201.
pub async fn create_room(addr: SocketAddr, body: &serde_json::Value) {
    let created = http(
        addr,
        "POST",
        "/api/rooms",
        &[("Authorization", &api_auth())],
        Some(&body.to_string()),
    )
    .await;
    assert_eq!(created.status, 201, "creating {body}");
}

/// One HTTP/1.1 request with `Connection: close`, read to the end. `Host` is the
/// server's address unless `headers` name one.
pub async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> HttpResponse {
    within("http request", async {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        let mut request = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
        if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host")) {
            request.push_str(&format!("Host: {addr}\r\n"));
        }
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        if let Some(body) = body {
            request.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        request.push_str("\r\n");
        request.push_str(body.unwrap_or(""));
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
        let mut body = raw[split + 4..].to_vec();
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .unwrap_or_default()
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("status code");
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
            .collect();
        if headers
            .iter()
            .any(|(n, v)| n.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"))
        {
            body = dechunk(&body);
        }
        HttpResponse {
            status,
            headers,
            body,
        }
    })
    .await
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = raw.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&raw[..end]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = end + 2;
        out.extend_from_slice(&raw[start..(start + size).min(raw.len())]);
        raw = &raw[(start + size + 2).min(raw.len())..];
    }
    out
}

/// `GET path`.
pub async fn http_get(addr: SocketAddr, path: &str) -> HttpResponse {
    http(addr, "GET", path, &[], None).await
}

/// `(rooms, peers)` as `/health` reports them.
pub async fn room_and_peer_counts(addr: SocketAddr) -> (u64, u64) {
    let response = http_get(addr, "/health").await;
    assert_eq!(response.status, 200);
    let body = response.json();
    let count = |field: &str| {
        body[field]
            .as_u64()
            .unwrap_or_else(|| panic!("no {field} in {body}"))
    };
    (count("rooms"), count("peers"))
}
