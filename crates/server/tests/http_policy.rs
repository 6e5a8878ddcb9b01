//! HTTP hygiene: security headers and the Content-Security-Policy of the pages, no caching
//! of credentials, CORS for `--cors-origins`, and the Origin rule that does not take the
//! client's Host header as proof (DNS rebinding).

mod common;

use base64::Engine;
use common::{api_auth, http, http_get, token, TestServer};
use serde_json::json;
use sha2::{Digest, Sha256};
use steadyrtc_protocol::Role;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const DEMO_IMPORT_MAP: &str = r#"{ "imports": { "steadyrtc": "/pkg/steadyrtc.js" } }"#;

fn sha256_source(text: &str) -> String {
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text.as_bytes()))
    )
}

#[tokio::test]
async fn pages_get_a_csp_allowing_their_own_inline_import_map_and_every_response_the_basics() {
    let server = TestServer::start(|_| {}).await;
    let page = format!(
        "<!doctype html><script type=\"importmap\">{DEMO_IMPORT_MAP}</script>\
         <script type=\"module\" src=\"/app.js\"></script>"
    );
    std::fs::write(server.www.join("index.html"), &page).unwrap();
    std::fs::write(server.pkg.join("steadyrtc.js"), "export default 1;").unwrap();

    let index = http_get(server.addr, "/").await;
    assert_eq!(index.status, 200);
    assert_eq!(index.body, page.as_bytes(), "the page itself is unchanged");
    let csp = index.header("content-security-policy").expect("a CSP");
    // Computed independently (Python hashlib) for the demo's import map.
    assert_eq!(
        sha256_source(DEMO_IMPORT_MAP),
        "'sha256-PBs8GF7zPRWTw0QB/1gG6gXkjVUI3yaNc+SxJ/obBsY='"
    );
    assert!(
        csp.contains(&format!(
            "script-src 'self' 'wasm-unsafe-eval' {};",
            sha256_source(DEMO_IMPORT_MAP)
        )),
        "{csp}"
    );
    for part in [
        "frame-ancestors 'self'",
        "connect-src 'self' ws: wss:",
        "default-src 'self'",
        "object-src 'none'",
    ] {
        assert!(csp.contains(part), "{part} in {csp}");
    }
    assert!(!csp.contains("unsafe-inline"), "{csp}");

    for path in [
        "/",
        "/pkg/steadyrtc.js",
        "/health",
        "/nope.html",
        "/api/webrtc/stats",
    ] {
        let r = http_get(server.addr, path).await;
        assert_eq!(
            r.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(
            r.header("referrer-policy"),
            Some("strict-origin-when-cross-origin"),
            "{path}"
        );
    }
    assert!(http_get(server.addr, "/pkg/steadyrtc.js")
        .await
        .header("content-security-policy")
        .is_none());
    server.shutdown().await;
}

#[tokio::test]
async fn the_real_demo_page_gets_the_hash_of_its_import_map() {
    let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../www/index.html");
    let Ok(html) = std::fs::read_to_string(&demo) else {
        return; // the crate built outside the repository
    };
    let server = TestServer::start(|_| {}).await;
    std::fs::write(server.www.join("index.html"), &html).unwrap();
    let open = "<script type=\"importmap\">";
    let start = html.find(open).expect("the demo has an import map") + open.len();
    let end = start + html[start..].find("</script>").unwrap();
    let response = http_get(server.addr, "/").await;
    let csp = response.header("content-security-policy").unwrap();
    assert!(csp.contains(&sha256_source(&html[start..end])), "{csp}");
    server.shutdown().await;
}

#[tokio::test]
async fn token_and_ice_answers_are_never_cached() {
    let server = TestServer::start(|_| {}).await;
    let body = json!({"room": "demo"}).to_string();
    let auth = api_auth();
    let issued = http(
        server.addr,
        "POST",
        "/api/token",
        &[("Authorization", &auth)],
        Some(&body),
    )
    .await;
    assert_eq!(issued.status, 200);
    assert_eq!(issued.header("cache-control"), Some("no-store"));
    let refused = http(server.addr, "POST", "/api/token", &[], Some("{}")).await;
    assert_eq!(refused.status, 400);
    assert_eq!(refused.header("cache-control"), Some("no-store"));
    let bearer = format!("Bearer {}", token("demo", "ada", Role::Guest));
    let config = http(
        server.addr,
        "GET",
        "/api/webrtc/config",
        &[("Authorization", &bearer)],
        None,
    )
    .await;
    assert_eq!(config.status, 200);
    assert_eq!(config.header("cache-control"), Some("no-store"));
    server.shutdown().await;
}

#[tokio::test]
async fn cors_answers_only_the_configured_origins_on_the_two_endpoints() {
    let server = TestServer::start(|c| {
        c.dev = false;
        c.cors_origins = vec!["https://app.example".into()];
    })
    .await;
    let preflight = http(
        server.addr,
        "OPTIONS",
        "/api/token",
        &[
            ("Origin", "https://app.example"),
            ("Access-Control-Request-Method", "POST"),
            (
                "Access-Control-Request-Headers",
                "authorization, content-type",
            ),
        ],
        None,
    )
    .await;
    assert_eq!(preflight.status, 204);
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    let methods = preflight.header("access-control-allow-methods").unwrap();
    assert!(
        methods.contains("POST") && methods.contains("GET"),
        "{methods}"
    );
    let allowed = preflight.header("access-control-allow-headers").unwrap();
    assert!(allowed.contains("authorization") && allowed.contains("content-type"));
    assert_eq!(preflight.header("access-control-allow-credentials"), None);

    let auth = api_auth();
    let body = json!({"room": "demo"}).to_string();
    let issued = http(
        server.addr,
        "POST",
        "/api/token",
        &[("Authorization", &auth), ("Origin", "https://app.example")],
        Some(&body),
    )
    .await;
    assert_eq!(issued.status, 200);
    assert_eq!(
        issued.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    assert!(issued.header("vary").unwrap_or_default().contains("Origin"));
    let bearer = format!("Bearer {}", token("demo", "ada", Role::Guest));
    let config = http(
        server.addr,
        "GET",
        "/api/webrtc/config",
        &[
            ("Authorization", &bearer),
            ("Origin", "https://app.example"),
        ],
        None,
    )
    .await;
    assert_eq!(config.status, 200);
    assert_eq!(
        config.header("access-control-allow-origin"),
        Some("https://app.example")
    );

    // Another origin, or another endpoint: refused, no CORS headers.
    let evil = http(
        server.addr,
        "OPTIONS",
        "/api/token",
        &[
            ("Origin", "https://evil.example"),
            ("Access-Control-Request-Method", "POST"),
        ],
        None,
    )
    .await;
    assert_eq!(evil.status, 403);
    assert_eq!(evil.header("access-control-allow-origin"), None);
    let rooms = http(
        server.addr,
        "POST",
        "/api/rooms",
        &[("Authorization", &auth), ("Origin", "https://app.example")],
        Some(&json!({"name": "r"}).to_string()),
    )
    .await;
    assert_eq!(rooms.status, 403);
    assert_eq!(rooms.header("access-control-allow-origin"), None);
    server.shutdown().await;

    // Off by default.
    let server = TestServer::start(|c| c.dev = false).await;
    let preflight = http(
        server.addr,
        "OPTIONS",
        "/api/token",
        &[
            ("Origin", "https://app.example"),
            ("Access-Control-Request-Method", "POST"),
        ],
        None,
    )
    .await;
    assert_eq!(preflight.header("access-control-allow-origin"), None);
    server.shutdown().await;
}

async fn ws_status(server: &TestServer, origin: &str, host: Option<&str>) -> u16 {
    let mut request = format!("ws://{}/ws", server.addr)
        .into_client_request()
        .expect("request");
    request
        .headers_mut()
        .insert("Origin", origin.parse().expect("header"));
    if let Some(host) = host {
        request
            .headers_mut()
            .insert("Host", host.parse().expect("header"));
    }
    match common::within("connect", tokio_tungstenite::connect_async(request)).await {
        Ok(_) => 101,
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => response.status().as_u16(),
        Err(e) => panic!("unexpected {e}"),
    }
}

async fn token_status(server: &TestServer, origin: &str, host: &str) -> u16 {
    let body = json!({"room": "demo"}).to_string();
    http(
        server.addr,
        "POST",
        "/api/token",
        &[("Origin", origin), ("Host", host)],
        Some(&body),
    )
    .await
    .status
}

#[tokio::test]
async fn a_host_header_matching_the_origin_is_no_proof_but_dev_trusts_ip_addresses() {
    // A DNS-rebinding page: its origin is the attacker's name, and so is the Host it sends.
    let rebind = "rebind.example:8080";
    let prod = TestServer::start(|c| {
        c.dev = false;
        c.allowed_origins = vec!["https://app.example".into()];
    })
    .await;
    assert_eq!(
        ws_status(&prod, &format!("http://{rebind}"), Some(rebind)).await,
        403
    );
    let own = prod.addr.to_string();
    assert_eq!(ws_status(&prod, &format!("http://{own}"), None).await, 403);
    assert_eq!(ws_status(&prod, "https://app.example", None).await, 101);
    prod.shutdown().await;

    let dev = TestServer::start(|c| c.dev = true).await;
    assert_eq!(
        ws_status(&dev, &format!("http://{rebind}"), Some(rebind)).await,
        403
    );
    assert_eq!(
        token_status(&dev, &format!("http://{rebind}"), rebind).await,
        403
    );
    // Localhost pages (the e2e tests) and pages from the server's own IP address (the
    // network lab loads http://10.77.0.2:PORT/ and connects to ws://10.77.0.2:PORT/ws).
    let own = dev.addr.to_string();
    let lab = "10.77.0.2:8080";
    assert_eq!(
        ws_status(&dev, &format!("http://localhost:{}", dev.addr.port()), None).await,
        101
    );
    assert_eq!(ws_status(&dev, &format!("http://{own}"), None).await, 101);
    assert_eq!(
        ws_status(&dev, &format!("http://{lab}"), Some(lab)).await,
        101
    );
    assert_eq!(token_status(&dev, &format!("http://{lab}"), lab).await, 200);
    assert_eq!(
        token_status(&dev, &format!("http://{own}"), &own).await,
        200
    );
    // Not the same address: refused.
    assert_eq!(
        ws_status(&dev, "http://10.77.0.3:8080", Some(lab)).await,
        403
    );
    dev.shutdown().await;
}
