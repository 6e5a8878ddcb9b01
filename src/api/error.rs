//! The one mapping from [`SteadyError`] to the JS `SteadyError` object: an `Error` with
//! `name = "SteadyError"`, a stable string `code` and, where it applies, `serverCode` and
//! `peerId`.

use crate::error::SteadyError;
use js_sys::Reflect;
use wasm_bindgen::prelude::*;

impl From<SteadyError> for JsValue {
    fn from(err: SteadyError) -> JsValue {
        to_js(&err, None)
    }
}

/// Builds the JS error object, tagged with the peer it concerns if any.
pub fn to_js(err: &SteadyError, peer_id: Option<&str>) -> JsValue {
    let e = js_sys::Error::new(&err.message);
    e.set_name("SteadyError");
    let set = |key: &str, value: &str| {
        // Setting a data property on a fresh Error object cannot throw.
        let _ = Reflect::set(&e, &JsValue::from_str(key), &JsValue::from_str(value));
    };
    set("code", err.code.as_str());
    if let Some(server_code) = &err.server_code {
        set("serverCode", server_code);
    }
    if let Some(peer_id) = peer_id {
        set("peerId", peer_id);
    }
    e.into()
}

/// `true` when `value` is an error thrown or emitted by steadyrtc.
#[wasm_bindgen(js_name = isSteadyError, skip_typescript)]
pub fn is_steady_error(value: &JsValue) -> bool {
    value
        .dyn_ref::<js_sys::Error>()
        .is_some_and(|e| e.name() == "SteadyError")
        && Reflect::get(value, &JsValue::from_str("code")).is_ok_and(|c| c.is_string())
}
