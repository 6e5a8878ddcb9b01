//! The fast path for `signal`, the message clients send most: the frame is read without
//! building its `data` (the JSON text of `data` is kept as sent) and the receiver's frame
//! is written around that text, so a relayed signal costs one allocation (its outgoing
//! frame) instead of three copies of a `serde_json::Value` tree and a serialization.
//!
//! This module decides which frames take the fast path: exactly the keys `type`
//! (`"signal"`), `to` and `data`, each once, with `data` valid as `serde_json::Value`
//! reads it (so numbers out of range and bad escapes are refused as before). Anything
//! else (other or repeated keys, escaped key names, wrong types) goes the general way
//! through [`steadyrtc_protocol::ClientMessage::parse`], so every frame is answered as
//! before. The server reads only `data.kind` and `data.sdp` (the grant checks of
//! [`crate::rooms::Rooms`]); they are taken from the same pass that checks `data`.

use std::borrow::Cow;
use std::fmt::{self, Write as _};

use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

/// A `signal` frame as the fast path reads it.
#[derive(Debug)]
pub struct Signal<'a> {
    pub to: Cow<'a, str>,
    /// The text of `data`, exactly as the client sent it.
    pub data: &'a RawValue,
    /// `data.kind` when `data` is an object whose (last) `kind` is a string.
    pub kind: Option<Cow<'a, str>>,
    /// `data.sdp`, the same way.
    pub sdp: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Frame<'a> {
    #[serde(rename = "type", borrow)]
    kind: &'a str,
    #[serde(borrow)]
    to: Cow<'a, str>,
    #[serde(borrow)]
    data: &'a RawValue,
}

/// The frame read for the fast path, or `None`: then the general parser answers it.
pub fn parse(text: &str) -> Option<Signal<'_>> {
    let frame: Frame<'_> = serde_json::from_str(text).ok()?;
    if frame.kind != "signal" {
        return None;
    }
    let Fields { kind, sdp } = serde_json::from_str(frame.data.get()).ok()?;
    Some(Signal {
        to: frame.to,
        data: frame.data,
        kind,
        sdp,
    })
}

/// The receiver's frame: `{"type":"signal","from":…,"data":…,"seq":…}` with `data` as
/// the sender wrote it.
pub fn signal_frame(from: &str, data: &RawValue, seq: u64) -> String {
    let data = data.get();
    let mut text = String::with_capacity(data.len() + from.len() + 56);
    text.push_str(r#"{"type":"signal","from":"#);
    if from.bytes().all(|b| b.is_ascii_alphanumeric()) {
        text.push('"');
        text.push_str(from);
        text.push('"');
    } else {
        text.push_str(&serde_json::Value::from(from).to_string());
    }
    text.push_str(r#","data":"#);
    text.push_str(data);
    let _ = write!(text, r#","seq":{seq}}}"#);
    text
}

/// What the server reads of `data`, collected while the whole value is checked.
#[derive(Default)]
struct Fields<'a> {
    kind: Option<Cow<'a, str>>,
    sdp: Option<Cow<'a, str>>,
}

impl<'de> Deserialize<'de> for Fields<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(FieldsVisitor)
    }
}

struct FieldsVisitor;

impl<'de> Visitor<'de> for FieldsVisitor {
    type Value = Fields<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut fields = Fields::default();
        // As in a `serde_json::Map`, a repeated key's last value counts.
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Kind => fields.kind = map.next_value::<MaybeStr>()?.0,
                Key::Sdp => fields.sdp = map.next_value::<MaybeStr>()?.0,
                Key::Other => {
                    map.next_value::<Walk>()?;
                }
            }
        }
        Ok(fields)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        WalkVisitor.visit_seq(seq).map(|()| Fields::default())
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Fields::default())
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Fields::default())
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Fields::default())
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Fields::default())
    }

    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Fields::default())
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Fields::default())
    }
}

/// A key of `data`'s top level.
enum Key {
    Kind,
    Sdp,
    Other,
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E>(self, key: &str) -> Result<Key, E> {
                Ok(match key {
                    "kind" => Key::Kind,
                    "sdp" => Key::Sdp,
                    _ => Key::Other,
                })
            }
        }
        deserializer.deserialize_any(KeyVisitor)
    }
}

/// Any JSON value, kept when it is a string (borrowed unless it had escapes).
struct MaybeStr<'a>(Option<Cow<'a, str>>);

impl<'de> Deserialize<'de> for MaybeStr<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StrVisitor;
        impl<'de> Visitor<'de> for StrVisitor {
            type Value = MaybeStr<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Self::Value, E> {
                Ok(MaybeStr(Some(Cow::Borrowed(s))))
            }
            fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
                Ok(MaybeStr(Some(Cow::Owned(s.to_owned()))))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                WalkVisitor.visit_map(map).map(|()| MaybeStr(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                WalkVisitor.visit_seq(seq).map(|()| MaybeStr(None))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(MaybeStr(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(MaybeStr(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(MaybeStr(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(MaybeStr(None))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(MaybeStr(None))
            }
        }
        deserializer.deserialize_any(StrVisitor)
    }
}

/// Any JSON value, read through as `serde_json::Value` would read it and dropped.
struct Walk;

impl<'de> Deserialize<'de> for Walk {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(WalkVisitor).map(|()| Walk)
    }
}

struct WalkVisitor;

impl<'de> Visitor<'de> for WalkVisitor {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_entry::<Walk, Walk>()?.is_some() {}
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<Walk>()?.is_some() {}
        Ok(())
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

#[cfg(test)]
mod tests;
