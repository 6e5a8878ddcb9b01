//! What a `Room` and a `Peer` both do with a link: turn its events into the engine's
//! `LinkReport` (keeping the browser objects a report cannot carry, a binary message or a
//! remote track, for the event that announces them), put those objects into the event's
//! JS payload, and sample its stats.

use super::room_driver::event_payload;
use crate::browser::peer::{PeerEvent, PeerLink};
use crate::engine::room::{LinkReport, RoomEvent};
use crate::engine::stats::StatsSample;
use js_sys::{ArrayBuffer, Reflect};
use std::rc::Rc;
use wasm_bindgen::JsValue;
use web_sys::{MediaStream, MediaStreamTrack};

/// A browser object a report leaves behind, to be kept until its event.
pub enum Kept {
    Binary(ArrayBuffer),
    Track(MediaStreamTrack, Option<MediaStream>),
}

/// The report of `event`, after handing what it carries to `keep`; `None` for the data
/// channel opening or closing, which the engine does not need.
pub fn link_report(event: PeerEvent, keep: impl FnOnce(Kept)) -> Option<LinkReport> {
    Some(match event {
        PeerEvent::Signal(data) => LinkReport::Signal { data },
        PeerEvent::State { from, to, reason } => LinkReport::State { from, to, reason },
        PeerEvent::Escalate { level, attempt } => LinkReport::Escalate { level, attempt },
        PeerEvent::Error(e) => LinkReport::Error { message: e.message },
        PeerEvent::Message(text) => LinkReport::Message {
            text,
            binary: false,
        },
        PeerEvent::Binary(data) => {
            keep(Kept::Binary(data));
            LinkReport::Message {
                text: String::new(),
                binary: true,
            }
        }
        PeerEvent::Track { track, stream } => {
            let kind = track.kind();
            let stream_id = stream.as_ref().map(MediaStream::id);
            keep(Kept::Track(track, stream));
            LinkReport::Track { kind, stream_id }
        }
        PeerEvent::ChannelOpen | PeerEvent::ChannelClosed => {
            tracing::debug!(?event, "data channel");
            return None;
        }
    })
}

/// The payload of a `track` event, with its track and stream.
pub fn track_payload(
    event: &RoomEvent,
    track: &MediaStreamTrack,
    stream: Option<MediaStream>,
) -> JsValue {
    let payload = event_payload(event);
    let _ = Reflect::set(&payload, &"track".into(), track);
    let stream = stream.map(JsValue::from).unwrap_or(JsValue::UNDEFINED);
    let _ = Reflect::set(&payload, &"stream".into(), &stream);
    payload
}

/// The payload of a binary `message` event, with its data.
pub fn binary_payload(event: &RoomEvent, data: Option<ArrayBuffer>) -> JsValue {
    let payload = event_payload(event);
    if let Some(data) = data {
        let _ = Reflect::set(&payload, &"data".into(), &data);
    }
    payload
}

/// Samples `link` (`getStats`) and hands the mapped sample to `done`.
pub fn sample(link: Rc<PeerLink>, done: impl FnOnce(StatsSample) + 'static) {
    wasm_bindgen_futures::spawn_local(async move {
        match link.stats().await {
            Ok(entries) => done(crate::engine::stats_map::sample_from_report(
                crate::browser::driver::now_ms(),
                &entries,
            )),
            Err(e) => tracing::debug!(%e, "getStats failed"),
        }
    });
}
