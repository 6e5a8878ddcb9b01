//! `createLocalMedia`: a preview before joining (the camera in a `<video>`, a microphone
//! level meter), handed to `connect` so the camera is not opened twice.

use crate::browser::audio::Meter;
use crate::browser::media;
use crate::error::{ErrorCode, SteadyError};
use js_sys::Reflect;
use wasm_bindgen::prelude::*;
use web_sys::MediaStream;

/// Captured camera and microphone, before or without a room.
#[wasm_bindgen]
pub struct LocalMedia {
    stream: MediaStream,
    meter: Option<Meter>,
}

#[wasm_bindgen]
impl LocalMedia {
    /// The captured tracks, for a preview `<video>` (mute it), and for
    /// `connect({ media: { stream } })`, which then owns them.
    #[wasm_bindgen(getter)]
    pub fn stream(&self) -> MediaStream {
        // `Clone::clone`: `MediaStream::clone` would be JS `clone()`, new tracks.
        Clone::clone(&self.stream)
    }

    /// The microphone's level now, 0..1 (0 without a microphone, or while the page's
    /// audio is held by the autoplay policy). Poll it for a meter, e.g. each animation
    /// frame.
    pub fn level(&self) -> f64 {
        self.meter.as_ref().map_or(0.0, Meter::level)
    }

    /// Stops the preview's tracks (not needed once handed to `connect`).
    pub fn stop(&self) {
        media::stop(&self.stream);
    }
}

/// Captures the camera and microphone for a preview: `{ audio, video }` (both `true` by
/// default) and optionally `microphone` / `camera` device ids (from `listDevices()`;
/// otherwise the ones chosen on an earlier visit). Rejects with
/// `mediaPermissionDenied`, `mediaDeviceNotFound`, `mediaDeviceInUse` or
/// `mediaUnavailable`, each with a sentence for the user.
#[wasm_bindgen(js_name = createLocalMedia, unchecked_return_type = "Promise<LocalMedia>")]
pub fn create_local_media(
    #[wasm_bindgen(unchecked_param_type = "LocalMediaOptions | undefined")] options: JsValue,
) -> js_sys::Promise {
    wasm_bindgen_futures::future_to_promise(async move {
        let flag = |key: &str| -> Result<bool, SteadyError> {
            let v = Reflect::get(&options, &key.into()).unwrap_or(JsValue::UNDEFINED);
            match v.as_bool() {
                Some(b) => Ok(b),
                None if v.is_undefined() || v.is_null() => Ok(true),
                None => Err(SteadyError::new(
                    ErrorCode::InvalidOptions,
                    format!("{key} must be a boolean"),
                )),
            }
        };
        let device = |key: &str, stored: &str| {
            Reflect::get(&options, &key.into())
                .ok()
                .and_then(|v| v.as_string())
                .or_else(|| crate::browser::devices::recall(stored))
        };
        let (audio, video) = if options.is_object() {
            (flag("audio")?, flag("video")?)
        } else {
            (true, true)
        };
        let mic = device("microphone", "microphone");
        let cam = device("camera", "camera");
        let stream = media::capture_from(
            audio.then_some(mic.as_deref()),
            video.then_some(cam.as_deref()),
        )
        .await?
        .ok_or_else(|| {
            SteadyError::new(
                ErrorCode::InvalidOptions,
                "createLocalMedia needs audio or video",
            )
        })?;
        let meter = crate::browser::audio::audio_tracks(&stream)
            .first()
            .and_then(|t| Meter::new(t, false).ok());
        Ok(LocalMedia { stream, meter }.into())
    })
}
