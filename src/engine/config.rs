//! The tunables of one peer link's engine, with defaults. Times are milliseconds.

use super::candidates::DEFAULT_CAPACITY;
use super::recovery::RecoveryConfig;
use serde::{Deserialize, Serialize};

/// How long each setup state may last before the engine starts recovering, and how long
/// the whole setup may take before the link fails with reason `timeout`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct StateTimeouts {
    /// Waiting for the first offer to start (ours or the remote's).
    pub initializing_ms: u64,
    /// The first offer/answer exchange.
    pub signaling_ms: u64,
    pub ice_gathering_ms: u64,
    pub ice_exchange_ms: u64,
    /// ICE checks running without `connected`.
    pub connecting_ms: u64,
    /// From `Start` to the first `Connected`; past it the link fails with `timeout`.
    pub setup_ms: u64,
}

impl Default for StateTimeouts {
    fn default() -> Self {
        Self {
            initializing_ms: 10_000,
            signaling_ms: 10_000,
            ice_gathering_ms: 10_000,
            ice_exchange_ms: 10_000,
            connecting_ms: 15_000,
            setup_ms: 30_000,
        }
    }
}

/// Everything a link's engine is configured with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LinkConfig {
    /// Perfect negotiation role, assigned from outside (the server): the polite peer
    /// yields when both offer at once.
    pub polite: bool,
    /// Whether this side sends the first offer. The other side waits for it: its answer
    /// already carries its media, so it does not offer at the same time.
    pub initiator: bool,
    /// Whether this side may send offers at all (a listener without the publish grant
    /// may not: the server refuses its offers, so the remote side renegotiates and
    /// restarts ICE for both).
    pub can_offer: bool,
    pub timeouts: StateTimeouts,
    /// Remote candidates held while waiting for a description.
    pub candidate_capacity: usize,
    /// Signals held while the signaling connection is down.
    pub outbox_capacity: usize,
    pub recovery: RecoveryConfig,
    /// Entries kept in the trace (0 disables recording).
    pub trace_capacity: usize,
    /// When both sides' ICE restarts cross and this (polite) side yields, whether it
    /// restarts ICE again after answering the remote restart. Firefox needs its own
    /// restart to come last: after answering a Chromium restart it can stay `checking`
    /// until it restarts itself (BROWSERS.md), so a Firefox page restarts again and a
    /// Chromium page does not (the driver sets it; on by default).
    pub restart_again_after_yield: bool,
}

impl Default for LinkConfig {
    fn default() -> Self {
        Self {
            polite: false,
            initiator: false,
            can_offer: true,
            timeouts: StateTimeouts::default(),
            candidate_capacity: DEFAULT_CAPACITY,
            outbox_capacity: 512,
            recovery: RecoveryConfig::default(),
            trace_capacity: 4_096,
            restart_again_after_yield: true,
        }
    }
}
