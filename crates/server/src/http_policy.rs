//! HTTP hygiene: which browser pages may use the server, and the headers every response
//! carries.
//!
//! This module decides the Origin rule (for the WebSocket and the `/api/...` endpoints),
//! CORS for the two endpoints a page on another origin may call (`/api/token`,
//! `/api/webrtc/config`, only for `--cors-origins`), `Cache-Control: no-store` on the
//! answers that carry credentials, and the security headers: `X-Content-Type-Options`,
//! `Referrer-Policy` on everything, a Content-Security-Policy on HTML pages. The CSP allows
//! the page's own inline scripts (the demo's import map) by their SHA-256, computed from
//! the very bytes served, so no inline script can run that the server did not serve.
//!
//! The Host header is never proof of anything: a page reached through a DNS name its
//! attacker controls (DNS rebinding) sends a Host and an Origin that agree. So outside
//! `--dev` only `--allowed-origins` count; `--dev` adds localhost on any port and
//! same-origin pages reached by an IP address (as the network lab does), which no DNS
//! name can impersonate.

use std::net::IpAddr;
use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use serde_json::json;
use sha2::{Digest, Sha256};
use steadyrtc_protocol::ErrorCode;

use crate::config::Config;
use crate::state::AppState;

/// The endpoints a page on a `--cors-origins` origin may call.
pub const CORS_PATHS: [&str; 2] = ["/api/token", "/api/webrtc/config"];
/// The answers that carry credentials (a token, TURN credentials): never cached.
pub const NO_STORE_PATHS: [&str; 2] = CORS_PATHS;
/// `Referrer-Policy` of every response. Not `no-referrer`: under it browsers send
/// `Origin: null` with same-origin POSTs, which the Origin rule refuses.
pub const REFERRER_POLICY: &str = "strict-origin-when-cross-origin";
/// The largest HTML page the CSP middleware reads to hash its inline scripts.
const MAX_HTML_BYTES: usize = 4 * 1024 * 1024;

/// The host of an origin's `host[:port]` part (IPv6 keeps its brackets).
fn hostname(authority: &str) -> &str {
    match authority.rsplit_once(':') {
        Some((host, port))
            if !port.is_empty()
                && port.chars().all(|c| c.is_ascii_digit())
                && (!host.starts_with('[') || host.ends_with(']')) =>
        {
            host
        }
        _ => authority,
    }
}

fn is_ip_literal(host: &str) -> bool {
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    bare.parse::<IpAddr>().is_ok()
}

/// Whether a browser page at `origin` may open the WebSocket or call the API of this
/// server, reached as `host` (the Host header). No Origin (not a browser): yes. An origin
/// in `--allowed-origins`: yes. Otherwise only in `--dev`: `http(s)://localhost`,
/// `127.0.0.1` or `[::1]` on any port, or the same origin as `host` when that is an IP
/// address. A Host naming a DNS name proves nothing (DNS rebinding).
pub fn origin_allowed(config: &Config, origin: Option<&str>, host: Option<&str>) -> bool {
    let Some(origin) = origin else { return true };
    if config
        .allowed_origins
        .iter()
        .any(|o| o.trim().trim_end_matches('/').eq_ignore_ascii_case(origin))
    {
        return true;
    }
    if !config.dev {
        return false;
    }
    let Some(authority) = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
    else {
        return false;
    };
    if authority.is_empty() || authority.contains(['/', '@']) {
        return false;
    }
    let host_name = hostname(authority);
    if matches!(
        host_name.to_ascii_lowercase().as_str(),
        "localhost" | "127.0.0.1" | "[::1]"
    ) {
        return true;
    }
    is_ip_literal(host_name) && host.is_some_and(|h| h.eq_ignore_ascii_case(authority))
}

/// Whether `origin` is one of `--cors-origins`.
pub fn cors_allowed(config: &Config, origin: &str) -> bool {
    config
        .cors_origins
        .iter()
        .any(|o| o.trim().trim_end_matches('/').eq_ignore_ascii_case(origin))
}

/// The Content-Security-Policy of an HTML page whose inline scripts hash to `hashes`
/// (each `sha256-<base64>`).
pub fn content_security_policy(hashes: &[String]) -> String {
    let mut scripts = String::from("'self' 'wasm-unsafe-eval'");
    for h in hashes {
        scripts.push_str(&format!(" '{h}'"));
    }
    format!(
        "default-src 'self'; script-src {scripts}; style-src 'self'; img-src 'self' data: blob:; \
         media-src 'self' blob: mediastream:; connect-src 'self' ws: wss:; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
    )
}

/// The `sha256-<base64>` of every inline `<script>` (one without `src`) of `html`, as a
/// browser computes it: over the element's text with line breaks normalized to `\n`.
pub fn inline_script_hashes(html: &str) -> Vec<String> {
    let lower = html.to_ascii_lowercase();
    let mut hashes = Vec::new();
    let mut at = 0;
    while let Some(found) = lower[at..].find('<') {
        let start = at + found;
        if lower[start..].starts_with("<!--") {
            at = lower[start..]
                .find("-->")
                .map_or(lower.len(), |end| start + end + 3);
            continue;
        }
        let is_script = lower[start..].starts_with("<script")
            && lower[start + 7..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_whitespace() || c == '>' || c == '/');
        if !is_script {
            at = start + 1;
            continue;
        }
        let Some(tag_end) = end_of_tag(&lower, start) else {
            break;
        };
        let content_end = lower[tag_end..]
            .find("</script")
            .map_or(lower.len(), |i| tag_end + i);
        if !has_src(&lower[start + 7..tag_end - 1]) {
            let text = html[tag_end..content_end]
                .replace("\r\n", "\n")
                .replace('\r', "\n");
            let digest = Sha256::digest(text.as_bytes());
            hashes.push(format!(
                "sha256-{}",
                base64::engine::general_purpose::STANDARD.encode(digest)
            ));
        }
        at = content_end;
    }
    hashes
}

/// The index just past the `>` that ends the tag opening at `start` (quotes respected).
fn end_of_tag(lower: &str, start: usize) -> Option<usize> {
    let mut quote: Option<char> = None;
    for (i, c) in lower[start..].char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '>') => return Some(start + i + 1),
            _ => {}
        }
    }
    None
}

/// Whether the attributes of a start tag include `src`.
fn has_src(attributes: &str) -> bool {
    let mut rest = attributes;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_ascii_whitespace() || c == '/');
        if rest.is_empty() {
            return false;
        }
        let name_end = rest
            .find(|c: char| c.is_ascii_whitespace() || c == '=' || c == '/')
            .unwrap_or(rest.len());
        if &rest[..name_end] == "src" {
            return true;
        }
        rest = rest[name_end..].trim_start();
        if let Some(value) = rest.strip_prefix('=') {
            let value = value.trim_start();
            rest = match value.chars().next() {
                Some(q @ ('"' | '\'')) => value[1..].find(q).map_or("", |i| &value[i + 2..]),
                _ => value
                    .find(|c: char| c.is_ascii_whitespace())
                    .map_or("", |i| &value[i..]),
            };
        }
    }
}

fn set(headers: &mut HeaderMap, name: header::HeaderName, value: &'static str) {
    headers.insert(name, HeaderValue::from_static(value));
}

/// Every response: `X-Content-Type-Options: nosniff` and the `Referrer-Policy`; HTML
/// pages also get the Content-Security-Policy with the hashes of their inline scripts.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html"));
    let mut response = if html {
        let (mut parts, body) = response.into_parts();
        let bytes = match to_bytes(body, MAX_HTML_BYTES).await {
            Ok(bytes) => bytes,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read an HTML page to hash its inline scripts");
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            }
        };
        let policy =
            content_security_policy(&inline_script_hashes(&String::from_utf8_lossy(&bytes)));
        if let Ok(value) = HeaderValue::from_str(&policy) {
            parts.headers.insert(header::CONTENT_SECURITY_POLICY, value);
        }
        Response::from_parts(parts, Body::from(bytes))
    } else {
        response
    };
    let headers = response.headers_mut();
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::REFERRER_POLICY, REFERRER_POLICY);
    response
}

/// The `/api/...` gate: a browser page from an origin that may not use the server gets
/// `403` (an origin of `--cors-origins` may call [`CORS_PATHS`]); CORS headers for
/// `--cors-origins`; `Cache-Control: no-store` on [`NO_STORE_PATHS`].
pub async fn api_guard(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    let text = |headers: &HeaderMap, name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let origin = text(request.headers(), header::ORIGIN);
    let host = text(request.headers(), header::HOST);
    let cors_path = CORS_PATHS.contains(&path.as_str());
    let cors = cors_path
        && origin
            .as_deref()
            .is_some_and(|o| cors_allowed(&state.config, o));
    if !cors && !origin_allowed(&state.config, origin.as_deref(), host.as_deref()) {
        tracing::info!(origin = origin.as_deref(), path = %path, "refused an API request from a foreign origin");
        return (
            StatusCode::FORBIDDEN,
            Json(json!({"code": ErrorCode::Forbidden, "message": "origin not allowed"})),
        )
            .into_response();
    }
    let preflight = request.method() == Method::OPTIONS;
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if NO_STORE_PATHS.contains(&path.as_str()) {
        set(headers, header::CACHE_CONTROL, "no-store");
    }
    if cors_path && !state.config.cors_origins.is_empty() {
        headers.append(header::VARY, HeaderValue::from_static("Origin"));
    }
    if let (true, Some(origin)) = (cors, origin) {
        if let Ok(value) = HeaderValue::from_str(&origin) {
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        }
        if preflight {
            set(
                headers,
                header::ACCESS_CONTROL_ALLOW_METHODS,
                "GET, POST, OPTIONS",
            );
            set(
                headers,
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                "authorization, content-type",
            );
            set(headers, header::ACCESS_CONTROL_MAX_AGE, "600");
        }
    }
    response
}

/// `OPTIONS` on a CORS endpoint: the preflight, answered `204` ([`api_guard`] adds the
/// CORS headers when the origin is allowed).
pub async fn preflight() -> StatusCode {
    StatusCode::NO_CONTENT
}

#[cfg(test)]
mod tests;
