//! The room's side of each peer link: opening and closing links, relaying their signals
//! with the link epoch, reading their reports, and executing recovery above ICE restart
//! (signaling reset, full reconnect, rebuilding a failed link with backoff).

use super::LinkReport;
use super::{Episode, RecoveryPhase, RoomAction, RoomEngine, RoomEvent, RoomTimer};
use crate::engine::recovery::RecoveryLevel;
use crate::engine::session::{SessionInput, SessionState};
use crate::engine::types::{ConnState, Input};
use crate::engine::LinkConfig;
use crate::error::{ErrorCode, SteadyError};
use steadyrtc_protocol::{ClientMessage, SignalData, SignalEnvelope};

impl RoomEngine {
    /// Builds the link to `id` at its current epoch.
    pub(super) fn open_link(&mut self, id: &str, initiator: bool) {
        let Some(remote) = self.peers.get_mut(id) else {
            return;
        };
        remote.link_open = true;
        let config = LinkConfig {
            polite: remote.info.polite,
            initiator,
            can_offer: self.me.can_publish,
            ..self.cfg.link.clone()
        };
        let epoch = remote.epoch;
        self.out.push(RoomAction::OpenLink {
            peer_id: id.to_owned(),
            epoch,
            config,
            ice_servers: self.ice_servers.clone(),
        });
        if !self.online {
            self.link_input(id, Input::NetworkOnline { online: false });
        }
        if !self.visible {
            self.link_input(id, Input::PageVisible { visible: false });
        }
        if self.session.state() != SessionState::Connected && self.phase == super::Phase::Joined {
            self.link_input(id, Input::SignalingDown);
        }
        self.link_input(id, Input::Start);
        self.start_sampling(id);
        self.announce_media(id);
    }

    pub(super) fn close_link(&mut self, id: &str) {
        if let Some(remote) = self.peers.get_mut(id) {
            if std::mem::replace(&mut remote.link_open, false) {
                self.out.push(RoomAction::CloseLink {
                    peer_id: id.to_owned(),
                });
            }
        }
        self.stop_sampling(id);
    }

    fn link_input(&mut self, id: &str, input: Input) {
        self.out.push(RoomAction::LinkInput {
            peer_id: id.to_owned(),
            input,
        });
    }

    pub(super) fn link_report(&mut self, id: &str, epoch: u32, report: LinkReport) {
        if self.phase != super::Phase::Joined {
            return;
        }
        let Some(remote) = self.peers.get(id) else {
            return self.ignored("link report", "from a peer no longer in the room");
        };
        if remote.epoch != epoch || !remote.link_open {
            return self.ignored("link report", "from a link that was replaced");
        }
        match report {
            LinkReport::State { to, reason, .. } => self.link_state(id, to, &reason),
            LinkReport::Escalate { level, attempt } => self.escalate(id, level, attempt),
            LinkReport::Signal { data } => self.send_signal(id, data, epoch),
            LinkReport::Error { message } => {
                let err = SteadyError::new(ErrorCode::BrowserError, message);
                self.emit(RoomEvent::error(&err, Some(id)));
            }
            LinkReport::Message { text, binary } => self.emit(RoomEvent::Message {
                peer_id: id.to_owned(),
                text,
                binary,
            }),
            LinkReport::Track { kind, stream_id } => {
                let source = self.track_source(id, &kind, stream_id.as_deref());
                self.emit(RoomEvent::Track {
                    peer_id: id.to_owned(),
                    kind,
                    source,
                })
            }
        }
    }

    /// A link state, as the app should see it: a link being rebuilt stays `reconnecting`
    /// through its new setup, and a failure is the room's to retry while the peer is here.
    fn link_state(&mut self, id: &str, to: ConnState, reason: &str) {
        let Some(remote) = self.peers.get_mut(id) else {
            return;
        };
        let was = std::mem::replace(&mut remote.link_state, to);
        let in_episode = remote.episode.is_some();
        // The same connection is back: the remote's decoder needs a key frame.
        let back = was == ConnState::Reconnecting && to == ConnState::Connected;
        match to {
            ConnState::Connected => {
                // Back by itself: a rebuild waiting for signaling is no longer wanted.
                remote.rebuild_pending = false;
                self.cancel(RoomTimer::Rebuild {
                    peer_id: id.to_owned(),
                });
                let now = self.now;
                match self.peers.get_mut(id).and_then(|r| r.episode.as_mut()) {
                    Some(ep) if self.cfg.recovered_hold_ms > 0 => {
                        ep.back_at = Some(now);
                        let hold = self.cfg.recovered_hold_ms;
                        self.schedule(
                            RoomTimer::Recovered {
                                peer_id: id.to_owned(),
                            },
                            hold,
                        );
                    }
                    Some(ep) => {
                        ep.back_at = Some(now);
                        self.recovered(id);
                    }
                    None => self.show(id, ConnState::Connected, reason),
                }
            }
            ConnState::Reconnecting if in_episode => {
                // Dropped again before its recovery was told: the episode goes on.
                self.not_back(id);
                self.show(id, ConnState::Reconnecting, reason);
            }
            ConnState::Reconnecting => {
                if !in_episode {
                    self.start_episode(id, RecoveryLevel::IceRestart);
                    self.emit(RoomEvent::Recovery {
                        peer_id: id.to_owned(),
                        phase: RecoveryPhase::Attempt,
                        level: RecoveryLevel::IceRestart,
                        attempt: 1,
                        elapsed_ms: 0,
                    });
                }
                self.show(id, ConnState::Reconnecting, reason);
            }
            ConnState::Failed | ConnState::Closed => {
                self.not_back(id);
                if !in_episode {
                    self.start_episode(id, RecoveryLevel::FullReconnect);
                }
                self.show(id, ConnState::Reconnecting, reason);
                self.schedule_rebuild(id);
            }
            setup => {
                if !in_episode {
                    self.show(id, setup, reason);
                }
            }
        }
        if back {
            self.force_key_frame(id);
            self.play_out_now(id);
        }
    }

    fn start_episode(&mut self, id: &str, level: RecoveryLevel) {
        let Some(remote) = self.peers.get_mut(id) else {
            return;
        };
        if remote.episode.is_some() {
            return;
        }
        remote.episode = Some(Episode {
            since: self.now,
            level,
            back_at: None,
        });
        remote.rebuilds = 0;
        self.schedule(
            RoomTimer::GiveUp {
                peer_id: id.to_owned(),
            },
            self.cfg.rebuild_budget_ms,
        );
    }

    /// The link came back `recoveredHoldMs` ago and held: the episode ends.
    pub(super) fn recovery_held(&mut self, id: &str) {
        let back = self
            .peers
            .get(id)
            .and_then(|r| r.episode)
            .is_some_and(|ep| ep.back_at.is_some());
        if !back {
            return self.ignored("recovered", "that link is not back");
        }
        self.recovered(id);
    }

    /// Ends the episode of the link to `id`, which is back: the app hears `recovered`,
    /// with the time it took until the link came back.
    fn recovered(&mut self, id: &str) {
        let Some(remote) = self.peers.get_mut(id) else {
            return;
        };
        let Some(ep) = remote.episode.take() else {
            return;
        };
        remote.rebuilds = 0;
        self.cancel_recovery_timers(id);
        let elapsed_ms = ep.back_at.unwrap_or(self.now).saturating_sub(ep.since);
        self.show(id, ConnState::Connected, "recovered");
        self.emit(RoomEvent::Recovery {
            peer_id: id.to_owned(),
            phase: RecoveryPhase::Recovered,
            level: ep.level,
            attempt: 0,
            elapsed_ms,
        });
    }

    /// Cancels every recovery timer of the link to `id`: its next rebuild, its episode's
    /// deadline and the hold before a recovery is told.
    pub(super) fn cancel_recovery_timers(&mut self, id: &str) {
        let peer_id = || id.to_owned();
        self.cancel(RoomTimer::Rebuild { peer_id: peer_id() });
        self.cancel(RoomTimer::GiveUp { peer_id: peer_id() });
        self.cancel(RoomTimer::Recovered { peer_id: peer_id() });
    }

    /// The link to `id` is not back after all (dropped again while its recovery waited
    /// to be told).
    fn not_back(&mut self, id: &str) {
        if let Some(ep) = self.peers.get_mut(id).and_then(|r| r.episode.as_mut()) {
            ep.back_at = None;
        }
        self.cancel(RoomTimer::Recovered {
            peer_id: id.to_owned(),
        });
    }

    /// The episode's time is up (`rebuildBudgetMs` since the link was lost): whatever
    /// step is under way, the link is given up (unless it is back and only waits to be
    /// told).
    pub(super) fn recovery_deadline(&mut self, id: &str) {
        let Some(ep) = self.peers.get(id).and_then(|r| r.episode) else {
            return self.ignored("giveUp", "that link is not recovering");
        };
        if ep.back_at.is_some() {
            return self.recovered(id);
        }
        self.cancel(RoomTimer::Rebuild {
            peer_id: id.to_owned(),
        });
        if let Some(remote) = self.peers.get_mut(id) {
            remote.rebuild_pending = false;
        }
        let elapsed = self.elapsed(id);
        self.give_up(id, elapsed);
    }

    fn raise_level(&mut self, id: &str, level: RecoveryLevel) {
        if let Some(ep) = self.peers.get_mut(id).and_then(|r| r.episode.as_mut()) {
            ep.level = ep.level.max(level);
        }
    }

    /// Tells the app about a state change, once.
    fn show(&mut self, id: &str, to: ConnState, reason: &str) {
        let Some(remote) = self.peers.get_mut(id) else {
            return;
        };
        if remote.shown == to {
            return;
        }
        let from = std::mem::replace(&mut remote.shown, to);
        self.report_state(id, to, reason);
        self.emit(RoomEvent::StateChange {
            peer_id: id.to_owned(),
            from,
            to,
            reason: reason.to_owned(),
        });
    }

    fn escalate(&mut self, id: &str, level: RecoveryLevel, attempt: u32) {
        self.start_episode(id, level);
        self.raise_level(id, level);
        let elapsed_ms = self.elapsed(id);
        self.emit(RoomEvent::Recovery {
            peer_id: id.to_owned(),
            phase: RecoveryPhase::Attempt,
            level,
            attempt,
            elapsed_ms,
        });
        match level {
            RecoveryLevel::IceRestart => {}
            RecoveryLevel::SignalingReset => self.reset_signaling(),
            RecoveryLevel::FullReconnect => self.rebuild(id),
        }
    }

    fn elapsed(&self, id: &str) -> u64 {
        self.peers
            .get(id)
            .and_then(|r| r.episode)
            .map_or(0, |ep| self.now.saturating_sub(ep.since))
    }

    /// Replaces the socket and resumes the session (the link's own ICE restart then goes
    /// out on the new socket). At most once per `resetMinIntervalMs`: one reset serves
    /// every link.
    fn reset_signaling(&mut self) {
        if self.session.state() != SessionState::Connected {
            return; // already reconnecting
        }
        if self
            .last_reset_at
            .is_some_and(|t| self.now.saturating_sub(t) < self.cfg.reset_min_interval_ms)
        {
            return self.ignored("signalingReset", "a reset happened moments ago");
        }
        self.last_reset_at = Some(self.now);
        self.run_session(SessionInput::Reset);
    }

    /// Schedules the next rebuild of the link to `id`, or gives up past the budget.
    fn schedule_rebuild(&mut self, id: &str) {
        let elapsed = self.elapsed(id);
        if elapsed >= self.cfg.rebuild_budget_ms {
            return self.give_up(id, elapsed);
        }
        let n = self.peers.get(id).map_or(1, |r| r.rebuilds + 1);
        let delay = self.rebuild_delay(n);
        self.schedule(
            RoomTimer::Rebuild {
                peer_id: id.to_owned(),
            },
            delay,
        );
    }

    fn give_up(&mut self, id: &str, elapsed_ms: u64) {
        self.close_link(id);
        let level = self
            .peers
            .get(id)
            .and_then(|r| r.episode)
            .map_or(RecoveryLevel::FullReconnect, |e| e.level);
        if let Some(remote) = self.peers.get_mut(id) {
            remote.episode = None;
        }
        self.cancel_recovery_timers(id);
        let reason = format!("recoveryExhausted: not connected again within {elapsed_ms} ms");
        self.show(id, ConnState::Failed, &reason);
        self.emit(RoomEvent::Recovery {
            peer_id: id.to_owned(),
            phase: RecoveryPhase::GaveUp,
            level,
            attempt: 0,
            elapsed_ms,
        });
    }

    /// A full reconnect of the link to `id`: close it and build a new one at the next
    /// epoch, offering if we may (else asking the other side to offer). Waits for
    /// signaling when it is down.
    pub(super) fn rebuild(&mut self, id: &str) {
        self.cancel(RoomTimer::Rebuild {
            peer_id: id.to_owned(),
        });
        let Some(remote) = self.peers.get_mut(id) else {
            return;
        };
        if self.session.state() != SessionState::Connected {
            remote.rebuild_pending = true;
            return;
        }
        remote.rebuild_pending = false;
        // A new episode counts its rebuilds from this one.
        self.start_episode(id, RecoveryLevel::FullReconnect);
        let Some(remote) = self.peers.get_mut(id) else {
            return;
        };
        remote.epoch = remote.epoch.wrapping_add(1);
        remote.rebuilds += 1;
        let (epoch, attempt) = (remote.epoch, remote.rebuilds);
        self.not_back(id);
        self.raise_level(id, RecoveryLevel::FullReconnect);
        self.show(id, ConnState::Reconnecting, "fullReconnect");
        self.close_link(id);
        let can_publish = self.me.can_publish;
        self.open_link(id, can_publish);
        if !can_publish {
            self.send_signal(id, SignalData::Reconnect, epoch);
        }
        let elapsed_ms = self.elapsed(id);
        self.emit(RoomEvent::Recovery {
            peer_id: id.to_owned(),
            phase: RecoveryPhase::Attempt,
            level: RecoveryLevel::FullReconnect,
            attempt,
            elapsed_ms,
        });
    }

    /// Sends `data` to `id` as a `signal`, about its link at `epoch`.
    pub(super) fn send_signal(&mut self, id: &str, data: SignalData, epoch: u32) {
        self.out.push(RoomAction::Send {
            message: ClientMessage::Signal {
                to: id.to_owned(),
                data: SignalEnvelope { data, epoch }.to_value(),
            },
        });
    }

    /// Signaling is up again: rebuilds that waited for it go now, and every link whose
    /// recovery waits on a backoff retries at once (its ICE restart can be signaled now).
    pub(super) fn signaling_back(&mut self) {
        self.all_links(Input::RetryNow);
        let pending: Vec<String> = self
            .peers
            .iter()
            .filter(|(_, r)| r.rebuild_pending)
            .map(|(id, _)| id.clone())
            .collect();
        for id in pending {
            self.rebuild(&id);
        }
    }

    /// A `signal` from `from`: dropped when it belongs to an older epoch; a newer epoch
    /// means the other side rebuilt its connection, so we rebuild ours to match.
    pub(super) fn signal_from(&mut self, from: &str, data: serde_json::Value) {
        let envelope = match SignalEnvelope::from_value(&data) {
            Ok(e) => e,
            Err(e) => {
                return self.ignored("signal", &format!("malformed payload from {from}: {e}"))
            }
        };
        let Some(remote) = self.peers.get_mut(from) else {
            return self.ignored("signal", "from a peer not in the room");
        };
        let current = remote.epoch;
        if envelope.epoch < current {
            return self.ignored(
                "signal",
                &format!(
                    "epoch {} is older than the link's {current}",
                    envelope.epoch
                ),
            );
        }
        if let SignalData::MediaState {
            video_paused,
            reason,
            camera,
            microphone,
            screen,
        } = envelope.data
        {
            if envelope.epoch == current {
                self.media_state_from(from, video_paused, reason, camera, microphone, screen);
            }
            return;
        }
        if envelope.data == SignalData::KeyFrame {
            if envelope.epoch == current {
                self.force_key_frame(from);
            }
            return;
        }
        let reconnect = envelope.data == SignalData::Reconnect;
        if (envelope.epoch > remote.epoch || (reconnect && !remote.link_open))
            && std::mem::take(&mut remote.renewing)
        {
            // The peer renews its link after its role changed (`renew_links`): a new
            // connection, not a recovery of a lost one.
            remote.epoch = envelope.epoch;
            self.close_link(from);
            let initiator = reconnect && self.me.can_publish;
            self.open_link(from, initiator);
        } else if envelope.epoch > remote.epoch || (reconnect && !remote.link_open) {
            remote.epoch = envelope.epoch;
            remote.rebuild_pending = false;
            self.cancel(RoomTimer::Rebuild {
                peer_id: from.to_owned(),
            });
            self.start_episode(from, RecoveryLevel::FullReconnect);
            self.raise_level(from, RecoveryLevel::FullReconnect);
            self.show(from, ConnState::Reconnecting, "remoteReconnect");
            self.close_link(from);
            // The other side offers on its new connection, unless it asked us to.
            let initiator = reconnect && self.me.can_publish;
            self.open_link(from, initiator);
            let attempt = self.peers.get_mut(from).map_or(1, |r| {
                r.rebuilds += 1;
                r.rebuilds
            });
            let elapsed_ms = self.elapsed(from);
            self.emit(RoomEvent::Recovery {
                peer_id: from.to_owned(),
                phase: RecoveryPhase::Attempt,
                level: RecoveryLevel::FullReconnect,
                attempt,
                elapsed_ms,
            });
        }
        let Some(input) = crate::engine::wire::signal_to_input(envelope.data) else {
            return;
        };
        self.link_input(from, input);
    }
}
