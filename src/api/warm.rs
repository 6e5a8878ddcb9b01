//! `warmUp()`: one rehearsal call per page, made before the first real one, so that the
//! real call does not wait for the browser to compile the library's code on first use.
//!
//! V8 compiles each WebAssembly function the first time it runs. Without a rehearsal,
//! the first call of a page compiles the connection code while the offer and answer are
//! in flight (about 20 ms per side on a desktop, more on a phone), and the browser starts
//! its media pipeline at the first `addTrack` (up to 30 ms of main thread). The rehearsal
//! is two `Peer`s of this page calling each other over a loopback, one sending the video
//! of a blank canvas (no camera, no microphone, no server, no ICE servers); they are
//! closed once both are connected, or after 2 s.
//!
//! Nothing here decides a call's behaviour: it drives two ordinary `Peer`s.

use super::peer::Peer;
use futures::channel::mpsc;
use futures::{FutureExt, StreamExt};
use gloo_timers::future::TimeoutFuture;
use js_sys::{Function, Reflect};
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// How long the rehearsal may take before its two connections are closed anyway.
const REHEARSAL_LIMIT_MS: u32 = 2_000;

thread_local! {
    static STARTED: Cell<bool> = const { Cell::new(false) };
}

/// Prepares this page for a fast first call: call it once when the app starts, or while
/// the user is on a pre-join screen, some time before `connect`. It makes a short call
/// between two connections of this page (loopback, the video of a blank canvas, no camera
/// or microphone, no server; closed when connected, within 2 s), so that the browser has
/// compiled the library's connection code and started its media pipeline before the
/// real call needs them. Resolves when that is done; never rejects. Calls after the
/// first resolve at once.
///
/// The two connections are ordinary `RTCPeerConnection`s: a tool that counts the page's
/// connections sees them made and closed.
#[wasm_bindgen(js_name = warmUp, unchecked_return_type = "Promise<void>")]
pub fn warm_up() -> js_sys::Promise {
    if STARTED.with(|s| s.replace(true)) {
        return js_sys::Promise::resolve(&JsValue::UNDEFINED);
    }
    wasm_bindgen_futures::future_to_promise(async {
        rehearse().await;
        Ok(JsValue::UNDEFINED)
    })
}

/// The rehearsal: `a` (polite, so it offers) and `b` hand their signals to each other.
async fn rehearse() {
    // A video track of a blank canvas, sent by `a`: the browser's media pipeline (its
    // first track on a connection costs up to 30 ms of main thread) starts here too.
    let canvas = canvas_stream();
    let media = canvas.as_ref().map_or(JsValue::UNDEFINED, |stream| {
        crate::browser::js::object(&[("stream", stream.into())])
    });
    let options = |polite: bool, media: JsValue| {
        crate::browser::js::object(&[("polite", polite.into()), ("media", media)])
    };
    let (Ok(a), Ok(b)) = (
        Peer::new(options(true, media)),
        Peer::new(options(false, JsValue::UNDEFINED)),
    ) else {
        if let Some(stream) = &canvas {
            crate::browser::media::stop(stream);
        }
        return;
    };
    let (a, b) = (Rc::new(a), Rc::new(b));
    let relay = |to: &Rc<Peer>| {
        let to = Rc::downgrade(to);
        Closure::<dyn FnMut(JsValue)>::new(move |data: JsValue| {
            if let Some(peer) = to.upgrade() {
                let _ = peer.signal(data);
            }
        })
    };
    let (a_to_b, b_to_a) = (relay(&b), relay(&a));
    let (connected_tx, connected) = mpsc::unbounded::<()>();
    let on_state = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
        let to = Reflect::get(&event, &"to".into())
            .ok()
            .and_then(|v| v.as_string());
        if to.as_deref() == Some("connected") {
            let _ = connected_tx.unbounded_send(());
        }
    });
    let function = |c: &Closure<dyn FnMut(JsValue)>| c.as_ref().unchecked_ref::<Function>().clone();
    let wired = a.on("signal", function(&a_to_b)).is_ok()
        && b.on("signal", function(&b_to_a)).is_ok()
        && a.on("stateChange", function(&on_state)).is_ok()
        && b.on("stateChange", function(&on_state)).is_ok();
    if wired {
        let _ = JsFuture::from(a.connect()).await;
        let _ = JsFuture::from(b.connect()).await;
        let both = connected.take(2).collect::<Vec<()>>();
        futures::select! {
            _ = both.fuse() => {},
            _ = TimeoutFuture::new(REHEARSAL_LIMIT_MS).fuse() => {},
        }
    }
    // Closing drops every handler, so the closures below are not called after this.
    a.close();
    b.close();
    drop((a_to_b, b_to_a, on_state));
    if let Some(stream) = &canvas {
        crate::browser::media::stop(stream);
    }
}

/// `document.createElement("canvas").captureStream()`: a video track that costs nothing
/// (nothing is drawn), or `None` where there is no document or no canvas capture.
fn canvas_stream() -> Option<web_sys::MediaStream> {
    let document = web_sys::window()?.document()?;
    let call = |target: &JsValue, method: &str, arg: Option<&JsValue>| -> Option<JsValue> {
        let f = Reflect::get(target, &method.into())
            .ok()?
            .dyn_into::<Function>()
            .ok()?;
        match arg {
            Some(arg) => f.call1(target, arg).ok(),
            None => f.call0(target).ok(),
        }
    };
    let canvas = call(&document.into(), "createElement", Some(&"canvas".into()))?;
    let stream = call(&canvas, "captureStream", None)?;
    stream.dyn_into::<web_sys::MediaStream>().ok()
}
