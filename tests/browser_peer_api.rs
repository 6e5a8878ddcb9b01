//! Browser tests of `Peer` through its JS surface, run by wasm-bindgen-test in headless
//! Chromium and Firefox: two Peers in one page, each one's `signal` events handed to
//! the other's `signal()` (as JSON text one way, as the object the other), with no
//! server in between.
#![cfg(target_arch = "wasm32")]

use js_sys::Function;
use std::cell::RefCell;
use std::rc::Rc;
use steadyrtc::api::peer::Peer;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const TIMEOUT_MS: f64 = 15_000.0;

fn options(json: &str) -> JsValue {
    js_sys::JSON::parse(json).expect("test options are JSON")
}

/// Waits (10 ms steps, at most [`TIMEOUT_MS`]) until `done` holds, or panics naming `what`.
async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let start = js_sys::Date::now();
    while !done() {
        assert!(
            js_sys::Date::now() - start < TIMEOUT_MS,
            "timed out after {TIMEOUT_MS} ms: {what}"
        );
        gloo_timers::future::TimeoutFuture::new(10).await;
    }
}

/// `f` as a JS function, and the closure that owns it (keep it alive while registered).
fn function(f: impl Fn(JsValue) + 'static) -> (Function, Closure<dyn Fn(JsValue)>) {
    let closure = Closure::<dyn Fn(JsValue)>::new(f);
    (
        closure.as_ref().unchecked_ref::<Function>().clone(),
        closure,
    )
}

#[wasm_bindgen_test]
async fn two_peers_connect_through_their_signals_and_a_message_crosses() {
    let a = Rc::new(Peer::new(options(r#"{"polite": true, "peerId": "b"}"#)).expect("peer a"));
    let b = Rc::new(Peer::new(options(r#"{"peerId": "a"}"#)).expect("peer b"));
    let (to_b, _to_b) = {
        let b = b.clone();
        function(move |data| {
            let text = js_sys::JSON::stringify(&data).expect("a signal is JSON");
            b.signal(text.into()).expect("b takes a's signal as text");
        })
    };
    let (to_a, _to_a) = {
        let a = a.clone();
        function(move |data| a.signal(data).expect("a takes b's signal as an object"))
    };
    a.on("signal", to_b).expect("signal is a Peer event");
    b.on("signal", to_a).expect("signal is a Peer event");
    let messages = Rc::new(RefCell::new(Vec::<(String, String)>::new()));
    let (on_message, _on_message) = {
        let messages = messages.clone();
        function(move |e| {
            let get = |k: &str| {
                js_sys::Reflect::get(&e, &k.into())
                    .ok()
                    .and_then(|v| v.as_string())
                    .unwrap_or_default()
            };
            messages.borrow_mut().push((get("peerId"), get("text")));
        })
    };
    b.on("message", on_message)
        .expect("message is a Peer event");
    assert!(a.on("peerJoined", Function::new_no_args("")).is_err());

    let both = futures::future::join(JsFuture::from(a.connect()), JsFuture::from(b.connect()));
    let (ra, rb) = both.await;
    ra.expect("a connects");
    rb.expect("b connects");
    until("both connected", || {
        a.connection_state() == "connected" && b.connection_state() == "connected"
    })
    .await;

    // The channel opens just after `connected`: send until it is open.
    let start = js_sys::Date::now();
    loop {
        match JsFuture::from(a.send("hello b".into())).await {
            Ok(_) => break,
            Err(e) => {
                let code = js_sys::Reflect::get(&e, &"code".into()).ok();
                assert_eq!(
                    code.and_then(|c| c.as_string()).as_deref(),
                    Some("notConnected")
                );
                assert!(
                    js_sys::Date::now() - start < TIMEOUT_MS,
                    "the channel never opened"
                );
                gloo_timers::future::TimeoutFuture::new(10).await;
            }
        }
    }
    until("the message arrived", || !messages.borrow().is_empty()).await;
    assert_eq!(
        messages.borrow().as_slice(),
        [("a".to_owned(), "hello b".to_owned())]
    );

    a.close();
    b.close();
    assert_eq!(a.connection_state(), "closed");
    let after = a.signal(options(r#"{"kind": "endOfCandidates"}"#));
    let code = after.map_err(|e| {
        js_sys::Reflect::get(&e, &"code".into())
            .ok()
            .and_then(|c| c.as_string())
    });
    assert_eq!(code, Err(Some("roomClosed".into())));
}

#[wasm_bindgen_test]
fn bad_options_and_bad_signals_are_steady_errors_with_codes() {
    let code = |e: JsValue| {
        js_sys::Reflect::get(&e, &"code".into())
            .ok()
            .and_then(|c| c.as_string())
            .unwrap_or_default()
    };
    for bad in [
        r#"{"initiator": true}"#,
        r#"{"polite": "yes"}"#,
        r#"{"peerId": ""}"#,
    ] {
        let err = Peer::new(options(bad)).err().expect(bad);
        assert_eq!(code(err), "invalidOptions", "{bad}");
    }
    let peer = Peer::new(JsValue::UNDEFINED).expect("no options");
    for bad in [
        r#"{"type": "offer", "sdp": "x"}"#,
        "42",
        r#"{"kind": "reconnect"}"#,
    ] {
        let err = peer.signal(options(bad)).expect_err(bad);
        assert_eq!(code(err), "invalidArgument", "{bad}");
    }
    let err = peer
        .signal("{not json".into())
        .expect_err("text that is not JSON");
    assert_eq!(code(err), "invalidArgument");
    assert_eq!(peer.connection_state(), "initializing");
}
