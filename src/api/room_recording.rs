//! Executes the engine's recording actions: a `Recorder` over every audio track of the
//! room and the chosen video, and the `Blob` handed to `stopRecording()`'s promise.

use super::room_driver::RoomDriver;
use crate::browser::recorder::Recorder;
use crate::engine::room::RoomInput;
use crate::error::SteadyError;
use futures::channel::oneshot;
use std::rc::Rc;
use web_sys::{Blob, MediaStreamTrack};

/// What `stopRecording()` waits for.
pub type BlobWaiter = oneshot::Sender<Result<Blob, SteadyError>>;

/// Starts recording: the local microphone and every remote audio track, and the video of
/// `video_from` (`"local"`: our camera).
pub fn start(driver: &Rc<RoomDriver>, video_from: &str) {
    let ctx = &driver.ctx;
    let local: Vec<MediaStreamTrack> = ctx
        .local
        .borrow()
        .as_ref()
        .map(crate::browser::media::tracks)
        .unwrap_or_default();
    let mut sounds: Vec<(MediaStreamTrack, bool)> = local
        .iter()
        .filter(|t| t.kind() == "audio")
        .map(|t| (Clone::clone(t), false))
        .collect();
    sounds.extend(
        ctx.remote_tracks("audio")
            .into_iter()
            .map(|(_, t)| (t, true)),
    );
    let video = if video_from == "local" {
        local.into_iter().find(|t| t.kind() == "video")
    } else {
        ctx.remote_tracks("video")
            .into_iter()
            .find(|(peer, _)| peer == video_from)
            .map(|(_, t)| t)
    };
    match Recorder::start(&sounds, video.as_ref()) {
        Ok(recorder) => *ctx.recorder.borrow_mut() = Some(recorder),
        Err(e) => driver.handle(RoomInput::RecordingFailed { message: e.message }),
    }
}

/// Stops the recording and hands the file to whoever waits for it.
pub fn stop(driver: &Rc<RoomDriver>) {
    let recorder = driver.ctx.recorder.borrow_mut().take();
    let waiter = driver.ctx.blob_waiter.borrow_mut().take();
    let Some(recorder) = recorder else { return };
    wasm_bindgen_futures::spawn_local(async move {
        let result = recorder.stop().await;
        if let Some(tx) = waiter {
            let _ = tx.send(result);
        }
    });
}
