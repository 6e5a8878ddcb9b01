//! Logging the app controls: `setLogLevel(level)` at any time (default `warn`), and
//! `logSink(fn)`, which takes the records instead of the console as plain objects
//! `{level, target, message, fields}` for the app's own monitoring.
//!
//! Every `tracing` event of the library passes the one level filter here, then goes to
//! the sink if one is set, else to the console. A sink that throws is ignored (logging
//! it would call it again); a sink that logs through steadyrtc is not re-entered.

use crate::options::LogLevel;
use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicU8, Ordering};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::Registry;
use wasm_bindgen::prelude::*;

/// The level (a `LogLevel` as u8); `warn` until the app says otherwise.
static LOG_LEVEL: AtomicU8 = AtomicU8::new(LogLevel::Warn as u8);

thread_local! {
    static SINK: RefCell<Option<js_sys::Function>> = const { RefCell::new(None) };
    static IN_SINK: Cell<bool> = const { Cell::new(false) };
}

/// Sets how much the library logs, for everything on the page.
pub fn set_level(level: LogLevel) {
    LOG_LEVEL.store(level as u8, Ordering::Relaxed);
    // Each log line's callsite caches whether it is enabled; ask again.
    tracing::callsite::rebuild_interest_cache();
}

/// How much steadyrtc logs, from now on, for every `Room` and `Peer` on the page:
/// `"off"`, `"error"`, `"warn"` (the default), `"info"`, `"debug"` or `"trace"`. A call
/// that goes well logs nothing at `warn` and nothing at `info`. Throws `invalidOptions`
/// for another value.
#[wasm_bindgen(js_name = setLogLevel)]
pub fn set_log_level(
    #[wasm_bindgen(unchecked_param_type = "LogLevel")] level: &str,
) -> Result<(), JsValue> {
    set_level(LogLevel::parse(level)?);
    Ok(())
}

/// Sends every log record (at the level of `setLogLevel`) to `sink` instead of the
/// console, as `{ level, target, message, fields }`: for your own monitoring. `null`
/// gives the console back. A sink that throws is ignored. Throws `invalidArgument` for
/// anything but a function or `null`.
#[wasm_bindgen(js_name = logSink)]
pub fn log_sink(
    #[wasm_bindgen(unchecked_param_type = "((record: LogRecord) => void) | null")] sink: JsValue,
) -> Result<(), JsValue> {
    let sink = if sink.is_null() || sink.is_undefined() {
        None
    } else {
        Some(sink.dyn_into::<js_sys::Function>().map_err(|_| {
            crate::error::SteadyError::new(
                crate::error::ErrorCode::InvalidArgument,
                "logSink takes a function, or null for the console",
            )
        })?)
    };
    SINK.with(|s| *s.borrow_mut() = sink);
    tracing::callsite::rebuild_interest_cache();
    Ok(())
}

fn enabled(level: &tracing::Level) -> bool {
    level_of(level) as u8 <= LOG_LEVEL.load(Ordering::Relaxed)
}

fn level_of(level: &tracing::Level) -> LogLevel {
    match *level {
        tracing::Level::ERROR => LogLevel::Error,
        tracing::Level::WARN => LogLevel::Warn,
        tracing::Level::INFO => LogLevel::Info,
        tracing::Level::DEBUG => LogLevel::Debug,
        tracing::Level::TRACE => LogLevel::Trace,
    }
}

fn has_sink() -> bool {
    SINK.with(|s| s.borrow().is_some())
}

/// Routes `tracing` to the sink or the console, at the level set. Called once, when the
/// module starts; another subscriber already set on the page is kept.
pub fn install() {
    let config = tracing_wasm::WASMLayerConfigBuilder::new()
        .set_max_level(tracing::Level::TRACE)
        .set_report_logs_in_timings(false)
        .build();
    let console = tracing_subscriber::filter::filter_fn(|m| enabled(m.level()) && !has_sink());
    let sink = tracing_subscriber::filter::filter_fn(|m| enabled(m.level()) && has_sink());
    let subscriber = Registry::default()
        .with(tracing_wasm::WASMLayer::new(config).with_filter(console))
        .with(SinkLayer.with_filter(sink));
    let _ = tracing::subscriber::set_global_default(subscriber);
}

/// Hands each event to the app's sink as a plain object.
struct SinkLayer;

impl<S: Subscriber> Layer<S> for SinkLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        if IN_SINK.with(|f| f.replace(true)) {
            return;
        }
        if let Some(sink) = SINK.with(|s| s.borrow().clone()) {
            let meta = event.metadata();
            let mut fields = Fields {
                message: String::new(),
                object: js_sys::Object::new(),
            };
            event.record(&mut fields);
            let level = match level_of(meta.level()) {
                LogLevel::Error => "error",
                LogLevel::Warn => "warn",
                LogLevel::Info => "info",
                LogLevel::Debug => "debug",
                _ => "trace",
            };
            let record = crate::browser::js::object(&[
                ("level", level.into()),
                ("target", meta.target().into()),
                ("message", fields.message.into()),
                ("fields", fields.object.into()),
            ]);
            let _ = sink.call1(&JsValue::UNDEFINED, &record);
        }
        IN_SINK.with(|f| f.set(false));
    }
}

/// An event's `message` and its other fields, as JS values.
struct Fields {
    message: String,
    object: js_sys::Object,
}

impl Fields {
    fn set(&mut self, field: &Field, value: JsValue) {
        let _ = js_sys::Reflect::set(&self.object, &field.name().into(), &value);
    }
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let text = format!("{value:?}");
        if field.name() == "message" {
            self.message = text;
        } else {
            self.set(field, text.into());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = value.to_owned();
        } else {
            self.set(field, value.into());
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.set(field, (value as f64).into());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.set(field, (value as f64).into());
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.set(field, value.into());
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.set(field, value.into());
    }
}
