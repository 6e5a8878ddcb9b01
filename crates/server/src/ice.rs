//! ICE server lists for clients: configured STUN URLs, TURN URLs with ephemeral
//! credentials in coturn's `use-auth-secret` (TURN REST) scheme, and static entries.
//!
//! This module decides the credential format: username `<expiry unix secs>:<identity>`,
//! credential `base64(HMAC-SHA1(secret, username))`. It never logs a secret.

use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use steadyrtc_protocol::IceServer;

use crate::config::Config;

/// The TURN REST credential for `username`.
pub fn turn_credential(secret: &str, username: &str) -> String {
    // HMAC accepts keys of any length, so this cannot fail; fall back to an empty MAC.
    match Hmac::<Sha1>::new_from_slice(secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(username.as_bytes());
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

/// The ICE servers for `identity` at `now` (unix seconds).
pub fn ice_servers(
    config: &Config,
    statics: &[IceServer],
    identity: &str,
    now: u64,
) -> Vec<IceServer> {
    let mut servers = Vec::new();
    if !config.stun_urls.is_empty() {
        servers.push(IceServer {
            urls: config.stun_urls.clone(),
            username: None,
            credential: None,
        });
    }
    if let (false, Some(secret)) = (config.turn_urls.is_empty(), &config.turn_secret) {
        let username = format!("{}:{identity}", now + config.turn_ttl_secs);
        servers.push(IceServer {
            urls: config.turn_urls.clone(),
            credential: Some(turn_credential(secret, &username)),
            username: Some(username),
        });
    }
    servers.extend(statics.iter().cloned());
    servers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_is_base64_hmac_sha1_of_the_username() {
        // Computed independently: printf '1700000000:ada' | openssl dgst -sha1 -hmac s3cret -binary | base64
        assert_eq!(
            turn_credential("s3cret", "1700000000:ada"),
            "yC+x5OTFzkPMvyC+iVIolM46yuE="
        );
    }

    #[test]
    fn list_has_stun_then_turn_with_expiring_username_then_statics() {
        let config = Config {
            stun_urls: vec!["stun:s:3478".into()],
            turn_urls: vec!["turn:t:3478?transport=udp".into()],
            turn_secret: Some("s3cret".into()),
            turn_ttl_secs: 600,
            ..Config::default()
        };
        let statics = vec![IceServer {
            urls: vec!["turn:x".into()],
            username: Some("u".into()),
            credential: Some("c".into()),
        }];
        let list = ice_servers(&config, &statics, "ada", 1_000);
        assert_eq!(list.len(), 3);
        assert_eq!(list[0].urls, vec!["stun:s:3478"]);
        assert_eq!(list[1].username.as_deref(), Some("1600:ada"));
        assert_eq!(
            list[1].credential,
            Some(turn_credential("s3cret", "1600:ada"))
        );
        assert_eq!(list[2], statics[0]);
        assert!(ice_servers(&Config::default(), &[], "ada", 0).is_empty());
    }
}
