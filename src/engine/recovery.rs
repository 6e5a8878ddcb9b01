//! The recovery ladder: what to try, when, after a link fails or stalls.
//!
//! Levels, cheapest first: ICE restart (same peer connection, new ICE credentials), then
//! signaling reset (reconnect the WebSocket, resume the session, renegotiate), then full
//! reconnect (a new peer connection after rejoining). A level is given a budget; when an
//! attempt at that level has not reached `Connected` once the budget has passed, the next
//! attempt escalates. Retries are spaced by exponential backoff with jitter (the first one
//! is immediate), bounded by a number of attempts and an overall budget, and paused while
//! the browser is offline or the page hidden. A [`DelayPolicy`] may replace the backoff.
//!
//! This module decides; it never sleeps or reads a clock.

use super::rng::SeededRng;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RecoveryLevel {
    IceRestart,
    SignalingReset,
    FullReconnect,
}

impl RecoveryLevel {
    /// 0, 1, 2: the level's place on the ladder (and in per-level counters).
    pub fn index(self) -> usize {
        self as usize
    }

    fn next(self) -> Self {
        match self {
            RecoveryLevel::IceRestart => RecoveryLevel::SignalingReset,
            _ => RecoveryLevel::FullReconnect,
        }
    }
}

/// Tunables of the ladder. Defaults: budgets 5 s / 10 s / 20 s, ICE checks 2 s, backoff
/// base 250 ms, factor 2, cap 10 s, jitter +-50 %, at most 10 attempts within 60 s, flaps
/// within 5 s.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RecoveryConfig {
    /// How long an attempt at each level may take to reach `Connected`.
    pub level_budget_ms: [u64; 3],
    /// How long ICE may check without connecting once an attempt's offer and answer are
    /// both applied; doubled after each time it ran out in an episode, and capped by the
    /// level's budget. Past it the attempt has failed, whatever is left of its budget:
    /// the side whose checks hang restarts ICE itself instead of waiting it out.
    pub ice_checks_ms: u64,
    pub base_delay_ms: u64,
    pub factor: f64,
    pub max_delay_ms: u64,
    /// Relative jitter: 0.5 spreads each delay over [50 %, 150 %].
    pub jitter: f64,
    pub max_attempts: u32,
    pub total_budget_ms: u64,
    /// A recovery followed by a new failure within this long was a flap (Firefox reads
    /// `connected` for a moment when an ICE restart offer is rolled back): the episode goes
    /// on, so the ladder still climbs instead of starting over at an ICE restart.
    pub flap_window_ms: u64,
}

impl Default for RecoveryConfig {
    fn default() -> Self {
        Self {
            level_budget_ms: [5_000, 10_000, 20_000],
            ice_checks_ms: 2_000,
            base_delay_ms: 250,
            factor: 2.0,
            max_delay_ms: 10_000,
            jitter: 0.5,
            max_attempts: 10,
            total_budget_ms: 60_000,
            flap_window_ms: 5_000,
        }
    }
}

impl RecoveryConfig {
    pub fn budget(&self, level: RecoveryLevel) -> u64 {
        self.level_budget_ms[level.index()]
    }
}

/// What a pluggable policy is told before each retry after the first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RetryContext {
    /// 1-based attempt number in this episode.
    pub attempt: u32,
    pub level: RecoveryLevel,
    /// Time since the failure that started this episode.
    pub elapsed_ms: u64,
    /// The delay the built-in backoff would use.
    pub proposed_delay_ms: u64,
}

/// Replaces the built-in backoff: return the next delay, or `None` to give up.
pub trait DelayPolicy {
    fn next_delay(&mut self, ctx: &RetryContext) -> Option<u64>;
}

/// The ladder's answer to a failure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "decision",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum Decision {
    /// Try `level` after `delay_ms`.
    Attempt {
        level: RecoveryLevel,
        attempt: u32,
        delay_ms: u64,
    },
    /// Offline or hidden: wait for `resume`.
    Paused,
    GiveUp {
        reason: String,
    },
}

/// Counters over the life of a link.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecoveryStats {
    pub episodes: u32,
    pub recovered: u32,
    pub gave_up: u32,
    /// Attempts started at each level: ICE restart, signaling reset, full reconnect.
    pub attempts_per_level: [u32; 3],
    pub last_time_to_recover_ms: Option<u64>,
    pub total_time_to_recover_ms: u64,
    /// Recoveries that did not hold for `flap_window_ms` (their episode went on).
    pub flaps: u32,
}

/// An episode that ended in recovery, kept while it may still turn out a flap.
#[derive(Debug, Clone, PartialEq)]
struct Ended {
    episode: Episode,
    at: u64,
    took: u64,
}

#[derive(Debug, Clone, PartialEq)]
struct Episode {
    started_at: u64,
    attempts: u32,
    level: RecoveryLevel,
    level_started_at: u64,
    paused: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Recovery {
    cfg: RecoveryConfig,
    rng: SeededRng,
    episode: Option<Episode>,
    ended: Option<Ended>,
    /// The failure about to be reported ended a wait of its own (see `waited`).
    waited: bool,
    online: bool,
    visible: bool,
    stats: RecoveryStats,
}

impl Recovery {
    pub fn new(cfg: RecoveryConfig, rng: SeededRng) -> Self {
        Self {
            cfg,
            rng,
            episode: None,
            ended: None,
            waited: false,
            online: true,
            visible: true,
            stats: RecoveryStats::default(),
        }
    }

    pub fn config(&self) -> &RecoveryConfig {
        &self.cfg
    }

    pub fn stats(&self) -> &RecoveryStats {
        &self.stats
    }

    pub fn in_episode(&self) -> bool {
        self.episode.is_some()
    }

    /// The level of the attempt under way, if any.
    pub fn level(&self) -> Option<RecoveryLevel> {
        self.episode.as_ref().map(|e| e.level)
    }

    fn can_run(&self) -> bool {
        self.online && self.visible
    }

    /// A failure was detected, or the last attempt did not connect in time. Returns what
    /// to do next.
    pub fn fail(&mut self, now: u64, policy: Option<&mut (dyn DelayPolicy + '_)>) -> Decision {
        let waited = std::mem::take(&mut self.waited);
        let flapped = self.episode.is_none() && self.resume_flapped(now);
        let Some(ep) = self.episode.as_mut() else {
            self.stats.episodes += 1;
            self.episode = Some(Episode {
                started_at: now,
                attempts: 0,
                level: RecoveryLevel::IceRestart,
                level_started_at: now,
                paused: false,
            });
            return self.attempt_now(now);
        };
        if now.saturating_sub(ep.level_started_at) >= self.cfg.budget(ep.level)
            && ep.level != RecoveryLevel::FullReconnect
        {
            ep.level = ep.level.next();
            ep.level_started_at = now;
        }
        let (attempts, level, elapsed) = (ep.attempts, ep.level, now.saturating_sub(ep.started_at));
        if attempts >= self.cfg.max_attempts {
            return self.give_up(format!("{attempts} attempts failed"));
        }
        if elapsed >= self.cfg.total_budget_ms {
            return self.give_up(format!(
                "not recovered within {} ms",
                self.cfg.total_budget_ms
            ));
        }
        if !self.can_run() {
            if let Some(ep) = self.episode.as_mut() {
                ep.paused = true;
            }
            return Decision::Paused;
        }
        if flapped {
            // A new failure, as far as the network is concerned: retried at once, as the
            // first failure of an episode is, but at the level the episode had reached.
            return self.start_attempt(0);
        }
        let attempt = attempts + 1;
        // An attempt that failed after waiting its ICE checks out was spaced by that wait.
        let proposed = if waited { 0 } else { self.backoff(attempt) };
        let delay = match policy {
            None => Some(proposed),
            Some(p) => p.next_delay(&RetryContext {
                attempt,
                level,
                elapsed_ms: elapsed,
                proposed_delay_ms: proposed,
            }),
        };
        match delay {
            None => self.give_up("the retry policy gave up".into()),
            Some(delay_ms) => self.start_attempt(delay_ms),
        }
    }

    fn attempt_now(&mut self, _now: u64) -> Decision {
        if !self.can_run() {
            if let Some(ep) = self.episode.as_mut() {
                ep.paused = true;
            }
            return Decision::Paused;
        }
        self.start_attempt(0)
    }

    fn start_attempt(&mut self, delay_ms: u64) -> Decision {
        let Some(ep) = self.episode.as_mut() else {
            return Decision::GiveUp {
                reason: "no recovery under way".into(),
            };
        };
        ep.attempts += 1;
        ep.paused = false;
        self.stats.attempts_per_level[ep.level.index()] += 1;
        Decision::Attempt {
            level: ep.level,
            attempt: ep.attempts,
            delay_ms,
        }
    }

    fn backoff(&mut self, attempt: u32) -> u64 {
        backoff_delay(&self.cfg, attempt, &mut self.rng)
    }

    fn give_up(&mut self, reason: String) -> Decision {
        self.episode = None;
        self.stats.gave_up += 1;
        Decision::GiveUp { reason }
    }

    /// The next failure ends a wait that already spaced the attempts (the ICE checks
    /// after an exchange): its built-in delay is 0 (a policy is still asked).
    pub fn waited(&mut self) {
        self.waited = true;
    }

    /// The link reached `Connected`: the episode ends (it is kept for `flap_window_ms`,
    /// see [`RecoveryConfig::flap_window_ms`]).
    pub fn recovered(&mut self, now: u64) {
        if let Some(ep) = self.episode.take() {
            let took = now.saturating_sub(ep.started_at);
            self.stats.recovered += 1;
            self.stats.last_time_to_recover_ms = Some(took);
            self.stats.total_time_to_recover_ms += took;
            self.ended = Some(Ended {
                episode: ep,
                at: now,
                took,
            });
        }
    }

    /// A failure soon after a recovery: that recovery did not hold, and its episode goes
    /// on where it stopped (its level, attempts and budgets) instead of a new one starting
    /// from an ICE restart; the next attempt goes at once. It no longer counts as
    /// recovered. True if the episode was resumed.
    fn resume_flapped(&mut self, now: u64) -> bool {
        let Some(ended) = self.ended.take() else {
            return false;
        };
        if now.saturating_sub(ended.at) >= self.cfg.flap_window_ms {
            return false;
        }
        self.stats.recovered = self.stats.recovered.saturating_sub(1);
        self.stats.total_time_to_recover_ms = self
            .stats
            .total_time_to_recover_ms
            .saturating_sub(ended.took);
        self.stats.last_time_to_recover_ms = None;
        self.stats.flaps += 1;
        self.episode = Some(ended.episode);
        true
    }

    /// The browser went online/offline. Returns an immediate attempt when this unpauses
    /// a waiting episode.
    pub fn set_online(&mut self, online: bool, now: u64) -> Option<Decision> {
        self.online = online;
        self.maybe_resume(now)
    }

    /// The page became visible/hidden. Returns an immediate attempt when this unpauses a
    /// waiting episode.
    pub fn set_visible(&mut self, visible: bool, now: u64) -> Option<Decision> {
        self.visible = visible;
        self.maybe_resume(now)
    }

    fn maybe_resume(&mut self, now: u64) -> Option<Decision> {
        let paused = self.episode.as_ref().is_some_and(|e| e.paused);
        (paused && self.can_run()).then(|| self.attempt_now(now))
    }

    /// Forgets the episode under way (the link closed).
    pub fn cancel(&mut self) {
        self.episode = None;
        self.ended = None;
    }
}

/// The delay before retry number `attempt` (2 or later; the first retry is immediate):
/// base x factor^(attempt-2), capped, spread by the jitter.
pub fn backoff_delay(cfg: &RecoveryConfig, attempt: u32, rng: &mut SeededRng) -> u64 {
    let exp = attempt.saturating_sub(2).min(60) as i32;
    let raw = (cfg.base_delay_ms as f64) * cfg.factor.max(1.0).powi(exp);
    let capped = raw.min(cfg.max_delay_ms as f64);
    let jitter = cfg.jitter.clamp(0.0, 1.0);
    let spread = 1.0 + jitter * (2.0 * rng.next_f64() - 1.0);
    (capped * spread).round().max(0.0) as u64
}

#[cfg(test)]
#[path = "recovery_tests.rs"]
mod tests;
