//! Feeds through an SSE engine, end to end: `deploy/run` starts a real nginx + Nchan or a
//! real Pushpin on free ports (from deploy/'s templates, in a scratch folder) and
//! rill-server publishing into it (`--publish`); headless Chromium opens the clock view and
//! the inspector on the engine's URLs; a forwarder between the browser and the engine cuts
//! the connection, and the browser resumes through the engine with `Last-Event-ID`: no gap,
//! no duplicate.

use std::time::Duration;

use rill_e2e::deploy::Deployed;
use rill_e2e::forward::Forwarder;
use rill_e2e::inspect::events;
use rill_e2e::{is_node_time, poll, testid, Browser, WAIT};

/// Long enough for a few cuts and resumes (Nchan's subscriber timeout, a browser's retry).
const LONG: Duration = Duration::from_secs(60);

/// Opens the inspector on `stream` through `cutter`, cuts the connection `cuts` times (each
/// after `per` more events) and returns the events listed.
async fn inspect_across_cuts(
    browser: &Browser,
    engine: &Deployed,
    cutter: &Forwarder,
    stream_key: &str,
    cuts: u32,
    per: usize,
) -> Vec<(String, String, String)> {
    let url = format!(
        "{}/?view=inspect&stream={}",
        engine.get("app"),
        rill_e2e::encode(&cutter.via(engine.get(stream_key)))
    );
    browser.goto(&url).await;
    poll("the first events", WAIT, || async {
        (browser.count(&testid("inspect-event")).await >= per).then_some(())
    })
    .await;
    for round in 1..=cuts {
        cutter.cut();
        poll(&format!("connection {}", round + 1), LONG, || async {
            (connections(browser).await > round).then_some(())
        })
        .await;
        let before = browser.count(&testid("inspect-event")).await;
        poll("events after the resume", LONG, || async {
            (browser.count(&testid("inspect-event")).await >= before + per).then_some(())
        })
        .await;
    }
    events(browser).await
}

async fn connections(browser: &Browser) -> u32 {
    browser
        .text(&testid("inspect-connections"))
        .await
        .parse()
        .unwrap_or(0)
}

/// Seconds of the day of a clock time `2026/12/3 21:11:56`.
fn second_of_day(time: &str) -> Option<u32> {
    let (_, hms) = time.trim().split_once(' ')?;
    let mut parts = hms.split(':').map(|p| p.parse::<u32>().ok());
    let (h, m, s) = (parts.next()??, parts.next()??, parts.next()??);
    Some(h * 3600 + m * 60 + s)
}

/// The clock's ticks (not `connecttime`) are one per second, none missing or repeated.
fn assert_consecutive_seconds(ticks: &[(String, String, String)]) {
    let seconds: Vec<u32> = ticks
        .iter()
        .map(|(_, _, data)| second_of_day(data).unwrap_or_else(|| panic!("a time: {data:?}")))
        .collect();
    assert!(
        seconds.windows(2).all(|w| (w[0] + 1) % 86_400 == w[1]),
        "one tick a second, no gap, no duplicate: {seconds:?}"
    );
}

/// The ticker's events go through the five symbols in turn (event n has symbol n mod 5), so
/// a missing or repeated event breaks the turn.
fn assert_symbols_in_turn(ticks: &[(String, String, String)]) {
    const SYMBOLS: [&str; 5] = ["RILL", "ACME", "INIT", "WASM", "LEPT"];
    let index: Vec<usize> = ticks
        .iter()
        .map(|(_, _, data)| {
            SYMBOLS
                .iter()
                .position(|s| data.contains(&format!("\"{s}\"")))
                .unwrap_or_else(|| panic!("a ticker event: {data:?}"))
        })
        .collect();
    assert!(
        index.windows(2).all(|w| (w[0] + 1) % 5 == w[1]),
        "symbols in turn (no gap, no duplicate): {index:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clock_and_ticker_through_nchan_resume_without_gap_or_duplicate() {
    let engine = Deployed::start("nchan", &[]);
    let cutter = Forwarder::start(engine.get("engine")).await;
    let browser = Browser::start().await;

    // The clock view on Nchan's URL: the time each second, Nchan's `time:tag` ids.
    browser.goto(&engine.page("view=clock", "clock")).await;
    browser
        .wait_attr(&testid("clock-status"), "data-state", |s| s == "open", WAIT)
        .await;
    let first = browser
        .wait_text(&testid("clock-time"), is_node_time, WAIT)
        .await;
    browser
        .wait_text(
            &testid("clock-time"),
            |t| is_node_time(t) && t != first,
            WAIT,
        )
        .await;
    let id = browser.text(&testid("clock-last-id")).await;
    assert!(id.contains(':'), "an Nchan message id: {id:?}");

    // The inspector on the clock, its connection cut twice: Nchan resumes from its buffer.
    let got = inspect_across_cuts(&browser, &engine, &cutter, "clock", 2, 3).await;
    assert!(got.iter().all(|(k, _, _)| k == "message"), "{got:?}");
    let ids: Vec<&str> = got.iter().map(|(_, id, _)| id.as_str()).collect();
    let unique: std::collections::BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "no id twice: {ids:?}");
    assert_consecutive_seconds(&got);

    // A demo feed through Nchan, cut twice.
    let got = inspect_across_cuts(&browser, &engine, &cutter, "ticker", 2, 4).await;
    assert!(
        got.iter().all(|(k, _, _)| k == "price" || k == "trade"),
        "{got:?}"
    );
    assert_symbols_in_turn(&got);
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clock_and_ticker_through_pushpin_resume_without_gap_or_duplicate() {
    let engine = Deployed::start("pushpin", &[]);
    let cutter = Forwarder::start(engine.get("engine")).await;
    let browser = Browser::start().await;

    // The clock view through Pushpin: rill-server's own head (connecttime), then the
    // published ticks with their Unix seconds as ids.
    browser.goto(&engine.page("view=clock", "clock")).await;
    browser
        .wait_attr(&testid("clock-status"), "data-state", |s| s == "open", WAIT)
        .await;
    browser
        .wait_text(&testid("clock-connected-at"), is_node_time, WAIT)
        .await;
    let first = browser
        .wait_text(&testid("clock-time"), is_node_time, WAIT)
        .await;
    browser
        .wait_text(
            &testid("clock-time"),
            |t| is_node_time(t) && t != first,
            WAIT,
        )
        .await;
    let id = browser.text(&testid("clock-last-id")).await;
    assert!(id.parse::<u64>().is_ok(), "a Unix second: {id:?}");

    // The inspector on the ticker, cut twice: the origin answers Last-Event-ID.
    let got = inspect_across_cuts(&browser, &engine, &cutter, "ticker", 2, 4).await;
    let ids: Vec<u64> = got
        .iter()
        .map(|(_, id, _)| id.parse().unwrap_or_else(|_| panic!("integer id {id:?}")))
        .collect();
    assert!(
        ids.windows(2).all(|w| w[1] == w[0] + 1),
        "ids across resumes: {ids:?}"
    );
    assert_symbols_in_turn(&got);

    // The clock through Pushpin, cut once (its retry is 10 s): a connecttime per
    // connection, the ticks consecutive across the cut.
    let got = inspect_across_cuts(&browser, &engine, &cutter, "clock", 1, 3).await;
    let ticks: Vec<_> = got
        .iter()
        .filter(|(k, _, _)| k != "connecttime")
        .cloned()
        .collect();
    assert!(
        got.iter().filter(|(k, _, _)| k == "connecttime").count() >= 2,
        "{got:?}"
    );
    assert_consecutive_seconds(&ticks);
    browser.close().await;
}
