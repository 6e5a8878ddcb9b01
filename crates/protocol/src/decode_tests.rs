//! The hand-written readers against the serde derives: the same answer on every example,
//! and on every example with one field removed, nulled or of another type. (One
//! difference is allowed: serde reads a struct written as a JSON list of its fields;
//! these readers refuse it.)

use super::*;
use crate::message::tests::server_examples;
use serde::de::DeserializeOwned;
use serde_json::json;
use std::fmt::Debug;

/// Each value `v` can become by changing one field of it (top level or one level down).
fn variants(v: &Value) -> Vec<Value> {
    let odd = [
        Value::Null,
        json!("x"),
        json!(1.5),
        json!(-1),
        json!(70_000),
        json!(5_000_000_000u64),
        json!(true),
        json!([]),
        json!({}),
        json!([{"id": "p", "name": "n"}]),
        json!(["stun:x"]),
        json!("host"),
        json!("left"),
        json!("roomFull"),
    ];
    let mut out = Vec::new();
    let Value::Object(map) = v else { return out };
    for (key, field) in map {
        let mut gone = map.clone();
        gone.remove(key);
        out.push(Value::Object(gone));
        for o in &odd {
            // serde also reads a struct written as a list of its fields in order; these
            // readers do not (no server writes one), so that is not compared.
            if field.is_object() && o.is_array() {
                continue;
            }
            let mut changed = map.clone();
            changed.insert(key.clone(), o.clone());
            out.push(Value::Object(changed));
        }
        for inner in variants(field) {
            let mut changed = map.clone();
            changed.insert(key.clone(), inner);
            out.push(Value::Object(changed));
        }
        if let Value::Array(items) = field {
            for (i, item) in items.iter().enumerate() {
                for inner in variants(item) {
                    let mut items = items.clone();
                    items[i] = inner;
                    let mut changed = map.clone();
                    changed.insert(key.clone(), Value::Array(items));
                    out.push(Value::Object(changed));
                }
            }
        }
    }
    out
}

fn agree<T: DeserializeOwned + PartialEq + Debug>(v: &Value, mine: impl Fn(&Value) -> Result<T>) {
    let theirs = serde_json::from_value::<T>(v.clone());
    match (mine(v), theirs) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "{v}"),
        (Err(_), Err(_)) => {}
        (a, b) => panic!("they disagree on {v}:\n hand: {a:?}\n serde: {b:?}"),
    }
}

#[test]
fn every_server_message_reads_as_serde_reads_it_even_when_one_field_is_wrong() {
    let mut checked = 0;
    for example in server_examples() {
        let v: Value = serde_json::from_str(&example.to_json_with_seq(7)).unwrap();
        assert_eq!(server_message(&v).as_ref(), Ok(&example));
        for changed in variants(&v) {
            agree(&changed, server_message);
            checked += 1;
        }
    }
    assert!(checked > 500, "{checked}");
}

/// Also: `SignalEnvelope::to_value` writes what serde writes, for every kind and epoch.
#[test]
fn every_signal_envelope_reads_as_serde_reads_it_even_when_one_field_is_wrong() {
    let signals = [
        SignalData::Offer { sdp: "v=0".into() },
        SignalData::Answer { sdp: "v=0".into() },
        SignalData::Candidate {
            candidate: "candidate:1 1 udp 1 10.0.0.1 5000 typ host".into(),
            sdp_mid: Some("0".into()),
            sdp_m_line_index: Some(0),
            username_fragment: Some("u".into()),
        },
        SignalData::Candidate {
            candidate: "c".into(),
            sdp_mid: None,
            sdp_m_line_index: None,
            username_fragment: None,
        },
        SignalData::EndOfCandidates,
        SignalData::Reconnect,
        SignalData::MediaState {
            video_paused: true,
            reason: "poorConnection".into(),
            camera: Some(false),
            microphone: Some(true),
            screen: Some("s".into()),
        },
        // Every optional field absent.
        serde_json::from_value(json!({"kind": "mediaState", "videoPaused": false})).unwrap(),
        SignalData::KeyFrame,
    ];
    for data in signals {
        for epoch in [0, 3] {
            let envelope = SignalEnvelope {
                data: data.clone(),
                epoch,
            };
            let v = serde_json::to_value(&envelope).unwrap();
            assert_eq!(envelope.to_value(), v, "{envelope:?}");
            assert_eq!(signal_envelope(&v).as_ref(), Ok(&envelope));
            for changed in variants(&v) {
                agree(&changed, signal_envelope);
            }
        }
    }
}

#[test]
fn unknown_kinds_and_non_objects_are_refused_with_a_reason() {
    for bad in [
        json!({"type": "nope"}),
        json!([]),
        json!("welcome"),
        json!({}),
    ] {
        let e = server_message(&bad).unwrap_err();
        assert!(!e.is_empty());
    }
    assert!(signal_envelope(&json!({"kind": "nope"}))
        .unwrap_err()
        .contains("nope"));
}
