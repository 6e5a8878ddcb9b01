//! The remote ICE candidate buffer.
//!
//! Decides, for each candidate the remote peer trickles, whether it can be added now, must
//! wait for the remote description of its ICE generation (named by its username
//! fragment), or is stale. It never adds a candidate before the description of its
//! generation is applied, flushes in arrival order, drops candidates of replaced
//! generations, and stays bounded: on overflow the lowest-priority candidate goes
//! (candidate type first, then the priority field), never the newest host candidate.

use super::sdp::{candidate_facts, CandidateType};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// Default number of candidates held while waiting for a remote description.
pub const DEFAULT_CAPACITY: usize = 256;
/// How many replaced generations are remembered as stale.
const STALE_MEMORY: usize = 8;

/// A remote candidate as it travels in a `signal`. An empty `candidate` string is the
/// end-of-candidates marker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Candidate {
    pub candidate: String,
    pub sdp_mid: Option<String>,
    pub sdp_m_line_index: Option<u16>,
    pub username_fragment: Option<String>,
}

impl Candidate {
    /// The end-of-candidates marker for the generation `ufrag` (if known).
    pub fn end_of_candidates(ufrag: Option<String>) -> Self {
        Self {
            candidate: String::new(),
            sdp_mid: None,
            sdp_m_line_index: None,
            username_fragment: ufrag,
        }
    }

    pub fn is_end_of_candidates(&self) -> bool {
        self.candidate.is_empty()
    }

    /// The ICE generation: the explicit username fragment, else the `ufrag` extension of
    /// the candidate line.
    pub fn ufrag(&self) -> Option<String> {
        self.username_fragment
            .clone()
            .or_else(|| candidate_facts(&self.candidate).ufrag)
    }

    fn rank(&self) -> (Option<CandidateType>, u32) {
        let facts = candidate_facts(&self.candidate);
        (facts.kind, facts.priority)
    }

    fn is_host(&self) -> bool {
        candidate_facts(&self.candidate).kind == Some(CandidateType::Host)
    }
}

/// What happened to a candidate offered to the buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// Its generation's description is applied: add it now.
    AddNow(Candidate),
    /// Held until the description of its generation is applied.
    Held,
    /// Dropped, with the reason (stale generation, or evicted on overflow).
    Dropped {
        candidate: Candidate,
        reason: &'static str,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CandidateBuffer {
    capacity: usize,
    held: VecDeque<Candidate>,
    /// The generation of the applied remote description; `None` before the first one or
    /// when that description named no ufrag (then every non-stale candidate matches).
    current: Option<String>,
    applied: bool,
    /// Set while an ICE restart is under way: the current generation is on its way out.
    retiring: bool,
    stale: VecDeque<String>,
}

impl CandidateBuffer {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            held: VecDeque::new(),
            current: None,
            applied: false,
            retiring: false,
            stale: VecDeque::new(),
        }
    }

    pub fn held(&self) -> usize {
        self.held.len()
    }

    /// The generation of the remote description applied now, if it named one.
    pub fn current(&self) -> Option<&str> {
        self.current.as_deref()
    }

    /// Whether a remote description of generation `ufrag` is applied now.
    pub fn is_current(&self, ufrag: Option<&str>) -> bool {
        self.applied
            && match (ufrag, self.current.as_deref()) {
                (_, None) | (None, _) => true,
                (Some(u), Some(c)) => u == c,
            }
    }

    pub fn is_stale(&self, ufrag: Option<&str>) -> bool {
        ufrag.is_some_and(|u| self.stale.iter().any(|s| s == u))
    }

    /// Offers one remote candidate (or end-of-candidates marker). May evict another one:
    /// the returned list then holds the eviction too.
    pub fn push(&mut self, candidate: Candidate) -> Vec<Admission> {
        let ufrag = candidate.ufrag();
        if self.is_stale(ufrag.as_deref()) {
            return vec![Admission::Dropped {
                candidate,
                reason: "candidate of a replaced ICE generation",
            }];
        }
        if self.retiring && ufrag.is_some() && ufrag == self.current {
            return vec![Admission::Dropped {
                candidate,
                reason: "candidate of the old ICE generation during an ICE restart",
            }];
        }
        if !self.retiring && self.is_current(ufrag.as_deref()) {
            return vec![Admission::AddNow(candidate)];
        }
        let mut out = Vec::new();
        if self.held.len() >= self.capacity {
            if let Some(evicted) = self.evict_for(&candidate) {
                out.push(Admission::Dropped {
                    candidate: evicted,
                    reason: "candidate buffer full: lowest priority dropped",
                });
                if out.iter().any(
                    |a| matches!(a, Admission::Dropped { candidate: c, .. } if *c == candidate),
                ) {
                    return out;
                }
            }
        }
        self.held.push_back(candidate);
        out.push(Admission::Held);
        out
    }

    /// Picks the victim among the held candidates and the incoming one, removes it from
    /// the buffer if it is held, and returns it. The newest host candidate is exempt.
    fn evict_for(&mut self, incoming: &Candidate) -> Option<Candidate> {
        let newest_host = if incoming.is_host() {
            None // the incoming one is the newest host candidate
        } else {
            self.held.iter().rposition(Candidate::is_host)
        };
        let victim = self
            .held
            .iter()
            .enumerate()
            .filter(|(i, _)| Some(*i) != newest_host)
            .min_by_key(|(_, c)| c.rank())
            .map(|(i, c)| (i, c.rank()));
        let incoming_can_go = !incoming.is_host();
        match victim {
            Some((_, rank)) if incoming_can_go && incoming.rank() < rank => Some(incoming.clone()),
            Some((i, _)) => self.held.remove(i),
            None if incoming_can_go => Some(incoming.clone()),
            None => self.held.pop_front(),
        }
    }

    /// An ICE restart started: candidates of the current generation are dropped from now.
    pub fn begin_restart(&mut self) {
        if self.applied {
            self.retiring = true;
        }
    }

    /// A remote description of generation `ufrag` was applied. Returns, in arrival order,
    /// the held candidates that can now be added; candidates of replaced generations are
    /// dropped and returned as the second list.
    pub fn remote_applied(&mut self, ufrag: Option<String>) -> (Vec<Candidate>, Vec<Candidate>) {
        if self.applied && self.current.is_some() && ufrag != self.current {
            if let Some(old) = self.current.take() {
                self.stale.push_back(old);
                if self.stale.len() > STALE_MEMORY {
                    self.stale.pop_front();
                }
            }
            self.retiring = false;
        } else if ufrag != self.current {
            self.retiring = false;
        }
        self.current = ufrag;
        self.applied = true;
        let mut ready = Vec::new();
        let mut dropped = Vec::new();
        let mut keep = VecDeque::new();
        for c in self.held.drain(..) {
            let u = c.ufrag();
            if u.as_ref().is_some_and(|u| self.stale.contains(u)) {
                dropped.push(c);
            } else if match (&u, &self.current) {
                (None, _) | (_, None) => true,
                (Some(u), Some(cur)) => u == cur,
            } {
                ready.push(c);
            } else {
                keep.push_back(c);
            }
        }
        self.held = keep;
        (ready, dropped)
    }

    /// Forgets everything (the connection closed).
    pub fn clear(&mut self) {
        self.held.clear();
    }
}

#[cfg(test)]
#[path = "candidates_tests.rs"]
mod tests;
