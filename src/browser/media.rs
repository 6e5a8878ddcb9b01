//! Local media capture: `getUserMedia` with the browser's failures mapped to stable
//! error codes, and stopping every track of a stream.

use super::js::{error_message, error_name};
use crate::error::{ErrorCode, SteadyError};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{MediaStream, MediaStreamConstraints, MediaStreamTrack};

/// Captures the camera and/or microphone. `Ok(None)` when neither is asked for.
pub async fn capture(audio: bool, video: bool) -> Result<Option<MediaStream>, SteadyError> {
    if !audio && !video {
        return Ok(None);
    }
    let unavailable = |msg: String| SteadyError::new(ErrorCode::MediaUnavailable, msg);
    let window = web_sys::window().ok_or_else(|| unavailable("no window".into()))?;
    let devices = window.navigator().media_devices().map_err(|_| {
        unavailable(
            "navigator.mediaDevices is missing: pages must be served over https or from localhost"
                .into(),
        )
    })?;
    let constraints = MediaStreamConstraints::new();
    constraints.set_audio(&JsValue::from_bool(audio));
    constraints.set_video(&JsValue::from_bool(video));
    let promise = devices
        .get_user_media_with_constraints(&constraints)
        .map_err(|e| unavailable(error_message(&e)))?;
    match wasm_bindgen_futures::JsFuture::from(promise).await {
        Ok(stream) => stream.dyn_into::<MediaStream>().map(Some).map_err(|_| {
            unavailable("getUserMedia returned something that is not a MediaStream".into())
        }),
        Err(e) => Err(classify(&e)),
    }
}

fn classify(e: &JsValue) -> SteadyError {
    let code = match error_name(e).as_deref() {
        Some("NotAllowedError" | "SecurityError") => ErrorCode::MediaPermissionDenied,
        Some("NotFoundError" | "OverconstrainedError") => ErrorCode::MediaDeviceNotFound,
        _ => ErrorCode::MediaUnavailable,
    };
    SteadyError::new(code, format!("getUserMedia: {}", error_message(e)))
}

/// The tracks of a stream, typed.
pub fn tracks(stream: &MediaStream) -> Vec<MediaStreamTrack> {
    stream
        .get_tracks()
        .iter()
        .filter_map(|t| t.dyn_into::<MediaStreamTrack>().ok())
        .collect()
}

/// Stops every track, releasing the camera and microphone.
pub fn stop(stream: &MediaStream) {
    for track in tracks(stream) {
        track.stop();
    }
}
