//! The measurements of the pre-call check: a WebSocket opened and closed, the server's
//! ICE configuration fetched with the token, ICE candidates gathered on a throwaway peer
//! connection. Each is bounded in time and releases what it made; what the results mean
//! is decided in `engine::connectivity`.

use super::driver::now_ms;
use super::js::{error_message, get_string};
use crate::engine::connectivity::{Gathered, Measured};
use crate::options::IceOptions;
use futures::channel::mpsc;
use futures::{FutureExt, StreamExt};
use gloo_events::EventListener;
use gloo_timers::future::TimeoutFuture;
use js_sys::Reflect;
use std::cell::RefCell;
use std::rc::Rc;
use steadyrtc_protocol::IceServer;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{RtcPeerConnection, RtcPeerConnectionIceEvent, RtcSessionDescriptionInit, WebSocket};

/// Opens a WebSocket to `url`: the milliseconds it took, or how long until it failed
/// and why. Closed again either way.
pub async fn socket(url: &str, timeout_ms: u32) -> Result<u64, (u64, String)> {
    let t0 = now_ms();
    let socket = WebSocket::new(url).map_err(|e| (0, error_message(&e)))?;
    let (tx, mut rx) = mpsc::unbounded::<bool>();
    let on = |name: &'static str, opened: bool| {
        let tx = tx.clone();
        EventListener::new(&socket, name, move |_| {
            let _ = tx.unbounded_send(opened);
        })
    };
    let _listeners = [on("open", true), on("error", false), on("close", false)];
    let outcome = futures::select! {
        opened = rx.next() => opened,
        _ = TimeoutFuture::new(timeout_ms).fuse() => None,
    };
    let _ = socket.close();
    let ms = now_ms().saturating_sub(t0);
    match outcome {
        Some(true) => Ok(ms),
        Some(false) => Err((ms, "the connection was refused or closed".into())),
        None => Err((ms, format!("no answer within {} s", timeout_ms / 1000))),
    }
}

/// `GET config_url` with the token: the HTTP status (0 when there was no answer), the
/// server's error code, and the ICE servers of a 200 answer.
pub async fn ice_config(
    config_url: &str,
    token: &str,
) -> (u16, Option<String>, Option<Vec<IceServer>>) {
    let answer = async {
        let global = js_sys::global();
        let fetch: js_sys::Function = Reflect::get(&global, &"fetch".into())?.dyn_into()?;
        let headers = super::js::object(&[("authorization", format!("Bearer {token}").into())]);
        let init = super::js::object(&[("headers", headers), ("cache", "no-store".into())]);
        let promise: js_sys::Promise = fetch
            .call2(&global, &config_url.into(), &init)?
            .dyn_into()?;
        let response = JsFuture::from(promise).await?;
        let status = Reflect::get(&response, &"status".into())?
            .as_f64()
            .unwrap_or(0.0) as u16;
        let json: js_sys::Function = Reflect::get(&response, &"json".into())?.dyn_into()?;
        let promise: js_sys::Promise = json.call0(&response)?.dyn_into()?;
        let body = JsFuture::from(promise).await.unwrap_or(JsValue::NULL);
        Ok::<_, JsValue>((status, body))
    };
    let Ok((status, body)) = answer.await else {
        return (0, None, None);
    };
    if status != 200 {
        return (status, get_string(&body, "code"), None);
    }
    let servers = Reflect::get(&body, &"iceServers".into())
        .ok()
        .and_then(|list| IceServer::list_from_value(&super::js::json_of(&list).ok()?).ok());
    (status, None, servers)
}

/// Gathers candidates on a throwaway connection with `ice`, until gathering completes or
/// `timeout_ms` passes (an unreachable STUN server holds gathering for about 40 s).
pub async fn gather(ice: &IceOptions, timeout_ms: u32) -> Result<Vec<Gathered>, String> {
    let config = serde_wasm_bindgen::to_value(ice).map_err(|e| e.to_string())?;
    let pc = RtcPeerConnection::new_with_configuration(config.unchecked_ref())
        .map_err(|e| error_message(&e))?;
    let seen = Rc::new(RefCell::new(Vec::new()));
    let (tx, mut rx) = mpsc::unbounded::<()>();
    let listener = {
        let seen = seen.clone();
        EventListener::new(&pc, "icecandidate", move |event| {
            let Some(event) = event.dyn_ref::<RtcPeerConnectionIceEvent>() else {
                return;
            };
            match event.candidate() {
                None => {
                    let _ = tx.unbounded_send(());
                }
                Some(c) => {
                    let value: &JsValue = c.as_ref();
                    let kind = get_string(value, "type").or_else(|| {
                        let line = c.candidate();
                        let mut words = line.split(' ');
                        words.find(|w| *w == "typ")?;
                        words.next().map(str::to_owned)
                    });
                    if let Some(kind) = kind {
                        seen.borrow_mut().push(Gathered {
                            kind,
                            relay_protocol: get_string(value, "relayProtocol"),
                            url: get_string(value, "url")
                                .filter(|u| !u.is_empty())
                                .or_else(|| get_string(event.as_ref(), "url")),
                        });
                    }
                }
            }
        })
    };
    let _channel = pc.create_data_channel("probe");
    let offered = async {
        let offer = JsFuture::from(pc.create_offer()).await?;
        let desc = RtcSessionDescriptionInit::new(web_sys::RtcSdpType::Offer);
        desc.set_sdp(&get_string(&offer, "sdp").unwrap_or_default());
        JsFuture::from(pc.set_local_description(&desc)).await
    };
    let result = match offered.await {
        Ok(_) => {
            futures::select! {
                _ = rx.next() => {},
                _ = TimeoutFuture::new(timeout_ms).fuse() => {},
            }
            Ok(seen.borrow().clone())
        }
        Err(e) => Err(error_message(&e)),
    };
    drop(listener);
    pc.close();
    result
}

/// A call to itself through TURN: two connections in the page that may only use relayed
/// addresses, a data channel flooded for `seconds`. The round-trip time of the path
/// (`None` if the browser gives none), the kilobits per second that arrived and the
/// selected pair's local candidate, or why no path came up within `timeout_ms`. Both
/// connections are closed either way.
pub async fn loopback(ice: &IceOptions, seconds: u32, timeout_ms: u32) -> Result<Measured, String> {
    let relay = IceOptions {
        ice_transport_policy: crate::options::IceTransportPolicy::Relay,
        ..ice.clone()
    };
    let config = serde_wasm_bindgen::to_value(&relay).map_err(|e| e.to_string())?;
    let new_pc = || {
        RtcPeerConnection::new_with_configuration(config.unchecked_ref())
            .map_err(|e| error_message(&e))
    };
    let (a, b) = (new_pc()?, new_pc()?);
    let result = measure(&a, &b, seconds, timeout_ms).await;
    a.close();
    b.close();
    result
}

async fn measure(
    a: &RtcPeerConnection,
    b: &RtcPeerConnection,
    seconds: u32,
    timeout_ms: u32,
) -> Result<Measured, String> {
    // Candidates go straight across (no signaling: both ends are here).
    let trickle = |from: &RtcPeerConnection, to: &RtcPeerConnection| {
        let to = to.clone();
        EventListener::new(from, "icecandidate", move |event| {
            let candidate = event
                .dyn_ref::<RtcPeerConnectionIceEvent>()
                .and_then(|e| e.candidate());
            if let Some(c) = candidate {
                let _ = to.add_ice_candidate_with_opt_rtc_ice_candidate(Some(&c));
            }
        })
    };
    let _trickle = [trickle(a, b), trickle(b, a)];
    let channel = a.create_data_channel("probe");
    let (tx, mut open) = mpsc::unbounded::<()>();
    let _open = EventListener::new(&channel, "open", move |_| {
        let _ = tx.unbounded_send(());
    });
    let negotiated = async {
        let offer = JsFuture::from(a.create_offer()).await?;
        let offer = description(web_sys::RtcSdpType::Offer, &offer);
        JsFuture::from(a.set_local_description(&offer)).await?;
        JsFuture::from(b.set_remote_description(&offer)).await?;
        let answer = JsFuture::from(b.create_answer()).await?;
        let answer = description(web_sys::RtcSdpType::Answer, &answer);
        JsFuture::from(b.set_local_description(&answer)).await?;
        JsFuture::from(a.set_remote_description(&answer)).await
    };
    negotiated.await.map_err(|e| error_message(&e))?;
    let opened = futures::select! {
        o = open.next() => o.is_some(),
        _ = TimeoutFuture::new(timeout_ms).fuse() => false,
    };
    if !opened {
        return Err(format!("no relayed path within {} s", timeout_ms / 1000));
    }
    let received = |pc: RtcPeerConnection| async move {
        let entries = super::stats::report(&pc).await.ok()?;
        crate::engine::stats_map::sample_from_report(now_ms(), &entries).pair
    };
    let t0 = now_ms();
    let before = received(b.clone()).await.map_or(0, |p| p.bytes_received);
    let chunk = js_sys::Uint8Array::new_with_length(16 * 1024);
    let end = t0 + u64::from(seconds) * 1000;
    while now_ms() < end {
        while channel.buffered_amount() < 1024 * 1024 {
            if channel.send_with_array_buffer_view(&chunk).is_err() {
                break;
            }
        }
        TimeoutFuture::new(10).await;
    }
    let after = received(b.clone()).await;
    let elapsed_s = (now_ms().saturating_sub(t0) as f64 / 1000.0).max(0.001);
    let bytes = after
        .as_ref()
        .map_or(0, |p| p.bytes_received.saturating_sub(before));
    let pair = received(a.clone()).await;
    Ok(Measured {
        rtt_ms: pair
            .as_ref()
            .and_then(|p| p.current_round_trip_time_s)
            .map(|s| s * 1000.0),
        kbps: bytes as f64 * 8.0 / 1000.0 / elapsed_s,
        local_type: pair.as_ref().and_then(|p| p.local_candidate_type.clone()),
        relay_protocol: pair.and_then(|p| p.relay_protocol),
    })
}

fn description(kind: web_sys::RtcSdpType, from: &JsValue) -> RtcSessionDescriptionInit {
    let desc = RtcSessionDescriptionInit::new(kind);
    desc.set_sdp(&get_string(from, "sdp").unwrap_or_default());
    desc
}
