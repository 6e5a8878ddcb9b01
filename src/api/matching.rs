//! `Match`: a random match on a steadyrtc server. `new Match({url, tokenProvider})`,
//! `on(...)`, `start({tags, language})`; `next()` moves on, `stop()` leaves.
//!
//! A match is a room opened in the server's match queue: the same driver and engine as
//! `Room` (every room event, from `queued` and `matched` to `track`), so nothing of a
//! room's behaviour is written twice. `match.room` is a handle on that room for its
//! methods (media toggles, chat, quality). Nothing here decides: the engine does.

use super::room::{self, Room};
use super::room_driver::RoomDriver;
use crate::browser::js::object;
use crate::error::{ErrorCode, SteadyError};
use js_sys::{Function, Reflect};
use std::rc::Rc;
use steadyrtc_protocol::MatchPrefs;
use wasm_bindgen::prelude::*;

/// A random match: `new Match(options)`, `on(...)`, then `start(...)`.
#[wasm_bindgen]
pub struct Match {
    driver: Rc<RoomDriver>,
    url: String,
    token: Option<String>,
}

fn invalid(message: &str) -> JsValue {
    SteadyError::new(ErrorCode::InvalidOptions, message).into()
}

/// A string field of `options`, if set.
fn text(options: &JsValue, key: &str) -> Result<Option<String>, JsValue> {
    let value = Reflect::get(options, &key.into()).unwrap_or(JsValue::UNDEFINED);
    if value.is_undefined() {
        return Ok(None);
    }
    value
        .as_string()
        .map(Some)
        .ok_or_else(|| invalid(&format!("{key} must be a string")))
}

/// A copy of `options` without `keys`.
fn without(options: &JsValue, keys: &[&str]) -> js_sys::Object {
    let copy = js_sys::Object::new();
    if options.is_object() {
        js_sys::Object::assign(&copy, options.unchecked_ref());
    }
    for key in keys {
        let _ = Reflect::delete_property(&copy, &(*key).into());
    }
    copy
}

#[wasm_bindgen]
impl Match {
    /// A match not yet started. Options: `url` (the signaling URL, required), `token`
    /// (for the match room; or give `tokenProvider`), and the `Room` options
    /// `tokenProvider`, `reconnectPolicy`, `logLevel`. Others throw `invalidOptions`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "MatchOptions")] options: JsValue,
    ) -> Result<Match, JsValue> {
        if !options.is_object() {
            return Err(invalid("Match options must be an object with a url"));
        }
        let url = text(&options, "url")?.ok_or_else(|| invalid("url is required"))?;
        let token = text(&options, "token")?;
        let driver = room::new_driver(&without(&options, &["url", "token"]).into())?;
        Ok(Match { driver, url, token })
    }

    /// Registers `handler` for `event`: every `Room` event (`queued`, `matched`,
    /// `peerJoined`, `track`, ...). Unknown event names throw `invalidArgument`.
    #[wasm_bindgen(skip_typescript)]
    pub fn on(&self, event: &str, handler: Function) -> Result<(), JsValue> {
        room::on(&self.driver, event, handler)
    }

    /// Removes a handler registered with `on`.
    #[wasm_bindgen(skip_typescript)]
    pub fn off(&self, event: &str, handler: Function) -> Result<(), JsValue> {
        room::off(&self.driver, event, handler)
    }

    /// Captures local media and enters the match queue: resolves once queued (then
    /// `queued` events tell the place in line and the time waited, and `matched` the
    /// partner). Options: `tags` (at most 16; two people match when their tags share one
    /// or either has none), `language` (matched case-insensitively when both give one),
    /// `name` (default `"Guest"`), `token`, and `media`, `adaptive`, `ice`,
    /// `joinTimeoutMs` as for `room.connect`. Rejects as `connect` does; a second call
    /// rejects with `invalidArgument`.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn start(
        &self,
        #[wasm_bindgen(unchecked_param_type = "MatchStartOptions | undefined")] options: JsValue,
    ) -> js_sys::Promise {
        let prepared = self.prepare(&options);
        let driver = self.driver.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            let (connect, prefs) = prepared?;
            room::connect_to(driver, connect.into(), Some(prefs)).await?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// The `connect` options and the queue preferences of `start(options)`.
    fn prepare(&self, options: &JsValue) -> Result<(js_sys::Object, MatchPrefs), JsValue> {
        let mut tags = Vec::new();
        let given = Reflect::get(options, &"tags".into()).unwrap_or(JsValue::UNDEFINED);
        if !given.is_undefined() {
            if !js_sys::Array::is_array(&given) {
                return Err(invalid("tags must be an array of strings"));
            }
            for tag in js_sys::Array::from(&given).iter() {
                tags.push(
                    tag.as_string()
                        .ok_or_else(|| invalid("tags must be an array of strings"))?,
                );
            }
        }
        let prefs = MatchPrefs {
            tags,
            language: text(options, "language")?,
        };
        crate::options::validate_match_prefs(&prefs)?;
        let connect = without(options, &["tags", "language"]);
        let name = text(options, "name")?.unwrap_or_else(|| "Guest".to_owned());
        let token = text(options, "token")?.or_else(|| self.token.clone());
        let mut fields = vec![
            ("url", JsValue::from(self.url.as_str())),
            // Not sent: the token names the match room.
            ("room", "match".into()),
            ("name", name.into()),
        ];
        if let Some(token) = token {
            fields.push(("token", token.into()));
        }
        js_sys::Object::assign(&connect, object(&fields).unchecked_ref());
        Ok((connect, prefs))
    }

    /// Ends the current match (the partner gets `peerLeft`) and queues again, never with
    /// the same partner right away. While waiting, it only goes to the end of the line.
    /// Throws `notConnected` before `start` resolved and while signaling is down,
    /// `roomClosed` after `stop`.
    pub fn next(&self) -> Result<(), JsValue> {
        let now = crate::browser::driver::now_ms();
        self.driver
            .command(|engine| engine.match_next(now))
            .map_err(JsValue::from)
    }

    /// Leaves the queue and any match, ends the session and releases the camera and the
    /// connections (as `room.leave()`). Safe to call twice.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn stop(&self) -> js_sys::Promise {
        room::leave(&self.driver)
    }

    /// The room of this match, for its methods (`setMicrophoneEnabled`, `sendChat`,
    /// `peers`, `quality`, ...) and events: the same room across matches, whose one peer
    /// is the current partner. Leaving it stops the match.
    #[wasm_bindgen(getter)]
    pub fn room(&self) -> Room {
        Room {
            driver: self.driver.clone(),
            owns: false,
        }
    }
}

impl Drop for Match {
    /// `free()` or garbage: the same as `stop()`, without waiting.
    fn drop(&mut self) {
        self.driver.handle(crate::engine::room::RoomInput::Leave);
    }
}
