//! The room's side of local media: the toggles ([`MediaControl`]) and what the peers are
//! told of them, and what the peers tell us of theirs (`mediaState` signals).
//!
//! Every change of what we send (camera or microphone off, video paused by adaptation)
//! goes to the peer as one `mediaState` signal carrying the whole state, so a late or
//! lost one is repaired by the next. A new link is told at once when something is off,
//! since a peer assumes everything on until told otherwise.

use super::{Phase, RoomAction, RoomEngine, RoomEvent, RoomTimer};
use crate::engine::media::{MediaControl, MediaKind, MediaStep, Toggle};
use crate::error::{ErrorCode, SteadyError};
use steadyrtc_protocol::SignalData;

/// What a remote peer last told us of its media.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct RemoteMedia {
    pub video_paused: bool,
    pub reason: String,
    pub camera: bool,
    pub microphone: bool,
    /// The stream id of the peer's screen share.
    pub screen: Option<String>,
}

impl Default for RemoteMedia {
    fn default() -> Self {
        Self {
            video_paused: false,
            reason: String::new(),
            camera: true,
            microphone: true,
            screen: None,
        }
    }
}

/// The request number of the room's own captures (a fallback to the default device);
/// the app's calls are numbered from 1.
const FALLBACK: u32 = 0;

/// The device chosen for each source (`None`: the default).
#[derive(Debug, Clone, Default)]
pub(super) struct Chosen {
    microphone: Option<String>,
    camera: Option<String>,
    /// The device of the last capture of each (what a muted microphone holds).
    captured: [Option<String>; 2],
}

impl Chosen {
    pub(super) fn from_config(cfg: &super::RoomConfig) -> Self {
        Self {
            microphone: cfg.microphone_device.clone(),
            camera: cfg.camera_device.clone(),
            captured: [cfg.microphone_device.clone(), cfg.camera_device.clone()],
        }
    }

    /// Records a capture from `device` and says whether it must be a new one: always
    /// while `on` (another device), else when the device held is not that one.
    fn capture(&mut self, kind: MediaKind, device: &Option<String>, on: bool) -> bool {
        let Some(held) = self.captured.get_mut(kind as usize) else {
            return true;
        };
        let changed = held != device;
        *held = device.clone();
        on || changed
    }

    fn slot(&mut self, kind: MediaKind) -> Option<&mut Option<String>> {
        match kind {
            MediaKind::Microphone => Some(&mut self.microphone),
            MediaKind::Camera => Some(&mut self.camera),
            MediaKind::Screen => None,
        }
    }

    fn get(&self, kind: MediaKind) -> Option<String> {
        match kind {
            MediaKind::Microphone => self.microphone.clone(),
            MediaKind::Camera => self.camera.clone(),
            MediaKind::Screen => None,
        }
    }
}

/// The browser's device kind of a source.
fn device_kind(kind: MediaKind) -> &'static str {
    match kind {
        MediaKind::Microphone => "audioinput",
        MediaKind::Camera | MediaKind::Screen => "videoinput",
    }
}

/// The toggles of a room joined with `cfg` (what `connect` captured is on).
pub(super) fn control(cfg: &super::RoomConfig) -> MediaControl {
    let mut media = MediaControl::new(cfg.media_timeout_ms);
    media.set_initial(MediaKind::Microphone, cfg.microphone);
    media.set_initial(MediaKind::Camera, cfg.camera);
    media
}

impl RoomEngine {
    /// The app asks for `kind` on or off (`request` names the call).
    pub(super) fn set_media(&mut self, kind: MediaKind, enabled: bool, request: u32) {
        let refusal = match self.phase {
            Phase::Over => Some(SteadyError::room_closed()),
            Phase::Idle => Some(SteadyError::new(
                ErrorCode::NotConnected,
                "connect first (to join with the camera or microphone off, leave it out of connect's media option)",
            )),
            Phase::Joined if enabled && !self.me.can_publish => Some(SteadyError::new(
                ErrorCode::Forbidden,
                format!(
                    "this participant's role may not publish: the {} stays off",
                    kind.as_str()
                ),
            )),
            _ => None,
        };
        if let Some(err) = refusal {
            self.out.push(RoomAction::SettleMedia {
                requests: vec![request],
                result: Err(err),
            });
            return;
        }
        let before = self.local_media();
        let steps = self.media.request(kind, enabled, request);
        self.media_steps(before, steps);
    }

    /// The driver finished media operation `op`.
    pub(super) fn media_applied(
        &mut self,
        kind: MediaKind,
        op: u32,
        result: Result<(), SteadyError>,
    ) {
        if let Err(e) = &result {
            self.emit(RoomEvent::error(e, None));
        }
        let before = self.local_media();
        let steps = self.media.applied(kind, op, result);
        self.media_steps(before, steps);
    }

    /// A local source stopped by itself: sharing ended in the browser, or a device was
    /// unplugged or taken, in which case the default device takes over if it can.
    pub(super) fn media_ended(&mut self, kind: MediaKind) {
        let before = self.local_media();
        let mut steps = self.media.external(kind, false);
        if kind != MediaKind::Screen && !steps.is_empty() && self.me.can_publish {
            if let Some(slot) = self.chosen.slot(kind) {
                *slot = None;
            }
            steps.extend(self.media.request(kind, true, FALLBACK));
        }
        self.media_steps(before, steps);
    }

    /// The server says we may not publish (a listener): whatever was captured is
    /// released before any link opens, so nothing is offered or sent.
    pub(super) fn may_not_publish(&mut self) {
        let before = self.local_media();
        let mut steps = Vec::new();
        for kind in MediaKind::ALL {
            steps.extend(self.media.external(kind, false));
        }
        if steps.is_empty() {
            return;
        }
        self.out.push(RoomAction::ReleaseMedia);
        self.media_steps(before, steps);
    }

    /// The app chose `device_id` for `kind`: remembered, and captured now if it is on.
    pub(super) fn switch_device(&mut self, kind: MediaKind, device_id: String, request: u32) {
        let refusal = match (self.phase, self.chosen.slot(kind)) {
            (Phase::Over, _) => Some(SteadyError::room_closed()),
            (_, None) => Some(SteadyError::new(
                ErrorCode::InvalidArgument,
                "switchDevice takes \"microphone\" or \"camera\"",
            )),
            (Phase::Idle, _) => Some(SteadyError::new(
                ErrorCode::NotConnected,
                "connect first; before that, pass the device to connect's media option",
            )),
            (_, Some(slot)) => {
                *slot = Some(device_id.clone());
                None
            }
        };
        if let Some(err) = refusal {
            self.out.push(RoomAction::SettleMedia {
                requests: vec![request],
                result: Err(err),
            });
            return;
        }
        self.out.push(RoomAction::StoreDevice {
            kind,
            device_id: Some(device_id),
        });
        let before = self.local_media();
        let steps = self.media.restart(kind, request);
        self.media_steps(before, steps);
    }

    /// The page's devices changed: tell the app, and leave a chosen device that is gone
    /// for the default one.
    pub(super) fn devices_changed(&mut self, devices: Vec<super::DeviceInfo>) {
        for kind in [MediaKind::Microphone, MediaKind::Camera] {
            let Some(id) = self.chosen.get(kind) else {
                continue;
            };
            let present = devices
                .iter()
                .any(|d| d.device_id == id && d.kind == device_kind(kind));
            if !present && self.media.is_on(kind) {
                if let Some(slot) = self.chosen.slot(kind) {
                    *slot = None;
                }
                let before = self.local_media();
                let steps = self.media.restart(kind, FALLBACK);
                self.media_steps(before, steps);
            }
        }
        self.emit(RoomEvent::DevicesChanged { devices });
    }

    pub(super) fn media_timer(&mut self, kind: MediaKind) {
        let before = self.local_media();
        let steps = self.media.timed_out(kind);
        self.media_steps(before, steps);
    }

    /// Rejects every waiting toggle (the room is over).
    pub(super) fn abort_media(&mut self) {
        let before = self.local_media();
        let steps = self.media.abort(&SteadyError::room_closed());
        self.media_steps(before, steps);
    }

    /// Executes the toggles' steps; `localMedia` when what the app shows changed.
    fn media_steps(&mut self, before: [(MediaKind, Toggle); 3], steps: Vec<MediaStep>) {
        for step in steps {
            match step {
                MediaStep::Apply { kind, enabled, op } => {
                    let device_id = self.chosen.get(kind);
                    let on = self.media.is_on(kind);
                    let recapture = enabled && self.chosen.capture(kind, &device_id, on);
                    self.out.push(RoomAction::ApplyMedia {
                        kind,
                        enabled,
                        op,
                        device_id,
                        recapture,
                    });
                }
                MediaStep::ArmTimeout { kind, after_ms } => {
                    self.schedule(RoomTimer::Media { source: kind }, after_ms)
                }
                MediaStep::DisarmTimeout { kind } => self.cancel(RoomTimer::Media { source: kind }),
                MediaStep::Settle {
                    mut requests,
                    result,
                } => {
                    if let Some(i) = requests.iter().position(|&r| r == FALLBACK) {
                        requests.remove(i);
                        if result.is_ok() {
                            if let Some(source) = self.fallback_source(&before) {
                                self.emit(RoomEvent::DeviceFallback { source });
                            }
                        }
                    }
                    if !requests.is_empty() {
                        self.out.push(RoomAction::SettleMedia { requests, result })
                    }
                }
                MediaStep::Changed { kind, enabled } => {
                    if kind == MediaKind::Screen && !enabled {
                        self.my_screen = None;
                    }
                    for id in self.open_links() {
                        self.send_media_state(&id);
                    }
                }
            }
        }
        if self.local_media() != before && self.phase != Phase::Over {
            self.emit(self.local_media_event());
        }
    }

    /// Which source a fallback capture just completed: the one that was pending.
    fn fallback_source(&self, before: &[(MediaKind, Toggle); 3]) -> Option<MediaKind> {
        before
            .iter()
            .find(|(k, t)| *t == Toggle::Pending && self.media.toggle(*k) == Toggle::On)
            .map(|(k, _)| *k)
    }

    /// `localMedia`: what each local source is now.
    pub(super) fn local_media_event(&self) -> RoomEvent {
        RoomEvent::LocalMedia {
            microphone: self.media.toggle(MediaKind::Microphone),
            camera: self.media.toggle(MediaKind::Camera),
            screen: self.media.toggle(MediaKind::Screen),
        }
    }

    /// The microphone and camera chosen (`None`: the default device).
    pub fn chosen_devices(&self) -> (Option<String>, Option<String>) {
        (
            self.chosen.get(MediaKind::Microphone),
            self.chosen.get(MediaKind::Camera),
        )
    }

    /// What each local source is now.
    pub fn local_media(&self) -> [(MediaKind, Toggle); 3] {
        MediaKind::ALL.map(|k| (k, self.media.toggle(k)))
    }

    /// A link to `id` was opened: tell the peer what is off (it assumes all on).
    pub(super) fn announce_media(&mut self, id: &str) {
        let camera = self.media.is_on(MediaKind::Camera);
        let microphone = self.media.is_on(MediaKind::Microphone);
        let paused = self.peers.get(id).is_some_and(|r| r.sent_paused.is_some());
        if !camera || !microphone || paused || self.my_screen.is_some() {
            self.send_media_state(id);
        }
    }

    /// Sends the whole of what we send to `id`: camera, microphone, and whether
    /// adaptation paused the video (and why).
    pub(super) fn send_media_state(&mut self, id: &str) {
        let Some(remote) = self.peers.get(id) else {
            return;
        };
        let data = SignalData::MediaState {
            video_paused: remote.sent_paused.is_some(),
            reason: remote.sent_paused.clone().unwrap_or_default(),
            camera: Some(self.media.is_on(MediaKind::Camera)),
            microphone: Some(self.media.is_on(MediaKind::Microphone)),
            screen: Some(self.my_screen.clone().unwrap_or_default()),
        };
        let epoch = remote.epoch;
        self.send_signal(id, data, epoch);
    }

    /// A `mediaState` signal from `from`: keep it and tell the app the whole state.
    pub(super) fn media_state_from(
        &mut self,
        from: &str,
        video_paused: bool,
        reason: String,
        camera: Option<bool>,
        microphone: Option<bool>,
        screen: Option<String>,
    ) {
        let Some(remote) = self.peers.get_mut(from) else {
            return;
        };
        let media = &mut remote.media;
        media.video_paused = video_paused;
        media.reason = reason;
        if let Some(camera) = camera {
            media.camera = camera;
        }
        if let Some(microphone) = microphone {
            media.microphone = microphone;
        }
        if let Some(screen) = screen {
            media.screen = (!screen.is_empty()).then_some(screen);
        }
        let media = media.clone();
        self.emit(RoomEvent::MediaState {
            peer_id: from.to_owned(),
            video_paused: media.video_paused,
            reason: media.reason,
            camera: media.camera,
            microphone: media.microphone,
            screen: media.screen.is_some(),
        });
    }

    /// Our screen capture is ready in the stream `stream_id` (or the share ended): the
    /// peers hear it before the offer that carries it, so they can tell it apart.
    pub(super) fn screen_shared(&mut self, stream_id: Option<String>) {
        if self.my_screen == stream_id {
            return;
        }
        self.my_screen = stream_id;
        for id in self.open_links() {
            self.send_media_state(&id);
        }
    }

    /// What a remote track of `kind` in the stream `stream_id` from `from` is.
    pub(super) fn track_source(
        &self,
        from: &str,
        kind: &str,
        stream_id: Option<&str>,
    ) -> MediaKind {
        let screen = self.peers.get(from).and_then(|r| r.media.screen.as_deref());
        match (kind, stream_id) {
            ("video", Some(s)) if Some(s) == screen => MediaKind::Screen,
            ("video", _) => MediaKind::Camera,
            _ => MediaKind::Microphone,
        }
    }

    /// The peers whose link is open now.
    pub(super) fn open_links(&self) -> Vec<String> {
        self.peers
            .iter()
            .filter(|(_, r)| r.link_open)
            .map(|(id, _)| id.clone())
            .collect()
    }
}
