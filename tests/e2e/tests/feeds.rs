//! Pinned feeds as cards, end to end: a feed pinned from the clock view shows the latest value
//! of each event type in a card updated in place, a sparkline for numbers, gaps and dropped
//! repeats after a resume; pins survive a reload; notification permission is asked only on a
//! click. axe in light, dark and 简体中文; screenshots on a desktop and a phone.

use rill_e2e::{encode, poll, testid, Browser, RillServer, WAIT};
use serde_json::json;

/// Counts calls of `Notification.requestPermission` in every new document.
const ASK_HOOK: &str = "window.__askedNotify = 0;
    if (window.Notification) {
      const ask = Notification.requestPermission.bind(Notification);
      Notification.requestPermission = (...args) => { window.__askedNotify += 1; return ask(...args); };
    }";

async fn ask_hook(browser: &Browser) {
    browser
        .cdp(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({ "source": ASK_HOOK }),
        )
        .await
        .expect("install the permission hook");
}

fn clock_url(app: &RillServer, query: &str) -> String {
    format!(
        "{}/?view=clock&stream={}&{query}",
        app.url,
        encode(&format!("{}/stream", app.url))
    )
}

/// Pins `url` from the clock view's URL field.
async fn pin(browser: &Browser, url: &str) {
    browser.type_into(&testid("clock-url"), url).await;
    browser.click(&testid("feed-pin")).await;
}

fn card(feed: usize, kind: &str) -> String {
    format!(
        "article[data-testid=\"feed\"]:nth-of-type({feed}) [data-testid=\"feed-card\"][data-event-type=\"{kind}\"]"
    )
}

/// The number of line segments in a card's sparkline (`None`: no sparkline).
async fn segments(browser: &Browser, card: &str) -> Option<usize> {
    let script =
        "const p = document.querySelector(arguments[0] + ' [data-testid=\"feed-sparkline\"] path');
        return p ? (p.getAttribute('d') || '').split('L').length - 1 : null;";
    let v = browser
        .client
        .execute(script, vec![json!(card)])
        .await
        .ok()?;
    v.as_u64().and_then(|n| usize::try_from(n).ok())
}

async fn asked(browser: &Browser) -> i64 {
    browser
        .js("return window.__askedNotify;")
        .await
        .as_i64()
        .expect("the hook's count")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pinned_ticker_shows_cards_updated_in_place_with_sparklines() {
    let app = RillServer::app();
    let browser = Browser::start().await;
    ask_hook(&browser).await;
    browser.goto(&clock_url(&app, "lang=en")).await;
    pin(&browser, &format!("{}/demo/ticker?rate=5", app.url)).await;

    let price = card(1, "price");
    let first = browser
        .wait_text(
            &format!("{price} [data-testid=\"feed-card-value\"]"),
            |t| !t.is_empty(),
            WAIT,
        )
        .await;
    // The same element gets the new value: keep a reference to it and compare.
    browser
        .client
        .execute(
            "window.__card = document.querySelector(arguments[0]);",
            vec![json!(price)],
        )
        .await
        .expect("remember the card");
    let before = segments(&browser, &price).await.expect("a sparkline");
    let next = browser
        .wait_text(
            &format!("{price} [data-testid=\"feed-card-value\"]"),
            |t| !t.is_empty() && t != first,
            WAIT,
        )
        .await;
    assert!(next.parse::<f64>().is_ok(), "a price: {next}");
    let same = browser
        .client
        .execute(
            "const now = document.querySelector(arguments[0]);
             return window.__card === now && now.isConnected;",
            vec![json!(price)],
        )
        .await
        .expect("compare");
    assert_eq!(same, json!(true), "the card is updated in place");
    poll("the sparkline to grow", WAIT, || async {
        let now = segments(&browser, &price).await?;
        (now > before).then_some(())
    })
    .await;
    // `trade` is the other event type of the ticker; both have prices.
    let trade = card(1, "trade");
    browser
        .wait_text(
            &format!("{trade} [data-testid=\"feed-card-value\"]"),
            |t| t.parse::<f64>().is_ok(),
            WAIT,
        )
        .await;
    assert_eq!(browser.count(&testid("feed-card")).await, 2);
    assert_eq!(browser.count(&testid("feed-gap")).await, 0);
    assert_eq!(asked(&browser).await, 0, "no permission asked on load");
    browser.screenshot("feeds-desktop").await;

    // Pins are kept: after a reload the feed is back with its cards, still not asking.
    browser.reload().await;
    browser
        .wait_text(
            &format!("{price} [data-testid=\"feed-card-value\"]"),
            |t| !t.is_empty(),
            WAIT,
        )
        .await;
    assert_eq!(asked(&browser).await, 0, "no permission asked on load");
    browser
        .click(&format!("{price} [data-testid=\"feed-notify\"]"))
        .await;
    poll("the click to ask for permission", WAIT, || async {
        (asked(&browser).await == 1).then_some(())
    })
    .await;

    for (theme, lang) in [("light", "en"), ("dark", "en"), ("light", "zh")] {
        browser
            .goto(&clock_url(&app, &format!("theme={theme}&lang={lang}")))
            .await;
        browser
            .wait_text(
                &format!("{price} [data-testid=\"feed-card-value\"]"),
                |t| !t.is_empty(),
                WAIT,
            )
            .await;
        poll("a sparkline", WAIT, || async {
            segments(&browser, &price).await.filter(|n| *n > 0)
        })
        .await;
        let found = browser
            .axe_violations(&format!("feeds {theme} {lang}"))
            .await;
        assert!(found.is_empty(), "{}", found.join("\n"));
        browser.screenshot(&format!("feeds-{theme}-{lang}")).await;
    }
    browser.set_viewport(390, 844).await;
    let wide = browser
        .js("return document.documentElement.scrollWidth <= window.innerWidth;")
        .await;
    assert_eq!(wide, json!(true), "no sideways scroll at 390 px");
    let found = browser.axe_violations("feeds 390 px").await;
    assert!(found.is_empty(), "{}", found.join("\n"));
    browser.screenshot("feeds-phone").await;

    browser.click(&testid("feed-unpin")).await;
    poll("the feed to be unpinned", WAIT, || async {
        (browser.count(&testid("feed")).await == 0).then_some(())
    })
    .await;
    browser.close().await;
}

/// The `message` card of feed `n`: its update count and the number in its `tick N` value,
/// read together.
async fn ticks(browser: &Browser, n: usize) -> Option<(u64, u64)> {
    let script = "const c = document.querySelector(arguments[0]);
        if (!c) return null;
        const v = c.querySelector('[data-testid=\"feed-card-value\"]').textContent;
        return [Number(c.getAttribute('data-updates')), Number(v.replace('tick ', ''))];";
    let v = browser
        .client
        .execute(script, vec![json!(card(n, "message"))])
        .await
        .ok()?;
    Some((v.get(0)?.as_u64()?, v.get(1)?.as_u64()?))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gaps_are_marked_and_repeats_dropped_after_a_resume() {
    let app = RillServer::app();
    let browser = Browser::start().await;
    browser.goto(&clock_url(&app, "lang=en")).await;
    // Each connection breaks after 1.5 s; its resume leaves out 3 ids, or repeats 2.
    let fault = format!(
        "{}/test/fault/restart?after_ms=1500&interval_ms=100",
        app.url
    );
    pin(&browser, &format!("{fault}&skip=3")).await;
    pin(&browser, &format!("{fault}&repeat=2")).await;
    pin(&browser, &format!("{}/demo/ticker?rate=10&drop=8", app.url)).await;

    let gap = "article[data-testid=\"feed\"]:nth-of-type(1) [data-testid=\"feed-gap\"]";
    let missed = browser
        .wait_attr(gap, "data-missed", |m| !m.is_empty(), WAIT)
        .await;
    let missed: u64 = missed.parse().expect("a count");
    assert!(missed > 0 && missed.is_multiple_of(3), "missed {missed}");
    let text = browser.text(gap).await;
    assert_eq!(text, format!("missed {missed} events"));

    // The repeating feed: its repeats are dropped and counted, and the card counts one
    // update per id (ids start at 1, so `tick N` has been shown N times, not more).
    let dups = "article[data-testid=\"feed\"]:nth-of-type(2) [data-testid=\"feed-duplicates\"]";
    let count = browser
        .wait_attr(
            dups,
            "data-count",
            |c| c.parse::<u64>().is_ok_and(|n| n >= 2),
            WAIT,
        )
        .await;
    assert!(
        count.parse::<u64>().expect("a count").is_multiple_of(2),
        "{count} dropped"
    );
    let (updates, tick) = poll("the repeating feed's card", WAIT, || ticks(&browser, 2)).await;
    assert_eq!(updates, tick, "one update per id");
    assert_eq!(
        browser
            .count("article[data-testid=\"feed\"]:nth-of-type(2) [data-testid=\"feed-gap\"]")
            .await,
        0
    );

    // The demo ticker resumes exactly from `Last-Event-ID`: after two resumes, no gap and
    // no repeat.
    let ticker = "article[data-testid=\"feed\"]:nth-of-type(3)";
    poll("the ticker to resume twice", WAIT * 2, || async {
        let script = "const cs = document.querySelectorAll(arguments[0] + ' [data-testid=\"feed-card\"]');
            let n = 0; cs.forEach((c) => { n += Number(c.getAttribute('data-updates')); }); return n;";
        let n = browser
            .client
            .execute(script, vec![json!(ticker)])
            .await
            .ok()?
            .as_u64()?;
        (n > 20).then_some(())
    })
    .await;
    assert_eq!(
        browser
            .count(&format!("{ticker} [data-testid=\"feed-gap\"]"))
            .await,
        0
    );
    assert_eq!(
        browser
            .count(&format!("{ticker} [data-testid=\"feed-duplicates\"]"))
            .await,
        0
    );
    browser.screenshot("feeds-gaps").await;
    let found = browser.axe_violations("feeds with gaps").await;
    assert!(found.is_empty(), "{}", found.join("\n"));
    browser.close().await;
}
