//! Interop: rill-server's `/stream` against the original Node server from `../shared/seed/`.
//! Skipped (and says so) when the seed or `node` is not there.

mod support;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use rill_server::Config;
use support::{get, is_node_time, start, wait_until, RawResponse};

struct Killed(Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn seed_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/seed");
    dir.join("clock_server.js").is_file().then_some(dir)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn shape(resp: &RawResponse) -> Vec<String> {
    // Replace each time value by a placeholder, keep every other byte.
    resp.chunks
        .iter()
        .take(4)
        .map(|c| {
            let text = String::from_utf8_lossy(c).to_string();
            match text
                .strip_prefix("data: ")
                .and_then(|s| s.strip_suffix("\n\n"))
            {
                Some(t) if is_node_time(t) => "data: <time>\n\n".to_string(),
                _ => text,
            }
        })
        .collect()
}

#[tokio::test]
async fn stream_matches_original_node_server() {
    let Some(seed) = seed_dir() else {
        eprintln!("SKIPPED stream_matches_original_node_server: ../shared/seed not found");
        return;
    };
    if Command::new("node").arg("--version").output().is_err() {
        eprintln!("SKIPPED stream_matches_original_node_server: node not installed");
        return;
    }
    let port = free_port();
    let node = Killed(
        Command::new("node")
            .arg(seed.join("clock_server.js"))
            .env("PORT", port.to_string())
            .env("HOST", "127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start node"),
    );
    let node_addr: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
    wait_until("node listening", || {
        std::net::TcpStream::connect_timeout(&node_addr, Duration::from_millis(100)).is_ok()
    })
    .await;
    let (rill_addr, _) = start(Config::default()).await;
    let enough = |b: &[u8]| String::from_utf8_lossy(b).matches("\n\n").count() >= 2;
    let (theirs, ours) = tokio::join!(
        get(node_addr, "/stream", enough),
        get(rill_addr, "/stream", enough)
    );
    assert_eq!(ours.status_line, theirs.status_line);
    for name in [
        "content-type",
        "cache-control",
        "connection",
        "access-control-allow-origin",
        "transfer-encoding",
    ] {
        assert_eq!(ours.header(name), theirs.header(name), "header {name}");
    }
    assert_eq!(shape(&ours), shape(&theirs));
    let (theirs, ours) = tokio::join!(
        get(node_addr, "/other", |_| false),
        get(rill_addr, "/other", |_| false)
    );
    drop(node);
    assert_eq!(ours.status_line, theirs.status_line);
    assert_eq!(ours.header("content-type"), theirs.header("content-type"));
    assert_eq!(ours.body(), theirs.body());
}
