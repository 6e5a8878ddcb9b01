//! The room's event hub: handlers registered per event name, called in registration
//! order. A handler that throws is reported on the console and does not stop the others.

pub use crate::events::EventName;
use std::cell::RefCell;
use wasm_bindgen::JsValue;

/// Registered handlers.
#[derive(Default)]
pub struct EventHub {
    handlers: RefCell<Vec<(EventName, js_sys::Function)>>,
}

impl EventHub {
    pub fn on(&self, event: EventName, handler: js_sys::Function) {
        self.handlers.borrow_mut().push((event, handler));
    }

    /// Removes one registration of `handler` for `event`, if present.
    pub fn off(&self, event: EventName, handler: &js_sys::Function) {
        let mut handlers = self.handlers.borrow_mut();
        if let Some(i) = handlers
            .iter()
            .position(|(e, h)| *e == event && h == handler)
        {
            handlers.remove(i);
        }
    }

    /// Whether any handler is registered for the event named `name`.
    pub fn has(&self, name: &str) -> bool {
        self.handlers
            .borrow()
            .iter()
            .any(|(e, _)| e.as_str() == name)
    }

    pub fn clear(&self) {
        self.handlers.borrow_mut().clear();
    }

    /// Calls every handler of `event` with `payload`. Handlers may call `on`/`off`.
    pub fn emit(&self, event: EventName, payload: &JsValue) {
        let targets: Vec<js_sys::Function> = self
            .handlers
            .borrow()
            .iter()
            .filter(|(e, _)| *e == event)
            .map(|(_, h)| h.clone())
            .collect();
        for handler in targets {
            if let Err(e) = handler.call1(&JsValue::UNDEFINED, payload) {
                web_sys::console::error_2(
                    &format!("steadyrtc: a '{}' handler threw", event.as_str()).into(),
                    &e,
                );
            }
        }
    }
}
