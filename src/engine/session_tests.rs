use super::*;
use std::collections::BTreeMap;

struct Sim {
    s: SessionSupervisor,
    timers: BTreeMap<SessionTimer, u64>,
    log: Vec<SessionAction>,
    now: u64,
}

impl Sim {
    fn joined() -> Self {
        let mut sim = Sim {
            s: SessionSupervisor::new(SessionConfig::default(), 9),
            timers: BTreeMap::new(),
            log: Vec::new(),
            now: 0,
        };
        sim.feed(SessionInput::Joined {
            heartbeat_timeout_ms: 15_000,
        });
        sim
    }

    fn feed(&mut self, input: SessionInput) -> Vec<SessionAction> {
        let acts = self.s.handle(self.now, input);
        for a in &acts {
            match a {
                SessionAction::ScheduleTimer { timer, at_ms } => {
                    assert!(
                        self.timers.insert(*timer, *at_ms).is_none(),
                        "{timer:?} armed twice"
                    );
                }
                SessionAction::CancelTimer { timer } => {
                    assert!(
                        self.timers.remove(timer).is_some(),
                        "{timer:?} cancelled unarmed"
                    );
                }
                _ => {}
            }
        }
        self.log.extend(acts.iter().cloned());
        acts
    }

    /// Advances to the next timer and fires it.
    fn fire_next(&mut self) -> (SessionTimer, Vec<SessionAction>) {
        let (&timer, &at) = self
            .timers
            .iter()
            .min_by_key(|(_, at)| **at)
            .expect("a timer is armed");
        self.timers.remove(&timer);
        self.now = at;
        (timer, self.feed(SessionInput::TimerFired { timer }))
    }

    fn states(&self) -> Vec<SessionState> {
        self.log
            .iter()
            .filter_map(|a| match a {
                SessionAction::StateChanged { to, .. } => Some(*to),
                _ => None,
            })
            .collect()
    }
}

#[test]
fn frames_keep_the_session_alive_and_silence_reconnects_and_resumes() {
    let mut sim = Sim::joined();
    for t in 1..10 {
        sim.now = t * 5_000;
        sim.feed(SessionInput::FrameReceived);
    }
    assert_eq!(sim.timers[&SessionTimer::Heartbeat], 45_000 + 15_000);
    let (timer, acts) = sim.fire_next();
    assert_eq!(timer, SessionTimer::Heartbeat);
    assert_eq!(acts[0], SessionAction::CloseSocket);
    assert!(acts.contains(&SessionAction::LinksSignaling { up: false }));
    assert!(
        acts.contains(&SessionAction::OpenSocket),
        "first retry immediate"
    );
    sim.now += 30;
    assert_eq!(
        sim.feed(SessionInput::SocketOpened).last(),
        Some(&SessionAction::SendResume)
    );
    sim.now += 20;
    let acts = sim.feed(SessionInput::Resumed);
    assert!(acts.contains(&SessionAction::LinksSignaling { up: true }));
    assert_eq!(sim.s.state(), SessionState::Connected);
    assert_eq!(sim.s.outage_ms(), Some(50));
    assert_eq!(
        sim.states(),
        [
            SessionState::Reconnecting,
            SessionState::Resuming,
            SessionState::Connected
        ]
    );
    assert!(sim.timers.contains_key(&SessionTimer::Heartbeat) && sim.timers.len() == 1);
}

#[test]
fn a_failed_attempt_backs_off_and_retries() {
    let mut sim = Sim::joined();
    sim.feed(SessionInput::SocketClosed { code: 1006 });
    sim.feed(SessionInput::SocketClosed { code: 1006 }); // the new socket could not connect
    let retry_at = sim.timers[&SessionTimer::Retry];
    assert!((125..=375).contains(&retry_at), "backoff {retry_at}");
    let (timer, acts) = sim.fire_next();
    assert_eq!(timer, SessionTimer::Retry);
    assert!(acts.contains(&SessionAction::OpenSocket));
    // The new socket opens but never answers: the handshake deadline closes it.
    sim.feed(SessionInput::SocketOpened);
    let (timer, acts) = sim.fire_next();
    assert_eq!(timer, SessionTimer::Handshake);
    assert_eq!(acts[0], SessionAction::CloseSocket);
    assert!(sim.timers.contains_key(&SessionTimer::Retry));
}

#[test]
fn a_refused_resume_rejoins_and_a_refused_rejoin_fails() {
    let mut sim = Sim::joined();
    sim.feed(SessionInput::SocketClosed { code: 1006 });
    sim.feed(SessionInput::SocketOpened);
    let acts = sim.feed(SessionInput::ResumeRefused {
        code: "unknownSession".into(),
    });
    assert!(acts.contains(&SessionAction::SendJoin));
    assert_eq!(sim.s.state(), SessionState::Rejoining);
    sim.feed(SessionInput::Joined {
        heartbeat_timeout_ms: 15_000,
    });
    assert_eq!(sim.s.state(), SessionState::Connected);
    // A later outage resumes first again, and a refused rejoin ends it.
    sim.feed(SessionInput::SocketClosed { code: 1006 });
    sim.feed(SessionInput::SocketOpened);
    sim.feed(SessionInput::ResumeRefused {
        code: "unknownSession".into(),
    });
    sim.feed(SessionInput::JoinRefused {
        code: "roomFull".into(),
    });
    assert_eq!(sim.s.state(), SessionState::Failed);
    assert!(sim.timers.is_empty());
}

#[test]
fn an_unavailable_server_is_tried_again_later_with_the_session_kept() {
    let mut sim = Sim::joined();
    sim.feed(SessionInput::SocketClosed { code: 1006 });
    sim.feed(SessionInput::SocketOpened);
    let acts = sim.feed(SessionInput::ResumeRefused {
        code: "unavailable".into(),
    });
    assert!(acts.contains(&SessionAction::CloseSocket));
    assert!(
        !acts.contains(&SessionAction::SendJoin),
        "the session may still exist"
    );
    assert_eq!(sim.s.state(), SessionState::Reconnecting);
    let (timer, acts) = sim.fire_next();
    assert_eq!(timer, SessionTimer::Retry);
    assert!(acts.contains(&SessionAction::OpenSocket));
    // The next socket resumes again (not a join), and a rejoin refused as unavailable
    // is retried too, instead of ending the session.
    let acts = sim.feed(SessionInput::SocketOpened);
    assert!(acts.contains(&SessionAction::SendResume));
    sim.feed(SessionInput::ResumeRefused {
        code: "unknownSession".into(),
    });
    sim.feed(SessionInput::JoinRefused {
        code: "unavailable".into(),
    });
    assert_eq!(sim.s.state(), SessionState::Reconnecting);
    assert!(sim.timers.contains_key(&SessionTimer::Retry));
}

#[test]
fn go_away_waits_the_delay_the_server_asked_for() {
    let mut sim = Sim::joined();
    let acts = sim.feed(SessionInput::GoAway {
        reconnect_in_ms: 2_000,
    });
    assert!(!acts.contains(&SessionAction::OpenSocket));
    assert!(sim
        .feed(SessionInput::SocketClosed { code: 1001 })
        .is_empty());
    let (timer, acts) = sim.fire_next();
    assert_eq!((timer, sim.now), (SessionTimer::Retry, 2_000));
    assert!(acts.contains(&SessionAction::OpenSocket));
}

#[test]
fn offline_pauses_retries_and_online_reconnects_at_once() {
    let mut sim = Sim::joined();
    sim.feed(SessionInput::NetworkOnline { online: false });
    sim.feed(SessionInput::SocketClosed { code: 1006 });
    assert!(
        !sim.log.contains(&SessionAction::OpenSocket),
        "no attempt while offline"
    );
    assert!(sim.timers.is_empty());
    sim.now = 60_000;
    let acts = sim.feed(SessionInput::NetworkOnline { online: true });
    assert!(acts.contains(&SessionAction::OpenSocket));
}

#[test]
fn it_gives_up_after_the_attempt_limit() {
    let mut sim = Sim::joined();
    sim.feed(SessionInput::SocketClosed { code: 1006 });
    for _ in 0..1_000 {
        if sim.s.state() == SessionState::Failed {
            break;
        }
        sim.feed(SessionInput::SocketClosed { code: 1006 });
        if sim.timers.contains_key(&SessionTimer::Retry) {
            sim.fire_next();
        }
    }
    assert_eq!(sim.s.state(), SessionState::Failed);
    assert!(sim.timers.is_empty());
    let cfg = SessionConfig::default();
    let opened = sim
        .log
        .iter()
        .filter(|a| **a == SessionAction::OpenSocket)
        .count();
    assert!(
        opened <= cfg.backoff.max_attempts as usize,
        "{opened} sockets"
    );
    // Probes are about a second apart at most, so the time budget ends it.
    assert!(
        sim.now <= cfg.backoff.total_budget_ms + 2_000,
        "gave up at {} ms",
        sim.now
    );
    assert!(opened >= 150, "only {opened} probes in five minutes");
}

#[test]
fn probes_while_reconnecting_are_at_most_a_second_and_a_half_apart() {
    let mut sim = Sim::joined();
    sim.feed(SessionInput::SocketClosed { code: 1006 });
    for _ in 0..50 {
        sim.feed(SessionInput::SocketClosed { code: 1006 });
        let before = sim.now;
        let (timer, _) = sim.fire_next();
        assert_eq!(timer, SessionTimer::Retry);
        assert!(sim.now - before <= 1_500, "waited {} ms", sim.now - before);
    }
}

#[test]
fn a_sign_of_network_return_retries_at_once_and_a_reset_replaces_a_working_socket() {
    let mut sim = Sim::joined();
    sim.feed(SessionInput::SocketClosed { code: 1006 });
    sim.feed(SessionInput::SocketClosed { code: 1006 });
    assert!(sim.timers.contains_key(&SessionTimer::Retry));
    let acts = sim.feed(SessionInput::RetryNow);
    assert!(acts.contains(&SessionAction::OpenSocket));
    assert!(!sim.timers.contains_key(&SessionTimer::Retry));

    let mut up = Sim::joined();
    let acts = up.feed(SessionInput::Reset);
    assert_eq!(acts[0], SessionAction::CloseSocket);
    assert!(acts.contains(&SessionAction::OpenSocket));
    assert_eq!(up.s.state(), SessionState::Reconnecting);
    // Nothing to reset while already reconnecting.
    assert!(up.feed(SessionInput::Reset).is_empty());
}

#[test]
fn leave_stops_everything_and_later_inputs_do_nothing() {
    let mut sim = Sim::joined();
    sim.feed(SessionInput::Leave);
    assert!(sim.timers.is_empty());
    assert!(sim
        .feed(SessionInput::SocketClosed { code: 1006 })
        .is_empty());
    assert_eq!(sim.s.state(), SessionState::Closed);
}
