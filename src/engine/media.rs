//! Local media toggles that cannot race: one operation at a time per kind (microphone,
//! camera, screen), later calls coalesced, the last intent wins.
//!
//! [`MediaControl`] is sans-IO. `request(kind, enabled, id)` is the app's call;
//! [`MediaStep::Apply`] asks the driver to turn the kind on or off (capture, stop, mute);
//! `applied(kind, op, result)` reports the outcome; [`MediaStep::Settle`] resolves the
//! app's promises. While an operation runs, new calls only record the wanted state and
//! wait: when the operation ends, one more runs if the last wish differs from what is
//! now true, and every waiting call settles together with the final outcome. A timeout
//! rejects the waiting calls with `mediaTimeout`; the operation itself is never
//! abandoned (the browser may still finish it), so the kind stays `pending` until it
//! reports, and what it reports is the truth.

use crate::error::{ErrorCode, SteadyError};
use serde::{Deserialize, Serialize};

/// A local source the app switches on and off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum MediaKind {
    Microphone,
    Camera,
    Screen,
}

impl MediaKind {
    pub const ALL: [MediaKind; 3] = [MediaKind::Microphone, MediaKind::Camera, MediaKind::Screen];

    pub fn as_str(self) -> &'static str {
        match self {
            MediaKind::Microphone => "microphone",
            MediaKind::Camera => "camera",
            MediaKind::Screen => "screen",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// What a UI shows for one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Toggle {
    On,
    Off,
    /// An operation is under way.
    Pending,
}

/// What the driver is to do, or what the app is to hear.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "step",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum MediaStep {
    /// Turn `kind` on or off; report with `applied(kind, op, ...)`. `enabled` while it
    /// is on already means: capture again (another device).
    Apply {
        kind: MediaKind,
        enabled: bool,
        op: u32,
    },
    /// Arm (or re-arm) the timeout of `kind`'s waiting calls, `after_ms` from now.
    ArmTimeout {
        kind: MediaKind,
        after_ms: u64,
    },
    DisarmTimeout {
        kind: MediaKind,
    },
    /// Settle these calls.
    Settle {
        requests: Vec<u32>,
        result: Result<(), SteadyError>,
    },
    /// What is true of `kind` changed (tell the peers and the app).
    Changed {
        kind: MediaKind,
        enabled: bool,
    },
}

#[derive(Debug, Clone, Default)]
struct Slot {
    /// What is true now.
    on: bool,
    /// The operation under way: its number and target.
    running: Option<(u32, bool)>,
    /// The last wish made while it runs.
    wanted: Option<bool>,
    /// Calls waiting for the outcome.
    waiters: Vec<u32>,
    /// A new capture was asked for while an operation ran (`restart`).
    restart: bool,
}

/// See the module docs.
#[derive(Debug, Clone)]
pub struct MediaControl {
    slots: [Slot; 3],
    next_op: u32,
    timeout_ms: u64,
}

impl MediaControl {
    pub fn new(timeout_ms: u64) -> Self {
        Self {
            slots: Default::default(),
            next_op: 1,
            timeout_ms,
        }
    }

    /// What is true at the start (what `connect` captured), without an operation.
    pub fn set_initial(&mut self, kind: MediaKind, on: bool) {
        self.slots[kind.index()].on = on;
    }

    pub fn is_on(&self, kind: MediaKind) -> bool {
        self.slots[kind.index()].on
    }

    pub fn toggle(&self, kind: MediaKind) -> Toggle {
        let slot = &self.slots[kind.index()];
        match (slot.running, slot.on) {
            (Some(_), _) => Toggle::Pending,
            (None, true) => Toggle::On,
            (None, false) => Toggle::Off,
        }
    }

    /// The app asks for `kind` on or off; `id` names the call.
    pub fn request(&mut self, kind: MediaKind, enabled: bool, id: u32) -> Vec<MediaStep> {
        let slot = &mut self.slots[kind.index()];
        if slot.running.is_some() {
            slot.wanted = Some(enabled);
            slot.waiters.push(id);
            return vec![MediaStep::ArmTimeout {
                kind,
                after_ms: self.timeout_ms,
            }];
        }
        if slot.on == enabled {
            return vec![MediaStep::Settle {
                requests: vec![id],
                result: Ok(()),
            }];
        }
        slot.waiters.push(id);
        let mut steps = vec![MediaStep::ArmTimeout {
            kind,
            after_ms: self.timeout_ms,
        }];
        steps.push(self.start(kind, enabled));
        steps
    }

    /// The app asks for `kind` to be captured again (another device): at once if it is
    /// on, after the operation under way if one runs; nothing if it is off (the next
    /// capture uses the new device).
    pub fn restart(&mut self, kind: MediaKind, id: u32) -> Vec<MediaStep> {
        let slot = &mut self.slots[kind.index()];
        let arm = MediaStep::ArmTimeout {
            kind,
            after_ms: self.timeout_ms,
        };
        if slot.running.is_some() {
            slot.restart = true;
            slot.waiters.push(id);
            return vec![arm];
        }
        if !slot.on {
            return vec![MediaStep::Settle {
                requests: vec![id],
                result: Ok(()),
            }];
        }
        slot.waiters.push(id);
        vec![arm, self.start(kind, true)]
    }

    /// `kind` was turned on or off by something other than the app (the device was
    /// unplugged, the user stopped a screen share from the browser's own bar).
    pub fn external(&mut self, kind: MediaKind, on: bool) -> Vec<MediaStep> {
        let slot = &mut self.slots[kind.index()];
        if slot.running.is_some() || slot.on == on {
            return Vec::new();
        }
        slot.on = on;
        vec![MediaStep::Changed { kind, enabled: on }]
    }

    /// The driver finished operation `op` on `kind`.
    pub fn applied(
        &mut self,
        kind: MediaKind,
        op: u32,
        result: Result<(), SteadyError>,
    ) -> Vec<MediaStep> {
        let slot = &mut self.slots[kind.index()];
        let Some((running, target)) = slot.running else {
            return Vec::new();
        };
        if running != op {
            return Vec::new();
        }
        slot.running = None;
        let mut steps = Vec::new();
        let was = slot.on;
        if result.is_ok() {
            slot.on = target;
        }
        if slot.on != was {
            steps.push(MediaStep::Changed {
                kind,
                enabled: slot.on,
            });
        }
        let wanted = slot.wanted.take();
        if result.is_ok() && wanted.is_some_and(|w| w != slot.on) {
            // The last wish differs from what just became true: one more operation.
            steps.push(self.start(kind, !target));
            return steps;
        }
        if std::mem::take(&mut slot.restart) && slot.on {
            // Another device was chosen while this ran: capture again with it.
            steps.push(self.start(kind, true));
            return steps;
        }
        // A failure is not retried. When the last wish was to stay as things are, the
        // failure no longer matters to anyone.
        let result = match result {
            Err(_) if wanted == Some(slot.on) => Ok(()),
            other => other,
        };
        let requests = std::mem::take(&mut slot.waiters);
        steps.push(MediaStep::DisarmTimeout { kind });
        if !requests.is_empty() {
            steps.push(MediaStep::Settle { requests, result });
        }
        steps
    }

    /// The timeout of `kind`'s waiting calls fired: they reject; the operation goes on.
    pub fn timed_out(&mut self, kind: MediaKind) -> Vec<MediaStep> {
        let slot = &mut self.slots[kind.index()];
        let requests = std::mem::take(&mut slot.waiters);
        if requests.is_empty() {
            return Vec::new();
        }
        let message = format!(
            "turning the {} {} took longer than {} ms; it is still under way",
            kind.as_str(),
            if slot.wanted.or(slot.running.map(|r| r.1)) == Some(true) {
                "on"
            } else {
                "off"
            },
            self.timeout_ms
        );
        vec![MediaStep::Settle {
            requests,
            result: Err(SteadyError::new(ErrorCode::MediaTimeout, message)),
        }]
    }

    /// Every waiting call rejects with `err` (the room closed).
    pub fn abort(&mut self, err: &SteadyError) -> Vec<MediaStep> {
        let mut requests = Vec::new();
        for slot in &mut self.slots {
            requests.append(&mut slot.waiters);
            slot.wanted = None;
            slot.restart = false;
        }
        if requests.is_empty() {
            return Vec::new();
        }
        vec![MediaStep::Settle {
            requests,
            result: Err(err.clone()),
        }]
    }

    fn start(&mut self, kind: MediaKind, enabled: bool) -> MediaStep {
        let op = self.next_op;
        self.next_op = self.next_op.wrapping_add(1).max(1);
        self.slots[kind.index()].running = Some((op, enabled));
        MediaStep::Apply { kind, enabled, op }
    }
}

#[cfg(test)]
#[path = "media_tests.rs"]
mod tests;
