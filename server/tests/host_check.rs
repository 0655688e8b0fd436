//! The `Host` check against DNS rebinding: loopback names, IP literals and `--allowed-host`
//! names are served, any other name (or none) is refused with 421 on every route.

mod support;

use rill_server::Config;
use support::{send, start};

async fn with_host(
    addr: std::net::SocketAddr,
    path: &str,
    host: Option<&str>,
) -> support::RawResponse {
    let host_line = host.map(|h| format!("Host: {h}\r\n")).unwrap_or_default();
    let request = format!("GET {path} HTTP/1.1\r\n{host_line}Connection: close\r\n\r\n");
    send(addr, request.as_bytes(), |body| !body.is_empty()).await
}

#[tokio::test]
async fn foreign_hosts_are_refused_on_every_route() {
    let (addr, _) = start(Config {
        test_routes: true,
        ..support::fast()
    })
    .await;
    for path in [
        "/stream",
        "/v1/models",
        "/api/tags",
        "/gpt/summary?content=hi",
        "/test/status/200",
        "/",
    ] {
        for host in [
            "evil.example",
            "evil.example:8844",
            "localhost.evil.example",
            "127.0.0.1.evil.example",
        ] {
            let r = with_host(addr, path, Some(host)).await;
            assert_eq!(r.status(), 421, "{path} with Host {host}");
            assert_eq!(r.header("content-type"), Some("text/plain"));
            assert!(r.text().contains("--allowed-host"), "{}", r.text());
            assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        }
        let r = with_host(addr, path, None).await;
        assert_eq!(r.status(), 421, "{path} without a Host");
    }
}

#[tokio::test]
async fn loopback_names_and_ip_literals_are_served() {
    let (addr, _) = start(support::fast()).await;
    for host in [
        "localhost:8844",
        "localhost",
        "app.localhost",
        "127.0.0.1",
        "[::1]:1",
        "192.168.1.5",
        "10.1.2.3:80",
    ] {
        let r = with_host(addr, "/v1/models", Some(host)).await;
        assert_eq!(r.status(), 200, "Host {host}");
    }
}

#[tokio::test]
async fn allowed_hosts_are_served_by_name() {
    let (addr, _) = start(Config {
        allowed_hosts: vec!["rill.example".into()],
        ..support::fast()
    })
    .await;
    for host in ["rill.example", "RILL.example:8443"] {
        let r = with_host(addr, "/v1/models", Some(host)).await;
        assert_eq!(r.status(), 200, "Host {host}");
    }
    for host in ["evil.example", "sub.rill.example"] {
        let r = with_host(addr, "/v1/models", Some(host)).await;
        assert_eq!(r.status(), 421, "Host {host}");
    }
}
