//! The HTTP side: health, the demo page and the package as static files.

mod common;

use common::{http_get, TestServer};
use serde_json::{json, Value};

#[tokio::test]
async fn health_reports_status_version_and_counts_as_json() {
    let server = TestServer::start(|_| {}).await;
    let response = http_get(server.addr, "/health").await;
    assert_eq!(response.status, 200);
    assert!(response
        .header("content-type")
        .unwrap_or_default()
        .starts_with("application/json"));
    let body: Value = serde_json::from_slice(&response.body).unwrap();
    assert_eq!(
        body,
        json!({"status": "ok", "version": env!("CARGO_PKG_VERSION"), "rooms": 0, "peers": 0})
    );

    let mut ada = server.client().await;
    ada.join("demo", "Ada").await;
    let mut bo = server.client().await;
    bo.join("other", "Bo").await;
    let body: Value = serde_json::from_slice(&http_get(server.addr, "/health").await.body).unwrap();
    assert_eq!((&body["rooms"], &body["peers"]), (&json!(2), &json!(2)));
    server.shutdown().await;
}

#[tokio::test]
async fn wasm_under_pkg_is_served_as_application_wasm() {
    let server = TestServer::start(|_| {}).await;
    let wasm = b"\0asm\x01\0\0\0";
    std::fs::write(server.pkg.join("steadyrtc_bg.wasm"), wasm).unwrap();
    std::fs::write(server.pkg.join("steadyrtc.js"), "export default 1;").unwrap();

    let response = http_get(server.addr, "/pkg/steadyrtc_bg.wasm").await;
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-type"), Some("application/wasm"));
    assert_eq!(response.body, wasm);

    let js = http_get(server.addr, "/pkg/steadyrtc.js").await;
    assert_eq!(js.status, 200);
    assert!(
        js.header("content-type")
            .unwrap_or_default()
            .contains("javascript"),
        "{:?}",
        js.headers
    );
    server.shutdown().await;
}

#[tokio::test]
async fn root_serves_index_html_from_the_www_dir() {
    let server = TestServer::start(|_| {}).await;
    std::fs::write(
        server.www.join("index.html"),
        "<!doctype html><title>demo</title>",
    )
    .unwrap();
    std::fs::write(server.www.join("app.js"), "console.log(1)").unwrap();

    let index = http_get(server.addr, "/").await;
    assert_eq!(index.status, 200);
    assert!(index
        .header("content-type")
        .unwrap_or_default()
        .starts_with("text/html"));
    assert_eq!(index.body, b"<!doctype html><title>demo</title>");
    assert_eq!(http_get(server.addr, "/app.js").await.status, 200);
    server.shutdown().await;
}

#[tokio::test]
async fn missing_files_and_paths_outside_the_dirs_are_not_found() {
    let server = TestServer::start(|_| {}).await;
    std::fs::write(server.www.parent().unwrap().join("secret.txt"), "no").unwrap();
    assert_eq!(http_get(server.addr, "/nope.html").await.status, 404);
    assert_eq!(http_get(server.addr, "/pkg/nope.wasm").await.status, 404);
    assert_eq!(http_get(server.addr, "/../secret.txt").await.status, 404);
    assert_eq!(
        http_get(server.addr, "/pkg/..%2fsecret.txt").await.status,
        404
    );
    server.shutdown().await;
}

#[tokio::test]
async fn missing_static_dirs_do_not_stop_the_server() {
    let server = TestServer::start(|c| {
        c.www_dir = "/definitely/not/here/www".into();
        c.pkg_dir = "/definitely/not/here/pkg".into();
    })
    .await;
    assert_eq!(http_get(server.addr, "/health").await.status, 200);
    assert_eq!(http_get(server.addr, "/").await.status, 404);
    server.shutdown().await;
}
