//! The stream inspector (`view=inspect`), end to end: real rill-server (its demo and test
//! feeds), real headless Chromium, the built app.

use std::collections::BTreeSet;
use std::time::Duration;

use rill_e2e::inspect::{diagnoses, events, inspect_url, wait_events};
use rill_e2e::{poll, testid, Browser, RillServer, WAIT};

/// Long enough for a few reconnects (1 s floor plus jittered backoff) or bursts.
const LONG: Duration = Duration::from_secs(40);

async fn wait_diagnosis(browser: &Browser, code: &str, timeout: Duration) {
    poll(&format!("the {code} diagnosis"), timeout, || async {
        diagnoses(browser).await.contains(code).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inspector_lists_ticker_events_with_types_and_json_data() {
    let app = RillServer::app();
    let browser = Browser::start().await;
    browser
        .goto(&inspect_url(
            &app,
            &format!("{}/demo/ticker?rate=20", app.url),
            "",
        ))
        .await;
    wait_events(&browser, 12, WAIT).await;
    let got = events(&browser).await;
    let kinds: BTreeSet<&str> = got.iter().map(|(k, _, _)| k.as_str()).collect();
    assert!(
        kinds.contains("price") && kinds.contains("trade"),
        "{kinds:?}"
    );
    assert!(
        kinds.iter().all(|k| *k == "price" || *k == "trade"),
        "{kinds:?}"
    );
    for (_, id, data) in &got {
        assert!(id.parse::<u64>().is_ok(), "integer id: {id:?}");
        // Pretty-printed JSON: one member a line.
        assert!(data.contains("\n  \"symbol\": \""), "{data:?}");
        assert!(data.contains("\"price\": "), "{data:?}");
    }
    assert_eq!(browser.text(&testid("inspect-status")).await, "200");
    assert!(
        diagnoses(&browser).await.is_empty(),
        "{:?}",
        diagnoses(&browser).await
    );
    browser.screenshot("inspect-events-light").await;
    browser
        .js("document.querySelector('[data-testid=inspect-list]').scrollIntoView();")
        .await;
    browser.screenshot("inspect-list-light").await;
    browser
        .goto(&inspect_url(
            &app,
            &format!("{}/demo/ticker?rate=20", app.url),
            "&theme=dark&lang=zh",
        ))
        .await;
    wait_events(&browser, 5, WAIT).await;
    browser
        .js("document.querySelector('[data-testid=inspect-list]').scrollIntoView();")
        .await;
    browser.screenshot("inspect-list-dark-zh").await;
    browser.set_viewport(390, 844).await;
    wait_events(&browser, 8, WAIT).await;
    let sideways = browser
        .js("return document.documentElement.scrollWidth > window.innerWidth;")
        .await;
    assert_eq!(
        sideways,
        serde_json::json!(false),
        "no sideways scroll at 390 px"
    );
    browser.screenshot("inspect-events-390").await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resumed_stream_after_drops_has_no_gap_and_no_duplicate() {
    let app = RillServer::app();
    let browser = Browser::start().await;
    // Each connection ends after 6 events; the inspector reconnects with Last-Event-ID.
    browser
        .goto(&inspect_url(
            &app,
            &format!("{}/demo/ticker?rate=10&drop=6", app.url),
            "",
        ))
        .await;
    wait_events(&browser, 20, LONG).await;
    let conns: u32 = browser
        .text(&testid("inspect-connections"))
        .await
        .parse()
        .unwrap_or(0);
    assert!(conns >= 3, "{conns} connections");
    let ids: Vec<u64> = events(&browser)
        .await
        .iter()
        .filter_map(|(_, id, _)| id.parse().ok())
        .collect();
    assert!(
        ids.windows(2).all(|w| w[1] == w[0] + 1),
        "ids across reconnects: {ids:?}"
    );
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_type_status_and_cors_each_get_their_diagnosis() {
    let app = RillServer::app();
    let other = RillServer::start("127.0.0.1:0", &[]);
    let browser = Browser::start().await;
    browser
        .goto(&inspect_url(
            &app,
            &format!("{}/test/status/200?type=text/plain&body=hello", app.url),
            "",
        ))
        .await;
    wait_diagnosis(&browser, "content-type", WAIT).await;
    browser.screenshot("inspect-diagnosis-light").await;
    // EventSource does not say why it refused; the inspector asks once by fetch.
    browser
        .goto(&inspect_url(
            &app,
            &format!("{}/test/status/200?type=text/plain&body=hello", app.url),
            "&transport=eventsource",
        ))
        .await;
    wait_diagnosis(&browser, "content-type", WAIT).await;
    let axe = browser.axe_violations("inspect content-type").await;
    assert!(axe.is_empty(), "{axe:#?}");

    browser
        .goto(&inspect_url(
            &app,
            &format!("{}/test/status/503", app.url),
            "&theme=dark",
        ))
        .await;
    wait_diagnosis(&browser, "status", WAIT).await;
    browser.screenshot("inspect-diagnosis-dark").await;

    // Another origin whose answer allows no other origin (a 404 without CORS headers).
    browser
        .goto(&inspect_url(
            &app,
            &format!("{}/no-such-feed", other.url),
            "",
        ))
        .await;
    wait_diagnosis(&browser, "cors", WAIT).await;
    // With EventSource as well.
    browser
        .goto(&inspect_url(
            &app,
            &format!("{}/no-such-feed", other.url),
            "&transport=eventsource",
        ))
        .await;
    wait_diagnosis(&browser, "cors", WAIT).await;
    browser.set_viewport(390, 844).await;
    browser.screenshot("inspect-diagnosis-390").await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bursts_are_buffering_and_the_clock_is_not() {
    let app = RillServer::app();
    let browser = Browser::start().await;
    browser
        .goto(&inspect_url(
            &app,
            &format!("{}/demo/buffered", app.url),
            "",
        ))
        .await;
    wait_diagnosis(&browser, "buffering", LONG).await;

    browser
        .goto(&inspect_url(&app, &format!("{}/stream", app.url), ""))
        .await;
    wait_events(&browser, 6, LONG).await;
    let found = diagnoses(&browser).await;
    assert!(!found.contains("buffering"), "{found:?}");
    assert!(
        found.contains("no-ids"),
        "the clock sends no ids: {found:?}"
    );
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_events_keep_the_page_responsive() {
    let app = RillServer::app();
    let browser = Browser::start().await;
    browser
        .goto(&inspect_url(
            &app,
            &format!("{}/demo/ticker?rate=5000&count=10000", app.url),
            "",
        ))
        .await;
    browser
        .wait_text(&testid("inspect-total"), |t| t == "10000", LONG)
        .await;
    browser
        .wait_attr(
            &testid("inspect-capped"),
            "data-passed",
            |v| v == "10000",
            WAIT,
        )
        .await;
    assert_eq!(browser.count(&testid("inspect-event")).await, 500);
    // The export (a Blob download) has every event, not only the listed ones.
    browser
        .js("const create = URL.createObjectURL.bind(URL);
             URL.createObjectURL = (blob) => {
               blob.text().then((t) => { window.__rillExported = t.split('\\n').filter(Boolean).length; });
               return create(blob);
             };")
        .await;
    browser.click(&testid("inspect-export")).await;
    let exported = poll("the export's line count", WAIT, || async {
        browser
            .js("return window.__rillExported ?? null;")
            .await
            .as_u64()
    })
    .await;
    assert_eq!(exported, 10_000);
    // The page still answers: filtering by type updates the list at once.
    browser
        .js(
            "const s = document.querySelector('[data-testid=inspect-filter-type]');
             s.value = 'trade'; s.dispatchEvent(new Event('change'));",
        )
        .await;
    poll("only trades listed", WAIT, || async {
        let got = events(&browser).await;
        (!got.is_empty() && got.iter().all(|(k, _, _)| k == "trade")).then_some(())
    })
    .await;
    browser
        .wait_attr(
            &testid("inspect-capped"),
            "data-passed",
            |v| v == "2000",
            WAIT,
        )
        .await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inspector_has_no_axe_violations_in_either_theme_or_language() {
    let app = RillServer::app();
    let browser = Browser::start().await;
    let mut found = Vec::new();
    for theme in ["light", "dark"] {
        for lang in ["en", "zh"] {
            browser
                .goto(&inspect_url(
                    &app,
                    &format!("{}/stream", app.url),
                    &format!("&theme={theme}&lang={lang}"),
                ))
                .await;
            wait_events(&browser, 5, LONG).await;
            wait_diagnosis(&browser, "no-ids", WAIT).await;
            found.extend(
                browser
                    .axe_violations(&format!("inspect {theme} {lang}"))
                    .await,
            );
        }
    }
    assert!(found.is_empty(), "{found:#?}");
    browser.close().await;
}

/// A real nginx on a free port in front of `app`: `/buffered/` with `proxy_buffering on`
/// and gzip for event streams, `/unbuffered/` as the upstream asks (`X-Accel-Buffering: no`).
struct Nginx {
    _proc: rill_e2e::Proc,
    url: String,
    _dir: rill_e2e::TempDir,
}

impl Nginx {
    fn start(app: &RillServer) -> Nginx {
        let bin = ["/usr/sbin/nginx", "/usr/bin/nginx"]
            .into_iter()
            .find(|p| std::path::Path::new(p).is_file())
            .expect("nginx is missing: run ./x setup (Debian's nginx package)");
        let port = rill_e2e::free_port();
        let dir = std::env::temp_dir().join(format!("rill-nginx-{port}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("nginx dir");
        let d = dir.display();
        let upstream = app.port;
        let conf = format!(
            "daemon off; master_process off; pid {d}/nginx.pid; error_log {d}/error.log warn;
events {{ worker_connections 64; }}
http {{
  access_log off;
  client_body_temp_path {d}/body; proxy_temp_path {d}/proxy; fastcgi_temp_path {d}/fcgi;
  uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;
  server {{
    listen 127.0.0.1:{port};
    location /buffered/ {{
      proxy_pass http://127.0.0.1:{upstream}/demo/; proxy_http_version 1.1;
      proxy_buffering on; gzip on; gzip_types text/event-stream; gzip_min_length 0; gzip_proxied any;
    }}
    location /unbuffered/ {{
      proxy_pass http://127.0.0.1:{upstream}/demo/; proxy_http_version 1.1;
    }}
  }}
}}
"
        );
        let path = dir.join("nginx.conf");
        std::fs::write(&path, conf).expect("nginx.conf");
        let mut cmd = std::process::Command::new(bin);
        cmd.arg("-p").arg(&dir).arg("-c").arg(&path);
        let proc = rill_e2e::Proc::spawn("nginx", cmd);
        let url = format!("http://127.0.0.1:{port}");
        let deadline = std::time::Instant::now() + WAIT;
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "nginx did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Nginx {
            _proc: proc,
            url,
            _dir: rill_e2e::TempDir(dir),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_buffering_gzipping_nginx_is_diagnosed_and_an_unbuffered_one_is_not() {
    let app = RillServer::app();
    let nginx = Nginx::start(&app);
    let browser = Browser::start().await;
    browser
        .goto(&inspect_url(
            &app,
            &format!("{}/buffered/ticker?rate=1000&accel=0", nginx.url),
            "",
        ))
        .await;
    wait_diagnosis(&browser, "buffering", Duration::from_secs(90)).await;
    browser.screenshot("inspect-nginx-buffering").await;

    browser
        .goto(&inspect_url(
            &app,
            &format!("{}/unbuffered/ticker?rate=50", nginx.url),
            "",
        ))
        .await;
    wait_events(&browser, 150, LONG).await;
    let found = diagnoses(&browser).await;
    assert!(!found.contains("buffering"), "{found:?}");
    browser.close().await;
}

/// The live charts: events and bytes per second over the last minute and the gaps between
/// events, drawn as SVG bars from what arrived; redrawn as time passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_charts_draw_events_bytes_and_gaps() {
    let app = RillServer::app();
    let browser = Browser::start().await;
    browser
        .goto(&inspect_url(
            &app,
            &format!("{}/demo/ticker?rate=20", app.url),
            "",
        ))
        .await;
    wait_events(&browser, 12, WAIT).await;
    let chart = |id: &'static str| {
        let browser = &browser;
        async move {
            browser
                .js(&format!(
                    "const f = document.querySelector('[data-testid={id}]');
                     return f ? {{ total: +f.dataset.total, d: f.querySelector('path').getAttribute('d') || '',
                                  label: f.querySelector('svg').getAttribute('aria-label') }} : null;"
                ))
                .await
        }
    };
    let events = poll("the events chart to count 12 events", WAIT, || async {
        let c = chart("inspect-chart-events").await;
        (c["total"].as_u64().unwrap_or(0) >= 12).then_some(c)
    })
    .await;
    assert!(
        events["d"].as_str().unwrap_or("").starts_with('M'),
        "{events}"
    );
    assert!(
        events["label"].as_str().unwrap_or("").contains("max"),
        "{events}"
    );
    let bytes = chart("inspect-chart-bytes").await;
    assert!(bytes["total"].as_u64().unwrap_or(0) > 12 * 20, "{bytes}");
    let gaps = chart("inspect-chart-gaps").await;
    assert!(gaps["total"].as_u64().unwrap_or(0) >= 11, "{gaps}");
    assert!(gaps["d"].as_str().unwrap_or("").starts_with('M'), "{gaps}");
    // Redrawn as time passes: the count grows while the ticker runs.
    let first = events["total"].as_u64().unwrap_or(0);
    poll("the events chart to grow", WAIT, || async {
        (chart("inspect-chart-events").await["total"]
            .as_u64()
            .unwrap_or(0)
            > first)
            .then_some(())
    })
    .await;
    browser
        .js("document.querySelector('[data-testid=inspect-chart-events]').scrollIntoView(); return null;")
        .await;
    browser.screenshot("inspect-charts").await;
    assert_eq!(
        browser.axe_violations("inspector with charts").await,
        Vec::<String>::new()
    );
    browser.close().await;
}
