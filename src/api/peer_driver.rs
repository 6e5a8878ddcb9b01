//! Executes a `Peer`'s engine ([`PeerCallEngine`]) in the browser, in the one generic
//! [`Driver`]: its link (the same [`PeerLink`] a room uses), the stats timer, the media
//! it captured, and the events handed to the app. It reports what happens back to the
//! engine and decides nothing.

use super::error::to_js;
use super::events::{EventHub, EventName};
use super::link_events::{self, binary_payload, link_report, track_payload, Kept};
use super::room_driver::event_payload;
use crate::browser::driver::{Driver, Executor, Machine};
use crate::browser::media;
use crate::browser::peer::{PeerEvent, PeerLink};
use crate::engine::peer_call::{PeerCallAction, PeerCallEngine, PeerCallInput, PeerCallTimer};
use crate::engine::room::{LinkReport, RoomEvent};
use crate::engine::{ConnState, LinkConfig};
use crate::error::{ErrorCode, SteadyError};
use crate::options::IceOptions;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::{Rc, Weak};
use web_sys::{MediaStream, MediaStreamTrack};

pub type PeerDriver = Driver<PeerCallEngine, PeerCtx>;

impl Machine for PeerCallEngine {
    type Input = PeerCallInput;
    type Action = PeerCallAction;
    type Timer = PeerCallTimer;

    fn handle(&mut self, now_ms: u64, input: PeerCallInput) -> Vec<PeerCallAction> {
        PeerCallEngine::handle(self, now_ms, input)
    }

    fn timer_input(timer: PeerCallTimer) -> PeerCallInput {
        PeerCallInput::TimerFired { timer }
    }
}

/// The browser objects of one `Peer`.
#[derive(Default)]
pub struct PeerCtx {
    pub events: EventHub,
    pub ice: IceOptions,
    /// The connection, from `connect` until closed.
    pub link: RefCell<Option<Rc<PeerLink>>>,
    /// The local media on the connection, and whether this `Peer` captured it (then it
    /// stops it when closed; a stream the app gave stays the app's).
    pub local: RefCell<Option<MediaStream>>,
    pub owns_local: Cell<bool>,
    /// Remote tracks waiting for their `track` event.
    tracks: RefCell<VecDeque<(MediaStreamTrack, Option<MediaStream>)>>,
    /// Binary messages waiting for their `message` event.
    binaries: RefCell<VecDeque<js_sys::ArrayBuffer>>,
}

impl PeerCtx {
    pub fn new(ice: IceOptions) -> Self {
        Self {
            ice,
            ..Self::default()
        }
    }

    /// The link, if the `Peer` is not closed.
    pub fn link(&self) -> Option<Rc<PeerLink>> {
        self.link.borrow().clone()
    }

    fn emit(&self, event: RoomEvent) {
        let Ok(name) = EventName::parse_peer(event.name()) else {
            return tracing::debug!(event = event.name(), "not a Peer event");
        };
        let payload = match &event {
            RoomEvent::Error {
                code,
                message,
                peer_id,
                ..
            } => {
                let code = ErrorCode::parse(code).unwrap_or(ErrorCode::BrowserError);
                to_js(&SteadyError::new(code, message.clone()), peer_id.as_deref())
            }
            RoomEvent::Track { .. } => {
                let Some((track, stream)) = self.tracks.borrow_mut().pop_front() else {
                    return;
                };
                track_payload(&event, &track, stream)
            }
            RoomEvent::Message { binary: true, .. } => {
                binary_payload(&event, self.binaries.borrow_mut().pop_front())
            }
            _ => event_payload(&event),
        };
        self.events.emit(name, &payload);
    }
}

/// What the link reports, as the `Peer` engine's inputs (browser objects kept here).
pub fn link_handler(weak: Weak<PeerDriver>) -> Box<dyn Fn(PeerEvent)> {
    Box::new(move |event| {
        let Some(driver) = weak.upgrade() else { return };
        let report = link_report(event, |kept| match kept {
            Kept::Binary(data) => driver.ctx.binaries.borrow_mut().push_back(data),
            Kept::Track(track, stream) => driver.ctx.tracks.borrow_mut().push_back((track, stream)),
        });
        if let Some(report) = report {
            driver.handle(PeerCallInput::Link { report });
        }
    })
}

impl Executor<PeerCallEngine> for PeerCtx {
    fn execute(driver: &Rc<PeerDriver>, action: PeerCallAction) {
        let ctx = &driver.ctx;
        match action {
            PeerCallAction::OpenLink { config } => open_link(driver, config),
            PeerCallAction::LinkInput { input } => {
                if let Some(link) = ctx.link() {
                    link.input(input);
                }
            }
            PeerCallAction::SampleStats => sample(driver),
            PeerCallAction::ScheduleTimer { timer, at_ms } => driver.schedule(timer, at_ms),
            PeerCallAction::CancelTimer { timer } => driver.cancel(&timer),
            PeerCallAction::Signal { data } => {
                let serializer = serde_wasm_bindgen::Serializer::json_compatible();
                match serde::Serialize::serialize(&data, &serializer) {
                    Ok(payload) => ctx.events.emit(EventName::SIGNAL, &payload),
                    Err(e) => tracing::warn!(%e, "a signal could not be handed to the app"),
                }
            }
            PeerCallAction::Emit { event } => ctx.emit(event),
            PeerCallAction::Ignored { what, reason } => {
                tracing::debug!(%what, %reason, "peer engine ignored")
            }
            PeerCallAction::Finished => {
                driver.cancel_all();
                if let Some(link) = ctx.link.borrow_mut().take() {
                    link.close();
                }
                let local = ctx.local.borrow_mut().take();
                if let (Some(stream), true) = (local, ctx.owns_local.get()) {
                    media::stop(&stream);
                }
                ctx.tracks.borrow_mut().clear();
                ctx.binaries.borrow_mut().clear();
                ctx.events.clear();
            }
        }
    }
}

/// Creates the connection and puts the local media on it; a browser that refuses is
/// reported as the link failing.
fn open_link(driver: &Rc<PeerDriver>, config: LinkConfig) {
    let ctx = &driver.ctx;
    let handler = link_handler(Rc::downgrade(driver));
    match PeerLink::with_handler(&ctx.ice, config, handler) {
        Ok(link) => {
            if let Some(stream) = ctx.local.borrow().as_ref() {
                link.add_stream(stream);
            }
            *ctx.link.borrow_mut() = Some(Rc::new(link));
        }
        Err(e) => {
            let reports = [
                LinkReport::Error { message: e.message },
                LinkReport::State {
                    from: ConnState::Initializing,
                    to: ConnState::Failed,
                    reason: "browserRefused".into(),
                },
            ];
            for report in reports {
                driver.handle(PeerCallInput::Link { report });
            }
        }
    }
}

/// Samples the link and reports it.
fn sample(driver: &Rc<PeerDriver>) {
    let Some(link) = driver.ctx.link() else {
        return;
    };
    let weak = Rc::downgrade(driver);
    link_events::sample(link, move |sample| {
        if let Some(driver) = weak.upgrade() {
            driver.handle(PeerCallInput::Stats { sample });
        }
    });
}
