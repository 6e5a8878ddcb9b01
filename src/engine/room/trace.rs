//! Recording and replaying a room: every input and every app command with its time, and
//! the seed. Fed to a fresh engine, a trace gives the identical actions, so a room seen
//! misbehaving in a browser (`room.exportTrace()`) replays under `cargo run --example
//! replay_trace`.

use super::{RoomAction, RoomConfig, RoomEngine, RoomInput};
use crate::engine::adapt::Preference;
use serde::{Deserialize, Serialize};

/// One recorded step: an input, or an app command.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "step",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum RoomStep {
    Input {
        input: Box<RoomInput>,
    },
    Prepare {
        config: Box<RoomConfig>,
    },
    SendChat {
        text: String,
        to: Option<String>,
        #[serde(default)]
        request: u32,
    },
    ReconnectPeer {
        peer_id: String,
    },
    SetQuality {
        preference: Preference,
        peer_id: Option<String>,
    },
    SetRecording {
        active: bool,
        video: Option<String>,
    },
    SetPublish {
        peer_id: String,
        publish: bool,
    },
    RaiseHand {
        raised: bool,
    },
    EndRoom,
    MatchNext,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoomTraceEntry {
    pub at_ms: u64,
    pub step: RoomStep,
}

/// A recorded room.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoomTrace {
    /// What the engine was created with (`prepare` steps may replace it later).
    pub config: RoomConfig,
    pub seed: u64,
    pub entries: Vec<RoomTraceEntry>,
    pub truncated: bool,
}

impl RoomTrace {
    pub(super) fn new(config: RoomConfig, seed: u64) -> Self {
        Self {
            config,
            seed,
            ..Self::default()
        }
    }

    pub(super) fn record(&mut self, at_ms: u64, step: RoomStep) {
        if self.entries.len() >= self.config.trace_capacity {
            self.truncated = true;
        } else {
            self.entries.push(RoomTraceEntry { at_ms, step });
        }
    }
}

/// Why a trace cannot be replayed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplayError {
    Truncated,
}

/// Replays `trace` into a fresh engine: the actions of each step, in order (a refused
/// command gives none, as it did live).
pub fn replay(trace: &RoomTrace) -> Result<Vec<Vec<RoomAction>>, ReplayError> {
    if trace.truncated {
        return Err(ReplayError::Truncated);
    }
    let mut room = RoomEngine::new(trace.config.clone(), trace.seed);
    Ok(trace
        .entries
        .iter()
        .map(|e| match &e.step {
            RoomStep::Input { input } => room.handle(e.at_ms, RoomInput::clone(input)),
            RoomStep::Prepare { config } => room
                .prepare(RoomConfig::clone(config))
                .map(|()| Vec::new())
                .unwrap_or_default(),
            RoomStep::SendChat { text, to, request } => room
                .send_chat(text, to.clone(), *request)
                .unwrap_or_default(),
            RoomStep::ReconnectPeer { peer_id } => {
                room.reconnect_peer(e.at_ms, peer_id).unwrap_or_default()
            }
            RoomStep::SetQuality {
                preference,
                peer_id,
            } => room
                .set_quality(*preference, peer_id.as_deref())
                .unwrap_or_default(),
            RoomStep::SetRecording { active, video } => room
                .set_recording(e.at_ms, *active, video.clone())
                .unwrap_or_default(),
            RoomStep::SetPublish { peer_id, publish } => room
                .set_publish(e.at_ms, peer_id, *publish)
                .unwrap_or_default(),
            RoomStep::RaiseHand { raised } => room.raise_hand(e.at_ms, *raised).unwrap_or_default(),
            RoomStep::EndRoom => room.end_room(e.at_ms).unwrap_or_default(),
            RoomStep::MatchNext => room.match_next(e.at_ms).unwrap_or_default(),
        })
        .collect())
}
