//! Executes `MeasureAudio`: a meter on the page's one audio context for every live audio
//! track of the room (the local microphone as `"local"`, each peer's by its id), created
//! on first measure and released when its track ends, its peer leaves or the room ends.

use super::room_driver::RoomDriver;
use crate::browser::audio::{self, Meter};
use crate::engine::room::RoomInput;
use std::rc::Rc;
use web_sys::{MediaStreamTrack, MediaStreamTrackState};

/// The meters of one room, by track id: owner, track, meter.
#[derive(Default)]
pub struct Meters {
    meters: std::cell::RefCell<Vec<(String, MediaStreamTrack, Meter)>>,
    blocked: std::cell::Cell<bool>,
}

impl Meters {
    /// Drops every meter (the room ended).
    pub fn clear(&self) {
        self.meters.borrow_mut().clear();
    }
}

/// Measures every audio track and reports the levels.
pub fn measure(driver: &Rc<RoomDriver>) {
    let ctx = &driver.ctx;
    let mut wanted: Vec<(String, MediaStreamTrack)> = Vec::new();
    if let Some(stream) = ctx.local.borrow().as_ref() {
        for track in audio::audio_tracks(stream) {
            wanted.push(("local".to_owned(), track));
        }
    }
    wanted.extend(ctx.remote_tracks("audio"));
    wanted.retain(|(_, t)| t.ready_state() == MediaStreamTrackState::Live);
    let meters = &ctx.meters;
    let mut all = meters.meters.borrow_mut();
    all.retain(|(_, t, _)| wanted.iter().any(|(_, w)| w.id() == t.id()));
    for (owner, track) in wanted {
        if all.iter().any(|(_, t, _)| t.id() == track.id()) {
            continue;
        }
        match Meter::new(&track, owner != "local") {
            Ok(meter) => all.push((owner, track, meter)),
            Err(e) => tracing::debug!(%e, "no meter for an audio track"),
        }
    }
    let levels: Vec<(String, f64)> = all
        .iter()
        .map(|(owner, _, meter)| (owner.clone(), meter.level()))
        .collect();
    drop(all);
    let blocked = audio::is_blocked();
    if blocked != meters.blocked.replace(blocked) {
        driver.handle(RoomInput::AudioBlocked { blocked });
    }
    driver.handle(RoomInput::AudioLevels { levels });
}
