//! Local media capture: `getUserMedia` with the browser's failures mapped to stable
//! error codes, and stopping every track of a stream.

use super::js::{error_message, error_name};
use crate::error::{ErrorCode, SteadyError};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{MediaStream, MediaStreamConstraints, MediaStreamTrack};

/// What to ask `getUserMedia` for one kind: `true`, or exactly a device (Chromium
/// ignores an `ideal` device while another capture is open: measured, it gave the
/// default microphone).
fn constraint(device_id: Option<&str>) -> JsValue {
    match device_id {
        None => JsValue::TRUE,
        Some(id) => super::js::object(&[(
            "deviceId",
            super::js::object(&[("exact", JsValue::from_str(id))]),
        )]),
    }
}

/// Captures the camera and/or microphone. `Ok(None)` when neither is asked for.
pub async fn capture(audio: bool, video: bool) -> Result<Option<MediaStream>, SteadyError> {
    capture_from(audio.then_some(None), video.then_some(None)).await
}

/// Captures the microphone and/or camera (`None`: not that one; `Some(None)`: the
/// default device; `Some(Some(id))`: that device).
///
/// A device that is gone (unplugged since it was chosen) gives way to the default one.
pub async fn capture_from(
    audio: Option<Option<&str>>,
    video: Option<Option<&str>>,
) -> Result<Option<MediaStream>, SteadyError> {
    let chosen = audio.flatten().is_some() || video.flatten().is_some();
    match get_user_media(audio, video).await {
        Err(e) if chosen && e.code == ErrorCode::MediaDeviceNotFound => {
            tracing::info!("the chosen device is gone: capturing the default one");
            get_user_media(audio.map(|_| None), video.map(|_| None)).await
        }
        other => other,
    }
}

async fn get_user_media(
    audio: Option<Option<&str>>,
    video: Option<Option<&str>>,
) -> Result<Option<MediaStream>, SteadyError> {
    if audio.is_none() && video.is_none() {
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
    constraints.set_audio(&audio.map_or(JsValue::FALSE, constraint));
    constraints.set_video(&video.map_or(JsValue::FALSE, constraint));
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

/// Captures one new track: the microphone, or the camera, from `device_id` if given.
pub async fn capture_one(
    video: bool,
    device_id: Option<&str>,
) -> Result<MediaStreamTrack, SteadyError> {
    let wanted = Some(device_id);
    let stream = if video {
        capture_from(None, wanted).await?
    } else {
        capture_from(wanted, None).await?
    };
    let track = stream.as_ref().and_then(|s| tracks(s).into_iter().next());
    track.ok_or_else(|| SteadyError::new(ErrorCode::MediaUnavailable, "getUserMedia gave no track"))
}

/// Asks the user for a screen, window or tab to share (`getDisplayMedia`).
pub async fn capture_screen() -> Result<MediaStream, SteadyError> {
    let unavailable = |msg: String| SteadyError::new(ErrorCode::MediaUnavailable, msg);
    let devices = web_sys::window()
        .ok_or_else(|| unavailable("no window".into()))?
        .navigator()
        .media_devices()
        .map_err(|_| unavailable("navigator.mediaDevices is missing".into()))?;
    let promise = devices
        .get_display_media()
        .map_err(|e| unavailable(error_message(&e)))?;
    let stream = wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map_err(|e| match error_name(&e).as_deref() {
            Some("NotAllowedError") => SteadyError::new(
                ErrorCode::MediaPermissionDenied,
                format!(
                    "screen sharing was declined or needs a click to start (getDisplayMedia: {})",
                    error_message(&e)
                ),
            ),
            Some("NotFoundError") => SteadyError::new(
                ErrorCode::MediaDeviceNotFound,
                format!(
                    "there is no screen, window or tab to share here (getDisplayMedia: {})",
                    error_message(&e)
                ),
            ),
            _ => classify(&e),
        })?;
    stream.dyn_into::<MediaStream>().map_err(|_| {
        unavailable("getDisplayMedia returned something that is not a MediaStream".into())
    })
}

/// A capture failure with its code and a sentence the user can act on.
fn classify(e: &JsValue) -> SteadyError {
    let (code, advice) = match error_name(e).as_deref() {
        Some("NotAllowedError" | "SecurityError") => (
            ErrorCode::MediaPermissionDenied,
            "allow the camera and microphone for this site in the browser's address bar, then try again",
        ),
        Some("NotFoundError" | "OverconstrainedError") => (
            ErrorCode::MediaDeviceNotFound,
            "no such camera or microphone: plug one in, or choose another device",
        ),
        Some("NotReadableError" | "TrackStartError" | "AbortError") => (
            ErrorCode::MediaDeviceInUse,
            "the device is in use by another application or tab: close it, or choose another device",
        ),
        _ => (ErrorCode::MediaUnavailable, "capture failed"),
    };
    SteadyError::new(
        code,
        format!("{advice} (getUserMedia: {})", error_message(e)),
    )
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
