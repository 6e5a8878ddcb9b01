//! The match queue: pairs waiting participants first come, first served.
//!
//! This module decides who matches whom: never an entry with itself (same identity),
//! never the partner either of them just left, and only compatible preferences (same
//! language or either unset; a shared tag or either tag list empty). The earliest
//! compatible waiting entry wins. It never creates rooms or sends anything.

use std::collections::VecDeque;

use steadyrtc_protocol::{MatchPrefs, PeerId};

/// One waiting participant.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Waiting {
    pub peer: PeerId,
    pub identity: String,
    pub prefs: MatchPrefs,
    /// The identity of the partner this participant just left.
    pub avoid: Option<String>,
}

/// Whether `a` and `b` may be paired.
pub fn compatible(a: &Waiting, b: &Waiting) -> bool {
    let languages = match (&a.prefs.language, &b.prefs.language) {
        (Some(x), Some(y)) => x.eq_ignore_ascii_case(y),
        _ => true,
    };
    let tags = a.prefs.tags.is_empty()
        || b.prefs.tags.is_empty()
        || a.prefs.tags.iter().any(|t| b.prefs.tags.contains(t));
    a.identity != b.identity
        && a.avoid.as_deref() != Some(b.identity.as_str())
        && b.avoid.as_deref() != Some(a.identity.as_str())
        && languages
        && tags
}

/// One queue (per match room).
#[derive(Debug, Default)]
pub struct MatchQueue {
    waiting: VecDeque<Waiting>,
}

impl MatchQueue {
    /// Pairs `newcomer` with the earliest compatible entry (returned first, with the
    /// newcomer second), or queues it.
    pub fn enqueue(&mut self, newcomer: Waiting) -> Option<(Waiting, Waiting)> {
        self.remove(&newcomer.peer);
        match self.waiting.iter().position(|w| compatible(w, &newcomer)) {
            Some(i) => self.waiting.remove(i).map(|earlier| (earlier, newcomer)),
            None => {
                self.waiting.push_back(newcomer);
                None
            }
        }
    }

    /// Takes `peer` out of the queue; false if it was not there.
    pub fn remove(&mut self, peer: &str) -> bool {
        let before = self.waiting.len();
        self.waiting.retain(|w| w.peer != peer);
        self.waiting.len() != before
    }

    pub fn len(&self) -> usize {
        self.waiting.len()
    }

    /// The waiting entries, earliest first.
    pub fn entries(&self) -> Vec<Waiting> {
        self.waiting.iter().cloned().collect()
    }

    /// Appends entries taken from another queue, keeping their order.
    pub fn restore(&mut self, entries: Vec<Waiting>) {
        for w in entries {
            self.remove(&w.peer);
            self.waiting.push_back(w);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(peer: &str, identity: &str, tags: &[&str], language: Option<&str>) -> Waiting {
        Waiting {
            peer: peer.into(),
            identity: identity.into(),
            prefs: MatchPrefs {
                tags: tags.iter().map(|t| t.to_string()).collect(),
                language: language.map(Into::into),
            },
            avoid: None,
        }
    }

    #[test]
    fn first_come_first_served_among_compatible_entries() {
        let mut q = MatchQueue::default();
        assert!(q.enqueue(w("p1", "a", &["chess"], Some("en"))).is_none());
        assert!(q.enqueue(w("p2", "b", &["go"], Some("de"))).is_none());
        assert!(
            q.enqueue(w("p3", "c", &[], Some("de"))).is_some(),
            "p2 waited longest among the German speakers"
        );
        assert!(
            q.enqueue(w("p4", "d", &["go"], None)).is_none(),
            "p1 wants chess only"
        );
        let (earlier, later) = q.enqueue(w("p5", "e", &["chess", "go"], None)).unwrap();
        assert_eq!(
            (earlier.peer.as_str(), later.peer.as_str()),
            ("p1", "p5"),
            "first come, first served"
        );
        assert_eq!(q.len(), 1);
    }

    #[test]
    fn never_matches_the_same_identity_or_the_partner_just_left() {
        let mut q = MatchQueue::default();
        q.enqueue(w("p1", "a", &[], None));
        assert!(
            q.enqueue(w("p2", "a", &[], None)).is_none(),
            "same identity, two tabs"
        );
        let mut back = w("p3", "b", &[], None);
        back.avoid = Some("a".into());
        assert!(q.enqueue(back).is_none());
        let (earlier, _) = q.enqueue(w("p4", "c", &[], None)).unwrap();
        assert_eq!(earlier.peer, "p1");
    }

    #[test]
    fn languages_must_agree_when_both_are_set() {
        assert!(!compatible(
            &w("1", "a", &[], Some("en")),
            &w("2", "b", &[], Some("fr"))
        ));
        assert!(compatible(
            &w("1", "a", &[], Some("EN")),
            &w("2", "b", &[], Some("en"))
        ));
        assert!(compatible(
            &w("1", "a", &["x"], None),
            &w("2", "b", &[], None)
        ));
        assert!(!compatible(
            &w("1", "a", &["x"], None),
            &w("2", "b", &["y"], None)
        ));
    }

    #[test]
    fn remove_and_requeue_do_not_duplicate() {
        let mut q = MatchQueue::default();
        q.enqueue(w("p1", "a", &["x"], None));
        q.enqueue(w("p1", "a", &["x"], None));
        assert_eq!(q.len(), 1);
        assert!(q.remove("p1") && !q.remove("p1") && q.is_empty());
    }
}
