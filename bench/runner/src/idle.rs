//! `rill-bench idle`: the feed view's idle cost (issue #14). The clock view (`?view=clock`,
//! the feed bundle) and a hand-written EventSource page (`bench/idle/plain.html`) each show
//! rill-server's `/stream` in the same headless Chromium; after the first event and a short
//! settle, DevTools `Performance.getMetrics` deltas over a 10 s window give the main thread's
//! whole busy time (`TaskDuration`: script, style, layout, paint and the rest), per second.
//! Medians of 3 runs, with and without `prefers-reduced-motion: reduce` emulated.
//!
//! ```text
//! rill-bench idle --www DIR [--markdown FILE] [--date YYYY-MM-DD] [--command CMD]
//! ```

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use rill_e2e::{Browser, RillServer};
use serde_json::json;

use crate::chat::cdp;
use crate::splice;

const SECTION: &str = "## Feed view idle cost";
const RUNS: usize = 3;
const WINDOW: Duration = Duration::from_secs(10);
const SETTLE: Duration = Duration::from_secs(2);
/// The issue's goal: the feed view costs at most this many times the hand-written page.
const GOAL_RATIO: f64 = 1.5;

#[derive(Clone, Copy)]
enum Page {
    Clock,
    Plain,
}

impl Page {
    fn label(self) -> &'static str {
        match self {
            Page::Clock => "clock view (?view=clock)",
            Page::Plain => "hand-written EventSource page",
        }
    }
    fn path(self) -> &'static str {
        match self {
            Page::Clock => "/?view=clock&lang=en",
            Page::Plain => "/plain.html",
        }
    }
    fn ready(self) -> &'static str {
        match self {
            Page::Clock => "[data-testid=clock-time]",
            Page::Plain => "#time",
        }
    }
}

/// Main-thread milliseconds per second in one window.
struct Cost {
    task: f64,
    style_layout: f64,
    script: f64,
}

async fn metrics(c: &fantoccini::Client) -> Result<HashMap<String, f64>, String> {
    let value = cdp(c, "Performance.getMetrics", json!({})).await?;
    let list = value["metrics"]
        .as_array()
        .ok_or_else(|| format!("Performance.getMetrics answered {value}"))?;
    Ok(list
        .iter()
        .filter_map(|m| Some((m["name"].as_str()?.to_string(), m["value"].as_f64()?)))
        .collect())
}

fn per_second(a: &HashMap<String, f64>, b: &HashMap<String, f64>, names: &[&str]) -> f64 {
    let secs: f64 = names
        .iter()
        .map(|n| b.get(*n).copied().unwrap_or(f64::NAN) - a.get(*n).copied().unwrap_or(f64::NAN))
        .sum();
    secs * 1000.0 / WINDOW.as_secs_f64()
}

async fn one_run(b: &Browser, base: &str, page: Page, reduced: bool) -> Result<Cost, String> {
    let c = &b.client;
    let value = if reduced { "reduce" } else { "no-preference" };
    cdp(
        c,
        "Emulation.setEmulatedMedia",
        json!({"features": [{"name": "prefers-reduced-motion", "value": value}]}),
    )
    .await?;
    c.goto(&format!("{base}{}", page.path()))
        .await
        .map_err(|e| format!("open {}: {e}", page.label()))?;
    // The first event has arrived when the page shows text in its time element.
    let script = format!(
        "const el = document.querySelector('{}'); return !!(el && el.textContent.trim());",
        page.ready()
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let shown = c
            .execute(&script, vec![])
            .await
            .map_err(|e| e.to_string())?;
        if shown.as_bool() == Some(true) {
            break;
        }
        if std::time::Instant::now() > deadline {
            return Err(format!("{}: no event within 20 s", page.label()));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(SETTLE).await;
    cdp(c, "Performance.enable", json!({})).await?;
    let before = metrics(c).await?;
    // The measured window: the page waits for its next events, nothing else happens.
    tokio::time::sleep(WINDOW).await;
    let after = metrics(c).await?;
    cdp(c, "Performance.disable", json!({})).await?;
    Ok(Cost {
        task: per_second(&before, &after, &["TaskDuration"]),
        style_layout: per_second(&before, &after, &["RecalcStyleDuration", "LayoutDuration"]),
        script: per_second(&before, &after, &["ScriptDuration"]),
    })
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.retain(|x| x.is_finite());
    if xs.is_empty() {
        return f64::NAN;
    }
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

struct Row {
    page: Page,
    reduced: bool,
    task: f64,
    style_layout: f64,
    script: f64,
}

fn section(rows: &[Row], date: &str, command: &str) -> String {
    let mut out = format!(
        "{SECTION}\n\n{date}, `{command}` (`bench/idle`). Main-thread time per second of a \
         feed page waiting for its next event on rill-server's `/stream` (one event a second), \
         headless Chromium, DevTools `Performance.getMetrics` deltas over {} s after the first \
         event and {} s of settling; median of {RUNS} runs each, both pages in the same run. \
         *All tasks* is `TaskDuration` (script + style + layout + paint + the rest); goal: \
         the clock view at most {GOAL_RATIO}× the hand-written page.\n\n\
         | page | reduced motion | all tasks ms/s | style + layout ms/s | script ms/s | ratio |\n\
         |---|---|---:|---:|---:|---:|\n",
        WINDOW.as_secs(),
        SETTLE.as_secs()
    );
    for row in rows {
        let base = rows
            .iter()
            .find(|r| matches!(r.page, Page::Plain) && r.reduced == row.reduced)
            .map_or(f64::NAN, |r| r.task);
        out.push_str(&format!(
            "| {} | {} | {:.1} | {:.1} | {:.1} | {:.1}× |\n",
            row.page.label(),
            if row.reduced { "reduce" } else { "no" },
            row.task,
            row.style_layout,
            row.script,
            row.task / base
        ));
    }
    out
}

pub async fn main(args: impl Iterator<Item = String>) -> Result<(), String> {
    let mut www = None;
    let mut markdown = None;
    let mut date = String::from("unknown date");
    let mut command = String::from("./x bench");
    let mut args = args;
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--www" => www = Some(PathBuf::from(value()?)),
            "--markdown" => markdown = Some(PathBuf::from(value()?)),
            "--date" => date = value()?,
            "--command" => command = value()?,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let www = www.ok_or("--www DIR is required")?;
    let dist = www.to_str().ok_or("the --www path is not UTF-8")?;
    let server = RillServer::start_without_test_routes("127.0.0.1:0", &["--dist", dist]);
    let browser = Browser::start().await;
    let outcome = async {
        let mut rows = Vec::new();
        for reduced in [false, true] {
            for page in [Page::Plain, Page::Clock] {
                let mut runs = Vec::new();
                for _ in 0..RUNS {
                    runs.push(one_run(&browser, &server.url, page, reduced).await?);
                }
                let row = Row {
                    page,
                    reduced,
                    task: median(runs.iter().map(|r| r.task).collect()),
                    style_layout: median(runs.iter().map(|r| r.style_layout).collect()),
                    script: median(runs.iter().map(|r| r.script).collect()),
                };
                eprintln!(
                    "{} (reduced motion: {reduced}): {:.1} ms/s all tasks, {:.1} style + layout, {:.1} script",
                    page.label(),
                    row.task,
                    row.style_layout,
                    row.script
                );
                rows.push(row);
            }
        }
        Ok::<_, String>(rows)
    }
    .await;
    browser.close().await;
    drop(server);
    let rows = outcome?;
    let text = section(&rows, &date, &command);
    print!("{text}");
    if let Some(path) = markdown {
        let existing = std::fs::read_to_string(&path).unwrap_or_default();
        std::fs::write(&path, splice::splice(&existing, SECTION, &text))
            .map_err(|e| format!("write {}: {e}", path.display()))?;
    }
    Ok(())
}
