use super::*;

fn cand(kind: &str, priority: u32, ufrag: &str, n: u32) -> Candidate {
    Candidate {
        candidate: format!(
            "candidate:{n} 1 udp {priority} 10.0.0.{n} {} typ {kind}",
            5000 + n
        ),
        sdp_mid: Some("0".into()),
        sdp_m_line_index: Some(0),
        username_fragment: Some(ufrag.into()),
    }
}

#[test]
fn candidates_wait_for_their_description_then_flush_in_arrival_order() {
    let mut b = CandidateBuffer::new(DEFAULT_CAPACITY);
    let cs: Vec<_> = (1..=5).map(|n| cand("host", 100 + n, "u1", n)).collect();
    for c in &cs {
        assert_eq!(b.push(c.clone()), vec![Admission::Held]);
    }
    let (ready, dropped) = b.remote_applied(Some("u1".into()));
    assert_eq!(ready, cs);
    assert!(dropped.is_empty());
    assert_eq!(b.held(), 0);
    let late = cand("srflx", 5, "u1", 9);
    assert_eq!(b.push(late.clone()), vec![Admission::AddNow(late)]);
}

#[test]
fn next_generation_candidates_stay_held_and_old_ones_are_dropped_after_a_restart() {
    let mut b = CandidateBuffer::new(DEFAULT_CAPACITY);
    b.remote_applied(Some("old".into()));
    b.begin_restart();
    let old = cand("host", 1, "old", 1);
    assert!(matches!(b.push(old)[0], Admission::Dropped { .. }));
    let new = cand("host", 1, "new", 2);
    assert_eq!(b.push(new.clone()), vec![Admission::Held]);
    let (ready, _) = b.remote_applied(Some("new".into()));
    assert_eq!(ready, vec![new]);
    assert!(b.is_stale(Some("old")));
    assert!(matches!(
        b.push(cand("relay", 1, "old", 3))[0],
        Admission::Dropped { .. }
    ));
}

#[test]
fn candidates_of_a_generation_never_applied_keep_waiting_while_others_go_stale() {
    let mut b = CandidateBuffer::new(DEFAULT_CAPACITY);
    b.remote_applied(Some("a".into()));
    b.begin_restart();
    // "b" arrives first but "c" is what gets applied (b's description never came).
    b.push(cand("host", 1, "b", 1));
    b.remote_applied(Some("c".into()));
    assert_eq!(b.held(), 1, "an unknown generation keeps waiting");
    b.remote_applied(Some("d".into()));
    let (ready, dropped) = b.remote_applied(Some("e".into()));
    assert!(ready.is_empty() && dropped.is_empty());
    assert_eq!(b.held(), 1);
}

#[test]
fn overflow_drops_the_lowest_type_then_lowest_priority() {
    let mut b = CandidateBuffer::new(3);
    b.push(cand("host", 900, "u", 1));
    b.push(cand("relay", 10, "u", 2));
    b.push(cand("relay", 5, "u", 3));
    let out = b.push(cand("srflx", 50, "u", 4));
    assert_eq!(
        out[0],
        Admission::Dropped {
            candidate: cand("relay", 5, "u", 3),
            reason: "candidate buffer full: lowest priority dropped"
        }
    );
    assert_eq!(out[1], Admission::Held);
    // An incoming candidate that is itself the lowest goes instead.
    let out = b.push(cand("relay", 1, "u", 5));
    assert_eq!(out.len(), 1);
    assert!(
        matches!(&out[0], Admission::Dropped { candidate, .. } if *candidate == cand("relay", 1, "u", 5))
    );
    assert_eq!(b.held(), 3);
}

#[test]
fn overflow_never_drops_the_newest_host_candidate() {
    let mut b = CandidateBuffer::new(2);
    b.push(cand("host", 1, "u", 1));
    b.push(cand("host", 2, "u", 2));
    // All held are host; the incoming host is the newest, so an older host goes.
    let newest = cand("host", 0, "u", 3);
    let out = b.push(newest.clone());
    assert!(
        matches!(&out[0], Admission::Dropped { candidate, .. } if *candidate == cand("host", 1, "u", 1))
    );
    let (ready, _) = b.remote_applied(Some("u".into()));
    assert!(ready.contains(&newest));
}

#[test]
fn candidates_without_a_ufrag_match_whatever_description_comes() {
    let mut b = CandidateBuffer::new(4);
    let mut c = cand("host", 1, "x", 1);
    c.username_fragment = None;
    assert_eq!(b.push(c.clone()), vec![Admission::Held]);
    let (ready, _) = b.remote_applied(Some("u".into()));
    assert_eq!(ready, vec![c]);
    let end = Candidate::end_of_candidates(None);
    assert!(end.is_end_of_candidates());
    assert_eq!(b.push(end.clone()), vec![Admission::AddNow(end)]);
}

#[test]
fn ufrag_falls_back_to_the_candidate_line_extension() {
    let c = Candidate {
        candidate: "candidate:1 1 udp 5 10.0.0.1 5000 typ host generation 0 ufrag Zz9".into(),
        sdp_mid: None,
        sdp_m_line_index: Some(0),
        username_fragment: None,
    };
    assert_eq!(c.ufrag().as_deref(), Some("Zz9"));
}
