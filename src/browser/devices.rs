//! The page's media devices: the list (`enumerateDevices`), its changes
//! (`devicechange`), and the app's choices kept in `localStorage` between visits.

use super::js::{browser_error, get_string, settle};
use crate::engine::room::DeviceInfo;
use crate::error::{ErrorCode, SteadyError};
use gloo_events::EventListener;
use web_sys::MediaDevices;

const STORAGE_PREFIX: &str = "steadyrtc.device.";

fn media_devices() -> Result<MediaDevices, SteadyError> {
    web_sys::window()
        .ok_or_else(|| SteadyError::new(ErrorCode::MediaUnavailable, "no window"))?
        .navigator()
        .media_devices()
        .map_err(|_| {
            SteadyError::new(
                ErrorCode::MediaUnavailable,
                "navigator.mediaDevices is missing: pages must be served over https or from localhost",
            )
        })
}

/// Every device the page can see.
pub async fn list() -> Result<Vec<DeviceInfo>, SteadyError> {
    let promise = media_devices()?
        .enumerate_devices()
        .map_err(|e| browser_error("enumerateDevices", &e))?;
    let all = settle("enumerateDevices", promise).await?;
    Ok(js_sys::Array::from(&all)
        .iter()
        .map(|d| DeviceInfo {
            device_id: get_string(&d, "deviceId").unwrap_or_default(),
            kind: get_string(&d, "kind").unwrap_or_default(),
            label: get_string(&d, "label").unwrap_or_default(),
            group_id: get_string(&d, "groupId").unwrap_or_default(),
        })
        .collect())
}

/// Calls `on_change` after each `devicechange`; dropping the listener stops it.
pub fn watch(on_change: impl Fn() + 'static) -> Option<EventListener> {
    let devices = media_devices().ok()?;
    Some(EventListener::new(&devices, "devicechange", move |_| {
        on_change()
    }))
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// Keeps the device chosen for `source` (`microphone`, `camera`) for the next visit.
pub fn remember(source: &str, device_id: Option<&str>) {
    let Some(storage) = storage() else { return };
    let key = format!("{STORAGE_PREFIX}{source}");
    let _ = match device_id {
        Some(id) => storage.set_item(&key, id),
        None => storage.remove_item(&key),
    };
}

/// The device chosen for `source` on an earlier visit.
pub fn recall(source: &str) -> Option<String> {
    storage()?
        .get_item(&format!("{STORAGE_PREFIX}{source}"))
        .ok()
        .flatten()
}
