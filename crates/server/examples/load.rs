//! Load benchmark (run by hand, not a test): many WebSocket clients in many rooms
//! exchanging signals through the server for a fixed time; reports messages per second,
//! relay latency percentiles, errors and memory per connection.
//!
//! ```text
//! cargo run --release -p steadyrtc-server --example load              # server in-process
//! cargo run --release -p steadyrtc-server --example load -- \
//!     --url ws://127.0.0.1:8080/ws --secret <token secret> --server-pid <pid>   # external server
//! ```
//!
//! Options: `--clients 1000 --rooms 100 --secs 10 --rate 10` (signals per client per
//! second). With `--server-pid` the memory figure is the server's own RSS growth; in
//! process it includes the clients' side of every connection too (an upper bound).
//!
//! Several instances: `--instances 3 --redis-url redis://127.0.0.1:6379` starts three
//! in-process servers sharing that Redis and spreads the clients over them round robin,
//! so most pairs relay between instances.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::{SinkExt, StreamExt};
use rand::seq::IndexedRandom;
use serde_json::json;
use steadyrtc_protocol::{ClientMessage, Role, ServerMessage, PROTOCOL_VERSION};
use steadyrtc_server::tokens::{unix_now, Claims, TokenKeys};
use steadyrtc_server::{Config, Server};
use tokio::sync::Barrier;
use tokio_tungstenite::tungstenite::Message;

const USAGE: &str = "\
Load benchmark: WebSocket clients in rooms exchanging signals through steadyrtc-server.

Usage: cargo run --release -p steadyrtc-server --example load -- [options]

  --clients N       clients (default 1000)
  --rooms N         rooms they are spread over (default 100)
  --secs N          how long they exchange signals (default 10)
  --rate N          signals per client per second (default 10)
  --url URL         an external server (ws://host:port/ws) instead of one in process
  --secret S        its token secret (the in-process server uses a fixed one)
  --server-pid PID  the external server's pid, for its memory per connection
  --instances N     in-process servers sharing --redis-url (default 1)
  --redis-url URL   the Redis they share
  -h, --help        this text";

struct Options {
    clients: usize,
    rooms: usize,
    secs: u64,
    rate: u64,
    url: Option<String>,
    secret: String,
    server_pid: Option<u32>,
    instances: usize,
    redis_url: Option<String>,
}

fn options() -> Options {
    let mut o = Options {
        clients: 1_000,
        rooms: 100,
        secs: 10,
        rate: 10,
        url: None,
        secret: "load-test-secret-0123456789".into(),
        server_pid: None,
        instances: 1,
        redis_url: None,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        std::process::exit(0);
    }
    let usage_error = |message: String| -> ! {
        eprintln!("load: {message}\n\n{USAGE}");
        std::process::exit(2);
    };
    for pair in args.chunks(2) {
        let Some(value) = pair.get(1).cloned() else {
            usage_error(format!("{} needs a value", pair[0]));
        };
        let number = |what: &str| -> u64 {
            value
                .parse()
                .unwrap_or_else(|_| usage_error(format!("{what} takes a number, not {value:?}")))
        };
        match pair[0].as_str() {
            "--clients" => o.clients = number("--clients") as usize,
            "--rooms" => o.rooms = number("--rooms") as usize,
            "--secs" => o.secs = number("--secs"),
            "--rate" => o.rate = number("--rate"),
            "--url" => o.url = Some(value),
            "--secret" => o.secret = value,
            "--server-pid" => o.server_pid = Some(number("--server-pid") as u32),
            "--instances" => o.instances = number("--instances") as usize,
            "--redis-url" => o.redis_url = Some(value),
            other => usage_error(format!("unknown option {other}")),
        }
    }
    o
}

fn rss_kib(pid: Option<u32>) -> u64 {
    let path = pid.map_or_else(
        || "/proc/self/status".to_owned(),
        |p| format!("/proc/{p}/status"),
    );
    std::fs::read_to_string(path)
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn now_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

#[derive(Default)]
struct Totals {
    sent: AtomicU64,
    received: AtomicU64,
    errors: AtomicU64,
}

struct ClientResult {
    latencies_us: Vec<u64>,
}

#[allow(clippy::too_many_arguments)]
async fn client(
    url: String,
    token: String,
    room: String,
    joined: Arc<Barrier>,
    start: Arc<Barrier>,
    until: Duration,
    rate: u64,
    totals: Arc<Totals>,
) -> ClientResult {
    let mut latencies_us = Vec::new();
    let (ws, _) = match tokio_tungstenite::connect_async(url.as_str()).await {
        Ok(ok) => ok,
        Err(e) => {
            eprintln!("connect failed: {e}");
            totals.errors.fetch_add(1, Ordering::Relaxed);
            joined.wait().await;
            start.wait().await;
            return ClientResult { latencies_us };
        }
    };
    let (mut tx, mut rx) = ws.split();
    let join = ClientMessage::Join {
        protocol_version: PROTOCOL_VERSION,
        room,
        name: "load".into(),
        token: Some(token),
    };
    let _ = tx.send(Message::text(join.to_json())).await;
    let mut peers: Vec<String> = Vec::new();
    let mut last_seq = 0;
    // Read until welcome.
    while let Some(Ok(Message::Text(text))) = rx.next().await {
        if let Ok((seq, ServerMessage::Welcome { peers: present, .. })) =
            ServerMessage::parse_frame(text.as_str())
        {
            last_seq = seq.unwrap_or(0);
            peers = present.into_iter().map(|p| p.id).collect();
            break;
        }
    }
    joined.wait().await;
    start.wait().await;
    let deadline = tokio::time::Instant::now() + until;
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / rate.max(1)));
    let mut unacked = 0;
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(deadline) => break,
            _ = tick.tick() => {
                let to = peers.choose(&mut rand::rng()).cloned();
                if let Some(to) = to {
                    let msg = ClientMessage::Signal { to, data: json!({"kind": "candidate", "candidate": "candidate:1 1 udp 2122260223 10.0.0.1 5000 typ host", "t": now_micros()}) };
                    if tx.send(Message::text(msg.to_json())).await.is_err() {
                        totals.errors.fetch_add(1, Ordering::Relaxed);
                        break;
                    }
                    totals.sent.fetch_add(1, Ordering::Relaxed);
                }
            }
            frame = rx.next() => match frame {
                Some(Ok(Message::Text(text))) => match ServerMessage::parse_frame(text.as_str()) {
                    Ok((seq, message)) => {
                        if let Some(seq) = seq {
                            last_seq = seq;
                            unacked += 1;
                            if unacked >= 32 {
                                unacked = 0;
                                let _ = tx.send(Message::text(ClientMessage::Ack { seq }.to_json())).await;
                            }
                        }
                        match message {
                            ServerMessage::Signal { data, .. } => {
                                if let Some(t) = data["t"].as_u64() {
                                    latencies_us.push(now_micros().saturating_sub(t));
                                }
                                totals.received.fetch_add(1, Ordering::Relaxed);
                            }
                            ServerMessage::PeerJoined { peer } => peers.push(peer.id),
                            ServerMessage::PeerLeft { peer_id, .. } => peers.retain(|p| *p != peer_id),
                            ServerMessage::Ping {} => { let _ = tx.send(Message::text(ClientMessage::Pong {}.to_json())).await; }
                            ServerMessage::Error { code, message, .. } => {
                                eprintln!("error frame {code}: {message}");
                                totals.errors.fetch_add(1, Ordering::Relaxed);
                            }
                            _ => {}
                        }
                    }
                    Err(e) => { eprintln!("bad frame: {e}"); totals.errors.fetch_add(1, Ordering::Relaxed); }
                },
                Some(Ok(_)) => {}
                Some(Err(_)) | None => { totals.errors.fetch_add(1, Ordering::Relaxed); break; }
            },
        }
    }
    // Keep reading (not sending) until everyone stopped, so what is in flight arrives.
    let grace = tokio::time::Instant::now() + Duration::from_millis(1_000);
    while let Ok(Some(Ok(frame))) = tokio::time::timeout_at(grace, rx.next()).await {
        if let Message::Text(text) = frame {
            if let Ok((seq, message)) = ServerMessage::parse_frame(text.as_str()) {
                last_seq = seq.unwrap_or(last_seq);
                match message {
                    ServerMessage::Signal { data, .. } => {
                        if let Some(t) = data["t"].as_u64() {
                            latencies_us.push(now_micros().saturating_sub(t));
                        }
                        totals.received.fetch_add(1, Ordering::Relaxed);
                    }
                    ServerMessage::Error { .. } => {
                        totals.errors.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => {}
                }
            }
        }
    }
    let _ = tx
        .send(Message::text(
            ClientMessage::Ack { seq: last_seq }.to_json(),
        ))
        .await;
    let _ = tx.close().await;
    ClientResult { latencies_us }
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)] as f64 / 1000.0
}

fn main() {
    let o = options();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        assert!(
            o.instances <= 1 || o.redis_url.is_some(),
            "--instances needs --redis-url"
        );
        let (urls, _servers) = match &o.url {
            Some(url) => (vec![url.clone()], Vec::new()),
            None => {
                let mut urls = Vec::new();
                let mut handles = Vec::new();
                for i in 0..o.instances.max(1) {
                let config = Config {
                    port: 0,
                    dev: true,
                    token_secret: Some(o.secret.clone()),
                    max_connections_per_ip: (o.clients as u32) * 2,
                    max_peers_per_room: (o.clients / o.rooms.max(1)) as u32 + 1,
                    rate_per_connection: 10_000,
                    burst_per_connection: 10_000,
                    rate_per_ip: 10_000_000,
                    burst_per_ip: 10_000_000,
                    www_dir: std::env::temp_dir(),
                    pkg_dir: std::env::temp_dir(),
                    redis_url: o.redis_url.clone(),
                    instance_id: Some(format!("load-{i}")),
                    ..Config::default()
                };
                let server = Server::bind(config).await.expect("bind");
                urls.push(format!("ws://{}/ws", server.local_addr()));
                handles.push(tokio::spawn(server.run_until(std::future::pending())));
                }
                if o.instances > 1 {
                    // An instance takes relayed traffic once it announces itself.
                    tokio::time::sleep(Duration::from_millis(1_500)).await;
                }
                (urls, handles)
            }
        };
        let rss_before = rss_kib(o.server_pid);
        let keys = TokenKeys::new(o.secret.as_bytes());
        let totals = Arc::new(Totals::default());
        let joined = Arc::new(Barrier::new(o.clients + 1));
        let start = Arc::new(Barrier::new(o.clients + 1));
        let until = Duration::from_secs(o.secs);
        let mut tasks = Vec::with_capacity(o.clients);
        for i in 0..o.clients {
            let room = format!("load-{}", i % o.rooms.max(1));
            let now = unix_now();
            let token = keys
                .issue(&Claims {
                    sub: format!("load-{i}"),
                    room: room.clone(),
                    name: None,
                    role: Role::Guest,
                    grants: Role::Guest.default_grants(),
                    exp: now + 3_600,
                    nbf: now,
                    iat: now,
                })
                .expect("token");
            tasks.push(tokio::spawn(client(
                urls[i % urls.len()].clone(),
                token,
                room,
                joined.clone(),
                start.clone(),
                until,
                o.rate,
                totals.clone(),
            )));
        }
        joined.wait().await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let rss_connected = rss_kib(o.server_pid);
        println!(
            "{} clients joined {} rooms on {} instance(s); exchanging signals for {} s at {} per client per second",
            o.clients, o.rooms, urls.len(), o.secs, o.rate
        );
        let started = Instant::now();
        start.wait().await;
        let mut latencies = Vec::new();
        for t in tasks {
            if let Ok(r) = t.await {
                latencies.extend(r.latencies_us);
            }
        }
        let elapsed = started.elapsed().as_secs_f64().max(o.secs as f64);
        latencies.sort_unstable();
        let sent = totals.sent.load(Ordering::Relaxed);
        let received = totals.received.load(Ordering::Relaxed);
        let errors = totals.errors.load(Ordering::Relaxed);
        let per_conn = rss_connected.saturating_sub(rss_before) as f64 / o.clients as f64;
        println!("signals sent {sent}, relayed and received {received}, errors {errors}");
        println!(
            "throughput: {:.0} relayed messages/s (over {:.1} s)",
            received as f64 / (o.secs as f64),
            elapsed
        );
        println!(
            "relay latency ms: p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}",
            percentile(&latencies, 0.5),
            percentile(&latencies, 0.9),
            percentile(&latencies, 0.99),
            percentile(&latencies, 1.0)
        );
        println!(
            "memory: RSS {} KiB before, {} KiB with {} connections: {:.1} KiB per connection ({})",
            rss_before,
            rss_connected,
            o.clients,
            per_conn,
            if o.server_pid.is_some() {
                "server process only"
            } else {
                "server and clients in one process: an upper bound"
            }
        );
    });
}
