//! Unit tests of the Origin rule and the CSP hashes.

use super::*;

fn prod() -> Config {
    Config {
        allowed_origins: vec!["https://app.example".into()],
        ..Config::default()
    }
}

fn dev() -> Config {
    Config {
        dev: true,
        ..Config::default()
    }
}

#[test]
fn outside_dev_only_the_allowlist_counts_and_the_host_header_proves_nothing() {
    let prod = prod();
    assert!(origin_allowed(&prod, None, Some("x")), "not a browser");
    assert!(origin_allowed(
        &prod,
        Some("https://app.example"),
        Some("sig.example")
    ));
    assert!(origin_allowed(&prod, Some("HTTPS://APP.EXAMPLE"), None));
    // A page whose origin matches the Host it sent: a rebinding attacker does exactly this.
    assert!(!origin_allowed(
        &prod,
        Some("https://sig.example"),
        Some("sig.example")
    ));
    assert!(!origin_allowed(
        &prod,
        Some("http://10.0.0.2:8080"),
        Some("10.0.0.2:8080")
    ));
    assert!(!origin_allowed(
        &prod,
        Some("http://localhost:3000"),
        Some("localhost:3000")
    ));
    assert!(!origin_allowed(
        &prod,
        Some("https://evil.example"),
        Some("sig.example")
    ));
    assert!(!origin_allowed(&prod, Some("null"), Some("sig.example")));
}

#[test]
fn dev_adds_localhost_and_same_origin_by_ip_address_only() {
    let dev = dev();
    for origin in [
        "http://localhost:3000",
        "http://LOCALHOST:3000",
        "http://127.0.0.1:5173",
        "http://[::1]:8080",
        "https://localhost",
    ] {
        assert!(
            origin_allowed(&dev, Some(origin), Some("sig.example")),
            "{origin}"
        );
    }
    // The network lab: the page comes from the server's own address.
    assert!(origin_allowed(
        &dev,
        Some("http://10.77.0.2:8080"),
        Some("10.77.0.2:8080")
    ));
    assert!(origin_allowed(
        &dev,
        Some("http://[fd00::2]:8080"),
        Some("[fd00::2]:8080")
    ));
    // Another address, another port, or a DNS name (rebinding) are not the same origin.
    assert!(!origin_allowed(
        &dev,
        Some("http://10.77.0.3:8080"),
        Some("10.77.0.2:8080")
    ));
    assert!(!origin_allowed(
        &dev,
        Some("http://10.77.0.2:9090"),
        Some("10.77.0.2:8080")
    ));
    assert!(!origin_allowed(
        &dev,
        Some("http://rebind.example:8080"),
        Some("rebind.example:8080")
    ));
    assert!(!origin_allowed(
        &dev,
        Some("http://localhost.evil.example"),
        Some("x")
    ));
    assert!(!origin_allowed(
        &dev,
        Some("http://evil.example@localhost"),
        Some("x")
    ));
    assert!(!origin_allowed(&dev, Some("file://localhost"), Some("x")));
    assert!(!origin_allowed(&dev, Some("null"), Some("sig.example")));
}

#[test]
fn inline_script_hashes_match_what_a_browser_computes() {
    // Expected values computed independently (Python hashlib + base64).
    let page = r#"<!doctype html><head>
  <script type="importmap">{ "imports": { "steadyrtc": "/pkg/steadyrtc.js" } }</script>
  <script type="module" src="/app.js"></script>
  <SCRIPT>a
b</SCRIPT>
  <!-- <script>not run</script> -->
  <script data-x='a>b' src=/y.js></script>
  <script></script>
</head>"#;
    assert_eq!(
        inline_script_hashes(page),
        vec![
            "sha256-PBs8GF7zPRWTw0QB/1gG6gXkjVUI3yaNc+SxJ/obBsY=".to_owned(),
            "sha256-fhj3NzEbLcOy8mndeDlrA1HxT7Zu+oefdoyyMYGIPHg=".to_owned(),
            "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=".to_owned(),
        ]
    );
    // Line breaks are hashed as the parser normalizes them.
    assert_eq!(
        inline_script_hashes("<script>a\r\nb</script>"),
        inline_script_hashes("<script>a\nb</script>")
    );
    assert!(inline_script_hashes("<scripts>x</scripts><p>no script</p>").is_empty());
    assert!(inline_script_hashes("<script src=\"a.js\"").is_empty());
    // Unclosed: hashed to the end, as a browser would run it.
    assert_eq!(inline_script_hashes("<script>").len(), 1);
}

#[test]
fn the_policy_allows_self_wasm_and_the_hashes_and_nothing_inline_else() {
    let csp = content_security_policy(&["sha256-abc=".to_owned()]);
    assert!(
        csp.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-abc=';"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'self'"));
    assert!(csp.contains("connect-src 'self' ws: wss:"));
    assert!(!csp.contains("unsafe-inline") && !csp.contains("'unsafe-eval'"));
}
