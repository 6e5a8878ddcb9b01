//! Reading an option object (the app's JS object, as JSON) one field at a time: a field
//! the type does not know is refused, a missing required field and a value of the wrong
//! type are named with their path (`options.ice.iceServers[0].urls`).
//!
//! Written by hand instead of serde's derives: a derived `Deserialize` compiles serde's
//! machinery once per type, which cost the wasm about 9 KiB gzipped for these few
//! structs. The JSON text is parsed by `serde_json` into a `Value` either way.

use crate::options::{
    AdaptiveOptions, ConnectivityOptions, IceOptions, IceServer, IceTransportPolicy, MediaOptions,
    PeerOptions, RoomOptions, Urls, DEFAULT_JOIN_TIMEOUT_MS, DEFAULT_RECOVERY_TIMEOUT_MS,
};
use serde_json::{Map, Value};

/// The fields of one JSON object at `path`.
pub struct Fields<'a> {
    map: &'a Map<String, Value>,
    path: String,
}

impl<'a> Fields<'a> {
    /// `value` as an object whose keys are all in `known`.
    pub fn of(value: &'a Value, path: &str, known: &[&str]) -> Result<Self, String> {
        let Some(map) = value.as_object() else {
            return Err(format!("{path} must be an object"));
        };
        if let Some(unknown) = map.keys().find(|k| !known.contains(&k.as_str())) {
            return Err(format!(
                "unknown field `{unknown}` in {path}, expected one of `{}`",
                known.join("`, `")
            ));
        }
        Ok(Self {
            map,
            path: path.to_owned(),
        })
    }

    /// The path of `key`, for messages and nested objects.
    pub fn path(&self, key: &str) -> String {
        format!("{}.{key}", self.path)
    }

    /// The value of `key`; absent and `null` are both `None`.
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    fn wrong(&self, key: &str, what: &str) -> String {
        format!("{} must be {what}", self.path(key))
    }

    pub fn string(&self, key: &str) -> Result<Option<String>, String> {
        self.get(key)
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| self.wrong(key, "a string"))
            })
            .transpose()
    }

    pub fn required_string(&self, key: &str) -> Result<String, String> {
        self.string(key)?
            .ok_or_else(|| format!("missing field `{key}` in {}", self.path))
    }

    pub fn bool_or(&self, key: &str, default: bool) -> Result<bool, String> {
        self.get(key).map_or(Ok(default), |v| {
            v.as_bool().ok_or_else(|| self.wrong(key, "true or false"))
        })
    }

    pub fn u32_or(&self, key: &str, default: u32) -> Result<u32, String> {
        self.get(key).map_or(Ok(default), |v| {
            v.as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| self.wrong(key, "a whole number of milliseconds"))
        })
    }

    /// The object at `key` read by `read` with its path; `None` when absent.
    pub fn object<T>(
        &self,
        key: &str,
        read: impl Fn(&Value, &str) -> Result<T, String>,
    ) -> Result<Option<T>, String> {
        self.get(key).map(|v| read(v, &self.path(key))).transpose()
    }

    /// A list at `key` (absent: empty), each item read by `item` with its path.
    pub fn list<T>(
        &self,
        key: &str,
        item: impl Fn(&Value, &str) -> Result<T, String>,
    ) -> Result<Vec<T>, String> {
        let Some(v) = self.get(key) else {
            return Ok(Vec::new());
        };
        let items = v.as_array().ok_or_else(|| self.wrong(key, "a list"))?;
        items
            .iter()
            .enumerate()
            .map(|(i, v)| item(v, &format!("{}[{i}]", self.path(key))))
            .collect()
    }
}

impl RoomOptions {
    /// The options of `connect` (`Match.start` passes the same shape).
    pub fn from_value(v: &Value) -> Result<Self, String> {
        const KNOWN: &[&str] = &[
            "url",
            "room",
            "name",
            "token",
            "media",
            "ice",
            "joinTimeoutMs",
            "recoveryTimeoutMs",
            "adaptive",
        ];
        let f = Fields::of(v, "options", KNOWN)?;
        Ok(Self {
            url: f.required_string("url")?,
            room: f.required_string("room")?,
            name: f.required_string("name")?,
            token: f.string("token")?,
            media: f
                .object("media", MediaOptions::from_value)?
                .unwrap_or_default(),
            ice: f.object("ice", IceOptions::from_value)?.unwrap_or_default(),
            join_timeout_ms: f.u32_or("joinTimeoutMs", DEFAULT_JOIN_TIMEOUT_MS)?,
            recovery_timeout_ms: f.u32_or("recoveryTimeoutMs", DEFAULT_RECOVERY_TIMEOUT_MS)?,
            adaptive: f
                .object("adaptive", |v, path| {
                    Ok(AdaptiveOptions {
                        preset: Fields::of(v, path, &["preset"])?.string("preset")?,
                    })
                })?
                .unwrap_or_default(),
        })
    }
}

impl MediaOptions {
    pub fn from_value(v: &Value, path: &str) -> Result<Self, String> {
        let f = Fields::of(v, path, &["audio", "video"])?;
        Ok(Self {
            audio: f.bool_or("audio", true)?,
            video: f.bool_or("video", true)?,
        })
    }
}

impl IceOptions {
    pub fn from_value(v: &Value, path: &str) -> Result<Self, String> {
        let f = Fields::of(v, path, &["iceServers", "iceTransportPolicy"])?;
        Ok(Self {
            ice_servers: f.list("iceServers", IceServer::from_value)?,
            ice_transport_policy: IceTransportPolicy::read(&f)?,
        })
    }
}

impl IceTransportPolicy {
    /// The `iceTransportPolicy` field of `f`: `"all"` (the default) or `"relay"`.
    fn read(f: &Fields) -> Result<Self, String> {
        match f.get("iceTransportPolicy").map(Value::as_str) {
            None | Some(Some("all")) => Ok(Self::All),
            Some(Some("relay")) => Ok(Self::Relay),
            Some(_) => Err(format!(
                "{} must be \"all\" or \"relay\"",
                f.path("iceTransportPolicy")
            )),
        }
    }
}

impl IceServer {
    /// One `RTCIceServer`: `urls` (a string or a list of strings), `username`,
    /// `credential`.
    pub fn from_value(v: &Value, path: &str) -> Result<Self, String> {
        let f = Fields::of(v, path, &["urls", "username", "credential"])?;
        let wrong = || format!("{} must be a string or a list of strings", f.path("urls"));
        let urls = match f.get("urls") {
            None => return Err(format!("missing field `urls` in {path}")),
            Some(Value::String(url)) => Urls::One(url.clone()),
            Some(Value::Array(list)) => Urls::Many(
                list.iter()
                    .map(|u| u.as_str().map(str::to_owned).ok_or_else(wrong))
                    .collect::<Result<_, _>>()?,
            ),
            Some(_) => return Err(wrong()),
        };
        Ok(Self {
            urls,
            username: f.string("username")?,
            credential: f.string("credential")?,
        })
    }
}

impl PeerOptions {
    pub fn from_value(v: &Value) -> Result<Self, String> {
        const KNOWN: &[&str] = &[
            "polite",
            "iceServers",
            "iceTransportPolicy",
            "media",
            "peerId",
        ];
        let f = Fields::of(v, "options", KNOWN)?;
        Ok(Self {
            polite: f.bool_or("polite", false)?,
            ice_servers: f.list("iceServers", IceServer::from_value)?,
            ice_transport_policy: IceTransportPolicy::read(&f)?,
            media: f.object("media", MediaOptions::from_value)?,
            peer_id: f.string("peerId")?,
        })
    }
}

impl ConnectivityOptions {
    pub fn from_value(v: &Value) -> Result<Self, String> {
        let f = Fields::of(v, "options", &["url", "token", "media"])?;
        Ok(Self {
            url: f.required_string("url")?,
            token: f.required_string("token")?,
            media: f
                .object("media", MediaOptions::from_value)?
                .unwrap_or_default(),
        })
    }
}

/// Parses the JSON text of an option object.
pub fn parse(json: &str) -> Result<Value, String> {
    serde_json::from_str(json).map_err(|e| format!("options are not JSON: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_fields_missing_fields_and_wrong_types_are_named_with_their_path() {
        let v = json!({"a": "x", "typo": 1});
        let err = Fields::of(&v, "options", &["a", "b"]).err().unwrap();
        assert_eq!(
            err,
            "unknown field `typo` in options, expected one of `a`, `b`"
        );
        let v = json!({"a": 5, "n": -1, "l": [1, "x"]});
        let f = Fields::of(&v, "options.ice", &["a", "b", "n", "l"]).unwrap();
        assert_eq!(f.string("a").unwrap_err(), "options.ice.a must be a string");
        assert_eq!(
            f.required_string("b").unwrap_err(),
            "missing field `b` in options.ice"
        );
        assert_eq!(
            f.u32_or("n", 3).unwrap_err(),
            "options.ice.n must be a whole number of milliseconds"
        );
        let strings = f.list("l", |v, path| {
            v.as_str()
                .map(str::to_owned)
                .ok_or(format!("{path} must be a string"))
        });
        assert_eq!(strings.unwrap_err(), "options.ice.l[0] must be a string");
        assert!(Fields::of(&json!([1]), "options", &[]).is_err());
    }

    #[test]
    fn absent_and_null_take_the_default() {
        let v = json!({"b": null});
        let f = Fields::of(&v, "options", &["a", "b"]).unwrap();
        assert_eq!(f.bool_or("a", true), Ok(true));
        assert_eq!(f.bool_or("b", false), Ok(false));
        assert_eq!(f.u32_or("a", 7), Ok(7));
        assert_eq!(f.string("b"), Ok(None));
        assert_eq!(f.list("a", |_, _| Ok(0)), Ok(vec![]));
    }
}
