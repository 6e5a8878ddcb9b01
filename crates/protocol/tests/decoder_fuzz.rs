//! The decoders fuzzed with proptest (cargo-fuzz needs a nightly toolchain): arbitrary
//! bytes and arbitrary JSON never panic, every refusal has a parse code, and whatever
//! parses survives a round trip unchanged.

use proptest::prelude::*;
use serde_json::Value;
use steadyrtc_protocol::{ClientMessage, ErrorCode, ServerMessage};

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        prop_oneof![
            Just("join"),
            Just("signal"),
            Just("ack"),
            Just("resume"),
            Just("queueJoin"),
            Just("welcome"),
            Just("peerJoined"),
            Just("error"),
            Just("ping"),
            Just("seq")
        ]
        .prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map(
                prop_oneof![
                    Just("type".to_owned()),
                    Just("seq".to_owned()),
                    Just("to".to_owned()),
                    Just("data".to_owned()),
                    "[a-zA-Z]{1,10}"
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn is_parse_code(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::BadJson | ErrorCode::UnknownType | ErrorCode::InvalidMessage
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic_and_parse_or_refuse_with_a_parse_code(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let text = String::from_utf8_lossy(&bytes);
        match ClientMessage::parse(&text) {
            Ok(m) => prop_assert_eq!(ClientMessage::parse(&m.to_json()).ok(), Some(m)),
            Err(e) => prop_assert!(is_parse_code(e.code)),
        }
        if let Err(e) = ServerMessage::parse_frame(&text) {
            prop_assert!(is_parse_code(e.code));
        }
    }

    #[test]
    fn arbitrary_json_never_panics_and_what_parses_round_trips(value in json_value()) {
        let text = value.to_string();
        match ClientMessage::parse(&text) {
            Ok(m) => prop_assert_eq!(ClientMessage::parse(&m.to_json()).ok(), Some(m)),
            Err(e) => prop_assert!(is_parse_code(e.code)),
        }
        match ServerMessage::parse_frame(&text) {
            Ok((seq, m)) => {
                let again = match seq {
                    Some(seq) => m.to_json_with_seq(seq),
                    None => m.to_json(),
                };
                prop_assert_eq!(ServerMessage::parse_frame(&again).ok(), Some((seq, m)));
            }
            Err(e) => prop_assert!(is_parse_code(e.code)),
        }
    }
}
