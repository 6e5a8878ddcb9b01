//! Page-level conditions the engine pauses or hurries recovery for: the browser going
//! offline or online, the page being hidden or shown, and the network changing
//! (`navigator.connection`'s `change`, where it exists). Reports them to a callback; the
//! listeners are owned by the returned value and removed when it is dropped.

use gloo_events::EventListener;
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};

/// A change of page conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageEvent {
    Online(bool),
    Visible(bool),
    /// `navigator.connection` says the network changed.
    NetworkChanged,
}

/// The current conditions: (online, visible). Assumes both when unknown.
pub fn current() -> (bool, bool) {
    let Some(window) = web_sys::window() else {
        return (true, true);
    };
    let online = window.navigator().on_line();
    let visible = window
        .document()
        .map(|d| d.visibility_state() != web_sys::VisibilityState::Hidden)
        .unwrap_or(true);
    (online, visible)
}

/// Whether this is a Chromium-based browser: only those have `navigator.userAgentData`.
pub fn is_chromium() -> bool {
    web_sys::window()
        .and_then(|w| get(&w.navigator().into(), "userAgentData"))
        .is_some_and(|v| v.is_object())
}

/// What the browser says of the device and the network, for the adaptation presets:
/// `navigator.connection` (`effectiveType`, `saveData`), `navigator.userAgentData`
/// (`mobile`) and the battery (`level`, `charging` of a `BatteryManager`), where they
/// exist. Copies only.
pub fn presets(battery: Option<&JsValue>) -> crate::engine::adapt::Presets {
    let mut presets = crate::engine::adapt::Presets::default();
    let Some(window) = web_sys::window() else {
        return presets;
    };
    let navigator: JsValue = window.navigator().into();
    if let Some(connection) = get(&navigator, "connection").filter(|c| c.is_object()) {
        presets.effective_type = get(&connection, "effectiveType").and_then(|v| v.as_string());
        presets.save_data = get(&connection, "saveData")
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
    }
    if let Some(ua) = get(&navigator, "userAgentData").filter(|u| u.is_object()) {
        presets.mobile = get(&ua, "mobile")
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
    }
    if let Some(battery) = battery {
        presets.battery_pct = get(battery, "level")
            .and_then(|v| v.as_f64())
            .filter(|l| (0.0..=1.0).contains(l))
            .map(|l| (l * 100.0).round() as u8);
        presets.charging = get(battery, "charging").and_then(|v| v.as_bool());
    }
    presets
}

fn get(target: &JsValue, key: &str) -> Option<JsValue> {
    js_sys::Reflect::get(target, &key.into()).ok()
}

/// The page's `BatteryManager`, where `navigator.getBattery()` exists (Chromium; not
/// Firefox or Safari). `None` when it does not or the browser refuses.
pub async fn battery() -> Option<web_sys::EventTarget> {
    let navigator: JsValue = web_sys::window()?.navigator().into();
    let get_battery = get(&navigator, "getBattery")?
        .dyn_into::<js_sys::Function>()
        .ok()?;
    let promise = get_battery
        .call0(&navigator)
        .ok()?
        .dyn_into::<js_sys::Promise>()
        .ok()?;
    wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .ok()?
        .dyn_into::<web_sys::EventTarget>()
        .ok()
}

/// Calls `changed` when the battery's charge or charging state changes.
pub fn watch_battery(battery: &web_sys::EventTarget, changed: Rc<dyn Fn()>) -> Vec<EventListener> {
    ["levelchange", "chargingchange"]
        .into_iter()
        .map(|name| {
            let changed = changed.clone();
            EventListener::new(battery, name, move |_| changed())
        })
        .collect()
}

/// Watches `online`/`offline` on the window, `visibilitychange` on the document and
/// `change` on `navigator.connection`.
pub fn watch(events: Rc<dyn Fn(PageEvent)>) -> Vec<EventListener> {
    let Some(window) = web_sys::window() else {
        return Vec::new();
    };
    let mut listeners = Vec::with_capacity(4);
    for (name, online) in [("online", true), ("offline", false)] {
        let tx = events.clone();
        listeners.push(EventListener::new(&window, name, move |_| {
            tx(PageEvent::Online(online))
        }));
    }
    if let Some(document) = window.document() {
        let target = document.clone();
        let tx = events.clone();
        listeners.push(EventListener::new(
            &document,
            "visibilitychange",
            move |_| {
                tx(PageEvent::Visible(
                    target.visibility_state() != web_sys::VisibilityState::Hidden,
                ))
            },
        ));
    }
    let connection = js_sys::Reflect::get(&window.navigator(), &"connection".into()).ok();
    if let Some(target) = connection.and_then(|c| c.dyn_into::<web_sys::EventTarget>().ok()) {
        listeners.push(EventListener::new(&target, "change", move |_| {
            events(PageEvent::NetworkChanged)
        }));
    }
    listeners
}
