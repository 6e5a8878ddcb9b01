//! Access tokens: HS256 JWTs that say who may enter which room with which role and
//! grants, and the API credentials that may mint them.
//!
//! This module decides what a valid token is (signature, `exp`, `nbf`, room, identity
//! and name rules) and mints tokens. It never decides what a grant allows: the session
//! enforces that on each message.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use steadyrtc_protocol::{
    validate_identity, validate_name, validate_room, ErrorCode, Grants, Role,
};

/// Clock skew tolerated on `exp` and `nbf`, in seconds.
pub const LEEWAY_SECS: u64 = 5;

/// What a token carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Claims {
    /// The identity: who this is, stable across sessions (used in TURN usernames).
    pub sub: String,
    /// The one room this token opens.
    pub room: String,
    /// Display name; when set it wins over the name in `join`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub role: Role,
    pub grants: Grants,
    /// Expiry, seconds since the Unix epoch.
    pub exp: u64,
    /// Not before, seconds since the Unix epoch.
    pub nbf: u64,
    /// Issued at.
    pub iat: u64,
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenError {
    pub code: ErrorCode,
    pub message: String,
}

impl TokenError {
    fn invalid(message: impl Into<String>) -> Self {
        Self {
            code: ErrorCode::InvalidToken,
            message: message.into(),
        }
    }
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Signs and checks tokens with one secret.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKeys(..)")
    }
}

impl TokenKeys {
    pub fn new(secret: &[u8]) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
        }
    }

    /// Signs `claims` (after checking their names) into a token.
    pub fn issue(&self, claims: &Claims) -> Result<String, TokenError> {
        check_names(claims)?;
        encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .map_err(|e| TokenError::invalid(format!("cannot sign the token: {e}")))
    }

    /// Checks signature, `exp`, `nbf` and the names inside; returns the claims.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = LEEWAY_SECS;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "nbf", "sub"]);
        let data = decode::<Claims>(token, &self.decoding, &validation).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind;
            match e.kind() {
                ErrorKind::ExpiredSignature => TokenError {
                    code: ErrorCode::TokenExpired,
                    message: "the token has expired; get a new one".into(),
                },
                ErrorKind::ImmatureSignature => {
                    TokenError::invalid("the token is not valid yet (nbf)")
                }
                ErrorKind::InvalidSignature => {
                    TokenError::invalid("the token's signature does not match")
                }
                _ => TokenError::invalid(format!("malformed token: {e}")),
            }
        })?;
        check_names(&data.claims)?;
        Ok(data.claims)
    }

    /// Checks `token` and that it opens `room`.
    pub fn verify_for_room(&self, token: &str, room: &str) -> Result<Claims, TokenError> {
        let claims = self.verify(token)?;
        if claims.room != room {
            return Err(TokenError::invalid(format!(
                "the token is for room {:?}, not {room:?}",
                claims.room
            )));
        }
        Ok(claims)
    }
}

fn check_names(claims: &Claims) -> Result<(), TokenError> {
    validate_room(&claims.room)
        .map_err(|e| TokenError::invalid(format!("token room: {}", e.message)))?;
    validate_identity(&claims.sub)
        .map_err(|e| TokenError::invalid(format!("token sub: {}", e.message)))?;
    if let Some(name) = &claims.name {
        validate_name(name)
            .map_err(|e| TokenError::invalid(format!("token name: {}", e.message)))?;
    }
    Ok(())
}

/// Compares two byte strings in time that depends only on their lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Whether an `Authorization: Basic base64(key:secret)` header value carries the
/// configured API credentials.
pub fn api_credentials_match(header: Option<&str>, key: &str, secret: &str) -> bool {
    let Some(encoded) = header.and_then(|h| h.strip_prefix("Basic ")) else {
        return false;
    };
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else {
        return false;
    };
    let Some(colon) = decoded.iter().position(|&b| b == b':') else {
        return false;
    };
    let (k, s) = (&decoded[..colon], &decoded[colon + 1..]);
    // Evaluate both comparisons so timing does not tell which half was wrong.
    let key_ok = constant_time_eq(k, key.as_bytes());
    let secret_ok = constant_time_eq(s, secret.as_bytes());
    key_ok & secret_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(now: u64) -> Claims {
        Claims {
            sub: "ada".into(),
            room: "demo".into(),
            name: Some("Ada".into()),
            role: Role::Guest,
            grants: Role::Guest.default_grants(),
            exp: now + 60,
            nbf: now,
            iat: now,
        }
    }

    #[test]
    fn issued_token_verifies_for_its_room_only() {
        let keys = TokenKeys::new(b"0123456789abcdef0123");
        let now = unix_now();
        let token = keys.issue(&claims(now)).unwrap();
        assert_eq!(keys.verify_for_room(&token, "demo").unwrap(), claims(now));
        assert_eq!(
            keys.verify_for_room(&token, "other").unwrap_err().code,
            ErrorCode::InvalidToken
        );
    }

    #[test]
    fn expired_future_and_foreign_tokens_are_refused_with_their_codes() {
        let keys = TokenKeys::new(b"0123456789abcdef0123");
        let now = unix_now();
        let expired = keys
            .issue(&Claims {
                exp: now - 60,
                nbf: now - 120,
                ..claims(now)
            })
            .unwrap();
        assert_eq!(
            keys.verify(&expired).unwrap_err().code,
            ErrorCode::TokenExpired
        );
        let future = keys
            .issue(&Claims {
                nbf: now + 600,
                exp: now + 900,
                ..claims(now)
            })
            .unwrap();
        assert_eq!(
            keys.verify(&future).unwrap_err().code,
            ErrorCode::InvalidToken
        );
        let foreign = TokenKeys::new(b"another-secret-entirely")
            .issue(&claims(now))
            .unwrap();
        assert_eq!(
            keys.verify(&foreign).unwrap_err().code,
            ErrorCode::InvalidToken
        );
        assert_eq!(
            keys.verify("not.a.token").unwrap_err().code,
            ErrorCode::InvalidToken
        );
    }

    #[test]
    fn tokens_with_bad_names_are_neither_issued_nor_accepted() {
        let keys = TokenKeys::new(b"0123456789abcdef0123");
        let now = unix_now();
        assert!(keys
            .issue(&Claims {
                room: "a b".into(),
                ..claims(now)
            })
            .is_err());
        assert!(keys
            .issue(&Claims {
                sub: "a:b".into(),
                ..claims(now)
            })
            .is_err());
    }

    #[test]
    fn api_credentials_need_both_halves() {
        let b64 = |s: &str| {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(s)
            )
        };
        assert!(api_credentials_match(
            Some(&b64("key:secret")),
            "key",
            "secret"
        ));
        assert!(!api_credentials_match(
            Some(&b64("key:wrong")),
            "key",
            "secret"
        ));
        assert!(!api_credentials_match(Some(&b64("key")), "key", "secret"));
        assert!(!api_credentials_match(Some("Bearer x"), "key", "secret"));
        assert!(!api_credentials_match(None, "key", "secret"));
        assert!(constant_time_eq(b"abc", b"abc") && !constant_time_eq(b"abc", b"abd"));
    }
}
