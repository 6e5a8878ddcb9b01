//! Small conversions between JS values and Rust types.

use crate::error::{ErrorCode, SteadyError};
use js_sys::{Object, Reflect};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

/// The `name` of a thrown JS error (e.g. `NotAllowedError`), if it has one. Read as a
/// property: Firefox's `DOMException`s are not `instanceof Error` here (measured: its
/// getDisplayMedia and getUserMedia rejections).
pub fn error_name(value: &JsValue) -> Option<String> {
    if !value.is_object() {
        return None;
    }
    get_string(value, "name")
}

/// A readable sentence for any thrown JS value, `Error`, `DOMException` or not.
pub fn error_message(value: &JsValue) -> String {
    match (error_name(value), get_string(value, "message")) {
        (Some(name), Some(message)) => format!("{name}: {message}"),
        _ => value.as_string().unwrap_or_else(|| format!("{value:?}")),
    }
}

/// A browser failure as a `browserError` naming what was attempted.
pub fn browser_error(what: &str, value: &JsValue) -> SteadyError {
    SteadyError::new(
        ErrorCode::BrowserError,
        format!("{what} failed: {}", error_message(value)),
    )
}

/// Awaits a promise, mapping a rejection to `browserError` naming `what`.
pub async fn settle(what: &str, promise: js_sys::Promise) -> Result<JsValue, SteadyError> {
    JsFuture::from(promise)
        .await
        .map_err(|e| browser_error(what, &e))
}

/// Reads a string property, or `None` if it is absent or not a string.
pub fn get_string(target: &JsValue, key: &str) -> Option<String> {
    Reflect::get(target, &JsValue::from_str(key))
        .ok()
        .and_then(|v| v.as_string())
}

/// Builds a plain JS object from key/value pairs.
pub fn object(entries: &[(&str, JsValue)]) -> JsValue {
    let obj = Object::new();
    for (key, value) in entries {
        // Setting a data property on a fresh plain object cannot throw.
        let _ = Reflect::set(&obj, &JsValue::from_str(key), value);
    }
    obj.into()
}

/// A plain JS object (or array) as JSON, for the option readers of `options_read`: read
/// through its JSON text, so that every field the app gave is seen (and an unknown one
/// refused). Errors: the reason, for an `invalidOptions`.
pub fn json_of(value: &JsValue) -> Result<serde_json::Value, String> {
    if !value.is_object() {
        return Err("options must be an object".into());
    }
    let text = js_sys::JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| "options must be plain data (JSON)".to_owned())?;
    crate::options_read::parse(&text)
}
