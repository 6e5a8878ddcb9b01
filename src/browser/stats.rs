//! Copies a peer connection's `getStats()` report into [`RawStats`], entry by entry and
//! field by field (the fields the engine's mapping names, each only when it has the
//! right type). Decides nothing: the meaning of the entries is `engine::stats_map`'s.

use super::js::browser_error;
use crate::engine::stats_map::{RawStats, FLAG_FIELDS, NUMBER_FIELDS, TEXT_FIELDS};
use crate::error::SteadyError;
use js_sys::{Function, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::RtcPeerConnection;

/// The entries of `pc.getStats()`.
pub async fn report(pc: &RtcPeerConnection) -> Result<Vec<RawStats>, SteadyError> {
    let report = JsFuture::from(pc.get_stats())
        .await
        .map_err(|e| browser_error("getStats", &e))?;
    let values = Reflect::get(&report, &"values".into())
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok())
        .and_then(|f| f.call0(&report).ok());
    let Some(values) = values else {
        return Ok(Vec::new());
    };
    Ok(js_sys::Array::from(&values)
        .iter()
        .map(|entry| copy(&entry))
        .collect())
}

fn copy(entry: &JsValue) -> RawStats {
    let mut raw = RawStats::default();
    let get = |key: &str| Reflect::get(entry, &JsValue::from_str(key)).ok();
    for key in TEXT_FIELDS {
        if let Some(v) = get(key).and_then(|v| v.as_string()) {
            raw.set_text(key, v);
        }
    }
    for key in NUMBER_FIELDS {
        if let Some(v) = get(key).and_then(|v| v.as_f64()) {
            raw.set_number(key, v);
        }
    }
    for key in FLAG_FIELDS {
        if let Some(v) = get(key).and_then(|v| v.as_bool()) {
            raw.set_flag(key, v);
        }
    }
    raw
}
