//! The one task that writes the cluster's traffic to Redis: envelopes for other
//! instances and this instance's session keys, in the order they were queued.
//!
//! This part decides the ordering guarantee: everything goes through one queue and one
//! connection, in pipelined batches, so two envelopes to the same instance arrive in the
//! order they were sent (Redis delivers a connection's publishes in order). A publish
//! that fails, or that no subscriber received (the instance is gone or reconnecting),
//! is reported to [`Cluster::publish_failed`]: the relay never drops silently.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::mpsc;

use super::{channel, point_at, session_key, Cluster, Envelope};
use crate::state::AppState;

/// Most commands in one pipeline.
const BATCH: usize = 256;

/// One queued write.
#[derive(Debug)]
pub enum Command {
    Publish { to: String, envelope: Envelope },
    SetSession(String),
    DelSession(String),
}

pub async fn run(cluster: Arc<Cluster>, state: Arc<AppState>, mut rx: mpsc::Receiver<Command>) {
    let mut conn = cluster.conn.clone();
    loop {
        let first = tokio::select! {
            _ = cluster.stop.cancelled() => return,
            next = rx.recv() => match next {
                Some(command) => command,
                None => return,
            },
        };
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(command) => batch.push(command),
                Err(_) => break,
            }
        }
        let mut pipe = redis::pipe();
        for command in &batch {
            match command {
                Command::Publish { to, envelope } => {
                    pipe.publish(channel(to), envelope.to_json());
                }
                Command::SetSession(id) => point_at(&mut pipe, session_key(id), &cluster.instance),
                Command::DelSession(id) => {
                    pipe.del(session_key(id)).ignore();
                }
            }
        }
        let started = Instant::now();
        let result: Result<Vec<i64>, String> =
            match tokio::time::timeout(cluster.timeout, pipe.query_async(&mut conn)).await {
                Ok(Ok(counts)) => Ok(counts),
                Ok(Err(e)) => Err(e.to_string()),
                Err(_) => Err("timed out".into()),
            };
        cluster.redis.record(started.elapsed(), result.is_ok());
        let counts = match result {
            Ok(counts) => counts,
            Err(e) => {
                tracing::warn!(error = %e, commands = batch.len(), "cannot write to Redis; the affected connections will resume");
                Vec::new()
            }
        };
        let mut counts = counts.into_iter();
        for command in batch {
            if let Command::Publish { to, envelope } = command {
                cluster.dequeued(&envelope);
                match counts.next() {
                    Some(receivers) if receivers > 0 => {
                        cluster.relay.sent_total.inc();
                    }
                    _ => cluster.publish_failed(&state, &to, envelope),
                }
            }
        }
    }
}
