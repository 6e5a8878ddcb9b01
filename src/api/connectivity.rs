//! `checkConnectivity({url, token})`: the pre-call check. It runs the browser's probes
//! one after the other (`browser::probe`, the camera and microphone) and asks
//! `engine::connectivity` what each result means; the report lists the steps.

use crate::browser::driver::now_ms;
use crate::browser::{media, probe};
use crate::engine::connectivity::{self as verdict, IceKinds, Report};
use crate::error::{ErrorCode, SteadyError};
use crate::options::{ConnectivityOptions, IceOptions, IceServer};
use wasm_bindgen::prelude::*;

const SOCKET_TIMEOUT_MS: u32 = 5_000;
const GATHER_TIMEOUT_MS: u32 = 10_000;
const LOOPBACK_SECONDS: u32 = 5;
const LOOPBACK_TIMEOUT_MS: u32 = 10_000;

/// Checks, before a call, what a call needs: the signaling server reachable, the token
/// valid, the ICE servers received, a local, a public (STUN) and relayed (TURN over UDP
/// and over TCP) address, a call to itself through TURN (round trip and bitrate over
/// 5 s), the camera and the microphone. Resolves with a report: each step with
/// `"pass"`, `"warn"` or `"fail"`, its time and a sentence to show; `ok` when nothing
/// failed; `path`, how media will travel (`"udp"`, `"turnTcp"`, `"turnTls"`, or null);
/// and `summary`, one sentence for all of it. Takes about a second without TURN, about
/// 6 s with it, about 15 s where UDP is blocked, at most about 30 s (a silent STUN or
/// TURN server is given 10 s). Rejects only for bad options (`invalidOptions`).
#[wasm_bindgen(js_name = checkConnectivity, unchecked_return_type = "Promise<ConnectivityReport>")]
pub fn check_connectivity(
    #[wasm_bindgen(unchecked_param_type = "ConnectivityOptions")] options: JsValue,
) -> js_sys::Promise {
    let options = crate::browser::js::json_of(&options)
        .and_then(|json| ConnectivityOptions::from_value(&json))
        .map_err(|e| SteadyError::new(ErrorCode::InvalidOptions, e))
        .and_then(|o| o.validate().map(|()| o));
    let options = match options {
        Ok(options) => options,
        Err(e) => return js_sys::Promise::reject(&e.into()),
    };
    wasm_bindgen_futures::future_to_promise(async move {
        let report = run(&options).await;
        let serializer = serde_wasm_bindgen::Serializer::json_compatible();
        let steps = serde::Serialize::serialize(&report.steps, &serializer)?;
        Ok(crate::browser::js::object(&[
            ("ok", report.ok.into()),
            (
                "path",
                report.path.map_or(JsValue::NULL, |p| p.as_str().into()),
            ),
            ("summary", report.summary.into()),
            ("steps", steps),
        ]))
    })
}

async fn run(options: &ConnectivityOptions) -> Report {
    let mut steps = vec![verdict::signaling(
        probe::socket(&options.url, SOCKET_TIMEOUT_MS).await,
    )];
    let t0 = now_ms();
    let (status, code, servers) = match verdict::config_url(&options.url) {
        Some(url) => probe::ice_config(&url, &options.token).await,
        None => (0, None, None),
    };
    let ms = now_ms().saturating_sub(t0);
    steps.push(verdict::token(status, code.as_deref(), ms));
    steps.push(verdict::ice_servers(servers.as_deref(), ms));

    let servers = servers.unwrap_or_default();
    let kinds = IceKinds::of(&servers);
    let ice = IceOptions {
        ice_servers: servers.into_iter().map(IceServer::from).collect(),
        ..IceOptions::default()
    };
    let t0 = now_ms();
    let gathered = probe::gather(&ice, GATHER_TIMEOUT_MS)
        .await
        .unwrap_or_default();
    steps.extend(verdict::candidates(
        &gathered,
        kinds,
        now_ms().saturating_sub(t0),
    ));

    let t0 = now_ms();
    let call = if verdict::can_relay(&gathered) {
        Some(probe::loopback(&ice, LOOPBACK_SECONDS, LOOPBACK_TIMEOUT_MS).await)
    } else {
        None
    };
    let measured = call.as_ref().and_then(|c| c.as_ref().ok()).cloned();
    steps.push(verdict::loopback(call, now_ms().saturating_sub(t0)));

    for (name, audio, video) in [
        ("camera", false, options.media.video),
        ("microphone", options.media.audio, false),
    ] {
        if !(audio || video) {
            continue;
        }
        let t0 = now_ms();
        let result = match media::capture(audio, video).await {
            Ok(stream) => {
                if let Some(stream) = stream {
                    media::stop(&stream);
                }
                Ok(())
            }
            Err(e) => Err(e.code),
        };
        steps.push(verdict::device(name, result, now_ms().saturating_sub(t0)));
    }
    verdict::report(steps, &gathered, kinds, measured.as_ref())
}
