//! Load benchmark (run by hand, not a test): many WebSocket clients in many rooms
//! exchanging signals through the server; reports messages per second, relay latency
//! percentiles, errors and memory per idle connection. With `--find-ceiling` it searches
//! for the highest relay rate the server keeps under a p99 bound.
//!
//! ```text
//! cargo run --release -p steadyrtc-server --example load              # server in-process
//! cargo run --release -p steadyrtc-server --example load -- \
//!     --url ws://127.0.0.1:8080/ws --secret <token secret> --server-pid <pid>   # external server
//! cargo build --release -p steadyrtc-server --bins --example load && \
//!   target/release/examples/load --find-ceiling --clients 1000 \
//!     --server-bin target/release/steadyrtc-server --pin      # server and clients on their own cores
//! ```
//!
//! `--help` lists every option. With a server of its own process (`--server-pid`, or
//! `--server-bin`, which starts one) the memory figure is the server's own RSS growth; in
//! process it includes the clients' side of every connection too (an upper bound).
//!
//! Several instances: `--instances 3 --redis-url redis://127.0.0.1:6379` starts three
//! in-process servers sharing that Redis and spreads the clients over them round robin,
//! so most pairs relay between instances.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::{SinkExt, StreamExt};
use rand::seq::IndexedRandom;
use rand::Rng;
use serde::Deserialize;
use steadyrtc_protocol::{ClientMessage, Role, ServerMessage, PROTOCOL_VERSION};
use steadyrtc_server::tokens::{unix_now, Claims, TokenKeys};
use steadyrtc_server::{Config, Server};
use tokio::sync::{watch, Barrier};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

const USAGE: &str = "\
Load benchmark: WebSocket clients in rooms exchanging signals through steadyrtc-server.

Usage: cargo run --release -p steadyrtc-server --example load -- [options]

  --clients N       clients (default 1000)
  --rooms N         rooms they are spread over (default clients / 10)
  --secs N          how long they exchange signals (default 10)
  --rate N          signals per client per second (default 10; fractions allowed)
  --ack-every N     during traffic, ack every N numbered frames (default 32; when
                    idle every frame is acked at once, as the library does)
  --find-ceiling    instead of one run at --rate: search for the highest total
                    relay rate with p99 under --p99-ms, every signal delivered and
                    no error (doubling from --start-rate, then bisecting); the
                    clients stay connected from step to step
  --step-secs N     seconds of traffic per search step (default 3)
  --start-rate N    first total rate tried, messages/s (default 2000)
  --bisect N        bisection steps after the first failing rate (default 3)
  --p99-ms N        the latency bound (default 10)
  --url URL         an external server (ws://host:port/ws) instead of one in process
  --secret S        its token secret (the in-process server uses a fixed one)
  --server-pid PID  the external server's pid, for its memory per connection
  --server-bin PATH start this steadyrtc-server binary as a separate process and
                    measure it (instead of a server in this process)
  --pin             with --server-bin: run the server on CPU 0 and this process on
                    CPU 1 (taskset); without two CPUs or taskset it says so and runs
                    unpinned
  --instances N     in-process servers sharing --redis-url (default 1)
  --redis-url URL   the Redis they share
  -h, --help        this text

The last line of output is `result: {json}` with the same numbers.";

struct Options {
    clients: usize,
    rooms: usize,
    secs: f64,
    rate: f64,
    ack_every: u64,
    find_ceiling: bool,
    step_secs: f64,
    start_rate: f64,
    bisect: u32,
    p99_ms: f64,
    url: Option<String>,
    secret: String,
    server_pid: Option<u32>,
    server_bin: Option<String>,
    pin: bool,
    instances: usize,
    redis_url: Option<String>,
}

fn options() -> Options {
    let mut o = Options {
        clients: 1_000,
        rooms: 0,
        secs: 10.0,
        rate: 10.0,
        ack_every: 32,
        find_ceiling: false,
        step_secs: 3.0,
        start_rate: 2_000.0,
        bisect: 3,
        p99_ms: 10.0,
        url: None,
        secret: "load-test-secret-0123456789".into(),
        server_pid: None,
        server_bin: None,
        pin: false,
        instances: 1,
        redis_url: None,
    };
    let mut args = std::env::args().skip(1);
    let usage_error = |message: String| -> ! {
        eprintln!("load: {message}\n\n{USAGE}");
        std::process::exit(2);
    };
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            "--find-ceiling" => {
                o.find_ceiling = true;
                continue;
            }
            "--pin" => {
                o.pin = true;
                continue;
            }
            "--clients" | "--rooms" | "--secs" | "--rate" | "--ack-every" | "--step-secs"
            | "--start-rate" | "--bisect" | "--p99-ms" | "--url" | "--secret" | "--server-pid"
            | "--server-bin" | "--instances" | "--redis-url" => {}
            other => usage_error(format!("unknown option {other}")),
        }
        let Some(value) = args.next() else {
            usage_error(format!("{flag} needs a value"));
        };
        let number = |what: &str| -> f64 {
            match value.parse::<f64>() {
                Ok(n) if n.is_finite() && n >= 0.0 => n,
                _ => usage_error(format!("{what} takes a number, not {value:?}")),
            }
        };
        match flag.as_str() {
            "--clients" => o.clients = number("--clients") as usize,
            "--rooms" => o.rooms = number("--rooms") as usize,
            "--secs" => o.secs = number("--secs"),
            "--rate" => o.rate = number("--rate"),
            "--ack-every" => o.ack_every = (number("--ack-every") as u64).max(1),
            "--step-secs" => o.step_secs = number("--step-secs"),
            "--start-rate" => o.start_rate = number("--start-rate").max(1.0),
            "--bisect" => o.bisect = number("--bisect") as u32,
            "--p99-ms" => o.p99_ms = number("--p99-ms"),
            "--url" => o.url = Some(value),
            "--secret" => o.secret = value,
            "--server-pid" => o.server_pid = Some(number("--server-pid") as u32),
            "--server-bin" => o.server_bin = Some(value),
            "--instances" => o.instances = number("--instances") as usize,
            "--redis-url" => o.redis_url = Some(value),
            _ => unreachable!("every option with a value is listed above"),
        }
    }
    if o.clients == 0 {
        usage_error("--clients must be at least 1".into());
    }
    if o.rooms == 0 {
        o.rooms = o.clients.div_ceil(10);
    }
    if o.instances > 1 && o.redis_url.is_none() {
        usage_error("--instances needs --redis-url".into());
    }
    if o.url.is_some() && o.server_bin.is_some() {
        usage_error("--url and --server-bin exclude each other".into());
    }
    if o.pin && o.server_bin.is_none() {
        usage_error(
            "--pin needs --server-bin (or pin an external server yourself with taskset)".into(),
        );
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

/// CPU time (user and system) the process `pid` has used, in seconds.
fn cpu_secs(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command name (which may hold spaces), from field 3 on.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    // Clock ticks: 100 per second on Linux (USER_HZ).
    Some((utime + stime) / 100.0)
}

fn now_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

/// Relay latencies of one step: 1 µs buckets up to 50 ms, then 1 ms buckets up to 60 s.
struct Histogram {
    buckets: Vec<AtomicU64>,
}

const FINE_US: u64 = 50_000;
const COARSE_MS: u64 = 60_000;

impl Histogram {
    fn new() -> Self {
        let n = FINE_US + COARSE_MS + 1;
        Self {
            buckets: (0..n).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    fn record(&self, us: u64) {
        let i = if us < FINE_US {
            us
        } else {
            FINE_US + (us / 1_000).min(COARSE_MS)
        };
        self.buckets[i as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// Percentiles (0..=1) in milliseconds, in the order asked; 0 without samples.
    fn percentiles_ms(&self, ps: &[f64]) -> Vec<f64> {
        let counts: Vec<u64> = self
            .buckets
            .iter()
            .map(|b| b.load(Ordering::Relaxed))
            .collect();
        let total: u64 = counts.iter().sum();
        ps.iter()
            .map(|&p| {
                if total == 0 {
                    return 0.0;
                }
                let rank = ((total as f64 * p).ceil() as u64).clamp(1, total);
                let mut seen = 0;
                for (i, c) in counts.iter().enumerate() {
                    seen += c;
                    if seen >= rank {
                        let i = i as u64;
                        return if i < FINE_US {
                            i as f64 / 1_000.0
                        } else {
                            (i - FINE_US) as f64
                        };
                    }
                }
                0.0
            })
            .collect()
    }
}

/// One stretch of traffic at one rate.
struct Step {
    id: u64,
    sent: AtomicU64,
    received: AtomicU64,
    /// Signals of an earlier step that arrived during this one (more than a grace late).
    stale: AtomicU64,
    errors: AtomicU64,
    latency: Histogram,
}

impl Step {
    fn new(id: u64) -> Self {
        Self {
            id,
            sent: AtomicU64::new(0),
            received: AtomicU64::new(0),
            stale: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            latency: Histogram::new(),
        }
    }
}

/// What the clients are told to do.
#[derive(Clone)]
enum Phase {
    /// Connected, acking every frame at once.
    Idle,
    /// Sending `rate` signals per second each until `until`, counting into `step`.
    Send {
        step: Arc<Step>,
        rate: f64,
        until: Instant,
    },
    /// Not sending; what is in flight still counts into `step`.
    Drain { step: Arc<Step> },
    /// Ack everything, close and return.
    Done,
}

/// Counts outside any step (connecting, joining, socket errors).
#[derive(Default)]
struct Totals {
    errors: AtomicU64,
}

/// The few fields of a server frame the clients read on the hot path, borrowed.
#[derive(Deserialize)]
struct Peek<'a> {
    #[serde(borrow, rename = "type")]
    kind: &'a str,
    seq: Option<u64>,
    data: Option<PeekData>,
}

#[derive(Deserialize)]
struct PeekData {
    t: Option<u64>,
    s: Option<u64>,
}

type Sink = futures_util::stream::SplitSink<
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    Message,
>;

async fn send(tx: &mut Sink, message: &ClientMessage) -> bool {
    tx.send(Message::text(message.to_json())).await.is_ok()
}

struct ClientCtx {
    url: String,
    token: String,
    room: String,
    joined: Arc<Barrier>,
    phase: watch::Receiver<Phase>,
    ack_every: u64,
    totals: Arc<Totals>,
}

async fn client(mut c: ClientCtx) {
    // TCP_NODELAY, as browsers do for WebSockets.
    let ws = match tokio_tungstenite::connect_async_with_config(c.url.as_str(), None, true).await {
        Ok((ws, _)) => Some(ws),
        Err(e) => {
            eprintln!("connect failed: {e}");
            c.totals.errors.fetch_add(1, Ordering::Relaxed);
            None
        }
    };
    let Some(ws) = ws else {
        c.joined.wait().await;
        return;
    };
    let (mut tx, mut rx) = ws.split();
    let join = ClientMessage::Join {
        protocol_version: PROTOCOL_VERSION,
        room: c.room.clone(),
        name: "load".into(),
        token: Some(c.token.clone()),
    };
    let _ = send(&mut tx, &join).await;
    let mut peers: Vec<String> = Vec::new();
    let mut last_seq = 0;
    let mut acked = 0;
    // Read until welcome.
    while let Some(Ok(Message::Text(text))) = rx.next().await {
        match ServerMessage::parse_frame(text.as_str()) {
            Ok((seq, ServerMessage::Welcome { peers: present, .. })) => {
                last_seq = seq.unwrap_or(0);
                peers = present.into_iter().map(|p| p.id).collect();
                break;
            }
            Ok((_, ServerMessage::Error { code, message, .. })) => {
                eprintln!("join refused, {code}: {message}");
                c.totals.errors.fetch_add(1, Ordering::Relaxed);
                break;
            }
            _ => {}
        }
    }
    if last_seq > 0 && send(&mut tx, &ClientMessage::Ack { seq: last_seq }).await {
        acked = last_seq;
    }
    c.joined.wait().await;

    let mut phase = c.phase.borrow_and_update().clone();
    let mut tick: Option<tokio::time::Interval> = None;
    let mut open = true;
    while open {
        let sending_until = match &phase {
            Phase::Send { until, .. } if tick.is_some() => Some(*until),
            _ => None,
        };
        tokio::select! {
            changed = c.phase.changed() => {
                if changed.is_err() {
                    break;
                }
                phase = c.phase.borrow_and_update().clone();
                tick = match &phase {
                    Phase::Send { rate, .. } if *rate > 0.0 => {
                        let period = Duration::from_secs_f64(1.0 / rate);
                        // A random offset within the period, so that the clients do not
                        // all send at the same instant.
                        let offset = period.mul_f64(rand::rng().random::<f64>());
                        let mut t = tokio::time::interval_at(Instant::now() + offset, period);
                        t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
                        Some(t)
                    }
                    _ => None,
                };
                if matches!(phase, Phase::Done) {
                    break;
                }
            }
            _ = async { match sending_until { Some(u) => tokio::time::sleep_until(u).await, None => std::future::pending().await } } => {
                tick = None;
            }
            _ = async { match tick.as_mut() { Some(t) => { t.tick().await; } None => std::future::pending().await } } => {
                let to = peers.choose(&mut rand::rng()).cloned();
                let step = match &phase {
                    // A tick that comes late (this task was busy) past the step's end
                    // sends nothing: the driver may have counted the step already.
                    Phase::Send { until, .. } if Instant::now() >= *until => {
                        tick = None;
                        None
                    }
                    Phase::Send { step, .. } => Some(step),
                    _ => None,
                };
                if let (Some(step), Some(to)) = (step, to) {
                    let data = serde_json::json!({
                        "kind": "candidate",
                        "candidate": "candidate:1 1 udp 2122260223 10.0.0.1 5000 typ host",
                        "t": now_micros(),
                        "s": step.id,
                    });
                    let msg = ClientMessage::Signal { to, data };
                    if send(&mut tx, &msg).await {
                        step.sent.fetch_add(1, Ordering::Relaxed);
                    } else {
                        step.errors.fetch_add(1, Ordering::Relaxed);
                        open = false;
                    }
                }
            }
            frame = rx.next() => {
                let text = match frame {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(_)) => continue,
                    Some(Err(_)) | None => {
                        eprintln!("connection lost");
                        c.totals.errors.fetch_add(1, Ordering::Relaxed);
                        if let Phase::Send { step, .. } | Phase::Drain { step } = &phase {
                            step.errors.fetch_add(1, Ordering::Relaxed);
                        }
                        break;
                    }
                };
                // The step as the driver sees it now, not as this task last looked: a
                // signal may arrive before this task has seen its step begin.
                let step = match &*c.phase.borrow() {
                    Phase::Send { step, .. } | Phase::Drain { step } => Some(Arc::clone(step)),
                    _ => None,
                };
                let step = step.as_ref();
                let Ok(peek) = serde_json::from_str::<Peek>(text.as_str()) else {
                    eprintln!("bad frame: {}", text.as_str());
                    c.totals.errors.fetch_add(1, Ordering::Relaxed);
                    continue;
                };
                if let Some(seq) = peek.seq {
                    last_seq = seq;
                }
                match peek.kind {
                    "signal" => {
                        let data = peek.data.unwrap_or(PeekData { t: None, s: None });
                        match (step, data.t, data.s) {
                            (Some(step), Some(t), Some(s)) if s == step.id => {
                                step.latency.record(now_micros().saturating_sub(t));
                                step.received.fetch_add(1, Ordering::Relaxed);
                            }
                            (Some(step), _, _) => { step.stale.fetch_add(1, Ordering::Relaxed); }
                            (None, _, _) => {}
                        }
                    }
                    "ping" => { let _ = send(&mut tx, &ClientMessage::Pong {}).await; }
                    "peerJoined" | "peerLeft" | "error" => {
                        match ServerMessage::parse(text.as_str()) {
                            Ok(ServerMessage::PeerJoined { peer }) => peers.push(peer.id),
                            Ok(ServerMessage::PeerLeft { peer_id, .. }) => peers.retain(|p| *p != peer_id),
                            Ok(ServerMessage::Error { code, message, .. }) => {
                                eprintln!("error frame {code}: {message}");
                                c.totals.errors.fetch_add(1, Ordering::Relaxed);
                                if let Some(step) = step {
                                    step.errors.fetch_add(1, Ordering::Relaxed);
                                }
                            }
                            _ => {}
                        }
                    }
                    _ => {}
                }
                let every = if step.is_some() { c.ack_every } else { 1 };
                if last_seq >= acked + every {
                    acked = last_seq;
                    let _ = send(&mut tx, &ClientMessage::Ack { seq: last_seq }).await;
                }
            }
        }
    }
    if last_seq > acked {
        let _ = send(&mut tx, &ClientMessage::Ack { seq: last_seq }).await;
    }
    let _ = tx.close().await;
}

/// What one step measured.
#[derive(Debug, Clone, Copy)]
struct StepResult {
    offered: f64,
    sent: u64,
    received: u64,
    stale: u64,
    errors: u64,
    relayed_per_sec: f64,
    p50: f64,
    p90: f64,
    p99: f64,
    max: f64,
    /// Server CPU time per relayed message (µs), with a server process to watch.
    cpu_us_per_msg: Option<f64>,
}

impl StepResult {
    fn passes(&self, p99_ms: f64) -> bool {
        self.sent > 0
            && self.errors == 0
            && self.stale == 0
            && self.received == self.sent
            && self.p99 < p99_ms
    }

    fn json(&self) -> String {
        format!(
            r#"{{"offered":{:.0},"sent":{},"received":{},"stale":{},"errors":{},"relayedPerSec":{:.0},"p50":{:.3},"p90":{:.3},"p99":{:.3},"max":{:.3},"serverCpuUsPerMsg":{}}}"#,
            self.offered,
            self.sent,
            self.received,
            self.stale,
            self.errors,
            self.relayed_per_sec,
            self.p50,
            self.p90,
            self.p99,
            self.max,
            self.cpu_us_per_msg
                .map_or("null".to_owned(), |c| format!("{c:.2}"))
        )
    }
}

/// Drives the connected clients through steps.
struct Driver {
    phase: watch::Sender<Phase>,
    clients: usize,
    next_step: u64,
    server_pid: Option<u32>,
}

impl Driver {
    /// `total_rate` signals per second over all clients for `secs`, then a grace of a
    /// second for what is in flight.
    async fn step(&mut self, total_rate: f64, secs: f64) -> StepResult {
        self.next_step += 1;
        let step = Arc::new(Step::new(self.next_step));
        let secs = secs.max(0.1);
        let cpu_before = self.server_pid.and_then(cpu_secs);
        self.phase.send_replace(Phase::Send {
            step: Arc::clone(&step),
            rate: total_rate / self.clients as f64,
            until: Instant::now() + Duration::from_secs_f64(secs),
        });
        tokio::time::sleep(Duration::from_secs_f64(secs)).await;
        self.phase.send_replace(Phase::Drain {
            step: Arc::clone(&step),
        });
        // Wait for what is in flight, up to a second; done early once all arrived.
        let grace = Instant::now() + Duration::from_secs(1);
        while Instant::now() < grace
            && step.received.load(Ordering::Relaxed) < step.sent.load(Ordering::Relaxed)
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.phase.send_replace(Phase::Idle);
        let cpu_after = self.server_pid.and_then(cpu_secs);
        let ps = step.latency.percentiles_ms(&[0.5, 0.9, 0.99, 1.0]);
        let received = step.received.load(Ordering::Relaxed);
        let cpu_us_per_msg = match (cpu_before, cpu_after) {
            (Some(b), Some(a)) if received > 0 => Some((a - b) * 1e6 / received as f64),
            _ => None,
        };
        StepResult {
            offered: total_rate,
            sent: step.sent.load(Ordering::Relaxed),
            received,
            stale: step.stale.load(Ordering::Relaxed),
            errors: step.errors.load(Ordering::Relaxed),
            relayed_per_sec: received as f64 / secs,
            p50: ps[0],
            p90: ps[1],
            p99: ps[2],
            max: ps[3],
            cpu_us_per_msg,
        }
    }
}

fn cpu_text(r: &StepResult) -> String {
    r.cpu_us_per_msg.map_or(String::new(), |c| {
        format!("; server CPU {c:.1} µs per message")
    })
}

fn print_step(r: &StepResult, verdict: &str) {
    println!(
        "  offered {:>7.0}/s: relayed {:>7.0}/s ({} of {}), stale {}, errors {}; latency ms p50 {:.2} p90 {:.2} p99 {:.2} max {:.2}{}{verdict}",
        r.offered, r.relayed_per_sec, r.received, r.sent, r.stale, r.errors, r.p50, r.p90, r.p99, r.max, cpu_text(r)
    );
}

/// Doubling from `start` until a step fails, then bisecting: the highest total rate that
/// passes, the lowest that failed, and every step in order.
async fn find_ceiling(
    driver: &mut Driver,
    o: &Options,
) -> (Option<StepResult>, Option<StepResult>, Vec<StepResult>) {
    let mut steps = Vec::new();
    let mut best: Option<StepResult> = None;
    let mut failed: Option<StepResult> = None;
    let mut rate = o.start_rate;
    let run = |r: StepResult, steps: &mut Vec<StepResult>| {
        let ok = r.passes(o.p99_ms);
        print_step(&r, if ok { "  pass" } else { "  FAIL" });
        steps.push(r);
        ok
    };
    // Doubling (or halving, if the first rate already fails).
    loop {
        let r = driver.step(rate, o.step_secs).await;
        if run(r, &mut steps) {
            best = Some(r);
            if failed.is_some() || rate >= 4_000_000.0 {
                break;
            }
            rate *= 2.0;
        } else {
            failed = Some(r);
            if best.is_some() || rate < 100.0 {
                break;
            }
            rate /= 2.0;
        }
    }
    // Bisection between the best pass and the lowest failure.
    if let (Some(_), Some(_)) = (best, failed) {
        for _ in 0..o.bisect {
            let (Some(lo), Some(hi)) = (best, failed) else {
                break;
            };
            let mid = ((lo.offered + hi.offered) / 2.0).round();
            if mid <= lo.offered || mid >= hi.offered {
                break;
            }
            let r = driver.step(mid, o.step_secs).await;
            if run(r, &mut steps) {
                best = Some(r);
            } else {
                failed = Some(r);
            }
        }
    }
    (best, failed, steps)
}

/// Pins the threads of this process to `cpu` (before the runtime starts its threads).
fn pin_self(cpu: usize) -> bool {
    let pid = std::process::id().to_string();
    Command::new("taskset")
        .args(["-a", "-p", "-c", &cpu.to_string(), &pid])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A steadyrtc-server process of our own, killed when dropped.
struct ServerProcess {
    child: Child,
    url: String,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server_process(
    bin: &str,
    o: &Options,
    cpu: Option<usize>,
) -> Result<ServerProcess, String> {
    let per_room = o.clients.div_ceil(o.rooms) + 1;
    let args: Vec<String> = [
        "--dev",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--token-secret",
        o.secret.as_str(),
        "--max-connections-per-ip",
        &(o.clients * 2).to_string(),
        "--max-peers-per-room",
        &per_room.to_string(),
        "--max-rooms",
        &(o.rooms + 10).to_string(),
        "--rate-per-connection",
        "10000",
        "--burst-per-connection",
        "10000",
        "--rate-per-ip",
        "10000000",
        "--burst-per-ip",
        "10000000",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut command = match cpu {
        Some(cpu) => {
            let mut c = Command::new("taskset");
            c.args(["-c", &cpu.to_string(), bin]);
            c
        }
        None => Command::new(bin),
    };
    let mut child = command
        .args(&args)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start {bin}: {e}"))?;
    let stdout = child.stdout.take();
    let mut server = ServerProcess {
        child,
        url: String::new(),
    };
    let mut line = String::new();
    let read = stdout.map(|out| BufReader::new(out).read_line(&mut line));
    if !matches!(read, Some(Ok(n)) if n > 0) {
        return Err(format!("{bin} said nothing"));
    }
    let Some(addr) = line
        .trim()
        .strip_prefix("steadyrtc-server listening on http://")
    else {
        return Err(format!("{bin} did not start: {line:?}"));
    };
    server.url = format!("ws://{addr}/ws");
    Ok(server)
}

fn main() {
    let mut o = options();
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut pinning = "not pinned".to_owned();
    let mut server_process = None;
    if let Some(bin) = o.server_bin.clone() {
        let pin = o.pin && cpus >= 2;
        let process = start_server_process(&bin, &o, pin.then_some(0)).unwrap_or_else(|e| {
            eprintln!("load: {e}");
            std::process::exit(1);
        });
        if pin && pin_self(1) {
            pinning = "server on CPU 0, clients on CPU 1".into();
        } else if o.pin {
            pinning = format!("not pinned ({cpus} CPU(s) or no taskset)");
        }
        o.server_pid = Some(process.child.id());
        o.url = Some(process.url.clone());
        server_process = Some(process);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run(o, pinning));
    drop(server_process);
}

async fn run(o: Options, pinning: String) {
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
                    max_peers_per_room: o.clients.div_ceil(o.rooms) as u32 + 1,
                    max_rooms: o.rooms as u32 + 10,
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
    let where_ = if o.server_pid.is_some() {
        format!("a server process ({pinning})")
    } else if o.url.is_some() {
        "an external server".to_owned()
    } else {
        "in process (server and clients share this process)".to_owned()
    };
    let rss_before = rss_kib(o.server_pid);
    let keys = TokenKeys::new(o.secret.as_bytes());
    let totals = Arc::new(Totals::default());
    let joined = Arc::new(Barrier::new(o.clients + 1));
    let (phase, phase_rx) = watch::channel(Phase::Idle);
    let mut tasks = Vec::with_capacity(o.clients);
    for i in 0..o.clients {
        let room = format!("load-{}", i % o.rooms);
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
        tasks.push(tokio::spawn(client(ClientCtx {
            url: urls[i % urls.len()].clone(),
            token,
            room,
            joined: joined.clone(),
            phase: phase_rx.clone(),
            ack_every: o.ack_every,
            totals: totals.clone(),
        })));
    }
    joined.wait().await;
    // Let the last peerJoined frames arrive and be acked: the connections are idle.
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    let rss_connected = rss_kib(o.server_pid);
    let per_conn = rss_connected.saturating_sub(rss_before) as f64 / o.clients as f64;
    let memory = format!(
        "memory: RSS {} KiB before, {} KiB with {} idle connections: {:.1} KiB per connection ({})",
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
    let mut driver = Driver {
        phase,
        clients: o.clients,
        next_step: 0,
        server_pid: o.server_pid,
    };
    let result;
    if o.find_ceiling {
        println!(
            "{} clients joined {} rooms, server {where_}; searching the highest relay rate with p99 < {} ms, {} s per step",
            o.clients, o.rooms, o.p99_ms, o.step_secs
        );
        println!("{memory}");
        let (best, failed, steps) = find_ceiling(&mut driver, &o).await;
        let errors = totals.errors.load(Ordering::Relaxed);
        match best {
            Some(b) => println!(
                "ceiling: {:.0} relayed messages/s ({:.0} offered) with p99 {:.2} ms; {} errors outside the steps",
                b.relayed_per_sec, b.offered, b.p99, errors
            ),
            None => println!("ceiling: none: even {:.0} messages/s fails", o.start_rate.min(100.0)),
        }
        if let Some(f) = failed {
            println!(
                "first failing rate: {:.0} offered, p99 {:.2} ms, {} of {} delivered, {} errors",
                f.offered, f.p99, f.received, f.sent, f.errors
            );
        }
        result = format!(
            r#"{{"mode":"ceiling","clients":{},"rooms":{},"server":"{}","p99BoundMs":{},"stepSecs":{},"kibPerConnection":{:.1},"ceiling":{},"failed":{},"steps":[{}],"errors":{}}}"#,
            o.clients,
            o.rooms,
            where_,
            o.p99_ms,
            o.step_secs,
            per_conn,
            best.map_or("null".to_owned(), |b| b.json()),
            failed.map_or("null".to_owned(), |f| f.json()),
            steps
                .iter()
                .map(StepResult::json)
                .collect::<Vec<_>>()
                .join(","),
            errors
        );
    } else {
        println!(
            "{} clients joined {} rooms on {} instance(s), server {where_}; exchanging signals for {} s at {} per client per second",
            o.clients, o.rooms, urls.len(), o.secs, o.rate
        );
        let r = driver.step(o.rate * o.clients as f64, o.secs).await;
        let errors = totals.errors.load(Ordering::Relaxed) + r.errors;
        println!(
            "signals sent {}, relayed and received {}, stale {}, errors {errors}",
            r.sent, r.received, r.stale
        );
        println!(
            "throughput: {:.0} relayed messages/s (over {:.1} s)",
            r.relayed_per_sec, o.secs
        );
        println!(
            "relay latency ms: p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}{}",
            r.p50,
            r.p90,
            r.p99,
            r.max,
            cpu_text(&r)
        );
        println!("{memory}");
        result = format!(
            r#"{{"mode":"run","clients":{},"rooms":{},"server":"{}","rate":{},"kibPerConnection":{:.1},"run":{},"errors":{}}}"#,
            o.clients,
            o.rooms,
            where_,
            o.rate,
            per_conn,
            r.json(),
            errors
        );
    }
    driver.phase.send_replace(Phase::Done);
    for t in tasks {
        let _ = t.await;
    }
    println!("result: {result}");
}
