//! `/test/fault/{name}`: each fault sends exactly the bytes its module comment promises, in
//! each chat format, and only with `--test-routes`.

mod support;

use rill_server::faults::{proxy_page, Format};
use rill_server::Config;
use support::{get, post_json, start};

fn with_test_routes() -> Config {
    Config {
        test_routes: true,
        ..Config::default()
    }
}

/// The pieces `/test/fault` writes for its default text.
fn words(format: Format) -> String {
    rill_server::faults::words(rill_server::faults::DEFAULT_TEXT)
        .iter()
        .map(|w| format.piece(w))
        .collect()
}

const FORMATS: [Format; 3] = [Format::Sse, Format::Openai, Format::Ollama];

fn name(format: Format) -> &'static str {
    match format {
        Format::Sse => "sse",
        Format::Openai => "openai",
        Format::Ollama => "ollama",
    }
}

#[tokio::test]
async fn faults_exist_only_with_test_routes() {
    let (addr, _) = start(Config::default()).await;
    let r = get(addr, "/test/fault/drop", |_| false).await;
    assert_eq!(r.status(), 404);
    let (addr, _) = start(with_test_routes()).await;
    let r = get(addr, "/test/fault/nonsense", |_| false).await;
    assert_eq!(r.status(), 404);
    assert_eq!(r.header("content-type"), Some("text/plain"));
}

#[tokio::test]
async fn drops_break_the_connection_after_the_words_mid_piece_and_mid_character() {
    let (addr, _) = start(with_test_routes()).await;
    for format in FORMATS {
        let f = name(format);
        let r = get(addr, &format!("/test/fault/drop?format={f}"), |_| false).await;
        assert_eq!(r.status(), 200);
        assert!(!r.complete, "{f}: the body breaks");
        let body = String::from_utf8_lossy(&r.body()).into_owned();
        let whole = words(format);
        assert!(body.starts_with(&whole), "{f}: {body}");
        let rest = &body[whole.len()..];
        assert!(!rest.is_empty() && !rest.ends_with('\n'), "{f}: {rest:?}");

        // POST works the same (a chat client's request).
        let r = post_json(
            addr,
            &format!("/test/fault/drop-utf8?format={f}"),
            "{}",
            |_| false,
        )
        .await;
        assert_eq!(r.status(), 200);
        assert!(!r.complete);
        let body = r.body();
        assert!(body.starts_with(whole.as_bytes()));
        assert!(
            body.ends_with(b"caf\xC3"),
            "{f}: {:?}",
            String::from_utf8_lossy(&body)
        );
    }
}

#[tokio::test]
async fn statuses_with_and_without_retry_after_204_and_the_proxy_page() {
    let (addr, _) = start(with_test_routes()).await;
    for code in [500, 502, 503] {
        let r = get(addr, &format!("/test/fault/status?code={code}"), |_| false).await;
        assert_eq!(r.status(), code);
        assert_eq!(r.header("retry-after"), None);
        assert_eq!(r.text(), format!("fault: status {code}"));
        let r = post_json(
            addr,
            &format!("/test/fault/status?code={code}&retry_after=3"),
            "{}",
            |_| false,
        )
        .await;
        assert_eq!(r.status(), code);
        assert_eq!(r.header("retry-after"), Some("3"));
    }
    let r = get(addr, "/test/fault/status?retry_after=99999", |_| false).await;
    assert_eq!(r.status(), 503, "503 is the default");
    assert_eq!(r.header("retry-after"), Some("600"), "capped");
    let r = get(addr, "/test/fault/status?code=200", |_| false).await;
    assert_eq!(r.status(), 503, "only error codes");

    let r = get(addr, "/test/fault/no-content", |_| true).await;
    assert_eq!(r.status(), 204);
    assert!(r.body().is_empty());

    let r = get(addr, "/test/fault/proxy-page", |_| false).await;
    assert_eq!(r.status(), 502);
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    assert_eq!(
        r.header("content-security-policy"),
        Some(rill_server::csp::TEST_ROUTES_POLICY)
    );
    let body = r.text();
    assert_eq!(body, proxy_page(axum::http::StatusCode::BAD_GATEWAY));
    assert!(body.contains("<h1>502 Bad Gateway</h1>") && body.contains("nginx"));
}

#[tokio::test]
async fn wrong_type_partial_last_line_and_bad_json() {
    let (addr, _) = start(with_test_routes()).await;
    for format in FORMATS {
        let f = name(format);
        let r = get(addr, &format!("/test/fault/wrong-type?format={f}"), |_| {
            false
        })
        .await;
        assert_eq!(r.header("content-type"), Some("text/plain"));
        assert!(r.complete);
        assert_eq!(r.text(), format!("{}{}", words(format), format.done()));

        let r = get(
            addr,
            &format!("/test/fault/partial-last-line?format={f}"),
            |_| false,
        )
        .await;
        assert!(r.complete, "{f}: ends cleanly");
        let tail = format.piece("tail");
        assert_eq!(r.text(), format!("{}{}", words(format), tail.trim_end()));
    }
    let r = get(addr, "/test/fault/bad-json?format=openai", |_| false).await;
    assert!(r.complete);
    let text = r.text();
    let lines: Vec<&str> = text.lines().filter(|l| l.starts_with("data: {")).collect();
    let bad: Vec<&&str> = lines
        .iter()
        .filter(|l| serde_json::from_str::<serde_json::Value>(&l[6..]).is_err())
        .collect();
    assert_eq!(bad.len(), 1, "{text}");
    assert!(bad[0].contains("broken"));
    assert!(text.ends_with(&format!(
        "{}{}",
        Format::Openai.piece("after"),
        Format::Openai.done()
    )));

    let r = get(addr, "/test/fault/bad-json?format=ollama", |_| false).await;
    let text = r.text();
    let bad = text
        .lines()
        .filter(|l| serde_json::from_str::<serde_json::Value>(l).is_err())
        .count();
    assert_eq!(bad, 1, "{text}");
}

#[tokio::test]
async fn huge_event_and_endless_line_are_bounded() {
    let (addr, state) = start(with_test_routes()).await;
    let r = get(addr, "/test/fault/huge?format=openai&mb=2", |_| false).await;
    assert!(r.complete);
    let text = r.text();
    assert!(text.ends_with(Format::Openai.done()));
    let line = text.lines().find(|l| l.len() > 1 << 20).unwrap_or_default();
    let json: serde_json::Value = serde_json::from_str(&line[6..]).expect("one whole chunk");
    assert_eq!(
        json["choices"][0]["delta"]["content"]
            .as_str()
            .map(str::len),
        Some(2 << 20)
    );

    let r = get(addr, "/test/fault/endless-line?format=ollama&mb=3", |_| {
        false
    })
    .await;
    assert!(!r.complete, "breaks at the cap");
    let body = r.body();
    assert!(body.len() > 3 << 20 && body.len() < (3 << 20) + 4096);
    assert!(!body.ends_with(b"\n"));
    support::wait_until("the slots are given back", || state.streams.open() == 0).await;
}

#[tokio::test]
async fn drip_heartbeats_endless_and_stall_send_slowly_or_not_at_all() {
    let (addr, state) = start(with_test_routes()).await;
    let r = get(
        addr,
        "/test/fault/drip?format=sse&text=ab&interval_ms=5",
        |_| false,
    )
    .await;
    assert!(r.complete);
    assert_eq!(r.text(), "data: ab\n\n");
    assert!(r.chunks.len() >= 5, "a byte per write: {:?}", r.chunks);

    let r = get(addr, "/test/fault/heartbeats?interval_ms=10", |b| {
        b.windows(11).filter(|w| w == b": heartbeat").count() >= 3
    })
    .await;
    assert!(!r.complete);
    assert!(
        r.text().split(": heartbeat\n\n").all(str::is_empty),
        "{}",
        r.text()
    );

    let r = get(
        addr,
        "/test/fault/endless?format=ollama&interval_ms=10",
        |b| b.windows(7).any(|w| w == b"tick 4 "),
    )
    .await;
    assert!(!r.complete);
    assert!(r.text().starts_with(&Format::Ollama.piece("tick 1 ")));

    // The stall: the words, then the connection stays open with nothing on it.
    let last = Format::Openai.piece("route.");
    let mut sock = support::open(
        addr,
        format!("GET /test/fault/stall?format=openai HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes(),
    )
    .await;
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    use tokio::io::AsyncReadExt;
    while !String::from_utf8_lossy(&seen).contains(last.trim_end()) {
        let n = tokio::time::timeout(support::WAIT, sock.read(&mut buf))
            .await
            .expect("the words in time")
            .expect("read");
        assert!(n > 0, "still open");
        seen.extend_from_slice(&buf[..n]);
    }
    let more =
        tokio::time::timeout(std::time::Duration::from_millis(300), sock.read(&mut buf)).await;
    assert!(more.is_err(), "nothing after the words: {more:?}");
    assert!(state.streams.open() >= 1);
    drop(sock);
}

#[tokio::test]
async fn restart_breaks_every_connection_and_goes_on_after_last_event_id() {
    let (addr, _) = start(with_test_routes()).await;
    let r = get(
        addr,
        "/test/fault/restart?after_ms=100&interval_ms=20",
        |_| false,
    )
    .await;
    assert_eq!(r.header("content-type"), Some("text/event-stream"));
    assert!(!r.complete, "the connection breaks");
    let text = r.text();
    assert!(text.starts_with("id: 1\ndata: tick 1\n\nid: 2\n"), "{text}");
    assert!(text.ends_with("id: 5\ndata: tick 5\n\n"), "{text}");

    let req = format!(
        "GET /test/fault/restart?after_ms=40&interval_ms=20 HTTP/1.1\r\nHost: {addr}\r\nLast-Event-ID: 5\r\n\r\n"
    );
    let r = support::send(addr, req.as_bytes(), |_| false).await;
    assert_eq!(r.text(), "id: 6\ndata: tick 6\n\nid: 7\ndata: tick 7\n\n");
}

#[tokio::test]
async fn restart_can_skip_or_repeat_ids_on_a_resume() {
    let (addr, _) = start(with_test_routes()).await;
    let resume = |query: &str| {
        format!(
            "GET /test/fault/restart?after_ms=40&interval_ms=20&{query} HTTP/1.1\r\nHost: {addr}\r\nLast-Event-ID: 5\r\n\r\n"
        )
    };
    let r = support::send(addr, resume("skip=3").as_bytes(), |_| false).await;
    assert!(r.text().starts_with("id: 9\n"), "{}", r.text());
    let r = support::send(addr, resume("repeat=2").as_bytes(), |_| false).await;
    assert!(r.text().starts_with("id: 4\n"), "{}", r.text());
    let r = support::send(addr, resume("repeat=99").as_bytes(), |_| false).await;
    assert!(r.text().starts_with("id: 1\n"), "{}", r.text());
    // A first connection starts at 1 whatever the flags.
    let r = get(
        addr,
        "/test/fault/restart?after_ms=40&interval_ms=20&skip=3",
        |_| false,
    )
    .await;
    assert!(r.text().starts_with("id: 1\n"), "{}", r.text());
}
