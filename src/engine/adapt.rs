//! Adaptation: which encoding to send, on a ladder from 720p down to audio-only.
//!
//! Step down one rung when a trigger holds for two consecutive samples: loss > 5 %,
//! RTT > 400 ms, jitter > 50 ms, the encoder limited by bandwidth or CPU, the available
//! outgoing bitrate under 80 % of what is sent (under the rung's target when that is
//! unknown), or a path the encoders fill (80 % of it or more) that carries less than the
//! rung's target. Step up one rung only after 10 s
//! without any trigger, and only when the stricter "healthy" bar holds (loss < 2 %,
//! RTT < 300 ms, and room for the next rung's bitrate x 1.2 when the estimate is known):
//! the gap between the two bars is the hysteresis that keeps it from flapping. A manual
//! override pins a rung; device and network presets cap the best rung allowed.

use super::decimal::fixed;
use serde::{Deserialize, Serialize};

/// Rungs of the ladder, best first.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub enum Rung {
    #[default]
    High,
    Medium,
    Low,
    Minimum,
    AudioOnly,
}

impl Rung {
    pub const ALL: [Rung; 5] = [
        Rung::High,
        Rung::Medium,
        Rung::Low,
        Rung::Minimum,
        Rung::AudioOnly,
    ];

    /// The JS name of this rung.
    pub fn as_str(self) -> &'static str {
        match self {
            Rung::High => "high",
            Rung::Medium => "medium",
            Rung::Low => "low",
            Rung::Minimum => "minimum",
            Rung::AudioOnly => "audioOnly",
        }
    }

    fn down(self) -> Self {
        Self::ALL[(self as usize + 1).min(4)]
    }

    fn up(self) -> Self {
        Self::ALL[(self as usize).saturating_sub(1)]
    }

    /// What to send on this rung.
    pub fn encoding(self) -> Encoding {
        let (video_bps, scale, fps, audio_bps) = match self {
            Rung::High => (1_700_000, 1.0, 30.0, 48_000),
            Rung::Medium => (800_000, 720.0 / 540.0, 30.0, 40_000),
            Rung::Low => (450_000, 2.0, 24.0, 32_000),
            Rung::Minimum => (150_000, 4.0, 15.0, 24_000),
            Rung::AudioOnly => (0, 1.0, 0.0, 24_000),
        };
        Encoding {
            rung: self,
            video_enabled: self != Rung::AudioOnly,
            max_bitrate_bps: video_bps,
            scale_resolution_down_by: scale,
            max_framerate: fps,
            audio_bitrate_bps: audio_bps,
        }
    }

    /// Bits per second this rung needs (video plus audio).
    pub fn target_bps(self) -> f64 {
        let e = self.encoding();
        (e.max_bitrate_bps + e.audio_bitrate_bps) as f64
    }
}

/// Target sender parameters (the `RTCRtpEncodingParameters` to set).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Encoding {
    pub rung: Rung,
    pub video_enabled: bool,
    pub max_bitrate_bps: u32,
    pub scale_resolution_down_by: f64,
    pub max_framerate: f64,
    pub audio_bitrate_bps: u32,
}

/// The application's choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Preference {
    Auto,
    AudioOnly,
    Low,
    Medium,
    High,
}

/// What the page knows about the device and network (`navigator.connection`,
/// `navigator.userAgentData`, `navigator.getBattery()`), and the app's own choice.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Presets {
    pub mobile: bool,
    pub save_data: bool,
    /// `slow-2g`, `2g`, `3g` or `4g`.
    pub effective_type: Option<String>,
    /// The battery's charge in percent, where the browser tells it.
    pub battery_pct: Option<u8>,
    /// Whether the battery is charging; `None` when unknown (no battery API).
    pub charging: Option<bool>,
    /// The app's `adaptive: {preset}`: replaces everything the browser says.
    pub forced: Option<Rung>,
}

/// At or below this charge, a battery that is not charging caps the ladder.
pub const LOW_BATTERY_PCT: u8 = 20;

impl Presets {
    /// The best rung these conditions allow.
    pub fn cap(&self) -> Rung {
        if let Some(forced) = self.forced {
            return forced;
        }
        let by_network = match self.effective_type.as_deref() {
            Some("slow-2g") => Rung::AudioOnly,
            Some("2g") => Rung::Minimum,
            Some("3g") => Rung::Low,
            _ => Rung::High,
        };
        let by_data = if self.save_data {
            Rung::Minimum
        } else {
            Rung::High
        };
        let by_device = if self.mobile {
            Rung::Medium
        } else {
            Rung::High
        };
        by_network
            .max(by_data)
            .max(by_device)
            .max(self.by_battery())
    }

    /// A low battery that is discharging allows `low` at best: encoding less saves power.
    fn by_battery(&self) -> Rung {
        match (self.battery_pct, self.charging) {
            (Some(pct), Some(false)) if pct <= LOW_BATTERY_PCT => Rung::Low,
            _ => Rung::High,
        }
    }

    /// Why the cap is what it is, in words for a log line or a diagnostics report.
    pub fn reason(&self) -> &'static str {
        if self.forced.is_some() {
            return "the app's adaptive preset";
        }
        if self.by_battery() != Rung::High && self.by_battery() == self.cap() {
            return "low battery";
        }
        "device or network preset"
    }
}

/// One observation, from the quality monitor.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Observation {
    pub at_ms: u64,
    pub loss_pct: f64,
    pub rtt_ms: Option<f64>,
    pub jitter_ms: f64,
    pub bandwidth_limited: bool,
    /// The video encoder says it is limited by the CPU (`qualityLimitationReason`).
    pub cpu_limited: bool,
    pub available_outgoing_bps: Option<f64>,
    /// What the encoders send now (video and audio), when known. A camera that gives less
    /// than the rung's target is not a path that carries less.
    pub sending_bps: Option<f64>,
}

/// What moved the rung.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Trigger {
    Loss,
    Rtt,
    Jitter,
    /// The encoder is limited by bandwidth, or the path carries less than is sent.
    Bandwidth,
    /// The encoder is limited by the CPU: a lower rung is less to encode.
    Cpu,
    /// Ten seconds without a trigger: one rung up.
    Stable,
    /// The application's `setQuality`.
    Preference,
    /// Device or network conditions (`navigator.connection`, mobile).
    Preset,
}

/// A change of rung and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    pub from: Rung,
    pub to: Rung,
    pub encoding: Encoding,
    pub trigger: Trigger,
    pub reason: String,
}

pub const DOWN_SAMPLES: u32 = 2;
/// Loss above this steps down, one rung per `DOWN_SAMPLES` samples, to `minimum` at worst.
pub const LOSS_DOWN_PCT: f64 = 5.0;
/// Loss from this on is severe: it may pause video (audio only).
pub const SEVERE_LOSS_PCT: f64 = 20.0;
/// A path that carries less than this (available outgoing bitrate) cannot carry the
/// `minimum` rung's video beside audio: severe, it may pause video.
pub const VIDEO_FLOOR_BPS: f64 = 100_000.0;
pub const UP_AFTER_MS: u64 = 10_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Adapter {
    rung: Rung,
    preference: Preference,
    /// The rung automatic adaptation had reached when a manual one was chosen: `auto`
    /// goes back there at once.
    #[serde(default)]
    auto_rung: Rung,
    presets: Presets,
    bad_streak: u32,
    /// Severe samples in a row (they alone may pause video).
    severe_streak: u32,
    healthy_since: Option<u64>,
}

impl Default for Adapter {
    fn default() -> Self {
        Self::new()
    }
}

impl Adapter {
    pub fn new() -> Self {
        Self {
            rung: Rung::High,
            preference: Preference::Auto,
            auto_rung: Rung::High,
            presets: Presets::default(),
            bad_streak: 0,
            severe_streak: 0,
            healthy_since: None,
        }
    }

    pub fn rung(&self) -> Rung {
        self.rung
    }

    fn best_allowed(&self) -> Rung {
        self.presets.cap()
    }

    fn moved(&mut self, to: Rung, trigger: Trigger, reason: String) -> Option<Change> {
        if to == self.rung {
            return None;
        }
        let from = std::mem::replace(&mut self.rung, to);
        self.bad_streak = 0;
        self.severe_streak = 0;
        Some(Change {
            from,
            to,
            encoding: to.encoding(),
            trigger,
            reason,
        })
    }

    /// Sets the application's choice; a manual rung applies at once. Back to `auto`
    /// from a manual rung, the ladder returns at once to the rung it had reached before
    /// (within the presets' cap), not climbing from the manual one 10 s a rung: a call
    /// whose path got worse meanwhile steps down again within a few samples.
    pub fn set_preference(&mut self, preference: Preference) -> Option<Change> {
        let was = std::mem::replace(&mut self.preference, preference);
        if was == Preference::Auto && preference != Preference::Auto {
            self.auto_rung = self.rung;
        }
        let to = match preference {
            Preference::Auto if was == Preference::Auto => return None,
            Preference::Auto => {
                self.healthy_since = None;
                let to = self.auto_rung.max(self.best_allowed());
                return self.moved(to, Trigger::Preference, "preference Auto".into());
            }
            Preference::High => Rung::High,
            Preference::Medium => Rung::Medium,
            Preference::Low => Rung::Low,
            Preference::AudioOnly => Rung::AudioOnly,
        };
        self.moved(
            to,
            Trigger::Preference,
            format!("preference {preference:?}"),
        )
    }

    /// New device/network conditions; drops below the cap at once.
    pub fn set_presets(&mut self, presets: Presets) -> Option<Change> {
        self.presets = presets;
        let cap = self.best_allowed();
        (self.preference == Preference::Auto && self.rung < cap)
            .then(|| self.moved(cap, Trigger::Preset, self.presets.reason().into()))
            .flatten()
    }

    /// Feeds one observation; returns a change of rung if one is due.
    pub fn observe(&mut self, o: &Observation) -> Option<Change> {
        if self.preference != Preference::Auto {
            return None;
        }
        let rtt = o.rtt_ms.unwrap_or(0.0);
        // Each trigger, and whether it is severe: only a severe one pauses video. Loss that
        // is not congestion (a lossy radio) does not fall with the bitrate, so a moderate
        // one would otherwise ride the ladder all the way down.
        let trigger = if o.loss_pct > LOSS_DOWN_PCT {
            Some((
                Trigger::Loss,
                format!("loss {} %", fixed(o.loss_pct, 1)),
                o.loss_pct >= SEVERE_LOSS_PCT,
            ))
        } else if rtt > 400.0 {
            Some((Trigger::Rtt, format!("rtt {} ms", fixed(rtt, 0)), false))
        } else if o.jitter_ms > 50.0 {
            Some((
                Trigger::Jitter,
                format!("jitter {} ms", fixed(o.jitter_ms, 0)),
                false,
            ))
        } else if o.bandwidth_limited && self.rung != Rung::AudioOnly {
            // At audio only the video encoder is paused, and the limitation it last
            // reported stays as it was (measured in Chromium: "bandwidth" for good after a
            // loss), so it says nothing: ignoring it is what lets video come back. At
            // `minimum` it means the encoder scales down inside the rung's target, which
            // is no reason to stop video.
            Some((
                Trigger::Bandwidth,
                "encoder limited by bandwidth".into(),
                false,
            ))
        } else if o.cpu_limited && self.rung != Rung::AudioOnly {
            // Never pauses video: encoding less is enough.
            Some((Trigger::Cpu, "encoder limited by the CPU".into(), false))
        } else {
            // The path carries less than the rung needs: less than its target, or, when
            // we know what the encoders send, clearly less than that; or the encoders
            // already fill the path (80 % of it or more) and the rung wants more than it
            // carries. The browser's own congestion control may keep the bitrate under a
            // cap without ever calling the encoder limited; the rung should follow it.
            let target = self.rung.target_bps();
            let needed = o.sending_bps.map_or(target, |s| s * 0.8);
            o.available_outgoing_bps
                .filter(|&b| {
                    let full = b < target && o.sending_bps.is_some_and(|s| s >= b * 0.8);
                    (b < needed || full) && self.rung != Rung::AudioOnly
                })
                .map(|b| {
                    (
                        Trigger::Bandwidth,
                        format!("available {} kbps under target", fixed(b / 1000.0, 0)),
                        b < VIDEO_FLOOR_BPS,
                    )
                })
        };
        if let Some((trigger, why, severe)) = trigger {
            self.healthy_since = None;
            self.bad_streak += 1;
            self.severe_streak = if severe { self.severe_streak + 1 } else { 0 };
            let to = self.rung.down();
            let streak = if to == Rung::AudioOnly {
                self.severe_streak
            } else {
                self.bad_streak
            };
            if streak >= DOWN_SAMPLES {
                return self.moved(to, trigger, why);
            }
            return None;
        }
        self.bad_streak = 0;
        self.severe_streak = 0;
        let up = self.rung.up();
        // Room for the next rung: its bitrate x 1.2, or 1.2 x what is sent now when the
        // camera gives clearly less than this rung's target (the next rung would then send
        // about as much). A rung that is full would send more a rung up: its target counts.
        let camera_limited = o.sending_bps.filter(|&s| s < self.rung.target_bps() * 0.8);
        let room = o.available_outgoing_bps.is_none_or(|b| {
            b >= up.target_bps() * 1.2 || camera_limited.is_some_and(|s| b >= s * 1.2)
        });
        let healthy = o.loss_pct < 2.0 && rtt < 300.0 && room;
        if !healthy {
            self.healthy_since = None;
            return None;
        }
        let since = *self.healthy_since.get_or_insert(o.at_ms);
        if o.at_ms.saturating_sub(since) >= UP_AFTER_MS
            && up >= self.best_allowed()
            && up != self.rung
        {
            self.healthy_since = Some(o.at_ms);
            return self.moved(up, Trigger::Stable, "stable for 10 s".into());
        }
        None
    }
}

#[cfg(test)]
#[path = "adapt_tests.rs"]
mod tests;
