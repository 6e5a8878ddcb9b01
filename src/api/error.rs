//! The one mapping from [`SteadyError`] to the exported JS class `SteadyError`: an
//! `Error` subclass (so `instanceof SteadyError` and `instanceof Error` both work) with a
//! stable string `code` and, where it applies, `serverCode` and `peerId`.

use crate::error::SteadyError;
use js_sys::Reflect;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/steady_error.js")]
extern "C" {
    #[wasm_bindgen(js_name = SteadyError)]
    type JsSteadyError;

    #[wasm_bindgen(constructor, js_class = "SteadyError")]
    fn new(
        code: &str,
        message: &str,
        server_code: Option<String>,
        peer_id: Option<String>,
    ) -> JsSteadyError;
}

impl From<SteadyError> for JsValue {
    fn from(err: SteadyError) -> JsValue {
        to_js(&err, None)
    }
}

/// Builds the JS error object, tagged with the peer it concerns if any.
pub fn to_js(err: &SteadyError, peer_id: Option<&str>) -> JsValue {
    JsSteadyError::new(
        err.code.as_str(),
        &err.message,
        err.server_code.clone(),
        peer_id.map(str::to_owned),
    )
    .into()
}

/// `true` when `value` is an error thrown or emitted by steadyrtc.
#[wasm_bindgen(js_name = isSteadyError, skip_typescript)]
pub fn is_steady_error(value: &JsValue) -> bool {
    value
        .dyn_ref::<js_sys::Error>()
        .is_some_and(|e| e.name() == "SteadyError")
        && Reflect::get(value, &JsValue::from_str("code")).is_ok_and(|c| c.is_string())
}
