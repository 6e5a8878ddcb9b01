//! Page-level conditions the engine pauses recovery for: the browser going offline or
//! online, and the page being hidden or shown. Reports them on a channel; the listeners
//! are owned by the returned value and removed when it is dropped.

use futures::channel::mpsc::UnboundedSender;
use gloo_events::EventListener;

/// A change of page conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageEvent {
    Online(bool),
    Visible(bool),
}

/// The current conditions: (online, visible). Assumes both when unknown.
pub fn current() -> (bool, bool) {
    let Some(window) = web_sys::window() else { return (true, true) };
    let online = window.navigator().on_line();
    let visible = window
        .document()
        .map(|d| d.visibility_state() != web_sys::VisibilityState::Hidden)
        .unwrap_or(true);
    (online, visible)
}

/// Watches `online`/`offline` on the window and `visibilitychange` on the document.
pub fn watch(events: UnboundedSender<PageEvent>) -> Vec<EventListener> {
    let Some(window) = web_sys::window() else { return Vec::new() };
    let mut listeners = Vec::with_capacity(3);
    for (name, online) in [("online", true), ("offline", false)] {
        let tx = events.clone();
        listeners.push(EventListener::new(&window, name, move |_| {
            let _ = tx.unbounded_send(PageEvent::Online(online));
        }));
    }
    if let Some(document) = window.document() {
        let target = document.clone();
        listeners.push(EventListener::new(&document, "visibilitychange", move |_| {
            let visible = target.visibility_state() != web_sys::VisibilityState::Hidden;
            let _ = events.unbounded_send(PageEvent::Visible(visible));
        }));
    }
    listeners
}
