//! The cluster's housekeeping, once a second: this instance's heartbeat (only while it
//! hears its channel), the renewal of the owner keys of its live rooms and queues and of
//! its session keys, and the check that the instances it relays with are alive.
//!
//! This part decides what an instance that vanished (crash, network) costs: after its
//! heartbeat key expires ([`INSTANCE_TTL`]) its rooms can be claimed anew, the sockets
//! proxied to it are closed (their clients resume, find no session and join again), and
//! the connections it proxied here end (their sessions wait for `resume`).

use std::collections::BTreeSet;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::{
    instance_prefix, instances_key, owner_key, point_at, session_key, Cluster, DRAINING,
    HEARTBEAT_EVERY, INSTANCE_TTL,
};
use crate::state::AppState;

/// Renew the owner and session keys every this many heartbeats.
const RENEW_EVERY: u32 = 5;

pub async fn run(cluster: Arc<Cluster>, state: Arc<AppState>) {
    let mut tick = tokio::time::interval(HEARTBEAT_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut round: u32 = 0;
    let mut renewed_for = 0;
    loop {
        tokio::select! {
            _ = cluster.stop.cancelled() => break,
            _ = tick.tick() => {}
        }
        if !cluster.subscribed.load(Ordering::Acquire) {
            continue;
        }
        // After a (re)subscription, e.g. Redis restarted empty: the owner keys of the
        // rooms held here come back before this instance says it is alive, so a join on
        // another instance finds them instead of opening the room a second time.
        let generation = cluster.generation.load(Ordering::Acquire);
        let due = generation != renewed_for || round % RENEW_EVERY == 0;
        if due && renew(&cluster, &state).await {
            renewed_for = generation;
        }
        if renewed_for == cluster.generation.load(Ordering::Acquire) {
            heartbeat(&cluster, state.shutdown.is_cancelled()).await;
        }
        round = round.wrapping_add(1);
        check_peers(&cluster, &state).await;
    }
    // Leaving: others stop routing here at once instead of after the heartbeat expires.
    let mut conn = cluster.conn.clone();
    let key = format!("{}{}", instance_prefix(), cluster.instance);
    let _ = cluster
        .run(redis::cmd("DEL").arg(key).query_async::<i64>(&mut conn))
        .await;
}

/// This instance is alive (`1`), or alive and draining (`draining`: it still relays, but
/// no room is handed to it).
pub(super) async fn heartbeat(cluster: &Cluster, draining: bool) {
    let mut conn = cluster.conn.clone();
    let key = format!("{}{}", instance_prefix(), cluster.instance);
    let mut pipe = redis::pipe();
    pipe.cmd("SET")
        .arg(key)
        .arg(if draining { DRAINING } else { "1" })
        .arg("PX")
        .arg(INSTANCE_TTL.as_millis() as u64)
        .ignore();
    pipe.sadd(instances_key(), &cluster.instance).ignore();
    if let Err(e) = cluster.run(pipe.query_async::<()>(&mut conn)).await {
        tracing::debug!(error = %e, "cannot renew this instance's heartbeat");
    }
}

/// Renews the owner and session keys; false if Redis did not take them.
async fn renew(cluster: &Cluster, state: &AppState) -> bool {
    let (rooms, sessions) = state.cluster_keys();
    if rooms.is_empty() && sessions.is_empty() {
        return true;
    }
    let mut pipe = redis::pipe();
    for room in &rooms {
        point_at(&mut pipe, owner_key(room), &cluster.instance);
    }
    for id in &sessions {
        point_at(&mut pipe, session_key(id), &cluster.instance);
    }
    let mut conn = cluster.conn.clone();
    match cluster.run(pipe.query_async::<()>(&mut conn)).await {
        Ok(()) => true,
        Err(e) => {
            tracing::debug!(error = %e, "cannot renew owner and session keys");
            false
        }
    }
}

/// Ends the relays with instances whose heartbeat expired.
async fn check_peers(cluster: &Cluster, state: &Arc<AppState>) {
    let mut peers: BTreeSet<String> = cluster
        .proxied
        .lock()
        .values()
        .map(|p| p.owner.clone())
        .collect();
    peers.extend(cluster.hosted.lock().keys().map(|(proxy, _)| proxy.clone()));
    if peers.is_empty() {
        return;
    }
    let mut pipe = redis::pipe();
    for peer in &peers {
        pipe.exists(format!("{}{}", instance_prefix(), peer));
    }
    let mut conn = cluster.conn.clone();
    let Ok(alive) = cluster.run(pipe.query_async::<Vec<bool>>(&mut conn)).await else {
        return; // Redis itself is away: the subscriber handles that
    };
    for (peer, alive) in peers.iter().zip(alive) {
        if alive {
            continue;
        }
        tracing::warn!(instance = %peer, "an instance vanished; ending the connections relayed with it");
        let proxied: Vec<u64> = cluster
            .proxied
            .lock()
            .iter()
            .filter(|(_, p)| &p.owner == peer)
            .map(|(conn, _)| *conn)
            .collect();
        for conn in proxied {
            cluster.close_proxied(conn);
        }
        let hosted: Vec<u64> = cluster
            .hosted
            .lock()
            .keys()
            .filter(|(proxy, _)| proxy == peer)
            .map(|(_, conn)| *conn)
            .collect();
        for conn in hosted {
            super::hosted::end(cluster, state, peer, conn);
        }
    }
}
