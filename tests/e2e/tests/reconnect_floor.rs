//! The reconnect floor, end to end: the clock view against a feed that answers 200,
//! `retry: 0` and one event, then ends at once (rill-server's `/test/flap`), over both
//! transports. Without a floor the browser's EventSource reconnected 2,367 times in 10 s and
//! the fetch transport 590 times; rill must stay at most one attempt a second and back off.

use std::time::{Duration, Instant};

use rill_e2e::{poll, testid, Browser, RillServer, WAIT};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How long the feed is watched.
const WINDOW: Duration = Duration::from_secs(10);
/// The most connections allowed in [`WINDOW`] (the floor alone allows 10, plus margin for
/// the first attempts before the window starts).
const MAX_CONNECTIONS: u64 = 20;

/// A key no other test uses, so the server counts only this test's connections.
fn unique_key(transport: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{transport}-{}-{nanos}", std::process::id())
}

/// `GET path` on `server` with a plain HTTP/1.1 request; the body of the answer.
async fn http_get(server: &RillServer, path: &str) -> String {
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", server.port))
            .await
            .expect("connect to rill-server");
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
            server.port
        );
        stream
            .write_all(request.as_bytes())
            .await
            .expect("send request");
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await.expect("read answer");
        answer
    };
    let answer = tokio::time::timeout(WAIT, exchange)
        .await
        .expect("rill-server answered in time");
    let text = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP answer");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    body.to_string()
}

/// How many times `/test/flap?key=KEY` was opened.
async fn flap_count(server: &RillServer, key: &str) -> u64 {
    let body = http_get(server, &format!("/test/flap/count?key={key}")).await;
    body.trim()
        .parse()
        .unwrap_or_else(|_| panic!("a count, not {body:?}"))
}

async fn floor_holds(transport: &str) {
    let app = RillServer::app();
    let backend = RillServer::start("127.0.0.1:0", &[]);
    let key = unique_key(transport);
    let stream = format!("{}/test/flap?key={key}", backend.url);
    let browser = Browser::start().await;
    browser
        .goto(&format!(
            "{}/?view=clock&transport={transport}&stream={}",
            app.url,
            rill_e2e::encode(&stream)
        ))
        .await;

    poll("the first flap connection", WAIT, || async {
        (flap_count(&backend, &key).await >= 1).then_some(())
    })
    .await;
    let started = Instant::now();

    // Watch the whole window, failing as soon as the count runs away. Meanwhile, the view
    // must say, while it waits, that it is reconnecting and count down to the next attempt.
    let countdown = std::cell::RefCell::new(None::<String>);
    let countdown = &countdown;
    let count = poll("the end of the 10 s window", WINDOW + WAIT, || async {
        let n = flap_count(&backend, &key).await;
        assert!(
            n <= MAX_CONNECTIONS,
            "transport={transport}: {n} connections after {:?}",
            started.elapsed()
        );
        if countdown.borrow().is_none() {
            let state = browser
                .wait_attr(&testid("clock-status"), "data-state", |_| true, WAIT)
                .await;
            let text = browser.text(&testid("clock-countdown")).await;
            let secs = text
                .strip_prefix("next attempt in ")
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|n| n.parse::<u64>().ok());
            if state == "reconnecting" && secs.is_some_and(|s| (1..=30).contains(&s)) {
                browser
                    .screenshot(&format!("reconnect-floor-{transport}"))
                    .await;
                *countdown.borrow_mut() = Some(text);
            }
        }
        (started.elapsed() >= WINDOW).then_some(n)
    })
    .await;
    assert!(
        countdown.borrow().is_some(),
        "transport={transport}: never saw the reconnecting state with a countdown"
    );
    assert!(
        count >= 2,
        "transport={transport}: it must reconnect, saw {count} connection(s)"
    );
    eprintln!("transport={transport}: {count} connections in {WINDOW:?}");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_source_against_a_flapping_feed_stays_above_the_floor() {
    floor_holds("eventsource").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetch_against_a_flapping_feed_stays_above_the_floor() {
    floor_holds("fetch").await;
}

/// An event far larger than the log shows: the log holds its first 2 KiB, marked with the
/// full size (the pure bound is tested natively with 10 MB; a test route's body is a URL
/// parameter, so this event is 20 KB).
async fn big_event_is_shown_bounded(transport: &str) {
    let app = RillServer::app();
    let backend = RillServer::start("127.0.0.1:0", &[]);
    let data = "x".repeat(20_000);
    let body = format!("retry: 60000\n\nevent: message\ndata: {data}\n\n");
    let stream = format!(
        "{}/test/status/200?type=text/event-stream&body={}",
        backend.url,
        rill_e2e::encode(&body)
    );
    let browser = Browser::start().await;
    browser
        .goto(&format!(
            "{}/?view=clock&transport={transport}&stream={}",
            app.url,
            rill_e2e::encode(&stream)
        ))
        .await;
    // The event's own entry: the connect entry (its URL carries the event too) is cut as well
    // and may be the only one on screen for a moment.
    let size = browser
        .wait_text(
            "[data-testid=\"clock-log\"] [data-kind=\"event\"] [data-testid=\"clock-log-size\"]",
            |t| !t.is_empty(),
            WAIT,
        )
        .await;
    assert_eq!(size, "2.0 KB of 20.0 KB", "transport={transport}");
    let shown = browser
        .js(
            "const e = document.querySelector('[data-testid=\"clock-log\"] [data-kind=\"event\"] .rill-log-text');
             return e ? e.textContent.length : -1;",
        )
        .await;
    let shown = shown.as_i64().expect("a length");
    assert!(
        (2_000..=2_100).contains(&shown),
        "transport={transport}: {shown} characters shown"
    );
    let time = browser.text(&testid("clock-time")).await;
    assert!(
        time.chars().count() <= 2_100,
        "transport={transport}: the time field shows {} characters",
        time.chars().count()
    );
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_source_shows_a_big_event_bounded_with_its_size() {
    big_event_is_shown_bounded("eventsource").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetch_shows_a_big_event_bounded_with_its_size() {
    big_event_is_shown_bounded("fetch").await;
}
