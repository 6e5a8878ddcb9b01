//! Executes the room engine's media actions: turning the microphone and camera on and off
//! on the local stream and every link, watching local tracks for their end, and settling
//! the app's toggle promises. The engine decides when; this only does.

use super::room_driver::{RoomCtx, RoomDriver};
use crate::browser::media;
use crate::browser::publish;
use crate::engine::media::MediaKind;
use crate::engine::room::RoomInput;
use crate::error::{ErrorCode, SteadyError};
use futures::channel::oneshot;
use gloo_events::EventListener;
use std::rc::{Rc, Weak};
use web_sys::{MediaStream, MediaStreamTrack};

/// What a toggle's promise waits for.
pub type Waiter = oneshot::Sender<Result<(), SteadyError>>;

/// The browser kind of a local source's track.
fn track_kind(kind: MediaKind) -> &'static str {
    match kind {
        MediaKind::Microphone => "audio",
        MediaKind::Camera | MediaKind::Screen => "video",
    }
}

/// The local stream's tracks of `kind`.
fn local_tracks(ctx: &RoomCtx, kind: MediaKind) -> Vec<MediaStreamTrack> {
    ctx.local
        .borrow()
        .as_ref()
        .map(media::tracks)
        .unwrap_or_default()
        .into_iter()
        .filter(|t| t.kind() == track_kind(kind))
        .collect()
}

/// Runs `ApplyMedia` number `op` and reports its outcome.
pub fn apply(driver: &Rc<RoomDriver>, kind: MediaKind, enabled: bool, op: u32, how: Capture) {
    let weak = Rc::downgrade(driver);
    wasm_bindgen_futures::spawn_local(async move {
        let result = run(&weak, kind, enabled, how).await;
        if let Some(driver) = weak.upgrade() {
            driver.handle(RoomInput::MediaApplied { kind, op, result });
        }
    });
}

/// How to capture: from which device, and whether anew when a track exists.
pub struct Capture {
    pub device_id: Option<String>,
    pub recapture: bool,
}

async fn run(
    weak: &Weak<RoomDriver>,
    kind: MediaKind,
    enabled: bool,
    how: Capture,
) -> Result<(), SteadyError> {
    let gone = SteadyError::room_closed;
    if kind == MediaKind::Screen {
        return screen(weak, enabled).await;
    }
    let driver = weak.upgrade().ok_or_else(gone)?;
    let ctx = &driver.ctx;
    let existing = local_tracks(ctx, kind);
    if kind == MediaKind::Microphone {
        // A muted microphone keeps its track (and its permission): muting is instant.
        let live: Vec<_> = existing
            .iter()
            .filter(|t| t.ready_state() == web_sys::MediaStreamTrackState::Live)
            .collect();
        if !enabled || (!live.is_empty() && !how.recapture) {
            for track in &existing {
                track.set_enabled(enabled);
            }
            return Ok(());
        }
    }
    if !enabled {
        // The camera off: off every link, then stopped, so the light goes out.
        for track in existing {
            for link in ctx.all_links() {
                if let Err(e) = publish::unpublish(&link.connection(), &track).await {
                    tracing::debug!(%e, "replaceTrack(null) failed");
                }
            }
            track.stop();
            if let Some(stream) = ctx.local.borrow().as_ref() {
                stream.remove_track(&track);
            }
        }
        ctx.forget_ended_listeners();
        return Ok(());
    }
    drop(driver);
    let track = media::capture_one(kind != MediaKind::Microphone, how.device_id.as_deref()).await?;
    let Some(driver) = weak.upgrade() else {
        track.stop();
        return Err(gone());
    };
    let ctx = &driver.ctx;
    if ctx.local.borrow().is_none() {
        let stream = MediaStream::new()
            .map_err(|e| crate::browser::js::browser_error("new MediaStream", &e))?;
        *ctx.local.borrow_mut() = Some(stream);
    }
    let stream = ctx.local.borrow().clone().ok_or_else(gone)?;
    let old = local_tracks(ctx, kind);
    // A muted microphone's new capture stays muted until it is unmuted.
    track.set_enabled(old.first().is_none_or(MediaStreamTrack::enabled) || enabled);
    let mut result = Ok(());
    for link in ctx.all_links() {
        if let Err(e) = publish::swap(&link.connection(), old.first(), &track, &stream).await {
            result = Err(SteadyError::new(
                ErrorCode::BrowserError,
                format!("replaceTrack: {e}"),
            ));
        }
    }
    for old in old {
        old.stop();
        stream.remove_track(&old);
    }
    stream.add_track(&track);
    ctx.forget_ended_listeners();
    watch_end(&driver, &track, kind);
    result
}

/// Starts or stops the screen share: its own stream, announced to the peers (so they
/// can tell its track from the camera's) before it is added to every link, which
/// renegotiates; removed from every link when it stops.
async fn screen(weak: &Weak<RoomDriver>, enabled: bool) -> Result<(), SteadyError> {
    let gone = SteadyError::room_closed;
    if !enabled {
        let driver = weak.upgrade().ok_or_else(gone)?;
        stop_screen(&driver);
        return Ok(());
    }
    let stream = media::capture_screen().await?;
    let Some(driver) = weak.upgrade() else {
        media::stop(&stream);
        return Err(gone());
    };
    let ctx = &driver.ctx;
    let Some(track) = media::tracks(&stream).into_iter().next() else {
        return Err(SteadyError::new(
            ErrorCode::MediaUnavailable,
            "getDisplayMedia gave no track",
        ));
    };
    *ctx.screen.borrow_mut() = Some(Clone::clone(&stream));
    watch_end(&driver, &track, MediaKind::Screen);
    driver.handle(RoomInput::ScreenShared {
        stream_id: Some(stream.id()),
    });
    for link in ctx.all_links() {
        link.connection().add_track_0(&track, &stream);
    }
    Ok(())
}

/// Takes the screen share off every link and stops it.
fn stop_screen(driver: &Rc<RoomDriver>) {
    let Some(stream) = driver.ctx.screen.borrow_mut().take() else {
        return;
    };
    for track in media::tracks(&stream) {
        for link in driver.ctx.all_links() {
            publish::remove(&link.connection(), &track);
        }
        track.stop();
    }
    driver.ctx.forget_ended_listeners();
}

/// Reports `MediaEnded` when `track` ends by itself (the device was unplugged or taken
/// away); `stop()` of our own fires nothing.
pub fn watch_end(driver: &Rc<RoomDriver>, track: &MediaStreamTrack, kind: MediaKind) {
    let weak = Rc::downgrade(driver);
    // `Clone::clone`: `MediaStreamTrack::clone` would make a new track (JS `clone()`).
    let ended = Clone::clone(track);
    let listener = EventListener::new(track, "ended", move |_| {
        let weak = weak.clone();
        let track = Clone::clone(&ended);
        wasm_bindgen_futures::spawn_local(async move {
            // The dead track leaves the stream and every sender (which stays, idle, for
            // the next one), then the engine hears of it.
            let Some(driver) = weak.upgrade() else { return };
            if kind == MediaKind::Screen {
                // "Stop sharing" in the browser's own bar.
                stop_screen(&driver);
                return driver.handle(RoomInput::MediaEnded { kind });
            }
            // Ended already when a device goes; stopped anyway, so nothing holds it.
            track.stop();
            if let Some(stream) = driver.ctx.local.borrow().as_ref() {
                stream.remove_track(&track);
            }
            for link in driver.ctx.all_links() {
                let _ = publish::unpublish(&link.connection(), &track).await;
            }
            driver.handle(RoomInput::MediaEnded { kind });
        });
    });
    driver
        .ctx
        .keep_ended_listener(Clone::clone(track), listener);
}

/// Watches every track `connect` captured.
pub fn watch_local(driver: &Rc<RoomDriver>) {
    for kind in [MediaKind::Microphone, MediaKind::Camera] {
        for track in local_tracks(&driver.ctx, kind) {
            watch_end(driver, &track, kind);
        }
    }
}
