//! Reading the few facts the engine needs out of SDP and candidate strings: the ICE
//! username fragment (which names an ICE generation), a candidate's type and priority.
//! Parsing is lenient: anything unreadable gives `None`, never an error or a panic.

use serde::{Deserialize, Serialize};

/// The ICE username fragment of a session description (`a=ice-ufrag:`), taken from the
/// first media section that has one.
pub fn ice_ufrag(sdp: &str) -> Option<String> {
    sdp.lines()
        .find_map(|line| line.trim().strip_prefix("a=ice-ufrag:"))
        .map(|u| u.trim().to_owned())
        .filter(|u| !u.is_empty())
}

/// ICE candidate types, ordered from least to most preferred when a buffer overflows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CandidateType {
    Relay,
    Srflx,
    Prflx,
    Host,
}

/// What the engine reads from an `a=candidate` string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CandidateFacts {
    pub kind: Option<CandidateType>,
    pub priority: u32,
    /// The `ufrag` extension some browsers append.
    pub ufrag: Option<String>,
}

/// Parses `candidate:<foundation> <component> <transport> <priority> <address> <port>
/// typ <type> [extensions...]` (with or without the `a=` prefix).
pub fn candidate_facts(candidate: &str) -> CandidateFacts {
    let body = candidate.trim().trim_start_matches("a=");
    let fields: Vec<&str> = body.split_whitespace().collect();
    let priority = fields.get(3).and_then(|p| p.parse().ok()).unwrap_or(0);
    let after = |key: &str| {
        fields
            .iter()
            .position(|f| *f == key)
            .and_then(|i| fields.get(i + 1))
            .copied()
    };
    let kind = after("typ").and_then(|t| match t {
        "host" => Some(CandidateType::Host),
        "srflx" => Some(CandidateType::Srflx),
        "prflx" => Some(CandidateType::Prflx),
        "relay" => Some(CandidateType::Relay),
        _ => None,
    });
    CandidateFacts {
        kind,
        priority,
        ufrag: after("ufrag").map(str::to_owned),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ufrag_is_read_from_the_first_section_that_has_one() {
        let sdp = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=ice-ufrag:AbCd\r\na=ice-pwd:x\r\nm=video 9 x\r\na=ice-ufrag:Other\r\n";
        assert_eq!(ice_ufrag(sdp).as_deref(), Some("AbCd"));
        assert_eq!(ice_ufrag("v=0\r\n"), None);
        assert_eq!(ice_ufrag("a=ice-ufrag:\r\n"), None);
    }

    #[test]
    fn candidate_type_priority_and_ufrag_are_parsed() {
        let c = candidate_facts(
            "candidate:842163049 1 udp 1677729535 10.0.0.5 46154 typ srflx raddr 0.0.0.0 rport 0 generation 0 ufrag EsAw network-cost 999",
        );
        assert_eq!(c.kind, Some(CandidateType::Srflx));
        assert_eq!(c.priority, 1_677_729_535);
        assert_eq!(c.ufrag.as_deref(), Some("EsAw"));
        let host = candidate_facts("a=candidate:1 1 UDP 2122252543 10.0.0.1 5000 typ host");
        assert_eq!(host.kind, Some(CandidateType::Host));
        assert_eq!(host.ufrag, None);
    }

    #[test]
    fn garbage_candidates_give_empty_facts_not_errors() {
        for junk in [
            "",
            "candidate:",
            "typ",
            "a b c notanumber x y typ",
            "\u{0}\u{1}",
        ] {
            let c = candidate_facts(junk);
            assert_eq!(c.priority, 0);
            assert_eq!(c.kind, None);
        }
        assert!(CandidateType::Relay < CandidateType::Host);
    }
}
