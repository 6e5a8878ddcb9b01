use super::*;

fn ladder() -> Recovery {
    Recovery::new(RecoveryConfig::default(), SeededRng::new(42))
}

fn attempt(d: &Decision) -> (RecoveryLevel, u32, u64) {
    match d {
        Decision::Attempt {
            level,
            attempt,
            delay_ms,
        } => (*level, *attempt, *delay_ms),
        other => panic!("expected an attempt, got {other:?}"),
    }
}

#[test]
fn first_retry_is_an_immediate_ice_restart() {
    let mut r = ladder();
    assert_eq!(
        attempt(&r.fail(1_000, None)),
        (RecoveryLevel::IceRestart, 1, 0)
    );
    assert!(r.in_episode());
}

#[test]
fn backoff_doubles_from_the_base_within_the_jitter_and_is_capped() {
    let cfg = RecoveryConfig {
        max_attempts: 100,
        total_budget_ms: u64::MAX,
        ..Default::default()
    };
    let mut r = Recovery::new(cfg, SeededRng::new(1));
    r.fail(0, None);
    let mut expected = 250.0;
    for n in 2..=12u32 {
        let (_, a, delay) = attempt(&r.fail(n as u64, None));
        assert_eq!(a, n);
        let lo = (expected * 0.5_f64).floor() as u64;
        let hi = (expected * 1.5_f64).ceil() as u64;
        assert!(
            (lo..=hi).contains(&delay),
            "attempt {n}: {delay} not in {lo}..={hi}"
        );
        expected = (expected * 2.0).min(10_000.0);
    }
}

#[test]
fn levels_escalate_when_their_budget_has_passed() {
    let mut r = ladder();
    assert_eq!(attempt(&r.fail(0, None)).0, RecoveryLevel::IceRestart);
    // A quick failure within the budget retries the same level.
    assert_eq!(attempt(&r.fail(1_000, None)).0, RecoveryLevel::IceRestart);
    assert_eq!(
        attempt(&r.fail(5_000, None)).0,
        RecoveryLevel::SignalingReset
    );
    assert_eq!(
        attempt(&r.fail(14_999, None)).0,
        RecoveryLevel::SignalingReset
    );
    assert_eq!(
        attempt(&r.fail(15_000, None)).0,
        RecoveryLevel::FullReconnect
    );
    assert_eq!(
        attempt(&r.fail(40_000, None)).0,
        RecoveryLevel::FullReconnect
    );
    assert_eq!(r.stats().attempts_per_level, [2, 2, 2]);
}

#[test]
fn gives_up_after_max_attempts_or_the_overall_budget() {
    let mut r = Recovery::new(
        RecoveryConfig {
            max_attempts: 3,
            ..Default::default()
        },
        SeededRng::new(3),
    );
    for t in 0..3 {
        attempt(&r.fail(t, None));
    }
    assert!(matches!(r.fail(4, None), Decision::GiveUp { .. }));
    assert!(!r.in_episode());
    let mut r = ladder();
    r.fail(0, None);
    assert!(matches!(r.fail(60_000, None), Decision::GiveUp { .. }));
    assert_eq!(r.stats().gave_up, 1);
}

#[test]
fn offline_pauses_and_online_resumes_at_once() {
    let mut r = ladder();
    r.fail(0, None);
    assert_eq!(r.set_online(false, 10), None);
    assert_eq!(r.fail(100, None), Decision::Paused);
    assert_eq!(
        r.fail(200, None),
        Decision::Paused,
        "paused attempts are not counted"
    );
    let resumed = r.set_online(true, 300).expect("resumes");
    assert_eq!(attempt(&resumed), (RecoveryLevel::IceRestart, 2, 0));
    r.set_visible(false, 400);
    assert_eq!(r.fail(500, None), Decision::Paused);
    assert!(r.set_visible(true, 600).is_some());
}

#[test]
fn a_policy_can_choose_the_delay_or_give_up() {
    struct Fixed(Vec<RetryContext>);
    impl DelayPolicy for Fixed {
        fn next_delay(&mut self, ctx: &RetryContext) -> Option<u64> {
            self.0.push(ctx.clone());
            (ctx.attempt < 3).then_some(1_234)
        }
    }
    let mut policy = Fixed(Vec::new());
    let mut r = ladder();
    assert_eq!(
        attempt(&r.fail(0, Some(&mut policy))).2,
        0,
        "first retry stays immediate"
    );
    assert_eq!(attempt(&r.fail(10, Some(&mut policy))).2, 1_234);
    assert!(
        matches!(r.fail(20, Some(&mut policy)), Decision::GiveUp { reason } if reason.contains("policy"))
    );
    assert_eq!(policy.0.len(), 2);
    assert_eq!(policy.0[0].attempt, 2);
    assert_eq!(policy.0[1].elapsed_ms, 20);
}

#[test]
fn recovery_time_is_measured() {
    let mut r = ladder();
    r.fail(1_000, None);
    r.fail(2_000, None);
    r.recovered(3_500);
    assert_eq!(r.stats().last_time_to_recover_ms, Some(2_500));
    assert_eq!(r.stats().recovered, 1);
    assert!(!r.in_episode());
    r.recovered(9_000);
    assert_eq!(
        r.stats().recovered,
        1,
        "recovered without an episode changes nothing"
    );
}

#[test]
fn a_failure_within_5_s_of_a_recovery_continues_its_episode_a_later_one_starts_anew() {
    let mut r = ladder();
    r.fail(0, None);
    // The ICE restart's budget passes: the ladder is at a signaling reset.
    assert_eq!(
        attempt(&r.fail(5_000, None)).0,
        RecoveryLevel::SignalingReset
    );
    // Firefox reads `connected` for a moment (a rolled-back offer), then nothing again.
    r.recovered(5_100);
    assert_eq!(r.stats().recovered, 1);
    let (level, n, delay) = attempt(&r.fail(5_400, None));
    assert_eq!(
        (level, n),
        (RecoveryLevel::SignalingReset, 3),
        "the same episode goes on, at a signaling reset, not at an ICE restart"
    );
    // Its next failure is spaced by the backoff again.
    assert!(attempt(&r.fail(5_600, None)).2 > 0);
    assert_eq!(delay, 0, "at once, as a new failure's first retry is");
    let s = r.stats();
    assert_eq!((s.episodes, s.recovered, s.flaps), (1, 0, 1));
    assert_eq!(
        (s.last_time_to_recover_ms, s.total_time_to_recover_ms),
        (None, 0)
    );
    // A recovery that holds: a failure 5 s or more later is a new episode.
    r.recovered(6_000);
    assert_eq!(
        attempt(&r.fail(11_000, None)),
        (RecoveryLevel::IceRestart, 1, 0)
    );
    let s = r.stats();
    assert_eq!((s.episodes, s.recovered, s.flaps), (2, 1, 1));
    assert_eq!(s.last_time_to_recover_ms, Some(6_000));
}

#[test]
fn a_failure_that_ended_a_wait_of_its_own_is_retried_at_once_the_next_one_backs_off() {
    let mut r = ladder();
    // The flag set before an episode's first failure is used up by it (retried at once
    // anyway), not carried to a later one.
    r.waited();
    assert_eq!(attempt(&r.fail(0, None)).2, 0);
    assert!(
        attempt(&r.fail(1_000, None)).2 > 0,
        "an ordinary failure backs off"
    );
    // The ICE checks were waited out: no backoff on top.
    r.waited();
    assert_eq!(
        attempt(&r.fail(3_000, None)),
        (RecoveryLevel::IceRestart, 3, 0)
    );
    assert!(attempt(&r.fail(3_500, None)).2 > 0);
}
