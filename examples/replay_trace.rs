//! Replays a trace exported by `room.exportTrace()` (a JSON file) natively and prints,
//! one JSON line each, the events the room emits and the actions of each link, so a
//! problem seen in a browser can be stepped through under a debugger.
//!
//!   cargo run --example replay_trace -- trace.json            # events and link actions
//!   cargo run --example replay_trace -- trace.json --events   # only the room's events
//!
//! Exits 1 with a message when the file is not a trace or the trace was truncated.

use serde::Deserialize;
use std::collections::BTreeMap;
use steadyrtc::engine::room::trace::{replay, RoomTrace};
use steadyrtc::engine::room::RoomAction;
use steadyrtc::engine::trace::{replay as replay_link, Trace};

#[derive(Deserialize)]
struct Export {
    room: RoomTrace,
    #[serde(default)]
    links: BTreeMap<String, Trace>,
}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: replay_trace <trace.json> [--events]");
        std::process::exit(2);
    };
    let only_events = args.next().as_deref() == Some("--events");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| fail(&format!("cannot read {path}: {e}")));
    let export: Export = serde_json::from_str(&text)
        .unwrap_or_else(|e| fail(&format!("{path} is not an exported trace: {e}")));
    let actions = replay(&export.room)
        .unwrap_or_else(|_| fail("the room trace was truncated (capacity reached)"));
    for action in actions.into_iter().flatten() {
        let line = match &action {
            RoomAction::Emit { event } => serde_json::to_string(event),
            _ if only_events => continue,
            other => serde_json::to_string(other),
        };
        println!("{}", line.unwrap_or_else(|e| fail(&e.to_string())));
    }
    if only_events {
        return;
    }
    for (peer, trace) in &export.links {
        let actions = replay_link(trace)
            .unwrap_or_else(|_| fail(&format!("the trace of the link to {peer} was truncated")));
        for action in actions.into_iter().flatten() {
            let json = serde_json::to_string(&action).unwrap_or_else(|e| fail(&e.to_string()));
            println!(
                "{{\"link\":{},\"action\":{json}}}",
                serde_json::to_string(peer).unwrap_or_default()
            );
        }
    }
}

fn fail(message: &str) -> ! {
    eprintln!("replay_trace: {message}");
    std::process::exit(1)
}
