//! Recording a room with `MediaRecorder`: every audio track mixed on the page's one
//! `AudioContext` into a destination node, plus one video track, into a webm `Blob`.
//! Audio tracks that arrive during the recording join the mix.
//!
//! A suspended context (the autoplay policy before any user gesture, or a page without an
//! audio device) produces no samples, and Firefox's `MediaRecorder` then writes nothing
//! at all, not even the video (measured: a 0-byte file after 2 s). The recording then
//! takes the microphone's own track instead of the mix: remote voices are left out, but
//! the file is never empty.

use super::audio::{self, release};
use super::js::browser_error;
use crate::error::{ErrorCode, SteadyError};
use futures::channel::oneshot;
use gloo_events::EventListener;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsValue;
use web_sys::{
    AudioContextState, Blob, BlobPropertyBag, MediaRecorder, MediaStream,
    MediaStreamAudioDestinationNode, MediaStreamAudioSourceNode, MediaStreamTrack,
};

/// A recording under way. Dropping it stops it and releases its nodes.
pub struct Recorder {
    recorder: MediaRecorder,
    /// The mix, while the page's audio runs; `None` records the microphone alone.
    mix: Option<MediaStreamAudioDestinationNode>,
    sources: RefCell<Vec<(MediaStreamAudioSourceNode, Option<JsValue>)>>,
    chunks: Rc<RefCell<Vec<JsValue>>>,
    stopped: RefCell<Option<oneshot::Receiver<()>>>,
    _listeners: Vec<EventListener>,
}

impl Recorder {
    /// Starts recording `audio` (each with whether it is remote) mixed, and `video`.
    pub fn start(
        audio: &[(MediaStreamTrack, bool)],
        video: Option<&MediaStreamTrack>,
    ) -> Result<Self, SteadyError> {
        let ctx = audio::context()?;
        let (mix, stream) = if ctx.state() == AudioContextState::Running {
            let mix = ctx
                .create_media_stream_destination()
                .map_err(|e| browser_error("createMediaStreamDestination", &e))?;
            let stream = mix.stream();
            (Some(mix), stream)
        } else {
            let stream = MediaStream::new().map_err(|e| browser_error("new MediaStream", &e))?;
            let mic = audio.iter().find(|(_, remote)| !remote);
            if let Some((track, _)) = mic {
                stream.add_track(track);
            }
            tracing::warn!(
                "the page's audio is suspended (no user gesture yet): the recording has the microphone alone"
            );
            (None, stream)
        };
        if let Some(video) = video {
            stream.add_track(video);
        }
        let recorder = MediaRecorder::new_with_media_stream(&stream)
            .map_err(|e| browser_error("new MediaRecorder", &e))?;
        let chunks: Rc<RefCell<Vec<JsValue>>> = Rc::default();
        let (tx, rx) = oneshot::channel();
        let tx = RefCell::new(Some(tx));
        let sink = chunks.clone();
        let listeners = vec![
            EventListener::new(&recorder, "dataavailable", move |event| {
                if let Ok(data) = js_sys::Reflect::get(event, &"data".into()) {
                    sink.borrow_mut().push(data);
                }
            }),
            EventListener::new(&recorder, "stop", move |_| {
                if let Some(tx) = tx.borrow_mut().take() {
                    let _ = tx.send(());
                }
            }),
        ];
        let this = Self {
            recorder,
            mix,
            sources: RefCell::default(),
            chunks,
            stopped: RefCell::new(Some(rx)),
            _listeners: listeners,
        };
        for (track, remote) in audio {
            this.add_audio_track(track, *remote);
        }
        this.recorder
            .start_with_time_slice(1_000)
            .map_err(|e| browser_error("MediaRecorder.start", &e))?;
        Ok(this)
    }

    /// A remote audio track that arrived during the recording joins the mix.
    pub fn add_audio(&self, track: &MediaStreamTrack) {
        self.add_audio_track(track, true);
    }

    /// Into the mix; without one (the page's audio suspended) the microphone is already
    /// in the recording and the rest is left out.
    fn add_audio_track(&self, track: &MediaStreamTrack, remote: bool) {
        let Some(mix) = &self.mix else { return };
        match audio::source_node(track, remote) {
            Ok((source, sink)) => {
                if source.connect_with_audio_node(mix).is_ok() {
                    self.sources.borrow_mut().push((source, sink));
                }
            }
            Err(e) => tracing::debug!(%e, "a track left out of the recording"),
        }
    }

    /// Stops and hands over the recording.
    pub async fn stop(self) -> Result<Blob, SteadyError> {
        self.recorder
            .stop()
            .map_err(|e| browser_error("MediaRecorder.stop", &e))?;
        let stopped = self.stopped.borrow_mut().take();
        if let Some(rx) = stopped {
            let _ = rx.await;
        }
        let parts: js_sys::Array = self.chunks.borrow().iter().collect();
        let options = BlobPropertyBag::new();
        let mime = self.recorder.mime_type();
        options.set_type(if mime.is_empty() { "video/webm" } else { &mime });
        Blob::new_with_blob_sequence_and_options(&parts, &options).map_err(|e| {
            SteadyError::new(
                ErrorCode::BrowserError,
                format!(
                    "the recording could not be assembled: {}",
                    super::js::error_message(&e)
                ),
            )
        })
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        if self.recorder.state() != web_sys::RecordingState::Inactive {
            let _ = self.recorder.stop();
        }
        for (source, sink) in self.sources.borrow().iter() {
            release(source, sink);
        }
    }
}
