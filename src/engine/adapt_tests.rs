use super::*;

fn good(at_ms: u64) -> Observation {
    Observation {
        at_ms,
        loss_pct: 0.0,
        rtt_ms: Some(40.0),
        jitter_ms: 5.0,
        bandwidth_limited: false,
        cpu_limited: false,
        available_outgoing_bps: Some(3_000_000.0),
        sending_bps: None,
    }
}

fn lossy(at_ms: u64) -> Observation {
    Observation {
        loss_pct: 8.0,
        ..good(at_ms)
    }
}

#[test]
fn one_bad_sample_is_not_enough_two_step_down_one_rung() {
    let mut a = Adapter::new();
    assert_eq!(a.observe(&lossy(0)), None);
    let c = a.observe(&lossy(1_000)).expect("steps down");
    assert_eq!((c.from, c.to), (Rung::High, Rung::Medium));
    assert_eq!(c.encoding.max_bitrate_bps, 800_000);
    assert_eq!(
        a.observe(&lossy(2_000)),
        None,
        "the streak starts over after a step"
    );
}

#[test]
fn every_trigger_counts() {
    for o in [
        Observation {
            rtt_ms: Some(450.0),
            ..good(0)
        },
        Observation {
            jitter_ms: 60.0,
            ..good(0)
        },
        Observation {
            bandwidth_limited: true,
            ..good(0)
        },
        Observation {
            available_outgoing_bps: Some(1_000_000.0),
            ..good(0)
        },
    ] {
        let mut a = Adapter::new();
        a.observe(&o);
        assert!(
            a.observe(&Observation {
                at_ms: 1_000,
                ..o.clone()
            })
            .is_some(),
            "{o:?}"
        );
    }
}

fn severe(at_ms: u64) -> Observation {
    Observation {
        loss_pct: 25.0,
        ..good(at_ms)
    }
}

#[test]
fn moderate_trouble_stops_at_minimum_and_only_severe_trouble_pauses_video() {
    let mut a = Adapter::new();
    for t in 0..20 {
        a.observe(&lossy(t * 1_000));
    }
    assert_eq!(a.rung(), Rung::Minimum, "8 % loss does not pause video");
    for o in [
        Observation {
            rtt_ms: Some(600.0),
            ..good(0)
        },
        Observation {
            jitter_ms: 80.0,
            ..good(0)
        },
        Observation {
            bandwidth_limited: true,
            ..good(0)
        },
        Observation {
            available_outgoing_bps: Some(120_000.0),
            ..good(0)
        },
    ] {
        for t in 20..30 {
            let o = Observation {
                at_ms: t * 1_000,
                ..o.clone()
            };
            assert_eq!(a.observe(&o), None, "{o:?}");
        }
    }
    assert_eq!(a.rung(), Rung::Minimum);
    // A path under the video floor, or severe loss, pauses video.
    let mut b = a.clone();
    let starved = |at_ms| Observation {
        available_outgoing_bps: Some(VIDEO_FLOOR_BPS - 10_000.0),
        ..good(at_ms)
    };
    b.observe(&starved(30_000));
    let c = b.observe(&starved(31_000)).expect("audio only");
    assert_eq!((c.to, c.trigger), (Rung::AudioOnly, Trigger::Bandwidth));
    a.observe(&severe(30_000));
    let c = a.observe(&severe(31_000)).expect("audio only");
    assert_eq!((c.to, c.trigger), (Rung::AudioOnly, Trigger::Loss));
    let e = a.rung().encoding();
    assert!(!e.video_enabled);
    assert!((24_000..=48_000).contains(&e.audio_bitrate_bps));
}

#[test]
fn a_paused_encoders_stale_bandwidth_limitation_does_not_hold_video_off() {
    let mut a = Adapter::new();
    for t in 0..20 {
        a.observe(&severe(t * 1_000));
    }
    assert_eq!(a.rung(), Rung::AudioOnly);
    let stale = |at_ms| Observation {
        bandwidth_limited: true,
        available_outgoing_bps: Some(300_000.0),
        sending_bps: Some(32_000.0),
        ..good(at_ms)
    };
    let ups: Vec<Rung> = (20..45)
        .filter_map(|t| a.observe(&stale(t * 1_000)))
        .map(|c| c.to)
        .collect();
    assert_eq!(
        ups.first(),
        Some(&Rung::AudioOnly.up()),
        "video back after ten clean seconds"
    );
}

#[test]
fn steps_up_only_after_ten_stable_seconds() {
    let mut a = Adapter::new();
    a.observe(&lossy(0));
    a.observe(&lossy(1_000));
    assert_eq!(a.rung(), Rung::Medium);
    for t in 2..12 {
        assert_eq!(a.observe(&good(t * 1_000)), None, "at {t} s");
    }
    let c = a.observe(&good(12_000)).expect("up after 10 s");
    assert_eq!(c.to, Rung::High);
}

#[test]
fn alternating_signals_never_flap() {
    let mut a = Adapter::new();
    let mut changes = 0;
    for t in 0..120u64 {
        let o = if t % 2 == 0 {
            lossy(t * 1_000)
        } else {
            good(t * 1_000)
        };
        changes += usize::from(a.observe(&o).is_some());
    }
    assert_eq!(
        changes, 0,
        "one bad sample at a time never steps down, and never 10 s of calm"
    );
    // Between the bars (3 % loss): neither down nor up.
    let mut a = Adapter::new();
    a.observe(&lossy(0));
    a.observe(&lossy(1_000));
    for t in 2..60 {
        assert_eq!(
            a.observe(&Observation {
                loss_pct: 3.0,
                ..good(t * 1_000)
            }),
            None
        );
    }
}

#[test]
fn manual_override_pins_the_rung_and_auto_returns_at_once_to_where_it_was() {
    let mut a = Adapter::new();
    assert_eq!(a.set_preference(Preference::Low).unwrap().to, Rung::Low);
    for t in 0..30 {
        assert_eq!(a.observe(&good(t * 1_000)), None);
    }
    let back = a.set_preference(Preference::Auto).unwrap();
    assert_eq!((back.from, back.to), (Rung::Low, Rung::High));
    assert_eq!(back.trigger, Trigger::Preference);
    assert_eq!(
        a.set_preference(Preference::Auto),
        None,
        "auto again is no change"
    );
    for t in 30..50 {
        assert_eq!(a.observe(&good(t * 1_000)), None, "already at the top");
    }
}

#[test]
fn auto_after_a_manual_rung_returns_to_the_rung_the_network_had_allowed_within_the_cap() {
    let mut a = Adapter::new();
    let mut down = Vec::new();
    for t in 0..6 {
        down.extend(a.observe(&Observation {
            loss_pct: 8.0,
            ..good(t * 1_000)
        }));
    }
    let reached = a.rung();
    assert!(
        reached > Rung::High,
        "the loss stepped the ladder down: {down:?}"
    );
    assert_eq!(a.set_preference(Preference::High).unwrap().to, Rung::High);
    let back = a.set_preference(Preference::Auto).unwrap();
    assert_eq!((back.from, back.to), (Rung::High, reached));

    // A manual rung better than the automatic one, then a cap below both: the cap wins.
    let mut capped = Adapter::new();
    capped.set_preference(Preference::AudioOnly);
    capped.set_presets(Presets {
        forced: Some(Rung::Low),
        ..Presets::default()
    });
    assert_eq!(
        capped.rung(),
        Rung::AudioOnly,
        "a manual rung is kept under presets"
    );
    let back = capped.set_preference(Preference::Auto).unwrap();
    assert_eq!((back.from, back.to), (Rung::AudioOnly, Rung::Low));
}

#[test]
fn presets_cap_the_best_rung() {
    assert_eq!(
        Presets {
            mobile: true,
            ..Default::default()
        }
        .cap(),
        Rung::Medium
    );
    assert_eq!(
        Presets {
            save_data: true,
            ..Default::default()
        }
        .cap(),
        Rung::Minimum
    );
    assert_eq!(
        Presets {
            effective_type: Some("3g".into()),
            ..Default::default()
        }
        .cap(),
        Rung::Low
    );
    assert_eq!(
        Presets {
            effective_type: Some("slow-2g".into()),
            ..Default::default()
        }
        .cap(),
        Rung::AudioOnly
    );
    let mut a = Adapter::new();
    assert_eq!(
        a.set_presets(Presets {
            effective_type: Some("2g".into()),
            ..Default::default()
        })
        .unwrap()
        .to,
        Rung::Minimum
    );
    for t in 0..40 {
        assert_eq!(
            a.observe(&Observation {
                available_outgoing_bps: None,
                ..good(t * 1_000)
            }),
            None,
            "never above the cap"
        );
    }
}

#[test]
fn a_low_battery_that_discharges_caps_at_low_and_charging_lifts_the_cap() {
    let battery = |pct, charging| Presets {
        battery_pct: Some(pct),
        charging: Some(charging),
        ..Default::default()
    };
    assert_eq!(battery(15, false).cap(), Rung::Low);
    assert_eq!(battery(15, false).reason(), "low battery");
    assert_eq!(battery(20, false).cap(), Rung::Low, "20 % is low");
    assert_eq!(battery(21, false).cap(), Rung::High);
    assert_eq!(battery(5, true).cap(), Rung::High, "charging");
    let unknown = Presets {
        battery_pct: Some(5),
        ..Default::default()
    };
    assert_eq!(unknown.cap(), Rung::High, "no charging state: no cap");
    // The worst of all conditions wins.
    let both = Presets {
        save_data: true,
        ..battery(10, false)
    };
    assert_eq!(both.cap(), Rung::Minimum);

    let mut a = Adapter::new();
    let change = a.set_presets(battery(10, false)).unwrap();
    assert_eq!((change.to, change.trigger), (Rung::Low, Trigger::Preset));
    assert_eq!(change.reason, "low battery");
    assert_eq!(
        a.set_presets(battery(10, true)),
        None,
        "a lifted cap climbs by itself"
    );
    let mut up = None;
    for t in 0..12 {
        up = up.or(a.observe(&good(t * 1_000)));
    }
    assert_eq!(up.map(|c| c.to), Some(Rung::Medium));
}

#[test]
fn the_apps_preset_replaces_what_the_browser_says_but_the_ladder_still_steps_down() {
    let forced = |rung| Presets {
        mobile: true,
        save_data: true,
        effective_type: Some("slow-2g".into()),
        battery_pct: Some(3),
        charging: Some(false),
        forced: Some(rung),
    };
    assert_eq!(forced(Rung::High).cap(), Rung::High);
    assert_eq!(forced(Rung::Low).cap(), Rung::Low);
    assert_eq!(forced(Rung::Low).reason(), "the app's adaptive preset");
    let mut a = Adapter::new();
    assert_eq!(
        a.set_presets(forced(Rung::Medium)).unwrap().to,
        Rung::Medium
    );
    let mut down = None;
    for t in 0..4 {
        down = down.or(a.observe(&Observation {
            loss_pct: 20.0,
            ..good(t * 1_000)
        }));
    }
    assert_eq!(down.map(|c| c.trigger), Some(Trigger::Loss));
}

#[test]
fn a_camera_sending_less_than_the_target_is_not_a_trigger_while_the_path_carries_it() {
    let mut a = Adapter::new();
    let o = |t| Observation {
        available_outgoing_bps: Some(1_000_000.0),
        sending_bps: Some(550_000.0),
        ..good(t)
    };
    for t in 0..5 {
        assert_eq!(a.observe(&o(t * 1_000)), None);
    }
    // The path falls under what is sent: a trigger.
    let short = |t| Observation {
        available_outgoing_bps: Some(300_000.0),
        sending_bps: Some(550_000.0),
        ..good(t)
    };
    a.observe(&short(6_000));
    assert_eq!(a.observe(&short(7_000)).map(|c| c.to), Some(Rung::Medium));
    // Back up after ten healthy seconds with room for what the camera sends.
    let mut up = None;
    for t in 8..20 {
        up = up.or(a.observe(&o(t * 1_000)));
    }
    assert_eq!(up.map(|c| c.to), Some(Rung::High));
}

#[test]
fn a_cpu_limited_encoder_steps_down_to_minimum_and_never_pauses_video() {
    let mut a = Adapter::new();
    let busy = |at_ms| Observation {
        cpu_limited: true,
        ..good(at_ms)
    };
    a.observe(&busy(0));
    let c = a.observe(&busy(1_000)).expect("steps down");
    assert_eq!((c.to, c.trigger), (Rung::Medium, Trigger::Cpu));
    for t in 2..30 {
        a.observe(&busy(t * 1_000));
    }
    assert_eq!(a.rung(), Rung::Minimum);
}

#[test]
fn a_path_the_encoders_fill_under_the_rungs_target_steps_down_to_a_rung_that_fits_and_stays() {
    // A 300 kbit/s cap: the browser's congestion control keeps what is sent under the
    // estimate and never calls the encoder limited. What is sent follows the rung's target
    // when that is lower than the path.
    let mut a = Adapter::new();
    let capped = |a: &Adapter, t: u64| {
        let b = 250_000.0;
        Observation {
            available_outgoing_bps: Some(b),
            sending_bps: Some((b * 0.9).min(a.rung().target_bps())),
            ..good(t * 1_000)
        }
    };
    let mut changes = Vec::new();
    for t in 0..60 {
        let o = capped(&a, t);
        changes.extend(a.observe(&o).map(|c| (t, c.to, c.trigger)));
    }
    assert_eq!(
        changes,
        vec![
            (1, Rung::Medium, Trigger::Bandwidth),
            (3, Rung::Low, Trigger::Bandwidth),
            (5, Rung::Minimum, Trigger::Bandwidth),
        ],
        "down to the rung under the cap, and no step up into it again"
    );
    // The cap lifts: the estimate grows past the next rung's target x 1.2, one rung per
    // ten clean seconds.
    let open = |t: u64| Observation {
        available_outgoing_bps: Some(3_000_000.0),
        sending_bps: Some(170_000.0),
        ..good(t * 1_000)
    };
    let ups: Vec<u64> = (60..95)
        .filter_map(|t| a.observe(&open(t)).map(|_| t))
        .collect();
    assert_eq!(ups, vec![70, 80, 90]);
}

#[test]
fn a_camera_that_sends_little_on_a_clean_path_is_not_a_full_path() {
    // The estimate of an application-limited sender stays about 1.5x what it sends.
    let mut a = Adapter::new();
    for t in 0..30 {
        let o = Observation {
            available_outgoing_bps: Some(800_000.0),
            sending_bps: Some(520_000.0),
            ..good(t * 1_000)
        };
        assert_eq!(a.observe(&o), None, "at {t} s");
    }
}
