//! Page-level conditions the engine pauses or hurries recovery for: the browser going
//! offline or online, the page being hidden or shown, and the network changing
//! (`navigator.connection`'s `change`, where it exists). Reports them to a callback; the
//! listeners are owned by the returned value and removed when it is dropped.

use gloo_events::EventListener;
use std::rc::Rc;

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

/// What the browser says of the device and the network, for the adaptation presets:
/// `navigator.connection` (`effectiveType`, `saveData`) and `navigator.userAgentData`
/// (`mobile`), where they exist. Copies only.
pub fn presets() -> crate::engine::adapt::Presets {
    let mut presets = crate::engine::adapt::Presets::default();
    let Some(window) = web_sys::window() else {
        return presets;
    };
    let navigator: wasm_bindgen::JsValue = window.navigator().into();
    let get =
        |target: &wasm_bindgen::JsValue, key: &str| js_sys::Reflect::get(target, &key.into()).ok();
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
    presets
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
    if let Some(target) =
        connection.and_then(|c| wasm_bindgen::JsCast::dyn_into::<web_sys::EventTarget>(c).ok())
    {
        listeners.push(EventListener::new(&target, "change", move |_| {
            events(PageEvent::NetworkChanged)
        }));
    }
    listeners
}
