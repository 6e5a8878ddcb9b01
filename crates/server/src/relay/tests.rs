use super::*;
use proptest::prelude::*;
use serde_json::{json, Value};
use steadyrtc_protocol::{ClientMessage, ServerMessage};

/// The fast path either declines `text` or reads it exactly as the general parser does,
/// and the frame it writes parses to the message the general path would have sent.
/// Returns whether it took the frame.
fn agrees(text: &str) -> bool {
    let general = ClientMessage::parse(text);
    let Some(fast) = parse(text) else {
        return false;
    };
    let Ok(ClientMessage::Signal { to, data }) = general else {
        panic!("the fast path took {text:?}, the general parser says {general:?}");
    };
    assert_eq!(fast.to, to, "{text}");
    let relayed: Value = serde_json::from_str(fast.data.get()).expect("data parses");
    assert_eq!(relayed, data, "{text}");
    assert_eq!(
        fast.kind.as_deref(),
        data.get("kind").and_then(Value::as_str),
        "{text}"
    );
    assert_eq!(
        fast.sdp.as_deref(),
        data.get("sdp").and_then(Value::as_str),
        "{text}"
    );
    let frame = signal_frame("Ab12cd", fast.data, 7);
    assert_eq!(
        ServerMessage::parse_frame(&frame).expect("the relayed frame parses"),
        (
            Some(7),
            ServerMessage::Signal {
                from: "Ab12cd".into(),
                data
            }
        ),
        "{frame}"
    );
    assert!(frame.contains(fast.data.get()), "data relayed as sent");
    true
}

#[test]
fn what_clients_send_takes_the_fast_path() {
    for data in [
        json!({"kind": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n", "epoch": 2}),
        json!({"kind": "candidate", "candidate": "candidate:1 1 udp 2122260223 10.0.0.1 5000 typ host", "sdpMid": "0", "sdpMLineIndex": 0}),
        json!({"kind": "endOfCandidates"}),
        json!({"kind": "mediaState", "videoPaused": true, "reason": "poorConnection", "screen": "é \u{1F600}"}),
        json!({}),
        json!(null),
        json!([1, 2.5, -3, "x"]),
    ] {
        let text = ClientMessage::Signal {
            to: "k3Jd8QmZpL0aXe2W".into(),
            data,
        }
        .to_json();
        assert!(agrees(&text), "{text} should take the fast path");
    }
}

#[test]
fn data_is_relayed_byte_for_byte() {
    let data = r#"{ "sdp" : "v=0\r\n",  "kind":"answer", "x": [1.50, 1e3, "\u00e9"] }"#;
    let text = format!(r#"{{"type":"signal","to":"p1","data":{data}}}"#);
    assert!(agrees(&text));
    let fast = parse(&text).expect("fast path");
    assert_eq!(fast.data.get(), data);
    assert_eq!(fast.kind.as_deref(), Some("answer"));
    assert_eq!(fast.sdp.as_deref(), Some("v=0\r\n"), "escapes are decoded");
    assert_eq!(
        signal_frame("p2", fast.data, 3),
        format!(r#"{{"type":"signal","from":"p2","data":{data},"seq":3}}"#)
    );
}

#[test]
fn unusual_frames_go_the_general_way_and_bad_ones_stay_refused() {
    let declined = [
        // Numbers and escapes serde_json::Value refuses: refused as before.
        r#"{"type":"signal","to":"p","data":{"kind":"candidate","n":1e400}}"#,
        r#"{"type":"signal","to":"p","data":{"kind":"\ud800"}}"#,
        r#"{"type":"signal","to":"p","data":{"kind":"offer"}"#,
        // Repeated, escaped or extra keys: the general parser decides.
        r#"{"type":"signal","to":"p","to":"q","data":{}}"#,
        r#"{"type":"signal","to":"p","data":{},"data":{"kind":"offer"}}"#,
        r#"{"type":"sign\u0061l","to":"p","data":{}}"#,
        r#"{"type":"signal","to":"p","data":{},"seq":4}"#,
        // Not a signal, or not one of the right shape.
        r#"{"type":"chat","to":"p","data":{}}"#,
        r#"{"type":"signal","to":5,"data":{}}"#,
        r#"{"type":"signal","data":{}}"#,
        r#"[1]"#,
        "",
    ];
    for text in declined {
        assert!(!agrees(text), "{text} should go the general way");
    }
    assert!(ClientMessage::parse(declined[0]).is_err());
    assert!(ClientMessage::parse(declined[1]).is_err());
}

#[test]
fn a_repeated_kind_counts_as_its_last_value_as_in_a_json_map() {
    let text = r#"{"type":"signal","to":"p","data":{"kind":"offer","kind":"candidate","sdp":1,"k\u0069nd2":0}}"#;
    assert!(agrees(text));
    assert_eq!(
        parse(text).and_then(|s| s.kind).as_deref(),
        Some("candidate")
    );
    let text = r#"{"type":"signal","to":"p","data":{"kind":"candidate","ki\u006ed":"offer"}}"#;
    assert!(agrees(text));
    assert_eq!(parse(text).and_then(|s| s.kind).as_deref(), Some("offer"));
    let text = r#"{"type":"signal","to":"p","data":{"kind":{"kind":"offer"}}}"#;
    assert!(agrees(text));
    assert_eq!(parse(text).and_then(|s| s.kind), None);
}

#[test]
fn a_sender_id_that_needs_escaping_is_escaped() {
    let data = RawValue::from_string("{}".into()).expect("raw");
    let frame = signal_frame("a\"b", &data, 1);
    assert_eq!(
        frame,
        r#"{"type":"signal","from":"a\"b","data":{},"seq":1}"#
    );
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
        prop_oneof![Just("offer"), Just("answer"), Just("candidate")].prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::vec(
                (
                    prop_oneof![Just("kind".to_owned()), Just("sdp".to_owned()), "\\PC{0,6}"],
                    inner
                ),
                0..6
            )
            .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn any_signal_takes_the_fast_path_and_reads_as_the_general_parser(
        to in "\\PC{0,20}",
        data in arb_json(),
    ) {
        let text = ClientMessage::Signal { to, data }.to_json();
        prop_assert!(agrees(&text), "{} should take the fast path", text);
    }

    #[test]
    fn any_text_is_declined_or_read_as_the_general_parser(
        text in r#"\{"type":"signal","to":"p","data":[\[\]{}":,0-9a-z\\ .eE+-]{0,40}\}"#,
    ) {
        agrees(&text);
    }
}
