//! The page's one `AudioContext` and the level meters on it.
//!
//! Browsers limit how many audio contexts a page may create, and each costs a thread, so
//! every room and every track on the page shares one, created on first use and resumed
//! on the first click or key press if the autoplay policy suspended it. A [`Meter`] reads
//! one track through `createMediaStreamSource` (never `createMediaElementSource`, which
//! can be called once per element and steals its output) into an analyser; dropping it
//! disconnects both nodes.

use super::js::browser_error;
use crate::error::SteadyError;
use gloo_events::EventListener;
use std::cell::RefCell;
use wasm_bindgen::JsCast;
use web_sys::{AnalyserNode, AudioContext, AudioContextState, MediaStreamAudioSourceNode};
use web_sys::{MediaStream, MediaStreamTrack};

thread_local! {
    static CONTEXT: RefCell<Option<AudioContext>> = const { RefCell::new(None) };
    /// Listeners that resume a suspended context on the first user gesture.
    static GESTURE: RefCell<Vec<EventListener>> = const { RefCell::new(Vec::new()) };
}

/// The page's audio context, created on first use.
pub fn context() -> Result<AudioContext, SteadyError> {
    if let Some(ctx) = CONTEXT.with(|c| c.borrow().clone()) {
        return Ok(ctx);
    }
    let ctx = AudioContext::new().map_err(|e| browser_error("new AudioContext", &e))?;
    CONTEXT.with(|c| *c.borrow_mut() = Some(ctx.clone()));
    if ctx.state() == AudioContextState::Suspended {
        resume_on_gesture();
    }
    Ok(ctx)
}

/// Whether the page's context exists and the autoplay policy holds it.
pub fn is_blocked() -> bool {
    CONTEXT.with(|c| {
        c.borrow()
            .as_ref()
            .is_some_and(|ctx| ctx.state() == AudioContextState::Suspended)
    })
}

/// How long `resume` waits: a page with no audio output never starts its context
/// (measured: headless Firefox on a machine without a sound device).
const RESUME_WAIT_MS: u32 = 3_000;

/// Resumes the page's context (call from a user gesture); creates it if needed.
pub async fn resume() -> Result<(), SteadyError> {
    let ctx = context()?;
    let promise = ctx
        .resume()
        .map_err(|e| browser_error("AudioContext.resume", &e))?;
    let resumed = Box::pin(super::js::settle("AudioContext.resume", promise));
    let timeout = gloo_timers::future::TimeoutFuture::new(RESUME_WAIT_MS);
    match futures::future::select(resumed, timeout).await {
        futures::future::Either::Left((result, _)) => result?,
        futures::future::Either::Right(_) => {
            return Err(SteadyError::new(
                crate::error::ErrorCode::MediaTimeout,
                "the page's audio did not start within 3 s: is there an audio output device?",
            ))
        }
    };
    GESTURE.with(|g| g.borrow_mut().clear());
    Ok(())
}

fn resume_on_gesture() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let listeners = ["pointerdown", "keydown"]
        .into_iter()
        .map(|name| {
            EventListener::new(&window, name, |_| {
                wasm_bindgen_futures::spawn_local(async {
                    if let Err(e) = resume().await {
                        tracing::debug!(%e, "resume on gesture");
                    }
                });
            })
        })
        .collect();
    GESTURE.with(|g| *g.borrow_mut() = listeners);
}

/// The level of one audio track.
pub struct Meter {
    source: MediaStreamAudioSourceNode,
    analyser: AnalyserNode,
    buf: RefCell<Vec<f32>>,
    /// For a remote track: a muted `<audio>` playing it. Chromium feeds a remote WebRTC
    /// track into Web Audio only while a media element plays it (measured: level 0
    /// without one).
    sink: Option<wasm_bindgen::JsValue>,
}

impl Meter {
    /// A meter on `track`; `remote` for a track received from a peer.
    pub fn new(track: &MediaStreamTrack, remote: bool) -> Result<Self, SteadyError> {
        let ctx = context()?;
        let (source, sink) = source_node(track, remote)?;
        let analyser = ctx
            .create_analyser()
            .map_err(|e| browser_error("createAnalyser", &e))?;
        analyser.set_fft_size(512);
        source
            .connect_with_audio_node(&analyser)
            .map_err(|e| browser_error("AudioNode.connect", &e))?;
        Ok(Self {
            source,
            analyser,
            buf: RefCell::new(vec![0.0; 512]),
            sink,
        })
    }

    /// The RMS of the last 512 samples, 0..1.
    pub fn level(&self) -> f64 {
        let mut buf = self.buf.borrow_mut();
        self.analyser.get_float_time_domain_data(&mut buf);
        let sum: f64 = buf.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
        (sum / buf.len().max(1) as f64).sqrt().min(1.0)
    }
}

impl Drop for Meter {
    fn drop(&mut self) {
        release(&self.source, &self.sink);
        let _ = self.analyser.disconnect();
    }
}

/// A source node on the page's context that plays `track` (and, for a `remote` track, the
/// muted element that makes Chromium feed it to Web Audio; keep it as long as the node).
pub fn source_node(
    track: &MediaStreamTrack,
    remote: bool,
) -> Result<(MediaStreamAudioSourceNode, Option<wasm_bindgen::JsValue>), SteadyError> {
    let ctx = context()?;
    let tracks = js_sys::Array::of1(track);
    let stream =
        MediaStream::new_with_tracks(&tracks).map_err(|e| browser_error("new MediaStream", &e))?;
    // The element first: a source made before the remote audio flows stays silent.
    let sink = if remote {
        Some(muted_player(&stream)?)
    } else {
        None
    };
    let source = ctx
        .create_media_stream_source(&stream)
        .map_err(|e| browser_error("createMediaStreamSource", &e))?;
    Ok((source, sink))
}

/// Releases what `source_node` made.
pub fn release(source: &MediaStreamAudioSourceNode, sink: &Option<wasm_bindgen::JsValue>) {
    let _ = source.disconnect();
    if let Some(sink) = sink {
        let _ = js_sys::Reflect::set(sink, &"srcObject".into(), &wasm_bindgen::JsValue::NULL);
    }
}

/// A detached, muted `<audio>` element playing `stream` (it makes no sound).
fn muted_player(stream: &MediaStream) -> Result<wasm_bindgen::JsValue, SteadyError> {
    use js_sys::{Function, Reflect};
    use wasm_bindgen::JsValue;
    let call = |target: &JsValue, method: &str, args: &js_sys::Array| {
        Reflect::get(target, &method.into())
            .and_then(|f| f.dyn_into::<Function>())
            .and_then(|f| f.apply(target, args))
            .map_err(|e| browser_error(method, &e))
    };
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| SteadyError::new(crate::error::ErrorCode::BrowserError, "no document"))?;
    let el = call(
        &document,
        "createElement",
        &js_sys::Array::of1(&"audio".into()),
    )?;
    let set =
        |k: &str, v: &JsValue| Reflect::set(&el, &k.into(), v).map_err(|e| browser_error(k, &e));
    set("muted", &true.into())?;
    set("srcObject", stream)?;
    if let Ok(promise) = call(&el, "play", &js_sys::Array::new())?.dyn_into::<js_sys::Promise>() {
        // A muted element may always play; a refusal only leaves the level at 0.
        wasm_bindgen_futures::spawn_local(async move {
            let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
        });
    }
    Ok(el)
}

/// Typed audio tracks of a stream.
pub fn audio_tracks(stream: &MediaStream) -> Vec<MediaStreamTrack> {
    stream
        .get_audio_tracks()
        .iter()
        .filter_map(|t| t.dyn_into::<MediaStreamTrack>().ok())
        .collect()
}
