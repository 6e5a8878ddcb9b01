//! The room's side of each link's quality: the sampling timer per link, and what the
//! scores lead to in a room (reports to the server, the adaptation ladder). Scoring, the
//! `quality` event and the stall/flow verdicts are [`LinkQuality`]'s, shared with `Peer`.

use super::{RoomAction, RoomEngine, RoomEvent, RoomTimer};
use crate::engine::adapt::{Adapter, Change, Observation, Preference, Rung};
use crate::engine::link_quality::{LinkQuality, SampleIntervals};
use crate::engine::quality::Quality;
use crate::engine::stats::StatsSample;
use crate::engine::types::ConnState;

impl RoomEngine {
    /// A new link to `id` starts being sampled, from scratch.
    pub(super) fn start_sampling(&mut self, id: &str) {
        let preference = self.preference;
        let presets = self.presets_in_force();
        let mut pinned = None;
        if let Some(remote) = self.peers.get_mut(id) {
            remote.quality = LinkQuality::default();
            remote.link_state = ConnState::Initializing;
            remote.adapter = Adapter::new();
            pinned = remote.adapter.set_preference(preference);
            pinned = remote.adapter.set_presets(presets).or(pinned);
        }
        if let Some(change) = pinned {
            self.apply_change(id, change);
        }
        self.schedule(
            RoomTimer::Stats {
                peer_id: id.to_owned(),
            },
            self.cfg.stats_interval_ms,
        );
    }

    pub(super) fn stop_sampling(&mut self, id: &str) {
        self.cancel(RoomTimer::Stats {
            peer_id: id.to_owned(),
        });
    }

    pub(super) fn sample_due(&mut self, id: &str) {
        let Some(remote) = self.peers.get(id) else {
            return;
        };
        if !remote.link_open {
            return;
        }
        let next = self.intervals().next(remote.link_state);
        self.out.push(RoomAction::SampleStats {
            peer_id: id.to_owned(),
        });
        self.schedule(
            RoomTimer::Stats {
                peer_id: id.to_owned(),
            },
            next,
        );
    }

    fn intervals(&self) -> SampleIntervals {
        SampleIntervals {
            normal_ms: self.cfg.stats_interval_ms,
            recovering_ms: self.cfg.stats_interval_recovering_ms,
        }
    }

    pub(super) fn stats(&mut self, id: &str, epoch: u32, sample: StatsSample) {
        let now = self.now;
        let Some(remote) = self.peers.get_mut(id) else {
            return;
        };
        if remote.epoch != epoch || !remote.link_open {
            return self.ignored("stats", "from a link that was replaced");
        }
        let state = remote.link_state;
        let Some(scored) = remote.quality.push(now, id, sample, state) else {
            return;
        };
        if let Some(event) = scored.event {
            self.emit(event);
        }
        let q = scored.quality;
        self.report_quality(id, q.score);
        if state == ConnState::Connected && !q.path_silent {
            self.adapt(id, &q);
        }
        if state == ConnState::Connected && q.video_undecodable {
            self.ask_key_frame(id);
        }
        if let Some(input) = scored.link_input {
            self.out.push(RoomAction::LinkInput {
                peer_id: id.to_owned(),
                input,
            });
        }
    }
}

impl RoomEngine {
    /// Feeds the link's adapter what the last interval showed about what we send.
    fn adapt(&mut self, id: &str, q: &Quality) {
        let kinds = [q.audio.as_ref(), q.video.as_ref()];
        let observation = Observation {
            at_ms: self.now,
            loss_pct: q.outbound_loss_pct,
            rtt_ms: q.rtt_ms,
            jitter_ms: kinds
                .iter()
                .flatten()
                .map(|m| m.jitter_ms)
                .fold(0.0, f64::max),
            bandwidth_limited: q.quality_limitation_reason.as_deref() == Some("bandwidth"),
            cpu_limited: q.quality_limitation_reason.as_deref() == Some("cpu"),
            available_outgoing_bps: q.available_outgoing_kbps.map(|k| k * 1000.0),
            sending_bps: Some(
                kinds
                    .iter()
                    .flatten()
                    .map(|m| m.bitrate_out_kbps * 1000.0)
                    .sum(),
            ),
        };
        let Some(remote) = self.peers.get_mut(id) else {
            return;
        };
        if let Some(change) = remote.adapter.observe(&observation) {
            self.apply_change(id, change);
        }
    }

    /// Applies a new rung to the link to `id`, tells the app, and tells the remote when
    /// video pauses or resumes.
    pub(super) fn apply_change(&mut self, id: &str, change: Change) {
        let video_changed = (change.from == Rung::AudioOnly) != (change.to == Rung::AudioOnly);
        self.out.push(RoomAction::SetEncoding {
            peer_id: id.to_owned(),
            encoding: change.encoding.clone(),
        });
        self.emit(RoomEvent::QualityLevelChange {
            peer_id: id.to_owned(),
            from: change.from,
            to: change.to,
            trigger: change.trigger,
            reason: change.reason,
        });
        if video_changed {
            let paused = change.to == Rung::AudioOnly;
            let reason = if change.trigger == crate::engine::adapt::Trigger::Preference {
                "preference"
            } else {
                "poorConnection"
            };
            if let Some(remote) = self.peers.get_mut(id) {
                remote.sent_paused = paused.then(|| reason.to_owned());
            }
            self.send_media_state(id);
        }
    }

    /// What caps every link's ladder: what the browser says, or the app's
    /// `adaptive: {preset}` in its place.
    fn presets_in_force(&self) -> crate::engine::adapt::Presets {
        crate::engine::adapt::Presets {
            forced: self.cfg.preset,
            ..self.presets.clone()
        }
    }

    /// New device and network conditions: every link's ladder is capped by them.
    pub(super) fn set_presets(&mut self, presets: crate::engine::adapt::Presets) {
        self.presets = presets;
        let presets = self.presets_in_force();
        let ids: Vec<String> = self
            .peers
            .iter()
            .filter(|(_, r)| r.link_open)
            .map(|(id, _)| id.clone())
            .collect();
        for id in ids {
            let change = self
                .peers
                .get_mut(&id)
                .and_then(|r| r.adapter.set_presets(presets.clone()));
            if let Some(change) = change {
                self.apply_change(&id, change);
            }
        }
    }

    /// The app's quality choice, for every link or for the one to `peer_id`.
    pub fn set_quality(
        &mut self,
        preference: Preference,
        peer_id: Option<&str>,
    ) -> Result<Vec<RoomAction>, crate::error::SteadyError> {
        let step = super::trace::RoomStep::SetQuality {
            preference,
            peer_id: peer_id.map(str::to_owned),
        };
        self.trace.record(self.now, step);
        if self.is_over() {
            return Err(crate::error::SteadyError::room_closed());
        }
        let ids: Vec<String> = match peer_id {
            Some(id) if self.peers.contains_key(id) => vec![id.to_owned()],
            Some(id) => {
                return Err(crate::error::SteadyError::new(
                    crate::error::ErrorCode::InvalidArgument,
                    format!("no peer {id:?} in the room"),
                ))
            }
            None => {
                self.preference = preference;
                self.peers.keys().cloned().collect()
            }
        };
        for id in ids {
            let Some(remote) = self.peers.get_mut(&id) else {
                continue;
            };
            let change = remote.adapter.set_preference(preference);
            if let (Some(change), true) = (change, remote.link_open) {
                self.apply_change(&id, change);
            }
        }
        Ok(std::mem::take(&mut self.out))
    }
}
