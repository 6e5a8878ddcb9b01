//! Drain without ending calls: a stopping owner hands each of its rooms (with sessions,
//! outboxes and match queue) to another live instance, which takes them over before the
//! clients come back.
//!
//! This part decides the order that loses nothing: (1) the draining instance stops
//! acting on relayed frames and takes its groups out of its state; (2) it sends each
//! group to a successor (round robin over the live instances); (3) the successor installs
//! it, points the owner and session keys at itself, and confirms; (4) only then are the
//! sockets still relayed to the draining instance closed (`1012`), so their clients'
//! `resume` finds the session on the successor. Without a live successor, or past the
//! time limit, the sessions end with the instance as before.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use super::{
    instance_prefix, instances_key, owner_key, point_at, session_key, Cluster, Envelope, DRAINING,
};
use crate::state::{AppState, GroupSnapshot, Outgoing};

pub async fn hand_over(cluster: &Arc<Cluster>, state: &Arc<AppState>, limit: Duration) {
    cluster.handing_over.store(true, Ordering::Release);
    let (groups, links) = state.take_groups();
    if groups.is_empty() {
        return;
    }
    let successors = match live_successors(cluster).await {
        Ok(list) if !list.is_empty() => list,
        Ok(_) => {
            tracing::warn!(
                groups = groups.len(),
                "no other live instance: the rooms here end with it"
            );
            close(links);
            return;
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot find an instance to hand the rooms to");
            close(links);
            return;
        }
    };
    let names: Vec<String> = groups.iter().map(|g| g.name.clone()).collect();
    for (i, group) in groups.into_iter().enumerate() {
        let to = &successors[i % successors.len()];
        let json = match serde_json::to_string(&group) {
            Ok(json) => json,
            Err(e) => {
                tracing::warn!(group = %group.name, error = %e, "cannot encode a room to hand over");
                continue;
            }
        };
        tracing::info!(group = %group.name, to = %to, sessions = group.sessions.len(), "handing a room over");
        cluster.send(
            state,
            to,
            Envelope::Adopt {
                from: cluster.instance.clone(),
                group: json,
            },
        );
    }
    let all_adopted = async {
        loop {
            let notified = cluster.adopted_notify.notified();
            if names.iter().all(|n| cluster.adopted.lock().contains(n)) {
                return;
            }
            notified.await;
        }
    };
    if tokio::time::timeout(limit, all_adopted).await.is_err() {
        tracing::warn!("not every room was taken over in time");
    }
    close(links);
}

/// Tells every connection that held a moved session to close: their clients resume.
fn close(links: Vec<crate::state::PeerLink>) {
    for link in links {
        if link
            .tx
            .try_send(Outgoing::Close(1012, "signaling instance lost"))
            .is_err()
        {
            link.stop.cancel();
        }
    }
}

/// The other instances whose heartbeat is alive and that are not draining themselves.
async fn live_successors(cluster: &Cluster) -> Result<Vec<String>, super::ClusterError> {
    let mut conn = cluster.conn.clone();
    let mut known: Vec<String> = cluster
        .run(
            redis::cmd("SMEMBERS")
                .arg(instances_key())
                .query_async(&mut conn),
        )
        .await?;
    known.retain(|i| *i != cluster.instance);
    known.sort();
    if known.is_empty() {
        return Ok(known);
    }
    let mut pipe = redis::pipe();
    for i in &known {
        pipe.get(format!("{}{i}", instance_prefix()));
    }
    let beats: Vec<Option<String>> = cluster.run(pipe.query_async(&mut conn)).await?;
    Ok(known
        .into_iter()
        .zip(beats)
        .filter_map(|(i, beat)| beat.is_some_and(|b| b != DRAINING).then_some(i))
        .collect())
}

/// Takes over a group from draining instance `from`: installs it, points its keys here,
/// confirms.
pub fn adopt(cluster: &Arc<Cluster>, state: &Arc<AppState>, from: String, group: String) {
    let group: GroupSnapshot = match serde_json::from_str(&group) {
        Ok(group) => group,
        Err(e) => {
            tracing::warn!(from = %from, error = %e, "skipping a room handed over that cannot be read");
            return;
        }
    };
    let cluster = Arc::clone(cluster);
    let state = Arc::clone(state);
    tokio::spawn(async move {
        let name = group.name.clone();
        let sessions = state.adopt(group);
        tracing::info!(group = %name, from = %from, sessions = sessions.len(), "took a room over");
        let mut pipe = redis::pipe();
        point_at(&mut pipe, owner_key(&name), &cluster.instance);
        for id in &sessions {
            point_at(&mut pipe, session_key(id), &cluster.instance);
        }
        let mut conn = cluster.conn.clone();
        if let Err(e) = cluster.run(pipe.query_async::<()>(&mut conn)).await {
            // The sessions are here; the next key renewal points at them.
            tracing::warn!(group = %name, error = %e, "cannot point the keys at this instance yet");
        }
        cluster.send(&state, &from, Envelope::Adopted { name });
    });
}
