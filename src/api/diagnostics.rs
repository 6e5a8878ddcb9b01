//! The JS object of `room.diagnostics()`, built field by field from the engine's report
//! (the shape is `DiagnosticsReport` in the type definitions).

use super::room_driver::event_payload;
use crate::browser::js::object;
use crate::engine::room::{Diagnostics, DiagnosticsStep as Step, PeerDiagnostics};
use wasm_bindgen::JsValue;

pub fn to_js(d: &Diagnostics) -> JsValue {
    object(&[
        ("atMs", (d.at_ms as f64).into()),
        ("peerId", d.peer_id.as_str().into()),
        ("room", d.room.as_str().into()),
        (
            "sessionState",
            d.session_state
                .map_or(JsValue::UNDEFINED, |s| s.as_str().into()),
        ),
        ("sessionTimeline", steps(d.session_timeline.iter())),
        (
            "peers",
            d.peers.iter().map(peer).collect::<js_sys::Array>().into(),
        ),
    ])
}

fn peer(p: &PeerDiagnostics) -> JsValue {
    let attempts: js_sys::Array = p
        .recovery_attempts
        .iter()
        .map(|n| JsValue::from(*n))
        .collect();
    let advice: js_sys::Array = p
        .recommendations
        .iter()
        .map(|s| JsValue::from_str(s))
        .collect();
    object(&[
        ("peerId", p.peer_id.as_str().into()),
        (
            "state",
            p.state.map_or(JsValue::UNDEFINED, |s| s.as_str().into()),
        ),
        ("timeline", steps(p.timeline.iter())),
        (
            "quality",
            p.quality.as_ref().map_or(JsValue::UNDEFINED, event_payload),
        ),
        (
            "rung",
            p.rung.map_or(JsValue::UNDEFINED, |r| r.as_str().into()),
        ),
        ("recoveryAttempts", attempts.into()),
        ("recoveries", p.recoveries.into()),
        (
            "lastTimeToRecoverMs",
            p.last_time_to_recover_ms
                .map_or(JsValue::UNDEFINED, |ms| (ms as f64).into()),
        ),
        ("recommendations", advice.into()),
    ])
}

fn steps<'a>(steps: impl Iterator<Item = &'a Step>) -> JsValue {
    steps
        .map(|s| {
            object(&[
                ("atMs", (s.at_ms as f64).into()),
                ("from", s.from.as_str().into()),
                ("to", s.to.as_str().into()),
                ("reason", s.reason.as_str().into()),
            ])
        })
        .collect::<js_sys::Array>()
        .into()
}
