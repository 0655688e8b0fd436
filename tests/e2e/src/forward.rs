//! A TCP forwarder between the browser and a server that a test owns, so the test can cut
//! the browser's connections (as a dropped network would) while the server and what it
//! keeps stay up. Used by the engine tests (between the browser and Nchan or Pushpin) and
//! the resume tests (between the browser and rill-server).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Forwards every connection to its target until cut; stopped on drop.
pub struct Forwarder {
    /// `http://127.0.0.1:PORT`
    pub url: String,
    cut: tokio::sync::watch::Sender<u32>,
    down: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Forwarder {
    /// A forwarder to `target`'s authority (`http://host:port[/…]`; the path is ignored).
    pub async fn start(target: &str) -> Forwarder {
        let authority = target
            .strip_prefix("http://")
            .and_then(|r| r.split('/').next())
            .expect("an http url")
            .to_string();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let (cut, watch) = tokio::sync::watch::channel(0u32);
        let down = Arc::new(AtomicBool::new(false));
        let is_down = down.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if is_down.load(Ordering::SeqCst) {
                    // Accepted and closed at once: the client sees a network error.
                    drop(inbound);
                    continue;
                }
                let authority = authority.clone();
                let mut watch = watch.clone();
                tokio::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(&authority).await else {
                        return;
                    };
                    watch.borrow_and_update();
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = watch.changed() => {}
                    }
                });
            }
        });
        Forwarder {
            url,
            cut,
            down,
            task,
        }
    }

    /// `url` with its scheme and authority replaced by this forwarder's.
    pub fn via(&self, url: &str) -> String {
        let rest = url.strip_prefix("http://").expect("an http url");
        let path = rest.find('/').map_or("", |i| &rest[i..]);
        format!("{}{path}", self.url)
    }

    /// Drops every open connection (new ones are forwarded again).
    pub fn cut(&self) {
        self.cut.send_modify(|n| *n += 1);
    }

    /// Down: every open connection is dropped and new ones are closed as soon as they are
    /// accepted (the server stays up; the client sees network errors) until set up again.
    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
        if down {
            self.cut();
        }
    }
}

impl Drop for Forwarder {
    fn drop(&mut self) {
        self.task.abort();
    }
}
