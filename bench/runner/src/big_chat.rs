//! `rill-bench big-chat` (bench/big-chat): a conversation of 10,000 messages in the app, in
//! headless Chromium — how long it takes to open, the main-thread time that costs, and
//! whether typing and scrolling stay smooth. Written to BENCHMARKS.md under
//! "## Big conversation".
//!
//! The library (`rill_e2e::big_chat`) is stored in localStorage once; each run is a fresh
//! page load of the chat view, which opens the newest conversation by itself:
//! - *open*: navigation start → the first animation frame in which the last message is in
//!   the DOM with state `done`, its text, inside the scroll viewport (`bench/chat/big.js`);
//!   *open, painted*: `setTimeout 0` after that frame.
//! - *main thread to open*: `Performance.getMetrics` `TaskDuration` (and its script, style
//!   and layout parts) from before the navigation to *open, painted*.
//! - *typing*: 30 characters typed into the chat input through WebDriver (real key events);
//!   per key, keydown's `timeStamp` → `setTimeout 0` after the next animation frame; and
//!   Event Timing entries of 16 ms or more.
//! - *scrolling*: scroll to the top, then from the top to the bottom in 240 animation frames
//!   (each frame sets `scrollTop` one step further); frame intervals, frames over 25 ms (at
//!   60 Hz one dropped frame or more), `long-animation-frame` entries during the scroll.
//!
//! One warm-up run, then `--runs` (default 3); medians.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use fantoccini::wd::TimeoutConfiguration;
use fantoccini::{Client, Locator};
use rill_e2e::{big_chat, Browser, RillServer};
use serde_json::{json, Value};

use crate::chat::{bounded, cdp, metrics};
use crate::{machine, splice};

const SECTION: &str = "## Big conversation";
const BIG_JS: &str = include_str!("../../chat/big.js");
const STEP: Duration = Duration::from_secs(120);
const TYPED: &str = "Is the river longer in spring?";
const SCROLL_FRAMES: u32 = 5000;
const SCROLL_STEP_PX: u32 = 4000;
/// A hand's pace: 100 px a frame (6,000 px/s at 60 Hz, a brisk wheel or trackpad scroll),
/// for this many frames (5 s at 60 Hz), from the last message up.
const HAND_STEP_PX: u32 = 100;
const HAND_FRAMES: u32 = 300;
const GOAL_OPEN_MS: f64 = 1000.0;

const SETTLE_JS: &str = "return new Promise((resolve) => {
    const idle = () => requestIdleCallback(() => resolve(true), { timeout: 3000 });
    requestAnimationFrame(() => requestAnimationFrame(idle));
});";

/// Resolves once `window.__big.openPaint` is set (or after `arguments[0]` ms with false).
const OPENED_JS: &str = "const limit = arguments[0]; return new Promise((resolve) => {
    const t0 = performance.now();
    const check = () => {
        if (window.__big && window.__big.openPaint !== null) resolve(true);
        else if (performance.now() - t0 > limit) resolve(false);
        else setTimeout(check, 20);
    };
    check();
});";

/// Per key: keydown timeStamp → setTimeout 0 after the next animation frame.
const KEYS_JS: &str = "window.__keys = [];
if (!window.__keysOn) window.__keysOn = document.addEventListener('keydown', (e) => {
    const t = e.timeStamp;
    requestAnimationFrame(() => setTimeout(() => window.__keys.push(performance.now() - t), 0));
}, { capture: true });
return true;";

/// From the bottom, scroll up `arguments[1]` px per animation frame (a fast fling: the log
/// brings in earlier messages as it nears their top) until the first message is on screen,
/// at most `arguments[0]` frames or 30 s; resolves with the frame intervals and long frames.
const SCROLL_JS: &str = "const limit = arguments[0], step = arguments[1], first = arguments[2];
return new Promise((resolve) => {
    const sc = document.querySelector('.rill-chat-scroll');
    const log = document.querySelector('[data-testid=chat-log]');
    const big = window.__big;
    const firstShown = () => {
        const m = log.querySelector('article [data-testid=message]');
        if (!m || m.textContent.trim() !== first) return false;
        const r = m.getBoundingClientRect(), s = sc.getBoundingClientRect();
        return r.bottom > s.top && r.top < s.bottom;
    };
    const start = performance.now();
    const loafBefore = big.frames.length;
    const stamps = [];
    const step1 = (ts) => {
        stamps.push(ts);
        if (firstShown() || stamps.length > limit || performance.now() - start > 30000) {
            const gaps = stamps.slice(1).map((t, k) => t - stamps[k]);
            const loaf = big.frames.slice(loafBefore).filter((f) => f[0] >= start);
            resolve({ firstShown: firstShown(), gaps, loaf, ms: performance.now() - start,
                rendered: log.querySelectorAll('[data-testid=message]').length });
            return;
        }
        sc.scrollTop = Math.max(0, sc.scrollTop - step);
        requestAnimationFrame(step1);
    };
    requestAnimationFrame(step1);
});";

struct Args {
    www: PathBuf,
    runs: usize,
    messages: usize,
    json: Option<PathBuf>,
    markdown: Option<PathBuf>,
    date: String,
    command: String,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let (mut www, mut runs, mut messages) = (None, 3, 10_000);
    let (mut json, mut markdown) = (None, None);
    let (mut date, mut command) = (String::from("unknown date"), String::from("./x bench"));
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        let number = |v: String| {
            v.parse::<usize>()
                .map_err(|_| format!("{flag} {v}: not a whole number"))
        };
        match flag.as_str() {
            "--www" => www = Some(PathBuf::from(value()?)),
            "--runs" => runs = number(value()?)?.max(1),
            "--messages" => messages = number(value()?)?.max(2),
            "--json" => json = Some(PathBuf::from(value()?)),
            "--markdown" => markdown = Some(PathBuf::from(value()?)),
            "--date" => date = value()?,
            "--command" => command = value()?,
            other => return Err(format!("big-chat: unknown argument {other:?}")),
        }
    }
    Ok(Args {
        www: www.ok_or("big-chat: --www DIR is required (the app's dist)")?,
        runs,
        messages,
        json,
        markdown,
        date,
        command,
    })
}

/// One run (ms).
#[derive(Debug, Clone, Default)]
struct Run {
    warmup: bool,
    open: f64,
    open_paint: f64,
    task: f64,
    script: f64,
    style_layout: f64,
    long_tasks: usize,
    longest_task: f64,
    key_median: f64,
    key_max: f64,
    slow_events: usize,
    slowest_event: f64,
    slowest_handler: f64,
    rendered_open: u64,
    scroll_ms: f64,
    scroll_frames: usize,
    rendered_after: u64,
    key_after_median: f64,
    key_after_max: f64,
    handler_after_max: f64,
    first_shown: bool,
    frame_median: f64,
    frame_p95: f64,
    frame_max: f64,
    frames_over_25: usize,
    scroll_loafs: usize,
    scroll_loaf_max: f64,
    hand_frame_median: f64,
    hand_frame_p95: f64,
    hand_over_25: usize,
    hand_loafs: usize,
    hand_rendered: u64,
}

impl Run {
    fn to_json(&self) -> Value {
        json!({
            "warmup": self.warmup, "open_ms": self.open, "open_paint_ms": self.open_paint,
            "task_ms": self.task, "script_ms": self.script, "style_layout_ms": self.style_layout,
            "long_tasks": self.long_tasks, "longest_task_ms": self.longest_task,
            "key_median_ms": self.key_median, "key_max_ms": self.key_max,
            "slow_events": self.slow_events, "slowest_event_ms": self.slowest_event, "slowest_handler_ms": self.slowest_handler,
            "rendered_at_open": self.rendered_open, "scroll_ms": self.scroll_ms, "scroll_frames": self.scroll_frames,
            "rendered_after_scroll": self.rendered_after, "first_shown": self.first_shown,
            "hand_frame_median_ms": self.hand_frame_median, "hand_frame_p95_ms": self.hand_frame_p95,
            "hand_frames_over_25": self.hand_over_25, "hand_long_frames": self.hand_loafs, "hand_rendered": self.hand_rendered,
            "key_after_scroll_median_ms": self.key_after_median, "key_after_scroll_max_ms": self.key_after_max, "handler_after_scroll_max_ms": self.handler_after_max,
            "frame_median_ms": self.frame_median, "frame_p95_ms": self.frame_p95,
            "frame_max_ms": self.frame_max, "frames_over_25ms": self.frames_over_25,
            "scroll_long_frames": self.scroll_loafs, "scroll_longest_frame_ms": self.scroll_loaf_max,
        })
    }
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

fn quantile(xs: &[f64], q: f64) -> f64 {
    let mut v: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let i = ((v.len() - 1) as f64 * q).round() as usize;
    v[i.min(v.len() - 1)]
}

fn median(xs: &[f64]) -> f64 {
    quantile(xs, 0.5)
}

async fn exec(c: &Client, what: &str, script: &str, args: Vec<Value>) -> Result<Value, String> {
    bounded(what, STEP, c.execute(script, args)).await
}

fn delta(
    before: &HashMap<String, f64>,
    after: &HashMap<String, f64>,
    names: &[&str],
) -> (f64, bool) {
    // A navigation that changed renderer process starts the counters again.
    let sum = |m: &HashMap<String, f64>| {
        names
            .iter()
            .map(|n| m.get(*n).copied().unwrap_or(0.0))
            .sum::<f64>()
    };
    let (b, a) = (sum(before), sum(after));
    if a >= b {
        ((a - b) * 1000.0, false)
    } else {
        (a * 1000.0, true)
    }
}

/// Types [`TYPED`] into the (emptied) chat input; per-key latencies and Event Timing
/// durations of 16 ms or more.
async fn typing(c: &Client) -> Result<(Vec<f64>, Vec<(f64, f64)>), String> {
    exec(c, "key listener", KEYS_JS, vec![]).await?;
    let input = bounded(
        "find the chat input",
        STEP,
        c.find(Locator::Css(r#"[data-testid="chat-input"]"#)),
    )
    .await?;
    bounded("empty the input", STEP, input.clear()).await?;
    bounded("focus the input", STEP, input.click()).await?;
    exec(c, "settle", SETTLE_JS, vec![]).await?;
    exec(
        c,
        "key listener",
        "window.__keys = []; return true;",
        vec![],
    )
    .await?;
    let events_before = exec(c, "events", "return window.__big.events.length;", vec![]).await?;
    bounded("type", STEP, input.send_keys(TYPED)).await?;
    exec(c, "settle", SETTLE_JS, vec![]).await?;
    let keys = exec(c, "key latencies", "return window.__keys;", vec![]).await?;
    let keys: Vec<f64> = keys.as_array().into_iter().flatten().map(f).collect();
    let events = exec(
        c,
        "event timing",
        "return window.__big.events.slice(arguments[0]).filter((e) => e[0] !== 'click' && !e[0].startsWith('pointer') && !e[0].startsWith('mouse'));",
        vec![events_before],
    )
    .await?;
    let events: Vec<(f64, f64)> = events
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| (f(&e[2]), f(&e[3])))
        .collect();
    let value = exec(
        c,
        "input value",
        "return document.querySelector('[data-testid=chat-input]').value;",
        vec![],
    )
    .await?;
    if value.as_str() != Some(TYPED) {
        return Err(format!("the input holds {value}, not what was typed"));
    }
    Ok((keys, events))
}

async fn one_run(
    c: &Client,
    url: &str,
    big: &big_chat::BigChat,
    warmup: bool,
) -> Result<Run, String> {
    cdp(c, "Performance.enable", json!({})).await?;
    let before = metrics(c).await?;
    bounded("open the chat view", STEP, c.goto(url)).await?;
    let opened = exec(
        c,
        "wait for the last message",
        OPENED_JS,
        vec![json!(30_000)],
    )
    .await?;
    if opened != json!(true) {
        return Err("the last message was not shown within 30 s".into());
    }
    cdp(c, "Performance.enable", json!({})).await?;
    let after = metrics(c).await?;
    let (task, reset) = delta(&before, &after, &["TaskDuration"]);
    let (script, _) = delta(&before, &after, &["ScriptDuration"]);
    let (style_layout, _) = delta(&before, &after, &["RecalcStyleDuration", "LayoutDuration"]);
    if reset {
        eprintln!("  (the navigation started a new renderer: its counters from zero)");
    }
    let big_state = exec(c, "read the open figures", "return window.__big;", vec![]).await?;
    let open = f(&big_state["open"]);
    let open_paint = f(&big_state["openPaint"]);
    let count = exec(
        c,
        "count messages",
        "return document.querySelectorAll('[data-testid=chat-log] [data-testid=message]').length;",
        vec![],
    )
    .await?;
    let rendered_open = count.as_u64().unwrap_or(0);
    if rendered_open == 0 {
        return Err("the log shows no messages".into());
    }
    let tasks: Vec<(f64, f64)> = big_state["longTasks"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| (f(&t[0]), f(&t[1])))
        .filter(|(s, _)| *s <= open_paint)
        .collect();
    exec(c, "settle", SETTLE_JS, vec![]).await?;

    let (keys, events) = typing(c).await?;

    // Scrolling at a hand's pace, from the last message up (no message text ends it).
    let hand = exec(
        c,
        "scroll at a hand's pace",
        SCROLL_JS,
        vec![json!(HAND_FRAMES), json!(HAND_STEP_PX), json!("\u{0}")],
    )
    .await?;
    let hand_gaps: Vec<f64> = hand["gaps"]
        .as_array()
        .into_iter()
        .flatten()
        .map(f)
        .collect();
    let hand_loafs = hand["loaf"].as_array().map_or(0, Vec::len);
    exec(c, "settle", SETTLE_JS, vec![]).await?;

    // Scrolling: the fling to the first message.
    let s = exec(
        c,
        "scroll",
        SCROLL_JS,
        vec![
            json!(SCROLL_FRAMES),
            json!(SCROLL_STEP_PX),
            json!(big.first),
        ],
    )
    .await?;
    exec(c, "settle", SETTLE_JS, vec![]).await?;
    let (keys_after, events_after) = typing(c).await?;
    let gaps: Vec<f64> = s["gaps"].as_array().into_iter().flatten().map(f).collect();
    let loaf: Vec<f64> = s["loaf"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|l| f(&l[1]))
        .collect();
    Ok(Run {
        warmup,
        open,
        open_paint,
        task,
        script,
        style_layout,
        long_tasks: tasks.len(),
        longest_task: tasks.iter().map(|t| t.1).fold(0.0, f64::max),
        key_median: median(&keys),
        key_max: keys.iter().copied().fold(0.0, f64::max),
        slow_events: events.len(),
        slowest_event: events.iter().map(|e| e.0).fold(0.0, f64::max),
        slowest_handler: events.iter().map(|e| e.1).fold(0.0, f64::max),
        rendered_open,
        scroll_ms: f(&s["ms"]),
        scroll_frames: gaps.len(),
        rendered_after: s["rendered"].as_u64().unwrap_or(0),
        key_after_median: median(&keys_after),
        key_after_max: keys_after.iter().copied().fold(0.0, f64::max),
        handler_after_max: events_after.iter().map(|e| e.1).fold(0.0, f64::max),
        first_shown: s["firstShown"] == json!(true),
        frame_median: median(&gaps),
        frame_p95: quantile(&gaps, 0.95),
        frame_max: gaps.iter().copied().fold(0.0, f64::max),
        frames_over_25: gaps.iter().filter(|g| **g > 25.0).count(),
        scroll_loafs: loaf.len(),
        scroll_loaf_max: loaf.iter().copied().fold(0.0, f64::max),
        hand_frame_median: median(&hand_gaps),
        hand_frame_p95: quantile(&hand_gaps, 0.95),
        hand_over_25: hand_gaps.iter().filter(|g| **g > 25.0).count(),
        hand_loafs,
        hand_rendered: hand["rendered"].as_u64().unwrap_or(0),
    })
}

fn ms(x: f64) -> String {
    if !x.is_finite() {
        "—".into()
    } else if x >= 100.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

fn print_run(r: &Run) {
    eprintln!(
        "  {}open {} ms (painted {}), main thread {} ms (script {}, style+layout {}), long tasks {} (max {}), key→frame median {} max {}, scroll frames median {} p95 {} max {} (>25 ms: {}), long frames {}",
        if r.warmup { "warm-up: " } else { "" },
        ms(r.open), ms(r.open_paint), ms(r.task), ms(r.script), ms(r.style_layout),
        r.long_tasks, ms(r.longest_task), ms(r.key_median), ms(r.key_max),
        ms(r.frame_median), ms(r.frame_p95), ms(r.frame_max), r.frames_over_25, r.scroll_loafs,
    );
}

/// A table row: its label and how to read it from a run.
type Figure = (&'static str, fn(&Run) -> f64);

fn section(args: &Args, big: &big_chat::BigChat, chromium: &str, runs: &[Run]) -> String {
    let m = machine();
    let measured: Vec<&Run> = runs.iter().filter(|r| !r.warmup).collect();
    let med = |g: fn(&Run) -> f64| median(&measured.iter().map(|r| g(r)).collect::<Vec<_>>());
    let mut s = String::new();
    let _ = writeln!(s, "{SECTION}\n");
    let _ = writeln!(s, "<!-- Written by `./x bench` (bench/big-chat, rill-bench big-chat); rerun it rather than editing. -->\n");
    let _ = writeln!(
        s,
        "- Date: {} · machine: {} cores, {} · {chromium} (headless, 1280×900 window) · rustc {}",
        args.date, m.cores, m.cpu, m.rustc
    );
    let busy = m
        .busy
        .map_or("unknown".to_string(), |b| format!("{:.0} %", b * 100.0));
    let _ = writeln!(s, "- Other load just before the runs: {busy} of all CPU time busy over 1 s, 1-min load average {}", m.load);
    let _ = writeln!(s, "- Command: `{}`", args.command);
    let _ = writeln!(
        s,
        "- Workload: one stored conversation of {} messages (alternating question / reply; {} characters of text, {} bytes of stored JSON; replies are markdown with lists, headings, code and tables), generated by `rill_e2e::big_chat` and put in localStorage; the release build at `?view=chat`, which opens it on load.",
        big.messages, big.text_chars, big.json.len()
    );
    let _ = writeln!(
        s,
        "- Method (`bench/runner/src/big_chat.rs`, `bench/chat/big.js`): *open* is navigation start → the first animation frame in which the last message is in the log with `data-state=\"done\"`, its text, inside the scroll viewport; *painted* is `setTimeout 0` after that frame. *Main thread* is `Performance.getMetrics` `TaskDuration` (script: `ScriptDuration`; style + layout: `RecalcStyleDuration + LayoutDuration`) from before the navigation to *painted*. *Typing*: {} characters sent to the chat input through WebDriver; per key, keydown's `timeStamp` → `setTimeout 0` after the next animation frame; *slow events* are Event Timing entries of 16 ms or more (the key → paint time as the browser counts it; WebDriver's key delivery alone makes most keys count, as a 2-message conversation shows), their *handler time* `processingEnd - processingStart` the app's own work per event. *Scrolling at a hand's pace*: from the last message up, {HAND_STEP_PX} px per animation frame for {HAND_FRAMES} frames (a brisk wheel or trackpad scroll). *Scrolling* (the fling): then on up to the first message at {SCROLL_STEP_PX} px per animation frame (far faster than a hand: at 4,000 px a frame every frame shows only messages never shown before, about 30 of them, so it measures the worst case, not what a reader meets), one `scrollTop` step per frame until the first message is on screen or for at most 30 s; frame intervals, intervals over 25 ms (a dropped frame at 60 Hz), `long-animation-frame` entries (> 50 ms). Typing is measured again once the scroll has ended. One warm-up run, then {} runs; medians.\n",
        TYPED.chars().count(), measured.len()
    );
    let _ = writeln!(
        s,
        "| median of {} runs | value |\n|---|---:|",
        measured.len()
    );
    let rows: [Figure; 27] = [
        ("**navigation → last message shown, ms**", |r| r.open),
        ("navigation → that frame painted, ms", |r| r.open_paint),
        ("**main-thread time to open (all tasks), ms**", |r| r.task),
        ("of it: script, ms", |r| r.script),
        ("of it: style + layout, ms", |r| r.style_layout),
        ("**long tasks (> 50 ms) while opening**", |r| {
            r.long_tasks as f64
        }),
        ("longest task while opening, ms", |r| r.longest_task),
        ("messages in the page once open", |r| r.rendered_open as f64),
        ("**typing: key → next frame, median, ms**", |r| {
            r.key_median
        }),
        ("typing: key → next frame, slowest key, ms", |r| r.key_max),
        ("typing: Event Timing entries ≥ 16 ms", |r| {
            r.slow_events as f64
        }),
        (
            "typing: longest event handler time (Event Timing), ms",
            |r| r.slowest_handler,
        ),
        (
            "**scrolling at a hand's pace (100 px a frame): frame interval, median, ms**",
            |r| r.hand_frame_median,
        ),
        ("scrolling at a hand's pace: frame interval p95, ms", |r| {
            r.hand_frame_p95
        }),
        ("**scrolling at a hand's pace: frames over 25 ms**", |r| {
            r.hand_over_25 as f64
        }),
        (
            "scrolling at a hand's pace: long animation frames (> 50 ms)",
            |r| r.hand_loafs as f64,
        ),
        ("messages in the page after it", |r| r.hand_rendered as f64),
        (
            "**fling (4000 px a frame) up to the first message, ms**",
            |r| r.scroll_ms,
        ),
        ("scrolling: frames", |r| r.scroll_frames as f64),
        ("**scrolling: frame interval, median, ms**", |r| {
            r.frame_median
        }),
        ("scrolling: frame interval p95, ms", |r| r.frame_p95),
        ("**scrolling: frames over 25 ms**", |r| {
            r.frames_over_25 as f64
        }),
        ("scrolling: long animation frames (> 50 ms)", |r| {
            r.scroll_loafs as f64
        }),
        ("messages in the page after the scroll", |r| {
            r.rendered_after as f64
        }),
        (
            "**typing after the scroll: key → next frame, median, ms**",
            |r| r.key_after_median,
        ),
        ("typing after the scroll: slowest key, ms", |r| {
            r.key_after_max
        }),
        (
            "typing after the scroll: longest event handler time, ms",
            |r| r.handler_after_max,
        ),
    ];
    for (label, g) in rows {
        let v = med(g);
        let _ = writeln!(s, "| {} | {} |", label, ms(v));
    }
    let open = med(|r| r.open_paint);
    let all_first = measured.iter().all(|r| r.first_shown);
    let _ = writeln!(
        s,
        "\nGoal (issue #13): opens in under a second: **{}** — median {} ms to the painted frame, worst {} ms. Every run scrolled up to the first message within 30 s: {}.\n",
        if open < GOAL_OPEN_MS { "met" } else { "not met" },
        ms(open),
        ms(measured.iter().map(|r| r.open_paint).fold(0.0, f64::max)),
        if all_first { "yes" } else { "no" },
    );
    let _ = writeln!(s, "<details><summary>Every run (ms)</summary>\n");
    let _ = writeln!(s, "| # | open | painted | main thread | script | style + layout | long tasks (longest) | key median / max | scroll up: ms, frames | frame median / p95 / max | > 25 ms | long frames (longest) | key after scroll median / max |");
    let _ = writeln!(
        s,
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for (i, r) in runs.iter().enumerate() {
        let _ =
            writeln!(
            s,
            "| {}{} | {} | {} | {} | {} | {} | {} ({}) | {} / {} | {}, {} | {} / {} / {} | {} | {} ({}) | {} / {} |",
            i + 1, if r.warmup { " (warm-up)" } else { "" },
            ms(r.open), ms(r.open_paint), ms(r.task), ms(r.script), ms(r.style_layout),
            r.long_tasks, ms(r.longest_task), ms(r.key_median), ms(r.key_max),
            ms(r.scroll_ms), r.scroll_frames,
            ms(r.frame_median), ms(r.frame_p95), ms(r.frame_max), r.frames_over_25,
            r.scroll_loafs, ms(r.scroll_loaf_max), ms(r.key_after_median), ms(r.key_after_max),
        );
    }
    let _ = writeln!(s, "\n</details>");
    s
}

/// `rill-bench big-chat ARGS…`
pub async fn main(args: impl Iterator<Item = String>) -> Result<(), String> {
    let args = parse_args(args)?;
    let www = args.www.to_str().ok_or("--www: not UTF-8")?.to_string();
    let big = big_chat::library(args.messages);
    eprintln!(
        "rill-bench big-chat: {} messages ({} bytes stored), 1 warm-up + {} runs",
        big.messages,
        big.json.len(),
        args.runs
    );
    let server = RillServer::start("127.0.0.1:0", &["--dist", &www]);
    let browser = Browser::start().await;
    let url = format!("{}/?view=chat&format=openai&lang=en", server.url);
    let outcome = async {
        let c = &browser.client;
        bounded(
            "set the script timeout",
            STEP,
            c.update_timeouts(TimeoutConfiguration::new(Some(STEP), None, None)),
        )
        .await?;
        bounded("open the app", STEP, c.goto(&url)).await?;
        let stored = exec(
            c,
            "store the library",
            "localStorage.clear(); localStorage.setItem(arguments[0], arguments[1]); return localStorage.getItem(arguments[0]).length;",
            vec![json!(big_chat::STORAGE_KEY), json!(big.json)],
        )
        .await?;
        if stored.as_u64() != Some(big.json.len() as u64) {
            return Err(format!("localStorage kept {stored} characters of {}", big.json.len()));
        }
        let last = serde_json::to_string(&big.last).map_err(|e| e.to_string())?;
        cdp(
            c,
            "Page.addScriptToEvaluateOnNewDocument",
            json!({ "source": BIG_JS.replace("__BIG_LAST__", &last) }),
        )
        .await?;
        let mut runs = Vec::new();
        let started = Instant::now();
        for i in 0..=args.runs {
            let run = one_run(c, &url, &big, i == 0).await?;
            print_run(&run);
            runs.push(run);
            if started.elapsed() > Duration::from_secs(600) {
                return Err("the runs took over 10 minutes".into());
            }
        }
        let version = cdp(c, "Browser.getVersion", json!({})).await?;
        let chromium = version["product"]
            .as_str()
            .and_then(|p| p.split_once('/'))
            .map_or("Chromium".to_string(), |(_, v)| format!("Chromium {v}"));
        Ok((runs, chromium))
    }
    .await;
    browser.close().await;
    drop(server);
    let (runs, chromium) = outcome?;
    let text = section(&args, &big, &chromium, &runs);
    println!("{text}");
    if let Some(path) = &args.json {
        let all = json!({ "messages": big.messages, "stored_bytes": big.json.len(), "runs": runs.iter().map(Run::to_json).collect::<Vec<_>>() });
        let body = serde_json::to_string_pretty(&all).map_err(|e| e.to_string())?;
        std::fs::write(path, body + "\n").map_err(|e| format!("{}: {e}", path.display()))?;
    }
    if let Some(path) = &args.markdown {
        let existing = std::fs::read_to_string(path).unwrap_or_default();
        let updated = splice::splice(&existing, SECTION, &text);
        std::fs::write(path, updated).map_err(|e| format!("{}: {e}", path.display()))?;
        eprintln!("rill-bench big-chat: updated {}", path.display());
    }
    Ok(())
}
