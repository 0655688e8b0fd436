//! `rill-bench chat`: the chat streaming-render benchmark (called by `bench/chat-render`).
//!
//! One long reply (`[[long:N]]`, 20,000 tokens of markdown by default) streamed by
//! `rill-server --rate 0` (as fast as it can send) to two pages in the same headless
//! Chromium, one run after the other:
//!
//! - the app's chat view (`/?view=chat&format=openai&lang=en`): the prompt is typed into the
//!   chat input and the send button clicked; the reply is the last assistant message, whose
//!   `data-state` becomes `done` once the DOM shows all of it;
//! - `bench/chat/plain.html`, the plain-JS baseline (fetch + TextDecoder + `textContent`),
//!   staged by `bench/chat-render` into a copy of the app's dist folder so both pages and the
//!   API share one origin.
//!
//! Per run: a fresh page load with empty localStorage, a settle (two frames and an idle
//! callback), then `bench/chat/measure.js` is installed (long tasks, long animation frames,
//! resource timing of the request, the final paint after `data-state` leaves `streaming`).
//! Through chromedriver's DevTools Protocol endpoint, a V8 CPU profile covers the run (script
//! time: JS, wasm, the built-ins and DOM calls they make, GC) and `Performance.getMetrics` is
//! read before and after it (style + layout and all task time of the main thread; its
//! `ScriptDuration` misses promise continuations such as a fetch reader loop, so it is kept
//! in the JSON only). What each page received is checked against the demo model's reply.
//! One warm-up run per page, then `--runs` rounds that alternate which page goes first; the
//! report gives medians and writes the "## Chat streaming render" section of BENCHMARKS.md.
//!
//! With `--rate R` the server paces the reply at R tokens a second (`rill-server --rate R`,
//! as a model streams; `bench/chat-render` runs 1,000 tokens at 100 tokens/s, a 10 s reply)
//! and the section is "## Chat streaming render at R tokens/s": there the question is what
//! the page costs per token while it waits, not how fast it catches up.
//!
//! ```text
//! rill-bench chat --www DIR [--runs N] [--tokens N] [--rate R] [--json FILE] [--markdown FILE]
//!                 [--date YYYY-MM-DD] [--command CMD] [--run-timeout SECS] [--budget SECS]
//! ```

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use fantoccini::wd::{TimeoutConfiguration, WebDriverCompatibleCommand};
use fantoccini::{Client, Locator};
use rill_e2e::{Browser, RillServer};
use rill_server::chat::demo;
use serde_json::{json, Value};

use crate::{chromium_version, machine, splice, Machine, BUSY};

const SECTION: &str = "## Chat streaming render";

/// The section a run writes: the full-speed one, or one per pace.
fn section_title(rate: usize) -> String {
    if rate == 0 {
        SECTION.to_string()
    } else {
        format!("{SECTION} at {rate} tokens/s")
    }
}
const API_PATH: &str = "/v1/chat/completions";
/// The app's storage key for conversations (`src/chat/store.rs`).
const APP_STORAGE_KEY: &str = "rill.chat.v1";
const APP_REPLY: &str = r#"[data-testid="message"][data-role="assistant"]"#;
const APP_INPUT: &str = r#"[data-testid="chat-input"]"#;
const APP_SEND: &str = r#"[data-testid="chat-send"]"#;
const PLAIN_REPLY: &str = "#out";
/// The in-page half of the measurement.
const MEASURE_JS: &str = include_str!("../../chat/measure.js");
/// Resolves once the page has loaded, drawn two frames and had an idle moment.
const SETTLE_JS: &str = "return new Promise((resolve) => {
    const idle = () => requestIdleCallback(() => resolve(true), { timeout: 2000 });
    const frames = () => requestAnimationFrame(() => requestAnimationFrame(idle));
    if (document.readyState === 'complete') frames();
    else addEventListener('load', frames, { once: true });
});";
/// The CPU profiler's sampling interval, µs: fine enough for tasks of a few ms, coarse
/// enough to keep the profile of a few seconds small and its overhead low.
const PROFILE_INTERVAL_US: u64 = 200;
/// Bound for page loads, element waits and single WebDriver calls.
const STEP: Duration = Duration::from_secs(20);

const GOAL_LONG_TASK_MS: f64 = 50.0;
const GOAL_SCRIPT_RATIO: f64 = 1.5;
const GOAL_PAINT_MS: f64 = 100.0;

struct Args {
    www: PathBuf,
    runs: usize,
    tokens: usize,
    /// Tokens a second the server sends (0: as fast as it can).
    rate: usize,
    json: Option<PathBuf>,
    markdown: Option<PathBuf>,
    date: String,
    command: String,
    run_timeout: Duration,
    /// Bound for all runs together (page loads included).
    budget: Duration,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut www = None;
    let mut runs = 5;
    let mut tokens = 20_000;
    let mut rate = 0;
    let mut budget_set = false;
    let mut json = None;
    let mut markdown = None;
    let mut date = String::from("unknown date");
    let mut command = String::from("./x bench");
    let mut run_timeout = Duration::from_secs(60);
    let mut budget = Duration::from_secs(180);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        let number = |v: String| {
            v.parse::<usize>()
                .map_err(|_| format!("{flag} {v}: not a whole number"))
        };
        match flag.as_str() {
            "--www" => www = Some(PathBuf::from(value()?)),
            "--runs" => runs = number(value()?)?.max(1),
            "--tokens" => tokens = number(value()?)?.max(1),
            "--rate" => rate = number(value()?)?,
            "--json" => json = Some(PathBuf::from(value()?)),
            "--markdown" => markdown = Some(PathBuf::from(value()?)),
            "--date" => date = value()?,
            "--command" => command = value()?,
            "--run-timeout" => run_timeout = Duration::from_secs(number(value()?)? as u64),
            "--budget" => {
                budget = Duration::from_secs(number(value()?)? as u64);
                budget_set = true;
            }
            other => return Err(format!("chat: unknown argument {other:?}")),
        }
    }
    if rate > 0 && !budget_set {
        // Each run lasts the reply's own time: warm-ups and runs of both pages, with room.
        let reply = Duration::from_secs((tokens / rate) as u64 + 10);
        budget = budget.max(reply * (2 * runs as u32 + 2));
    }
    Ok(Args {
        www: www.ok_or("chat: --www DIR is required (the app's dist plus plain.html)")?,
        runs,
        tokens,
        rate,
        json,
        markdown,
        date,
        command,
        run_timeout,
        budget,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Page {
    App,
    Plain,
}

impl Page {
    fn key(self) -> &'static str {
        match self {
            Page::App => "app",
            Page::Plain => "plain",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Page::App => "rill app",
            Page::Plain => "plain JS",
        }
    }

    fn reply_selector(self) -> &'static str {
        match self {
            Page::App => APP_REPLY,
            Page::Plain => PLAIN_REPLY,
        }
    }
}

/// One measured run of one page. Times in milliseconds.
#[derive(Debug, Clone)]
struct Run {
    page: Page,
    warmup: bool,
    /// Resource timing: request start → last byte (responseEnd).
    stream_ms: f64,
    /// Request start → first byte (responseStart).
    first_byte_ms: f64,
    /// Last byte → `data-state` left `streaming`.
    done_after_last_byte_ms: f64,
    /// Last byte → the frame after that (see measure.js).
    paint_after_last_byte_ms: f64,
    /// Main-thread time running script (JS, wasm, the built-ins and DOM calls they make,
    /// garbage collection), from the CPU profile of the run (start → final paint).
    script_ms: f64,
    /// The CPU profile's breakdown.
    profile: CpuProfile,
    /// DevTools `Performance.getMetrics` deltas over the run: `ScriptDuration` (which misses
    /// promise continuations, so it is kept for reference only), `TaskDuration` and
    /// `RecalcStyleDuration + LayoutDuration`.
    script_metric_ms: f64,
    task_ms: f64,
    style_layout_ms: f64,
    /// (start relative to the request start, duration) of each long task.
    long_tasks: Vec<(f64, f64)>,
    /// Long tasks that started after the last byte.
    long_tasks_after_last_byte: usize,
    /// Long animation frames (> 50 ms), summed.
    long_frames: LongFrames,
    /// measure.js's record of each of them.
    long_frame_entries: Value,
    body_bytes: u64,
    /// UTF-16 length of the reply text the page holds (the app: its saved conversation).
    reply_chars: usize,
    state: String,
}

impl Run {
    fn longest_task_ms(&self) -> f64 {
        self.long_tasks.iter().map(|t| t.1).fold(0.0, f64::max)
    }

    fn to_json(&self) -> Value {
        json!({
            "page": self.page.key(), "warmup": self.warmup,
            "stream_ms": self.stream_ms, "first_byte_ms": self.first_byte_ms,
            "done_after_last_byte_ms": self.done_after_last_byte_ms,
            "paint_after_last_byte_ms": self.paint_after_last_byte_ms,
            "script_ms": self.script_ms, "profile": self.profile.to_json(),
            "script_duration_metric_ms": self.script_metric_ms, "task_ms": self.task_ms,
            "style_layout_ms": self.style_layout_ms,
            "long_tasks": self.long_tasks.iter().map(|t| json!({"start_ms": t.0, "duration_ms": t.1})).collect::<Vec<_>>(),
            "long_tasks_after_last_byte": self.long_tasks_after_last_byte,
            "long_frames": self.long_frames.to_json(),
            "long_frame_entries": self.long_frame_entries,
            "longest_task_ms": self.longest_task_ms(),
            "body_bytes": self.body_bytes, "reply_chars": self.reply_chars, "state": self.state,
        })
    }
}

/// The long animation frames of a run (or of several), summed (ms).
#[derive(Debug, Clone, Default)]
struct LongFrames {
    count: usize,
    duration_ms: f64,
    /// Scripts of 5 ms or more that ran in them (Chromium lists no shorter ones).
    script_ms: f64,
    /// Style and layout forced by those scripts (part of `script_ms`).
    forced_ms: f64,
    /// The frames' own style, layout and paint (from `styleAndLayoutStart` to the end; the
    /// animation-frame callbacks before it are scripts).
    render_ms: f64,
}

impl LongFrames {
    fn from_entries(entries: &Value) -> LongFrames {
        let mut out = LongFrames::default();
        for e in entries.as_array().into_iter().flatten() {
            out.count += 1;
            out.duration_ms += f(&e["duration"]);
            out.script_ms += f(&e["script"]);
            out.forced_ms += f(&e["forcedStyleAndLayout"]);
            out.render_ms += f(&e["styleAndLayout"]);
        }
        out
    }

    fn add(&mut self, other: &LongFrames) {
        self.count += other.count;
        self.duration_ms += other.duration_ms;
        self.script_ms += other.script_ms;
        self.forced_ms += other.forced_ms;
        self.render_ms += other.render_ms;
    }

    fn to_json(&self) -> Value {
        json!({
            "count": self.count, "duration_ms": self.duration_ms, "script_ms": self.script_ms,
            "forced_style_layout_ms": self.forced_ms, "render_ms": self.render_ms,
        })
    }

    /// "N frames, X ms: scripts a % (forced style and layout b %), style, layout and paint
    /// c %, other d %".
    fn describe(&self) -> String {
        if self.count == 0 {
            return "none".into();
        }
        let pct = |x: f64| format!("{:.0} %", 100.0 * x / self.duration_ms);
        let other = (self.duration_ms - self.script_ms - self.render_ms).max(0.0);
        format!(
            "{} frame(s), {} ms: scripts {} (of which forced style and layout {}), the frames' \
             style, layout and paint {}, other {}",
            self.count,
            ms(self.duration_ms),
            pct(self.script_ms),
            pct(self.forced_ms),
            pct(self.render_ms),
            pct(other),
        )
    }
}

/// `POST /session/{id}/goog/cdp/execute`: one DevTools Protocol command through chromedriver.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        let session = session_id.ok_or(url::ParseError::EmptyHost)?;
        base_url.join(&format!("session/{session}/goog/cdp/execute"))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({"cmd": self.cmd, "params": self.params}).to_string();
        (http::Method::POST, Some(body))
    }
}

/// Where a run's main-thread time went, from a V8 CPU profile (ms).
#[derive(Debug, Clone, Default)]
struct CpuProfile {
    /// WebAssembly functions (the app's Rust).
    wasm_ms: f64,
    /// JavaScript with a source (the app's wasm-bindgen glue, the plain page's script).
    js_ms: f64,
    /// Built-ins and web APIs called from script that the profile shows on their own
    /// (`TextDecoder.decode`, DOM calls, …; inlined built-ins count for their caller).
    native_ms: f64,
    gc_ms: f64,
    /// The browser's own work outside script: style, layout, paint, parsing, networking.
    program_ms: f64,
    idle_ms: f64,
    /// Self time by function, largest first (the first few).
    top: Vec<(String, f64)>,
}

impl CpuProfile {
    fn script_ms(&self) -> f64 {
        self.wasm_ms + self.js_ms + self.native_ms + self.gc_ms
    }

    /// Sums a `Profiler.stop` profile: sample i lasts until sample i + 1 (the last one until
    /// `endTime`), as DevTools counts it.
    fn from_profile(profile: &Value) -> CpuProfile {
        let mut kinds: HashMap<u64, (&'static str, String)> = HashMap::new();
        for node in profile["nodes"].as_array().into_iter().flatten() {
            let frame = &node["callFrame"];
            let name = frame["functionName"].as_str().unwrap_or("");
            let url = frame["url"].as_str().unwrap_or("");
            let kind = match name {
                "(idle)" => "idle",
                "(program)" | "(root)" => "program",
                "(garbage collector)" => "gc",
                _ if url.starts_with("wasm://")
                    || url.ends_with(".wasm")
                    || name.starts_with("wasm-function[") =>
                {
                    "wasm"
                }
                _ if url.is_empty() => "native",
                _ => "js",
            };
            let file = url.rsplit('/').next().unwrap_or(url);
            let file = file.split('?').next().unwrap_or(file);
            let label = match (name.is_empty(), kind) {
                (_, "wasm") => name.to_string(),
                (true, _) => format!("(anonymous) ({file})"),
                (false, "js") => format!("{name} ({file})"),
                _ => name.to_string(),
            };
            if let Some(id) = node["id"].as_u64() {
                kinds.insert(id, (kind, label));
            }
        }
        let samples: Vec<u64> = profile["samples"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_u64)
            .collect();
        let deltas: Vec<f64> = profile["timeDeltas"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|d| d.as_f64().unwrap_or(0.0))
            .collect();
        let end = f(&profile["endTime"]);
        let mut at = f(&profile["startTime"]);
        let mut stamps = Vec::with_capacity(samples.len());
        for d in deltas.iter().take(samples.len()) {
            at += d;
            stamps.push(at);
        }
        let mut out = CpuProfile::default();
        let mut by_label: HashMap<String, f64> = HashMap::new();
        for (i, id) in samples.iter().enumerate() {
            let (Some(&t0), Some((kind, label))) = (stamps.get(i), kinds.get(id)) else {
                continue;
            };
            let t1 = stamps.get(i + 1).copied().unwrap_or(end.max(t0));
            let ms = (t1 - t0).max(0.0) / 1000.0;
            match *kind {
                "wasm" => out.wasm_ms += ms,
                "js" => out.js_ms += ms,
                "native" => out.native_ms += ms,
                "gc" => out.gc_ms += ms,
                "idle" => out.idle_ms += ms,
                _ => out.program_ms += ms,
            }
            if matches!(*kind, "wasm" | "js" | "native" | "gc") {
                *by_label.entry(label.clone()).or_default() += ms;
            }
        }
        let mut top: Vec<(String, f64)> = by_label.into_iter().collect();
        top.sort_by(|a, b| b.1.total_cmp(&a.1));
        top.truncate(20);
        out.top = top;
        out
    }

    fn to_json(&self) -> Value {
        json!({
            "script_ms": self.script_ms(), "wasm_ms": self.wasm_ms, "js_ms": self.js_ms,
            "native_ms": self.native_ms, "gc_ms": self.gc_ms, "program_ms": self.program_ms,
            "idle_ms": self.idle_ms,
            "top_self_ms": self.top.iter().map(|(n, t)| json!({"function": n, "ms": t})).collect::<Vec<_>>(),
        })
    }
}

pub(crate) async fn bounded<T, E: std::fmt::Display>(
    what: &str,
    limit: Duration,
    fut: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, String> {
    match tokio::time::timeout(limit, fut).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(format!("{what}: {e}")),
        Err(_) => Err(format!("{what}: no answer within {limit:?}")),
    }
}

async fn exec(c: &Client, what: &str, script: &str, args: Vec<Value>) -> Result<Value, String> {
    bounded(what, STEP, c.execute(script, args)).await
}

pub(crate) async fn cdp(c: &Client, cmd: &'static str, params: Value) -> Result<Value, String> {
    bounded(cmd, STEP, c.issue_cmd(Cdp { cmd, params })).await
}

/// The page's `Performance.getMetrics`, by name.
pub(crate) async fn metrics(c: &Client) -> Result<HashMap<String, f64>, String> {
    let value = cdp(c, "Performance.getMetrics", json!({})).await?;
    let list = value["metrics"]
        .as_array()
        .ok_or_else(|| format!("Performance.getMetrics answered {value}"))?;
    Ok(list
        .iter()
        .filter_map(|m| Some((m["name"].as_str()?.to_string(), m["value"].as_f64()?)))
        .collect())
}

/// Seconds in `after` minus `before`, as milliseconds.
fn delta_ms(before: &HashMap<String, f64>, after: &HashMap<String, f64>, names: &[&str]) -> f64 {
    names
        .iter()
        .map(|n| {
            after.get(*n).copied().unwrap_or(f64::NAN) - before.get(*n).copied().unwrap_or(f64::NAN)
        })
        .sum::<f64>()
        * 1000.0
}

async fn wait_for_element(c: &Client, css: &str) -> Result<fantoccini::elements::Element, String> {
    let deadline = Instant::now() + STEP;
    loop {
        if let Ok(el) = c.find(Locator::Css(css)).await {
            return Ok(el);
        }
        if Instant::now() > deadline {
            return Err(format!("{css} did not appear within {STEP:?}"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

/// One run of `page`: fresh load, settle, measure from the start to the final paint.
async fn one_run(
    b: &Browser,
    base: &str,
    page: Page,
    prompt: &str,
    expected: &str,
    warmup: bool,
    limit: Duration,
) -> Result<Run, String> {
    let c = &b.client;
    let plain_url = format!("{base}/plain.html");
    // Storage is emptied from the plain page (same origin, and it never touches storage), so
    // the app cannot write its conversations back while unloading.
    bounded("open plain.html", STEP, c.goto(&plain_url)).await?;
    exec(
        c,
        "clear storage",
        "localStorage.clear(); return true;",
        vec![],
    )
    .await?;
    match page {
        Page::App => {
            let url = format!("{base}/?view=chat&format=openai&lang=en");
            bounded("open the app", STEP, c.goto(&url)).await?;
            let input = wait_for_element(c, APP_INPUT).await?;
            bounded("type the prompt", STEP, input.send_keys(prompt)).await?;
            wait_for_element(c, APP_SEND).await?;
        }
        Page::Plain => {
            bounded("reload plain.html", STEP, c.goto(&plain_url)).await?;
        }
    }
    exec(c, "settle", SETTLE_JS, vec![]).await?;
    let args = vec![json!(page.reply_selector()), json!(API_PATH)];
    exec(c, "install measure.js", MEASURE_JS, args).await?;
    cdp(c, "Performance.enable", json!({})).await?;
    cdp(c, "Profiler.enable", json!({})).await?;
    cdp(
        c,
        "Profiler.setSamplingInterval",
        json!({"interval": PROFILE_INTERVAL_US}),
    )
    .await?;
    let before = metrics(c).await?;
    cdp(c, "Profiler.start", json!({})).await?;
    let start = match page {
        Page::App => format!(
            "window.__chatBench.start = performance.now(); \
             document.querySelector('{}').click(); return true;",
            APP_SEND.replace('\'', "\\'")
        ),
        Page::Plain => "window.__chatBench.start = performance.now(); \
                        window.__plainStart(arguments[0], arguments[1]); return true;"
            .to_string(),
    };
    exec(c, "start", &start, vec![json!(prompt), json!(demo::MODEL)]).await?;
    let result = bounded(
        &format!("{}: the final paint", page.label()),
        limit,
        c.execute("return window.__chatBench.finished;", vec![]),
    )
    .await?;
    let profile = cdp(c, "Profiler.stop", json!({})).await?;
    let after = metrics(c).await?;
    cdp(c, "Profiler.disable", json!({})).await?;
    let profile = CpuProfile::from_profile(&profile["profile"]);

    let text_script = match page {
        Page::App => format!(
            "const lib = JSON.parse(localStorage.getItem('{APP_STORAGE_KEY}') || 'null');
             const conv = lib && lib.conversations && lib.conversations[0];
             const replies = conv ? conv.messages.filter((m) => m.role === 'assistant') : [];
             return replies.length ? replies[replies.length - 1].content : null;"
        ),
        Page::Plain => "return document.getElementById('out').textContent;".to_string(),
    };
    let text = exec(c, "read the reply", &text_script, vec![]).await?;
    let text = text.as_str().unwrap_or("");
    let state = result["state"].as_str().unwrap_or("?").to_string();
    if state != "done" {
        return Err(format!("{}: the reply ended as {state:?}", page.label()));
    }
    if text != expected {
        let at = text
            .chars()
            .zip(expected.chars())
            .take_while(|(a, b)| a == b)
            .count();
        return Err(format!(
            "{}: the reply differs from the model's ({} vs {} chars, first difference at char {at})",
            page.label(),
            text.chars().count(),
            expected.chars().count()
        ));
    }

    let res = &result["resource"];
    let request_start = f(&res["startTime"]);
    let last_byte = f(&res["responseEnd"]);
    let long_tasks: Vec<(f64, f64)> = result["longTasks"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| (f(&t[0]) - request_start, f(&t[1])))
        .collect();
    let long_tasks_after_last_byte = long_tasks
        .iter()
        .filter(|t| t.0 >= last_byte - request_start)
        .count();
    Ok(Run {
        page,
        warmup,
        stream_ms: last_byte - request_start,
        first_byte_ms: f(&res["responseStart"]) - request_start,
        done_after_last_byte_ms: f(&result["done"]) - last_byte,
        paint_after_last_byte_ms: f(&result["paint"]) - last_byte,
        script_ms: profile.script_ms(),
        profile,
        script_metric_ms: delta_ms(&before, &after, &["ScriptDuration"]),
        task_ms: delta_ms(&before, &after, &["TaskDuration"]),
        style_layout_ms: delta_ms(&before, &after, &["RecalcStyleDuration", "LayoutDuration"]),
        long_tasks,
        long_tasks_after_last_byte,
        long_frames: LongFrames::from_entries(&result["longFrames"]),
        long_frame_entries: result["longFrames"].clone(),
        body_bytes: res["encodedBodySize"].as_u64().unwrap_or(0),
        reply_chars: text.encode_utf16().count(),
        state,
    })
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.retain(|x| x.is_finite());
    if xs.is_empty() {
        return f64::NAN;
    }
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

/// Medians of one page's measured runs (and a few worst cases).
struct Summary {
    runs: usize,
    stream_ms: f64,
    first_byte_ms: f64,
    paint_after_last_byte_ms: f64,
    worst_paint_after_last_byte_ms: f64,
    /// Runs whose final paint came within the goal.
    runs_paint_in_goal: usize,
    script_ms: f64,
    wasm_ms: f64,
    js_ms: f64,
    native_ms: f64,
    gc_ms: f64,
    script_metric_ms: f64,
    task_ms: f64,
    style_layout_ms: f64,
    long_tasks: f64,
    /// Long tasks over all runs.
    all_long_tasks: usize,
    /// Runs without a long task.
    runs_without_long_task: usize,
    longest_task_ms: f64,
    worst_task_ms: f64,
    body_bytes: u64,
    reply_chars: usize,
    /// Self time by function, mean per run, largest first.
    top: Vec<(String, f64)>,
    /// Long animation frames over all runs.
    long_frames: LongFrames,
}

fn summarize(runs: &[Run], page: Page) -> Summary {
    let mine: Vec<&Run> = runs
        .iter()
        .filter(|r| r.page == page && !r.warmup)
        .collect();
    let m = |g: &dyn Fn(&Run) -> f64| median(mine.iter().map(|r| g(r)).collect());
    let mut top: HashMap<String, f64> = HashMap::new();
    for r in &mine {
        for (name, t) in &r.profile.top {
            *top.entry(name.clone()).or_default() += t / mine.len() as f64;
        }
    }
    let mut top: Vec<(String, f64)> = top.into_iter().collect();
    top.sort_by(|a, b| b.1.total_cmp(&a.1));
    let mut long_frames = LongFrames::default();
    for r in &mine {
        long_frames.add(&r.long_frames);
    }
    Summary {
        long_frames,
        runs: mine.len(),
        stream_ms: m(&|r| r.stream_ms),
        first_byte_ms: m(&|r| r.first_byte_ms),
        paint_after_last_byte_ms: m(&|r| r.paint_after_last_byte_ms),
        worst_paint_after_last_byte_ms: mine
            .iter()
            .map(|r| r.paint_after_last_byte_ms)
            .fold(f64::NAN, f64::max),
        runs_paint_in_goal: mine
            .iter()
            .filter(|r| r.paint_after_last_byte_ms <= GOAL_PAINT_MS)
            .count(),
        script_ms: m(&|r| r.script_ms),
        wasm_ms: m(&|r| r.profile.wasm_ms),
        js_ms: m(&|r| r.profile.js_ms),
        native_ms: m(&|r| r.profile.native_ms),
        gc_ms: m(&|r| r.profile.gc_ms),
        script_metric_ms: m(&|r| r.script_metric_ms),
        task_ms: m(&|r| r.task_ms),
        style_layout_ms: m(&|r| r.style_layout_ms),
        long_tasks: m(&|r| r.long_tasks.len() as f64),
        all_long_tasks: mine.iter().map(|r| r.long_tasks.len()).sum(),
        runs_without_long_task: mine.iter().filter(|r| r.long_tasks.is_empty()).count(),
        longest_task_ms: m(&|r| r.longest_task_ms()),
        worst_task_ms: mine.iter().map(|r| r.longest_task_ms()).fold(0.0, f64::max),
        body_bytes: mine.first().map_or(0, |r| r.body_bytes),
        reply_chars: mine.first().map_or(0, |r| r.reply_chars),
        top,
    }
}

fn ms(x: f64) -> String {
    if !x.is_finite() {
        "?".into()
    } else if x.abs() >= 100.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

fn times(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.2}×")
    } else {
        "—".into()
    }
}

fn met(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "not met"
    }
}

struct Report<'a> {
    args: &'a Args,
    machine: &'a Machine,
    chromium: String,
    reply_bytes: usize,
    runs: &'a [Run],
}

impl Report<'_> {
    /// The issue's three goals: (met, sentence). A goal is met when every measured run
    /// meets it (long tasks, final paint) or the medians do (the script-time ratio).
    fn goals(&self, app: &Summary, plain: &Summary) -> [(bool, String); 3] {
        let n = app.runs;
        let no_long = app.runs_without_long_task == n;
        let ratio = app.script_ms / plain.script_ms;
        let paint = app.runs_paint_in_goal == n;
        [
            (
                no_long,
                format!(
                    "no long task over {GOAL_LONG_TASK_MS:.0} ms: **{}** — {} of {n} runs had \
                     none; {} long task(s) in all (median {} per run), the longest {} ms \
                     (plain JS: {} in all, the longest {} ms).",
                    met(no_long),
                    app.runs_without_long_task,
                    app.all_long_tasks,
                    app.long_tasks,
                    ms(app.worst_task_ms),
                    plain.all_long_tasks,
                    ms(plain.worst_task_ms),
                ),
            ),
            (
                ratio <= GOAL_SCRIPT_RATIO,
                format!(
                    "script time at most {GOAL_SCRIPT_RATIO}× the plain-JS page's: **{}** — {} \
                     ({} ms vs {} ms, medians).",
                    met(ratio <= GOAL_SCRIPT_RATIO),
                    // Three decimals, so that a ratio just over the goal does not read 1.50×.
                    if ratio.is_finite() {
                        format!("{ratio:.3}×")
                    } else {
                        "—".into()
                    },
                    ms(app.script_ms),
                    ms(plain.script_ms),
                ),
            ),
            (
                paint,
                format!(
                    "final paint within {GOAL_PAINT_MS:.0} ms of the last byte: **{}** — {} of \
                     {n} runs; median {} ms, worst {} ms (plain JS: median {} ms).",
                    met(paint),
                    app.runs_paint_in_goal,
                    ms(app.paint_after_last_byte_ms),
                    ms(app.worst_paint_after_last_byte_ms),
                    ms(plain.paint_after_last_byte_ms),
                ),
            ),
        ]
    }

    fn section(&self) -> String {
        let (a, m) = (self.args, self.machine);
        let app = summarize(self.runs, Page::App);
        let plain = summarize(self.runs, Page::Plain);
        let mut s = String::new();
        let _ = writeln!(s, "{}\n", section_title(a.rate));
        let _ = writeln!(
            s,
            "<!-- Written by `./x bench` (bench/chat-render, rill-bench chat); rerun it rather \
             than editing. -->\n"
        );
        let _ = writeln!(
            s,
            "- Date: {} · machine: {} cores, {} · {} (headless, 1280×900 window) · rustc {}",
            a.date, m.cores, m.cpu, self.chromium, m.rustc
        );
        let _ = writeln!(
            s,
            "- Other load just before the runs: {} of all CPU time busy over 1 s, 1-min load \
             average {}",
            m.busy.map_or("?".into(), |b| format!("{:.0} %", b * 100.0)),
            m.load
        );
        let _ = writeln!(s, "- Command: `{}`", a.command);
        if m.busy.is_some_and(|b| b >= BUSY) {
            let _ = writeln!(
                s,
                "- **The machine was busy**: other work shared the CPU, so these times are \
                 longer and noisier than on an idle machine (long tasks are wall-clock time)."
            );
        }
        let _ = writeln!(
            s,
            "- Workload: the prompt `[[long:{}]] go`, rill-demo's reply of exactly {} tokens \
             ({} bytes of markdown: headings, paragraphs, lists, tables, code) as {} bytes of \
             OpenAI-format SSE (one `chat.completion.chunk` per token, then `[DONE]`), sent by \
             `rill-server --rate {}` ({}) from the origin that serves both pages.",
            a.tokens,
            a.tokens,
            self.reply_bytes,
            app.body_bytes,
            a.rate,
            if a.rate == 0 {
                "as fast as it can".to_string()
            } else {
                format!("{} tokens a second, as a model streams", a.rate)
            }
        );
        let _ = writeln!(
            s,
            "- Pages, one after the other in one browser: the app's chat view (release build, \
             `?view=chat&format=openai`; prompt typed, send clicked) and \
             `bench/chat/plain.html` (fetch, a stream reader, `TextDecoder` with `stream: \
             true`, lines split on `\\n`, `JSON.parse` per `data:` line, the text set as one \
             element's `textContent` once per chunk read). Every run must end in \
             `data-state=\"done\"` holding exactly the model's reply (the app: in its saved \
             conversation) after the same SSE body size."
        );
        let _ = writeln!(
            s,
            "- Method (`bench/chat/measure.js`, installed before each run; a fresh page load with \
             empty localStorage each time): *last byte* is the request's resource-timing \
             `responseEnd`; *final paint* is `requestAnimationFrame` then `setTimeout 0` after \
             `data-state` leaves `streaming` (it runs once the frame showing the final DOM is \
             produced); *script* is main-thread time in JS, wasm, the built-ins and DOM calls \
             they make and garbage collection, from a V8 CPU profile ({PROFILE_INTERVAL_US} µs \
             sampling) of the run (DevTools' `ScriptDuration` metric misses promise \
             continuations, which is where the plain page's reader loop runs, so it is only in \
             the JSON); *style + layout* and *all tasks* are `Performance.getMetrics` deltas \
             (`RecalcStyleDuration + LayoutDuration`, `TaskDuration`); *long tasks* are \
             `longtask` entries (> 50 ms). Everything from the start of the request to the \
             final paint. One warm-up run per page, then {} runs each, alternating which page \
             goes first; medians.\n",
            app.runs.min(plain.runs)
        );
        let _ = writeln!(
            s,
            "| median of {} runs | rill app | plain JS | app / plain |",
            app.runs
        );
        let _ = writeln!(s, "|---|---:|---:|---:|");
        let row = |s: &mut String, name: &str, x: f64, y: f64, ratio: bool| {
            let r = if ratio { times(x / y) } else { "—".into() };
            let _ = writeln!(s, "| {name} | {} | {} | {r} |", ms(x), ms(y));
        };
        row(
            &mut s,
            "request start → first byte, ms",
            app.first_byte_ms,
            plain.first_byte_ms,
            false,
        );
        row(
            &mut s,
            "request start → last byte, ms",
            app.stream_ms,
            plain.stream_ms,
            true,
        );
        row(
            &mut s,
            "**last byte → final paint, ms**",
            app.paint_after_last_byte_ms,
            plain.paint_after_last_byte_ms,
            false,
        );
        row(
            &mut s,
            "**main-thread script, ms**",
            app.script_ms,
            plain.script_ms,
            true,
        );
        let _ = writeln!(
            s,
            "| of it: wasm / JS / built-ins and DOM / GC, ms | {} / {} / {} / {} | {} / {} / {} / \
             {} | — |",
            ms(app.wasm_ms),
            ms(app.js_ms),
            ms(app.native_ms),
            ms(app.gc_ms),
            ms(plain.wasm_ms),
            ms(plain.js_ms),
            ms(plain.native_ms),
            ms(plain.gc_ms),
        );
        row(
            &mut s,
            "style + layout, ms",
            app.style_layout_ms,
            plain.style_layout_ms,
            true,
        );
        row(
            &mut s,
            "all main-thread tasks, ms",
            app.task_ms,
            plain.task_ms,
            true,
        );
        let _ = writeln!(
            s,
            "| **long tasks (> 50 ms) per run** | {} | {} | — |",
            app.long_tasks, plain.long_tasks
        );
        row(
            &mut s,
            "**longest task, ms**",
            app.longest_task_ms,
            plain.longest_task_ms,
            false,
        );
        let _ = writeln!(
            s,
            "| SSE body bytes / reply characters | {} / {} | {} / {} | — |",
            app.body_bytes, app.reply_chars, plain.body_bytes, plain.reply_chars
        );
        let _ = writeln!(s, "\nGoals (chat issue):\n");
        for (_, line) in self.goals(&app, &plain) {
            let _ = writeln!(s, "- {line}");
        }
        let top = |t: &[(String, f64)]| {
            t.iter()
                .take(6)
                .map(|(name, t)| format!("`{name}` {}", ms(*t)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(
            s,
            "\nWhere the long frames' time went (`long-animation-frame` entries over all {} \
             runs): app — {}; plain JS — {}.",
            app.runs,
            app.long_frames.describe(),
            plain.long_frames.describe()
        );
        let _ = writeln!(
            s,
            "\nLargest self times in the CPU profiles (ms per run, mean; the release wasm has no \
             function names): app — {}; plain JS — {}.",
            top(&app.top),
            top(&plain.top)
        );
        let _ = writeln!(
            s,
            "\n<details><summary>Every run (ms; long tasks: count, and in brackets how many \
             began after the last byte)</summary>\n"
        );
        let _ = writeln!(
            s,
            "| # | page | last byte | last byte → done | → paint | script | style + layout | \
             all tasks | long tasks | longest |"
        );
        let _ = writeln!(s, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (i, r) in self.runs.iter().enumerate() {
            let _ = writeln!(
                s,
                "| {}{} | {} | {} | {} | {} | {} | {} | {} | {} ({}) | {} |",
                i + 1,
                if r.warmup { " (warm-up)" } else { "" },
                r.page.label(),
                ms(r.stream_ms),
                ms(r.done_after_last_byte_ms),
                ms(r.paint_after_last_byte_ms),
                ms(r.script_ms),
                ms(r.style_layout_ms),
                ms(r.task_ms),
                r.long_tasks.len(),
                r.long_tasks_after_last_byte,
                ms(r.longest_task_ms()),
            );
        }
        let _ = writeln!(s, "\n</details>");
        s
    }

    fn to_json(&self) -> Value {
        let app = summarize(self.runs, Page::App);
        let plain = summarize(self.runs, Page::Plain);
        let goals = self.goals(&app, &plain);
        let summary = |s: &Summary| {
            json!({
                "runs": s.runs, "stream_ms": s.stream_ms, "first_byte_ms": s.first_byte_ms,
                "paint_after_last_byte_ms": s.paint_after_last_byte_ms,
                "worst_paint_after_last_byte_ms": s.worst_paint_after_last_byte_ms,
                "runs_paint_within_goal": s.runs_paint_in_goal,
                "script_ms": s.script_ms, "wasm_ms": s.wasm_ms, "js_ms": s.js_ms,
                "native_ms": s.native_ms, "gc_ms": s.gc_ms,
                "script_duration_metric_ms": s.script_metric_ms, "task_ms": s.task_ms,
                "style_layout_ms": s.style_layout_ms, "long_tasks": s.long_tasks,
                "all_long_tasks": s.all_long_tasks,
                "runs_without_long_task": s.runs_without_long_task,
                "longest_task_ms": s.longest_task_ms, "worst_task_ms": s.worst_task_ms,
                "body_bytes": s.body_bytes, "reply_chars": s.reply_chars,
                "long_frames": s.long_frames.to_json(),
                "top_self_ms": s.top.iter().take(12).map(|(n, t)| json!({"function": n, "ms": t})).collect::<Vec<_>>(),
            })
        };
        let m = self.machine;
        json!({
            "date": self.args.date, "command": self.args.command, "chromium": self.chromium,
            "tokens": self.args.tokens, "reply_bytes": self.reply_bytes,
            "machine": {
                "cores": m.cores, "cpu": m.cpu, "load_average_1min": m.load,
                "cpu_busy_before_runs": m.busy, "rustc": m.rustc,
            },
            "medians": {"app": summary(&app), "plain": summary(&plain)},
            "script_ratio_app_vs_plain": app.script_ms / plain.script_ms,
            "goals": {
                "no_long_task_over_50ms": goals[0].0,
                "script_at_most_1_5x_plain": goals[1].0,
                "final_paint_within_100ms": goals[2].0,
            },
            "runs": self.runs.iter().map(Run::to_json).collect::<Vec<_>>(),
        })
    }
}

fn print_run(r: &Run) {
    eprintln!(
        "  {:<8}{} last byte {:>5} ms · →paint {:>5} ms · script {:>5} ms (metric {:>5}) · \
         tasks {:>5} ms · long tasks {} (longest {} ms)",
        r.page.label(),
        if r.warmup { " (warm-up)" } else { "" },
        ms(r.stream_ms),
        ms(r.paint_after_last_byte_ms),
        ms(r.script_ms),
        ms(r.script_metric_ms),
        ms(r.task_ms),
        r.long_tasks.len(),
        ms(r.longest_task_ms()),
    );
}

async fn runs(args: &Args, prompt: &str, expected: &str) -> Result<(Vec<Run>, String), String> {
    let www = args
        .www
        .to_str()
        .ok_or_else(|| format!("{}: not UTF-8", args.www.display()))?;
    for file in ["index.html", "plain.html"] {
        if !args.www.join(file).is_file() {
            return Err(format!("{}: no {file}", args.www.display()));
        }
    }
    let rate = args.rate.to_string();
    let server = RillServer::start("127.0.0.1:0", &["--dist", www, "--rate", &rate]);
    let browser = Browser::start().await;
    let outcome = async {
        let c = &browser.client;
        let script = Some(args.run_timeout + Duration::from_secs(5));
        bounded(
            "set the script timeout",
            STEP,
            c.update_timeouts(TimeoutConfiguration::new(script, None, None)),
        )
        .await?;
        let mut order = vec![(Page::App, true), (Page::Plain, true)];
        for round in 0..args.runs {
            let (first, second) = if round % 2 == 0 {
                (Page::App, Page::Plain)
            } else {
                (Page::Plain, Page::App)
            };
            order.push((first, false));
            order.push((second, false));
        }
        let mut done = Vec::new();
        let deadline = Instant::now() + args.budget;
        for (page, warmup) in order {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(format!(
                    "{} runs took longer than --budget {:?}; stopped before the next",
                    done.len(),
                    args.budget
                ));
            }
            let run = one_run(
                &browser,
                &server.url,
                page,
                prompt,
                expected,
                warmup,
                args.run_timeout.min(left),
            )
            .await?;
            print_run(&run);
            done.push(run);
        }
        // The user agent says 156.0.0.0 (reduced); the browser itself knows its build.
        let version = cdp(c, "Browser.getVersion", json!({})).await?;
        let product = version["product"].as_str().unwrap_or("");
        let chromium = match product.split_once('/') {
            Some((_, v)) => format!("Chromium {v}"),
            None => {
                let ua = exec(c, "user agent", "return navigator.userAgent;", vec![]).await?;
                format!("Chromium {}", chromium_version(ua.as_str().unwrap_or("")))
            }
        };
        Ok((done, chromium))
    }
    .await;
    browser.close().await;
    drop(server);
    outcome
}

/// `rill-bench chat ARGS…`
pub async fn main(args: impl Iterator<Item = String>) -> Result<(), String> {
    let args = parse_args(args)?;
    let prompt = format!("[[long:{}]] go", args.tokens);
    let reply = demo::respond(&[demo::Message::user(prompt.as_str())]);
    if reply.len() != args.tokens {
        return Err(format!(
            "the demo model gave {} tokens for {prompt:?}, not {}",
            reply.len(),
            args.tokens
        ));
    }
    let expected = reply.text();
    let m = machine();
    eprintln!(
        "rill-bench chat: {} tokens ({} bytes), 1 warm-up + {} runs per page",
        args.tokens,
        expected.len(),
        args.runs
    );
    let (runs, chromium) = runs(&args, &prompt, expected).await?;
    // Each page always gets the same body; the app's is larger by the usage chunk it asks
    // for (`stream_options.include_usage`), which the plain page does not.
    for page in [Page::App, Page::Plain] {
        let bodies: Vec<u64> = runs
            .iter()
            .filter(|r| r.page == page)
            .map(|r| r.body_bytes)
            .collect();
        if bodies.iter().any(|&b| b != bodies[0] || b == 0) {
            return Err(format!(
                "{} received different SSE bodies: {bodies:?} bytes",
                page.label()
            ));
        }
    }
    let report = Report {
        args: &args,
        machine: &m,
        chromium,
        reply_bytes: expected.len(),
        runs: &runs,
    };
    let section = report.section();
    println!("{section}");
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&report.to_json()).map_err(|e| e.to_string())?;
        std::fs::write(path, text + "\n").map_err(|e| format!("{}: {e}", path.display()))?;
        eprintln!("rill-bench chat: wrote {}", path.display());
    }
    if let Some(path) = &args.markdown {
        let existing = std::fs::read_to_string(path).unwrap_or_default();
        let updated = splice(&existing, &section_title(args.rate), &section);
        std::fs::write(path, updated).map_err(|e| format!("{}: {e}", path.display()))?;
        eprintln!("rill-bench chat: updated {}", path.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_even_and_nan() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(vec![f64::NAN, 5.0]), 5.0);
        assert!(median(vec![]).is_nan());
    }

    #[test]
    fn args_parse_with_defaults() {
        let args =
            parse_args(["--www", "d", "--runs", "5"].map(String::from).into_iter()).expect("parse");
        assert_eq!(args.runs, 5);
        assert_eq!(args.tokens, 20_000);
        assert_eq!(args.run_timeout, Duration::from_secs(60));
        assert!(parse_args(["--runs", "x"].map(String::from).into_iter()).is_err());
        assert!(parse_args(std::iter::empty()).is_err());
    }

    #[test]
    fn cdp_command_goes_to_chromedrivers_cdp_endpoint() {
        let base = url::Url::parse("http://127.0.0.1:9515/").expect("url");
        let cmd = Cdp {
            cmd: "Performance.getMetrics",
            params: json!({}),
        };
        let url = cmd.endpoint(&base, Some("abc")).expect("endpoint");
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:9515/session/abc/goog/cdp/execute"
        );
        let (method, body) = cmd.method_and_body(&url);
        assert_eq!(method, http::Method::POST);
        let body: Value = serde_json::from_str(&body.expect("body")).expect("json");
        assert_eq!(body["cmd"], "Performance.getMetrics");
    }

    #[test]
    fn profile_samples_last_until_the_next_and_are_sorted_by_kind() {
        let node = |id: u64, name: &str, url: &str| json!({"id": id, "callFrame": {"functionName": name, "url": url}});
        let profile = json!({
            "nodes": [
                node(1, "(root)", ""), node(2, "(idle)", ""), node(3, "(program)", ""),
                node(4, "wasm-function[7]", "http://h/rill_bg.wasm"),
                node(5, "run", "http://h/plain.html"), node(6, "decode", ""),
                node(7, "(garbage collector)", ""),
            ],
            "startTime": 1000.0, "endTime": 9000.0,
            "samples": [2, 4, 4, 5, 6, 7, 3],
            "timeDeltas": [0.0, 1000.0, 1000.0, 1000.0, 1000.0, 1000.0, 1000.0],
        });
        let p = CpuProfile::from_profile(&profile);
        assert_eq!(p.idle_ms, 1.0);
        assert_eq!(p.wasm_ms, 2.0);
        assert_eq!(p.js_ms, 1.0);
        assert_eq!(p.native_ms, 1.0);
        assert_eq!(p.gc_ms, 1.0);
        // The last sample lasts until endTime.
        assert_eq!(p.program_ms, 2.0);
        assert_eq!(p.script_ms(), 5.0);
        assert_eq!(p.top[0], ("wasm-function[7]".to_string(), 2.0));
        assert!(p.top.iter().any(|(n, _)| n == "run (plain.html)"));
    }

    #[test]
    fn the_long_prompt_gives_exactly_its_tokens() {
        let reply = demo::respond(&[demo::Message::user("[[long:20000]] go")]);
        assert_eq!(reply.len(), 20_000);
    }
}
