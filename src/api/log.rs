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
use tracing::level_filters::LevelFilter;
use tracing::subscriber::Interest;
use tracing::{span, Event, Metadata, Subscriber};
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

/// Routes `tracing` to the sink or the console, at the level set. Called once, when the
/// module starts; another subscriber already set on the page is kept.
pub fn install() {
    let _ = tracing::subscriber::set_global_default(PageLog);
}

/// The one subscriber: each event at the level set goes to the app's sink as a plain
/// object, or to the console as one line, `[steadyrtc] LEVEL target: message k=v ...`.
/// The library logs events only (no spans), so it keeps no span registry.
struct PageLog;

impl Subscriber for PageLog {
    fn register_callsite(&self, meta: &'static Metadata<'static>) -> Interest {
        // Asked again after every `setLogLevel` (see `set_level`).
        if enabled(meta.level()) {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        let level = LOG_LEVEL.load(Ordering::Relaxed);
        Some(match level {
            l if l == LogLevel::Off as u8 => LevelFilter::OFF,
            l if l == LogLevel::Error as u8 => LevelFilter::ERROR,
            l if l == LogLevel::Warn as u8 => LevelFilter::WARN,
            l if l == LogLevel::Info as u8 => LevelFilter::INFO,
            l if l == LogLevel::Debug as u8 => LevelFilter::DEBUG,
            _ => LevelFilter::TRACE,
        })
    }

    fn enabled(&self, meta: &Metadata<'_>) -> bool {
        enabled(meta.level())
    }

    fn new_span(&self, _span: &span::Attributes<'_>) -> span::Id {
        span::Id::from_u64(1)
    }

    fn record(&self, _span: &span::Id, _values: &span::Record<'_>) {}

    fn record_follows_from(&self, _span: &span::Id, _follows: &span::Id) {}

    fn event(&self, event: &Event<'_>) {
        // A sink that logs through steadyrtc is not re-entered.
        if IN_SINK.with(|f| f.replace(true)) {
            return;
        }
        let meta = event.metadata();
        let level = level_name(meta.level());
        let sink = SINK.with(|s| s.borrow().clone());
        let mut fields = Fields {
            message: String::new(),
            object: sink.is_some().then(js_sys::Object::new),
        };
        event.record(&mut fields);
        match (sink, fields.object) {
            (Some(sink), Some(object)) => {
                let record = crate::browser::js::object(&[
                    ("level", level.into()),
                    ("target", meta.target().into()),
                    ("message", fields.message.into()),
                    ("fields", object.into()),
                ]);
                let _ = sink.call1(&JsValue::UNDEFINED, &record);
            }
            _ => {
                let line = JsValue::from(format!(
                    "[steadyrtc] {} {}: {}",
                    level.to_ascii_uppercase(),
                    meta.target(),
                    fields.message
                ));
                match *meta.level() {
                    tracing::Level::ERROR => web_sys::console::error_1(&line),
                    tracing::Level::WARN => web_sys::console::warn_1(&line),
                    tracing::Level::INFO => web_sys::console::info_1(&line),
                    _ => web_sys::console::debug_1(&line),
                }
            }
        }
        IN_SINK.with(|f| f.set(false));
    }

    fn enter(&self, _span: &span::Id) {}

    fn exit(&self, _span: &span::Id) {}
}

fn level_name(level: &tracing::Level) -> &'static str {
    match level_of(level) {
        LogLevel::Error => "error",
        LogLevel::Warn => "warn",
        LogLevel::Info => "info",
        LogLevel::Debug => "debug",
        _ => "trace",
    }
}

/// An event's `message` and its other fields: as a JS object for the sink, or appended
/// to the message as ` name=value` for the console.
struct Fields {
    message: String,
    object: Option<js_sys::Object>,
}

impl Fields {
    fn set(&mut self, field: &Field, value: JsValue) {
        match &self.object {
            Some(object) => {
                let _ = js_sys::Reflect::set(object, &field.name().into(), &value);
            }
            None => {
                // Numbers are written by JS's own formatting: no float formatter in the wasm.
                let text = value.as_string().unwrap_or_else(|| match value.as_bool() {
                    Some(b) => b.to_string(),
                    None => js_sys::Number::from(value)
                        .to_string_with_radix(10)
                        .map(String::from)
                        .unwrap_or_default(),
                });
                self.message.push(' ');
                self.message.push_str(field.name());
                self.message.push('=');
                self.message.push_str(&text);
            }
        }
    }
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let text = format!("{value:?}");
        if field.name() == "message" {
            self.message.insert_str(0, &text);
        } else {
            self.set(field, text.into());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.insert_str(0, value);
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
