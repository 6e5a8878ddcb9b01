//! Executes one engine [`PcOp`] on an `RTCPeerConnection` and reports how it ended as the
//! engine [`Input`] that completes it. Never decides anything: a failure is reported, not
//! handled.

use super::js::{error_message, get_string};
use crate::engine::{Candidate, Input, PcOp, SdpKind};
use js_sys::Reflect;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    RtcIceCandidateInit, RtcOfferOptions, RtcPeerConnection, RtcSdpType, RtcSessionDescriptionInit,
};

/// Runs `op`; the result is the completion input (`CandidateFailed` or `OperationFailed`
/// on a rejection).
pub async fn run(pc: &RtcPeerConnection, op: PcOp) -> Input {
    let candidate = matches!(op, PcOp::AddCandidate { .. });
    match execute(pc, op).await {
        Ok(input) => input,
        Err(e) if candidate => Input::CandidateFailed {
            error: error_message(&e),
        },
        Err(e) => Input::OperationFailed {
            error: error_message(&e),
        },
    }
}

async fn execute(pc: &RtcPeerConnection, op: PcOp) -> Result<Input, JsValue> {
    Ok(match op {
        PcOp::CreateOffer { ice_restart } => {
            let options = RtcOfferOptions::new();
            options.set_ice_restart(ice_restart);
            let offer = JsFuture::from(pc.create_offer_with_rtc_offer_options(&options)).await?;
            let sdp = get_string(&offer, "sdp").unwrap_or_default();
            set_local(pc, RtcSdpType::Offer, &sdp).await?;
            Input::LocalDescriptionApplied {
                kind: SdpKind::Offer,
                sdp,
            }
        }
        PcOp::CreateAnswer => {
            let answer = JsFuture::from(pc.create_answer()).await?;
            let sdp = get_string(&answer, "sdp").unwrap_or_default();
            set_local(pc, RtcSdpType::Answer, &sdp).await?;
            Input::LocalDescriptionApplied {
                kind: SdpKind::Answer,
                sdp,
            }
        }
        PcOp::SetRemoteDescription { kind, sdp } => {
            let desc = RtcSessionDescriptionInit::new(sdp_type(kind));
            desc.set_sdp(&sdp);
            JsFuture::from(pc.set_remote_description(&desc)).await?;
            Input::RemoteDescriptionApplied
        }
        PcOp::Rollback => {
            let desc = RtcSessionDescriptionInit::new(RtcSdpType::Rollback);
            JsFuture::from(pc.set_local_description(&desc)).await?;
            Input::RolledBack
        }
        PcOp::AddCandidate { candidate } => {
            let promise = if candidate.is_end_of_candidates() {
                pc.add_ice_candidate_with_opt_rtc_ice_candidate_init(None)
            } else {
                pc.add_ice_candidate_with_opt_rtc_ice_candidate_init(Some(&candidate_init(
                    &candidate,
                )))
            };
            JsFuture::from(promise).await?;
            Input::CandidateAdded
        }
    })
}

fn sdp_type(kind: SdpKind) -> RtcSdpType {
    match kind {
        SdpKind::Offer => RtcSdpType::Offer,
        SdpKind::Answer => RtcSdpType::Answer,
    }
}

async fn set_local(pc: &RtcPeerConnection, kind: RtcSdpType, sdp: &str) -> Result<(), JsValue> {
    let desc = RtcSessionDescriptionInit::new(kind);
    desc.set_sdp(sdp);
    JsFuture::from(pc.set_local_description(&desc))
        .await
        .map(|_| ())
}

fn candidate_init(c: &Candidate) -> RtcIceCandidateInit {
    let init = RtcIceCandidateInit::new(&c.candidate);
    init.set_sdp_mid(c.sdp_mid.as_deref());
    init.set_sdp_m_line_index(c.sdp_m_line_index);
    if let Some(ufrag) = &c.username_fragment {
        // Setting a data property on a plain dictionary object cannot throw.
        let _ = Reflect::set(&init, &"usernameFragment".into(), &ufrag.into());
    }
    init
}

/// Reads an `RTCIceCandidate` the browser gathered.
pub fn candidate_from_js(c: &web_sys::RtcIceCandidate) -> Candidate {
    Candidate {
        candidate: c.candidate(),
        sdp_mid: c.sdp_mid(),
        sdp_m_line_index: c.sdp_m_line_index(),
        username_fragment: get_string(c.unchecked_ref(), "usernameFragment"),
    }
}

/// `sender.setParameters(...)` with `values` set on every encoding of its current
/// parameters (`getParameters()`), as the spec requires.
pub async fn set_sender_parameters(
    sender: &JsValue,
    values: &[(&str, JsValue)],
) -> Result<(), JsValue> {
    set_sender_parameters_with(sender, values, false).await
}

/// [`set_sender_parameters`], and with `key_frame` the encoder sends a key frame now
/// (`setParameters(params, {encodingOptions: [{keyFrame: true}, …]})`: Chromium; a
/// browser without it ignores the second argument).
pub async fn set_sender_parameters_with(
    sender: &JsValue,
    values: &[(&str, JsValue)],
    key_frame: bool,
) -> Result<(), JsValue> {
    let call = |name: &str, args: &js_sys::Array| -> Result<JsValue, JsValue> {
        let f: js_sys::Function = Reflect::get(sender, &name.into())?.dyn_into()?;
        f.apply(sender, args)
    };
    let params = call("getParameters", &js_sys::Array::new())?;
    let encodings = Reflect::get(&params, &"encodings".into())?;
    let encodings: js_sys::Array = encodings.dyn_into().unwrap_or_default();
    if encodings.length() == 0 {
        encodings.push(&js_sys::Object::new());
        Reflect::set(&params, &"encodings".into(), &encodings)?;
    }
    for encoding in encodings.iter() {
        for (key, value) in values {
            Reflect::set(&encoding, &JsValue::from_str(key), value)?;
        }
    }
    let args = js_sys::Array::of1(&params);
    if key_frame {
        let options = js_sys::Array::new();
        for _ in 0..encodings.length() {
            let one = js_sys::Object::new();
            Reflect::set(&one, &"keyFrame".into(), &true.into())?;
            options.push(&one);
        }
        let wrapper = js_sys::Object::new();
        Reflect::set(&wrapper, &"encodingOptions".into(), &options)?;
        args.push(&wrapper);
    }
    let promise: js_sys::Promise = call("setParameters", &args)?.dyn_into()?;
    JsFuture::from(promise).await.map(|_| ())
}
