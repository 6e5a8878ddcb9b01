//! The app's `reconnectPolicy`, as the link engine's [`DelayPolicy`]: called with
//! `{attempt, level, elapsedMs, proposedDelayMs}`; a number is the next delay in
//! milliseconds, `null` gives up, anything else (or a throw) keeps the built-in delay.

use crate::engine::recovery::{DelayPolicy, RetryContext};
use js_sys::Function;
use wasm_bindgen::JsValue;

pub struct JsDelayPolicy {
    callback: Function,
}

impl JsDelayPolicy {
    pub fn new(callback: Function) -> Self {
        Self { callback }
    }
}

impl DelayPolicy for JsDelayPolicy {
    fn next_delay(&mut self, ctx: &RetryContext) -> Option<u64> {
        let arg = serde_wasm_bindgen::to_value(ctx).unwrap_or(JsValue::UNDEFINED);
        match self.callback.call1(&JsValue::UNDEFINED, &arg) {
            Ok(v) if v.is_null() => None,
            Ok(v) => match v.as_f64() {
                Some(ms) if ms.is_finite() && ms >= 0.0 => Some(ms.min(3_600_000.0) as u64),
                _ => Some(ctx.proposed_delay_ms),
            },
            Err(e) => {
                tracing::warn!(error = %crate::browser::js::error_message(&e), "reconnectPolicy threw; using the built-in delay");
                Some(ctx.proposed_delay_ms)
            }
        }
    }
}
