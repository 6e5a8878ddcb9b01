//! Browser tests of the peer layer and the JS error surface, run by wasm-bindgen-test in
//! headless Chromium and Firefox (see README: `npm test`). Two peer links live in one
//! page and are wired to each other directly, with no server in between.
#![cfg(target_arch = "wasm32")]

use futures::channel::mpsc::{unbounded, UnboundedReceiver};
use futures::future::{select, Either};
use futures::StreamExt;
use steadyrtc::browser::media;
use steadyrtc::browser::peer::{PeerEvent, PeerLink};
use steadyrtc::options::IceOptions;
use steadyrtc_protocol::SignalData;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Upper bound for any wait in these tests.
const TIMEOUT_MS: u32 = 15_000;

type Events = UnboundedReceiver<(String, PeerEvent)>;

fn pair() -> (PeerLink, Events, PeerLink, Events) {
    let (tx_a, rx_a) = unbounded();
    let (tx_b, rx_b) = unbounded();
    let a = PeerLink::new("b", &IceOptions::default(), tx_a).expect("peer a");
    let b = PeerLink::new("a", &IceOptions::default(), tx_b).expect("peer b");
    (a, rx_a, b, rx_b)
}

/// Runs `fut` or panics after [`TIMEOUT_MS`] naming `what`.
async fn within<T>(what: &str, fut: impl std::future::Future<Output = T>) -> T {
    let timeout = gloo_timers::future::TimeoutFuture::new(TIMEOUT_MS);
    match select(Box::pin(fut), timeout).await {
        Either::Left((value, _)) => value,
        Either::Right(_) => panic!("timed out after {TIMEOUT_MS} ms: {what}"),
    }
}

/// Relays candidates between the links and records what else they report, until
/// `done` says so. Returns what was seen.
#[derive(Default, Debug)]
struct Seen {
    open: [bool; 2],
    messages: [Vec<String>; 2],
    tracks: [Vec<String>; 2],
}

async fn pump(
    links: [&PeerLink; 2],
    rx: [&mut Events; 2],
    mut done: impl FnMut(&Seen, [&PeerLink; 2]) -> bool,
) -> Seen {
    let [rx_a, rx_b] = rx;
    let mut events =
        futures::stream::select(rx_a.map(|e| (0usize, e.1)), rx_b.map(|e| (1usize, e.1)));
    let mut seen = Seen::default();
    while !done(&seen, links) {
        let Some((side, event)) = events.next().await else {
            panic!("event streams ended")
        };
        let other = links[1 - side];
        match event {
            PeerEvent::Signal(signal @ SignalData::Candidate { .. }) => {
                other.apply(signal).await.expect("candidate applies");
            }
            PeerEvent::ChannelOpen => seen.open[side] = true,
            PeerEvent::Message(text) => seen.messages[side].push(text),
            PeerEvent::Track { track, .. } => seen.tracks[side].push(track.kind()),
            _ => {}
        }
    }
    seen
}

async fn negotiate(a: &PeerLink, b: &PeerLink) {
    let offer = a.offer().await.expect("offer");
    let answer = b
        .apply(offer)
        .await
        .expect("apply offer")
        .expect("an answer");
    assert!(b.apply(SignalData::EndOfCandidates).await.is_ok());
    assert!(a.apply(answer).await.expect("apply answer").is_none());
}

#[wasm_bindgen_test]
async fn two_links_connect_and_exchange_a_data_channel_message() {
    let (a, mut rx_a, b, mut rx_b) = pair();
    negotiate(&a, &b).await;
    within(
        "both data channels open",
        pump([&a, &b], [&mut rx_a, &mut rx_b], |s, _| {
            s.open == [true, true]
        }),
    )
    .await;
    a.send("hello from a").expect("send");
    let seen = within(
        "the message arrives",
        pump([&a, &b], [&mut rx_a, &mut rx_b], |s, _| {
            !s.messages[1].is_empty()
        }),
    )
    .await;
    assert_eq!(seen.messages[1], vec!["hello from a".to_string()]);
    assert_eq!(a.connection_state(), "connected");
}

#[wasm_bindgen_test]
async fn candidates_delivered_before_the_offer_are_held_and_still_connect() {
    let (a, mut rx_a, b, mut rx_b) = pair();
    let offer = a.offer().await.expect("offer");
    // Collect every candidate of a before b sees the offer.
    let mut early = Vec::new();
    within("a finishes gathering", async {
        while let Some((_, event)) = rx_a.next().await {
            match event {
                PeerEvent::Signal(c @ SignalData::Candidate { .. }) => early.push(c),
                PeerEvent::Signal(SignalData::EndOfCandidates) => break,
                _ => {}
            }
        }
    })
    .await;
    assert!(!early.is_empty(), "a gathered no candidates");
    for candidate in early {
        b.apply(candidate)
            .await
            .expect("an early candidate is accepted and held");
    }
    let answer = b.apply(offer).await.expect("apply offer").expect("answer");
    a.apply(answer).await.expect("apply answer");
    within(
        "both data channels open",
        pump([&a, &b], [&mut rx_a, &mut rx_b], |s, _| {
            s.open == [true, true]
        }),
    )
    .await;
}

#[wasm_bindgen_test]
async fn published_camera_and_microphone_arrive_as_remote_tracks() {
    let stream = media::capture(true, true)
        .await
        .expect("fake media")
        .expect("a stream");
    let (a, mut rx_a, b, mut rx_b) = pair();
    a.add_stream(&stream);
    negotiate(&a, &b).await;
    let seen = within(
        "audio and video tracks arrive",
        pump([&a, &b], [&mut rx_a, &mut rx_b], |s, _| {
            s.tracks[1].len() == 2
        }),
    )
    .await;
    let mut kinds = seen.tracks[1].clone();
    kinds.sort();
    assert_eq!(kinds, vec!["audio".to_string(), "video".to_string()]);
    media::stop(&stream);
}

#[wasm_bindgen_test]
fn send_before_the_channel_opens_is_not_connected() {
    let (a, _rx_a, _b, _rx_b) = pair();
    let err = a.send("too early").unwrap_err();
    assert_eq!(err.code, steadyrtc::ErrorCode::NotConnected);
}

fn js_options(json: &str) -> JsValue {
    js_sys::JSON::parse(json).expect("test options are JSON")
}

fn code_of(err: &JsValue) -> String {
    assert!(
        steadyrtc::api::error::is_steady_error(err),
        "not a SteadyError: {err:?}"
    );
    js_sys::Reflect::get(err, &"code".into())
        .ok()
        .and_then(|c| c.as_string())
        .unwrap_or_default()
}

#[wasm_bindgen_test]
async fn join_rejects_bad_options_with_a_steady_error() {
    let err =
        steadyrtc::api::room::Room::join(js_options(r#"{"url":"http://x","room":"r","name":"n"}"#))
            .await
            .err()
            .expect("join must fail");
    assert_eq!(code_of(&err), "invalidOptions");
    let message = js_sys::Reflect::get(&err, &"message".into())
        .ok()
        .and_then(|m| m.as_string());
    assert!(message.unwrap_or_default().contains("ws://"));
}

#[wasm_bindgen_test]
async fn join_against_a_closed_port_is_signaling_unreachable() {
    let options = r#"{"url":"ws://127.0.0.1:9/ws","room":"r","name":"n","media":{"audio":false,"video":false}}"#;
    let err = within(
        "join fails",
        steadyrtc::api::room::Room::join(js_options(options)),
    )
    .await
    .err()
    .expect("join must fail");
    assert_eq!(code_of(&err), "signalingUnreachable");
}
