use super::*;
use crate::engine::rng::SeededRng;
use std::collections::BTreeMap;

const CAM: MediaKind = MediaKind::Camera;

fn applies(steps: &[MediaStep]) -> Vec<(bool, u32)> {
    steps
        .iter()
        .filter_map(|s| match s {
            MediaStep::Apply { enabled, op, .. } => Some((*enabled, *op)),
            _ => None,
        })
        .collect()
}

fn settled(steps: &[MediaStep]) -> Vec<(Vec<u32>, bool)> {
    steps
        .iter()
        .filter_map(|s| match s {
            MediaStep::Settle { requests, result } => Some((requests.clone(), result.is_ok())),
            _ => None,
        })
        .collect()
}

#[test]
fn a_request_for_what_is_already_true_settles_at_once_without_an_operation() {
    let mut m = MediaControl::new(10_000);
    m.set_initial(CAM, true);
    let steps = m.request(CAM, true, 7);
    assert!(applies(&steps).is_empty());
    assert_eq!(settled(&steps), vec![(vec![7], true)]);
    assert_eq!(m.toggle(CAM), Toggle::On);
}

#[test]
fn calls_during_an_operation_coalesce_and_the_last_intent_wins() {
    let mut m = MediaControl::new(10_000);
    m.set_initial(CAM, true);
    let first = applies(&m.request(CAM, false, 1));
    assert_eq!(first.len(), 1);
    assert_eq!(m.toggle(CAM), Toggle::Pending);
    // on, off, on while "off" runs: nothing new starts.
    for (i, want) in [true, false, true].into_iter().enumerate() {
        assert!(applies(&m.request(CAM, want, 2 + i as u32)).is_empty());
    }
    let steps = m.applied(CAM, first[0].1, Ok(()));
    // Off happened; the last wish is on: exactly one more operation, nobody settled yet.
    assert!(steps.contains(&MediaStep::Changed {
        kind: CAM,
        enabled: false
    }));
    let second = applies(&steps);
    assert_eq!(second.len(), 1);
    assert!(second[0].0);
    assert!(settled(&steps).is_empty());
    let steps = m.applied(CAM, second[0].1, Ok(()));
    assert_eq!(settled(&steps), vec![(vec![1, 2, 3, 4], true)]);
    assert_eq!(m.toggle(CAM), Toggle::On);
}

#[test]
fn when_the_last_wish_is_already_true_no_second_operation_runs() {
    let mut m = MediaControl::new(10_000);
    let op = applies(&m.request(CAM, true, 1))[0].1;
    m.request(CAM, false, 2);
    m.request(CAM, true, 3);
    let steps = m.applied(CAM, op, Ok(()));
    assert!(applies(&steps).is_empty());
    assert_eq!(settled(&steps), vec![(vec![1, 2, 3], true)]);
}

#[test]
fn a_failed_operation_rejects_every_waiting_call_and_changes_nothing() {
    let mut m = MediaControl::new(10_000);
    let op = applies(&m.request(CAM, true, 1))[0].1;
    m.request(CAM, true, 2);
    let err = SteadyError::new(ErrorCode::MediaPermissionDenied, "no");
    let steps = m.applied(CAM, op, Err(err));
    assert_eq!(settled(&steps), vec![(vec![1, 2], false)]);
    assert!(!steps.iter().any(|s| matches!(s, MediaStep::Changed { .. })));
    assert_eq!(m.toggle(CAM), Toggle::Off);
}

#[test]
fn a_failure_whose_outcome_nobody_wants_any_more_settles_well() {
    let mut m = MediaControl::new(10_000);
    let op = applies(&m.request(CAM, true, 1))[0].1;
    m.request(CAM, false, 2);
    let err = SteadyError::new(ErrorCode::MediaDeviceInUse, "busy");
    let steps = m.applied(CAM, op, Err(err));
    assert!(applies(&steps).is_empty());
    assert_eq!(settled(&steps), vec![(vec![1, 2], true)]);
    assert_eq!(m.toggle(CAM), Toggle::Off);
}

#[test]
fn a_timeout_rejects_the_calls_but_the_operation_still_decides_the_state() {
    let mut m = MediaControl::new(10_000);
    let op = applies(&m.request(CAM, true, 1))[0].1;
    let steps = m.timed_out(CAM);
    match &steps[..] {
        [MediaStep::Settle {
            requests,
            result: Err(e),
        }] => {
            assert_eq!(requests, &vec![1]);
            assert_eq!(e.code, ErrorCode::MediaTimeout);
        }
        other => panic!("expected one rejection, got {other:?}"),
    }
    assert_eq!(m.toggle(CAM), Toggle::Pending);
    // The camera opens late: that is the truth, and nobody is left to settle.
    let steps = m.applied(CAM, op, Ok(()));
    assert!(settled(&steps).is_empty());
    assert_eq!(m.toggle(CAM), Toggle::On);
    assert!(m.timed_out(CAM).is_empty());
}

#[test]
fn a_stale_or_unknown_operation_report_is_ignored() {
    let mut m = MediaControl::new(10_000);
    let op = applies(&m.request(CAM, true, 1))[0].1;
    assert!(m.applied(CAM, op + 5, Ok(())).is_empty());
    assert!(m.applied(MediaKind::Microphone, op, Ok(())).is_empty());
    assert_eq!(m.toggle(CAM), Toggle::Pending);
}

#[test]
fn kinds_are_independent() {
    let mut m = MediaControl::new(10_000);
    let cam = applies(&m.request(CAM, true, 1));
    let mic = applies(&m.request(MediaKind::Microphone, true, 2));
    assert_eq!((cam.len(), mic.len()), (1, 1));
    let steps = m.applied(MediaKind::Microphone, mic[0].1, Ok(()));
    assert_eq!(settled(&steps), vec![(vec![2], true)]);
    assert_eq!(m.toggle(CAM), Toggle::Pending);
}

#[test]
fn an_external_change_is_taken_only_when_no_operation_runs() {
    let mut m = MediaControl::new(10_000);
    m.set_initial(MediaKind::Screen, true);
    assert_eq!(
        m.external(MediaKind::Screen, false),
        vec![MediaStep::Changed {
            kind: MediaKind::Screen,
            enabled: false
        }]
    );
    assert!(m.external(MediaKind::Screen, false).is_empty());
    let _ = m.request(CAM, true, 1);
    assert!(m.external(CAM, false).is_empty());
}

#[test]
fn abort_rejects_every_waiting_call() {
    let mut m = MediaControl::new(10_000);
    let _ = m.request(CAM, true, 1);
    let _ = m.request(CAM, false, 2);
    let _ = m.request(MediaKind::Microphone, true, 3);
    let steps = m.abort(&SteadyError::room_closed());
    assert_eq!(settled(&steps), vec![(vec![3, 1, 2], false)]);
}

/// Any interleaving of calls and completions: one operation at a time, every call settled
/// exactly once, and once all is done the state is the last call's wish (when the browser
/// never fails).
#[test]
fn random_interleavings_settle_every_call_once_and_end_in_the_last_intent() {
    for seed in 0..300 {
        let mut rng = SeededRng::new(seed);
        let mut m = MediaControl::new(10_000);
        let mut running: Option<(bool, u32)> = None;
        let mut settled_count: BTreeMap<u32, u32> = BTreeMap::new();
        let mut last = false;
        let mut next_id = 1;
        let feed = |steps: Vec<MediaStep>,
                    running: &mut Option<(bool, u32)>,
                    settled_count: &mut BTreeMap<u32, u32>| {
            for s in steps {
                match s {
                    MediaStep::Apply { enabled, op, .. } => {
                        assert!(running.is_none(), "seed {seed}: two operations at once");
                        *running = Some((enabled, op));
                    }
                    MediaStep::Settle { requests, result } => {
                        assert!(result.is_ok(), "seed {seed}");
                        for r in requests {
                            *settled_count.entry(r).or_default() += 1;
                        }
                    }
                    _ => {}
                }
            }
        };
        for _ in 0..40 {
            if rng.next_u64() % 3 == 0 {
                if let Some((_, op)) = running.take() {
                    let steps = m.applied(CAM, op, Ok(()));
                    feed(steps, &mut running, &mut settled_count);
                }
            } else {
                last = rng.next_u64() % 2 == 0;
                let steps = m.request(CAM, last, next_id);
                next_id += 1;
                feed(steps, &mut running, &mut settled_count);
            }
        }
        while let Some((_, op)) = running.take() {
            let steps = m.applied(CAM, op, Ok(()));
            feed(steps, &mut running, &mut settled_count);
        }
        assert_eq!(settled_count.len() as u32, next_id - 1, "seed {seed}");
        assert!(settled_count.values().all(|&n| n == 1), "seed {seed}");
        assert_eq!(m.is_on(CAM), last, "seed {seed}");
        assert_ne!(m.toggle(CAM), Toggle::Pending);
    }
}

#[test]
fn a_restart_captures_again_when_on_and_only_remembers_when_off() {
    let mut m = MediaControl::new(10_000);
    m.set_initial(CAM, true);
    let steps = m.restart(CAM, 1);
    let op = applies(&steps);
    assert_eq!(op.len(), 1);
    assert!(op[0].0, "a new capture");
    assert_eq!(
        settled(&m.applied(CAM, op[0].1, Ok(()))),
        vec![(vec![1], true)]
    );
    assert_eq!(m.toggle(CAM), Toggle::On);
    let mut m = MediaControl::new(10_000);
    let steps = m.restart(CAM, 2);
    assert!(applies(&steps).is_empty());
    assert_eq!(settled(&steps), vec![(vec![2], true)]);
}

#[test]
fn a_restart_during_an_operation_runs_after_it_unless_the_camera_ends_off() {
    let mut m = MediaControl::new(10_000);
    let op = applies(&m.request(CAM, true, 1))[0].1;
    m.restart(CAM, 2);
    let steps = m.applied(CAM, op, Ok(()));
    let again = applies(&steps);
    assert_eq!(
        again.len(),
        1,
        "the new device is captured after the first capture"
    );
    assert!(settled(&steps).is_empty());
    assert_eq!(
        settled(&m.applied(CAM, again[0].1, Ok(()))),
        vec![(vec![1, 2], true)]
    );
    // Off wins over a restart asked before it.
    let mut m = MediaControl::new(10_000);
    m.set_initial(CAM, true);
    let op = applies(&m.request(CAM, false, 1))[0].1;
    m.restart(CAM, 2);
    let steps = m.applied(CAM, op, Ok(()));
    assert!(applies(&steps).is_empty());
    assert_eq!(settled(&steps), vec![(vec![1, 2], true)]);
}
