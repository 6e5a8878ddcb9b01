//! What this instance holds, as the other instances of a cluster see it: the sessions
//! that `resume` elsewhere must be routed to, and the rooms and match queues whose owner
//! keys it renews. Read-only views; the cluster decides what to do with them.

use super::AppState;

impl AppState {
    /// Whether session `session_id` lives on this instance.
    pub fn has_session(&self, session_id: &str) -> bool {
        self.hub().by_session_id.contains_key(session_id)
    }

    /// What this instance owns in the cluster: the rooms with members and the match
    /// queues with sessions (their owner keys), and its session ids.
    pub fn cluster_keys(&self) -> (Vec<String>, Vec<String>) {
        let hub = self.hub();
        let mut rooms: Vec<String> = hub
            .sessions
            .keys()
            .filter_map(|peer| hub.rooms.room_of(peer).map(str::to_owned))
            .chain(hub.sessions.values().filter_map(|s| s.lobby.clone()))
            .collect();
        rooms.sort();
        rooms.dedup();
        let sessions = hub.by_session_id.keys().cloned().collect();
        (rooms, sessions)
    }
}
