//! The task that hears this instance's channel (`steadyrtc:bus:<instance>`) and hands
//! each envelope to [`Cluster::receive`], in the order Redis delivered them.
//!
//! This part decides what a broken subscription means: Redis pub/sub keeps nothing for
//! a subscriber that is away, so the moment the stream ends every relayed connection is
//! presumed to have lost messages ([`Cluster::relay_lost`]); then it reconnects with a
//! bounded backoff. It never panics on a payload: an envelope it cannot read is logged
//! and skipped.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;

use super::{channel, Cluster, Envelope};
use crate::state::AppState;

const BACKOFF_MIN: Duration = Duration::from_millis(100);
const BACKOFF_MAX: Duration = Duration::from_secs(2);

pub async fn run(cluster: Arc<Cluster>, state: Arc<AppState>) {
    let mut backoff = BACKOFF_MIN;
    loop {
        let subscribed = async {
            let mut pubsub = cluster.client.get_async_pubsub().await?;
            pubsub.subscribe(channel(&cluster.instance)).await?;
            Ok::<_, redis::RedisError>(pubsub)
        };
        let pubsub = tokio::select! {
            _ = cluster.stop.cancelled() => return,
            result = tokio::time::timeout(cluster.timeout, subscribed) => result,
        };
        let pubsub = match pubsub {
            Ok(Ok(pubsub)) => pubsub,
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "cannot subscribe to the cluster channel yet");
                sleep_or_stop(&cluster, &mut backoff).await;
                continue;
            }
            Err(_) => {
                tracing::debug!("subscribing to the cluster channel timed out");
                sleep_or_stop(&cluster, &mut backoff).await;
                continue;
            }
        };
        backoff = BACKOFF_MIN;
        cluster.generation.fetch_add(1, Ordering::AcqRel);
        cluster.subscribed.store(true, Ordering::Release);
        tracing::info!(instance = %cluster.instance, "listening on the cluster channel");
        let (mut sink, mut stream) = pubsub.split();
        // A subscription whose connection died may never say so: a PING every
        // heartbeat proves it alive.
        let mut probe = tokio::time::interval(super::HEARTBEAT_EVERY);
        probe.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let message = tokio::select! {
                _ = cluster.stop.cancelled() => return,
                message = stream.next() => message,
                _ = probe.tick() => {
                    let pong = tokio::time::timeout(cluster.timeout, sink.ping::<redis::Value>()).await;
                    if matches!(pong, Ok(Ok(_))) {
                        continue;
                    }
                    break;
                }
            };
            let Some(message) = message else { break };
            let payload: String = match message.get_payload() {
                Ok(payload) => payload,
                Err(e) => {
                    tracing::warn!(error = %e, "skipping a cluster message that is not text");
                    continue;
                }
            };
            match Envelope::parse(&payload) {
                Some(envelope) => cluster.receive(&state, envelope),
                None => tracing::warn!(
                    len = payload.len(),
                    "skipping an unreadable cluster message"
                ),
            }
        }
        cluster.subscribed.store(false, Ordering::Release);
        tracing::warn!("lost the cluster channel; relayed connections will resume");
        cluster.relay_lost(&state);
        sleep_or_stop(&cluster, &mut backoff).await;
    }
}

async fn sleep_or_stop(cluster: &Cluster, backoff: &mut Duration) {
    tokio::select! {
        _ = cluster.stop.cancelled() => {}
        _ = tokio::time::sleep(*backoff) => {}
    }
    *backoff = (*backoff * 2).min(BACKOFF_MAX);
}
