//! Which data channels an app's send goes on, and whether it waits for one that is still
//! opening.
//!
//! A connection reports `connected` once DTLS is up; its data channel opens one SCTP
//! round trip later. An app that sends in its `connected` handler must not be refused
//! for that gap: a send with no open channel but one opening waits for it (at most
//! [`OPEN_WAIT_MS`]), then goes on every channel open by then. With none open or opening
//! it is refused at once.

/// A data channel as the browser reports it (`closing` counts as closed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelState {
    Connecting,
    Open,
    Closed,
}

/// The longest a send waits for a channel that is opening.
pub const OPEN_WAIT_MS: u32 = 10_000;

/// What a send does with the channels it may go on (indices into the states given).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Send on these, now.
    Send(Vec<usize>),
    /// None is open: wait until one of these opens (or [`OPEN_WAIT_MS`] pass), then
    /// plan again with the states of then.
    Wait(Vec<usize>),
    /// None is open or opening.
    NotConnected,
}

/// The plan for a send on channels in `states`.
pub fn plan(states: &[ChannelState]) -> Plan {
    let with = |wanted: ChannelState| -> Vec<usize> {
        (0..states.len()).filter(|&i| states[i] == wanted).collect()
    };
    let open = with(ChannelState::Open);
    if !open.is_empty() {
        return Plan::Send(open);
    }
    let opening = with(ChannelState::Connecting);
    if opening.is_empty() {
        Plan::NotConnected
    } else {
        Plan::Wait(opening)
    }
}

/// The plan once the wait is over: send on what is open, never wait twice.
pub fn after_wait(states: &[ChannelState]) -> Plan {
    match plan(states) {
        Plan::Wait(_) => Plan::NotConnected,
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::ChannelState::{Closed, Connecting, Open};
    use super::*;

    #[test]
    fn open_channels_are_sent_on_at_once_and_the_opening_ones_are_not_waited_for() {
        assert_eq!(
            plan(&[Connecting, Open, Closed, Open]),
            Plan::Send(vec![1, 3])
        );
    }

    #[test]
    fn with_none_open_a_send_waits_for_the_opening_ones_once() {
        assert_eq!(
            plan(&[Closed, Connecting, Connecting]),
            Plan::Wait(vec![1, 2])
        );
        assert_eq!(after_wait(&[Closed, Open, Connecting]), Plan::Send(vec![1]));
        assert_eq!(
            after_wait(&[Closed, Connecting, Closed]),
            Plan::NotConnected
        );
    }

    #[test]
    fn nothing_open_or_opening_is_refused_at_once() {
        assert_eq!(plan(&[]), Plan::NotConnected);
        assert_eq!(plan(&[Closed, Closed]), Plan::NotConnected);
    }
}
