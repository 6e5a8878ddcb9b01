//! Putting a local track on a peer connection, and taking it off, without a new
//! negotiation where the browser allows it.
//!
//! A track taken off leaves its sender in place with no track (`replaceTrack(null)`): the
//! transceiver stays negotiated, so the next track of that kind goes back on the same
//! sender with `replaceTrack`, and the remote sees the same track come alive again. Only
//! a kind never sent on this connection needs `addTrack`, and with it a negotiation (the
//! browser's `negotiationneeded`, which the link's perfect negotiation handles).

use super::js::error_message;
use js_sys::Reflect;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{MediaStream, MediaStreamTrack, RtcPeerConnection, RtcRtpSender};

fn senders(pc: &RtcPeerConnection) -> Vec<RtcRtpSender> {
    pc.get_senders()
        .iter()
        .filter_map(|s| s.dyn_into::<RtcRtpSender>().ok())
        .collect()
}

/// The kind (`audio`, `video`) of what `sender`'s transceiver carries, read from its
/// receiver's track, which exists for the transceiver's whole life; `None` for a
/// transceiver that no longer sends (a removed screen share's is `recvonly`).
fn sending_kind(pc: &RtcPeerConnection, sender: &RtcRtpSender) -> Option<String> {
    let transceivers: js_sys::Array = Reflect::get(pc, &"getTransceivers".into())
        .ok()?
        .dyn_into::<js_sys::Function>()
        .ok()?
        .call0(pc)
        .ok()?
        .dyn_into()
        .ok()?;
    transceivers.iter().find_map(|t| {
        let s = Reflect::get(&t, &"sender".into()).ok()?;
        if !js_sys::Object::is(&s, sender) {
            return None;
        }
        let direction = super::js::get_string(&t, "direction")?;
        if !matches!(direction.as_str(), "sendrecv" | "sendonly") {
            return None;
        }
        let receiver = Reflect::get(&t, &"receiver".into()).ok()?;
        let track = Reflect::get(&receiver, &"track".into()).ok()?;
        super::js::get_string(&track, "kind")
    })
}

async fn replace(sender: &RtcRtpSender, track: Option<&MediaStreamTrack>) -> Result<(), String> {
    JsFuture::from(sender.replace_track(track))
        .await
        .map(|_| ())
        .map_err(|e| error_message(&e))
}

/// Sends `track` (of `stream`) on `pc`: on an idle sender of its kind if there is one
/// (no negotiation), else on a new one.
pub async fn publish(
    pc: &RtcPeerConnection,
    track: &MediaStreamTrack,
    stream: &MediaStream,
) -> Result<(), String> {
    let kind = track.kind();
    let idle = senders(pc)
        .into_iter()
        .find(|s| s.track().is_none() && sending_kind(pc, s).as_deref() == Some(&kind));
    match idle {
        Some(sender) => replace(&sender, Some(track)).await,
        None => {
            pc.add_track_0(track, stream);
            Ok(())
        }
    }
}

/// Sends `track` instead of `old` where `old` is sent (another device: no negotiation),
/// else as `publish` does.
pub async fn swap(
    pc: &RtcPeerConnection,
    old: Option<&MediaStreamTrack>,
    track: &MediaStreamTrack,
    stream: &MediaStream,
) -> Result<(), String> {
    let sender = old.and_then(|old| {
        senders(pc)
            .into_iter()
            .find(|s| s.track().as_ref() == Some(old))
    });
    match sender {
        Some(sender) => replace(&sender, Some(track)).await,
        None => publish(pc, track, stream).await,
    }
}

/// Removes the sender of `track` from `pc` (a screen share's end: renegotiated).
pub fn remove(pc: &RtcPeerConnection, track: &MediaStreamTrack) {
    for sender in senders(pc) {
        if sender.track().as_ref() == Some(track) {
            pc.remove_track(&sender);
        }
    }
}

/// Stops sending `track` on `pc`; its sender stays, idle, for the next track of its kind.
pub async fn unpublish(pc: &RtcPeerConnection, track: &MediaStreamTrack) -> Result<(), String> {
    for sender in senders(pc) {
        if sender.track().as_ref() == Some(track) {
            replace(&sender, None).await?;
        }
    }
    Ok(())
}
