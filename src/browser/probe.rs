//! The measurements of the pre-call check: a WebSocket opened and closed, the server's
//! ICE configuration fetched with the token, ICE candidates gathered on a throwaway peer
//! connection. Each is bounded in time and releases what it made; what the results mean
//! is decided in `engine::connectivity`.

use super::driver::now_ms;
use super::js::{error_message, get_string};
use crate::engine::connectivity::Gathered;
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
        .and_then(|list| serde_wasm_bindgen::from_value::<Vec<IceServer>>(list).ok());
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
