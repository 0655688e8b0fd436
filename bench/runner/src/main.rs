//! `rill-bench`: the driver behind `./x bench` (called by `bench/run`, which builds everything
//! first and stages the page).
//!
//! It serves the staged page (`bench/page` + the wasm-bindgen output + eventsource-parser's ESM
//! files) with `rill-server --dist`, opens it in headless Chromium (rill-e2e's [`Browser`]),
//! waits for `window.__benchResult`, reads the native figures printed by
//! `sse/examples/decode_bench.rs`, prints both tables, writes the whole result as JSON, and
//! replaces the "## SSE decoder throughput" section of BENCHMARKS.md (other sections are kept).
//!
//! ```text
//! rill-bench --www DIR --native FILE --json FILE [--markdown FILE] [--date YYYY-MM-DD]
//!            [--command CMD] [--timeout SECS]
//! ```
//!
//! `rill-bench chat …` is the chat streaming-render benchmark instead (see [`chat`]; called
//! by `bench/chat-render`).

mod big_chat;
mod chat;
mod idle;
mod size;
mod splice;

use std::cell::RefCell;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use rill_e2e::{poll, Browser, RillServer};
use serde_json::{json, Value};
use splice::splice;

const SECTION: &str = "## SSE decoder throughput";
/// Native cases whose events count as "large" for the ≥ 500 MB/s goal.
const LARGE: [&str; 2] = ["events_1k", "one_1mb_line"];
const NATIVE_GOAL_MB_S: f64 = 500.0;
const BROWSER_GOAL_RATIO: f64 = 2.0;
/// Above this share of CPU time used by others before the run, the report says so.
const BUSY: f64 = 0.25;

struct Args {
    www: PathBuf,
    native: PathBuf,
    json: PathBuf,
    markdown: Option<PathBuf>,
    date: String,
    command: String,
    timeout: Duration,
}

fn parse_args() -> Result<Args, String> {
    let mut www = None;
    let mut native = None;
    let mut json = None;
    let mut markdown = None;
    let mut date = String::from("unknown date");
    let mut command = String::from("./x bench");
    let mut timeout = Duration::from_secs(180);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--www" => www = Some(PathBuf::from(value()?)),
            "--native" => native = Some(PathBuf::from(value()?)),
            "--json" => json = Some(PathBuf::from(value()?)),
            "--markdown" => markdown = Some(PathBuf::from(value()?)),
            "--date" => date = value()?,
            "--command" => command = value()?,
            "--timeout" => {
                let secs = value()?;
                let secs = secs
                    .parse()
                    .map_err(|_| format!("--timeout {secs}: not a number of seconds"))?;
                timeout = Duration::from_secs(secs);
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Args {
        www: www.ok_or("--www DIR is required")?,
        native: native.ok_or("--native FILE is required")?,
        json: json.ok_or("--json FILE is required")?,
        markdown,
        date,
        command,
        timeout,
    })
}

/// One line of decode_bench's output: `case=<name> bytes=<n> mb_per_s=<x>`.
#[derive(Debug, Clone)]
struct NativeCase {
    name: String,
    bytes: u64,
    mb_per_s: f64,
}

fn parse_native(text: &str) -> Vec<NativeCase> {
    text.lines()
        .filter_map(|line| {
            let mut name = None;
            let mut bytes = None;
            let mut mb_per_s = None;
            for field in line.split_whitespace() {
                match field.split_once('=') {
                    Some(("case", v)) => name = Some(v.to_string()),
                    Some(("bytes", v)) => bytes = v.parse().ok(),
                    Some(("mb_per_s", v)) => mb_per_s = v.parse().ok(),
                    _ => {}
                }
            }
            Some(NativeCase {
                name: name?,
                bytes: bytes?,
                mb_per_s: mb_per_s?,
            })
        })
        .collect()
}

struct Machine {
    cores: usize,
    cpu: String,
    load: String,
    /// Share of all CPU time that other processes used during one second before the run.
    busy: Option<f64>,
    rustc: String,
}

/// (idle, total) jiffies summed over all CPUs, from /proc/stat.
fn cpu_times() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let fields: Vec<u64> = stat
        .lines()
        .next()?
        .strip_prefix("cpu ")?
        .split_whitespace()
        .filter_map(|v| v.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal: idle + iowait count as idle.
    let idle = fields.get(3)? + fields.get(4).unwrap_or(&0);
    Some((idle, fields.iter().take(8).sum()))
}

fn cpu_busy() -> Option<f64> {
    let (idle0, total0) = cpu_times()?;
    std::thread::sleep(Duration::from_secs(1));
    let (idle1, total1) = cpu_times()?;
    let total = total1.checked_sub(total0).filter(|&t| t > 0)?;
    Some(1.0 - idle1.saturating_sub(idle0) as f64 / total as f64)
}

fn machine() -> Machine {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")?
                .split_once(':')
                .map(|(_, v)| v)
        })
        .map(|v| v.trim().to_string())
        .unwrap_or_else(|| "unknown CPU".into());
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into());
    let rustc = std::process::Command::new("rustc")
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.split_whitespace().nth(1).map(str::to_string))
        .unwrap_or_else(|| "?".into());
    Machine {
        cores: std::thread::available_parallelism().map_or(0, |n| n.get()),
        cpu,
        load,
        busy: cpu_busy(),
        rustc,
    }
}

/// Runs the page in headless Chromium and returns `window.__benchResult`.
async fn browser_bench(www: &std::path::Path, timeout: Duration) -> Result<Value, String> {
    let www = www
        .to_str()
        .ok_or_else(|| format!("{}: not UTF-8", www.display()))?;
    let server = RillServer::start("127.0.0.1:0", &["--dist", www]);
    let browser = Browser::start().await;
    let url = format!("{}/index.html", server.url);
    eprintln!("rill-bench: opening {url} in headless Chromium");
    browser.goto(&url).await;
    let last = RefCell::new(String::new());
    let deadline = Instant::now() + timeout;
    // Polled twice a second (the page yields between runs, so a poll never lands inside one);
    // the deadline is checked here so that `poll` itself never panics.
    let outcome = poll("the benchmark page", timeout + WAIT_MARGIN, || async {
        tokio::time::sleep(Duration::from_millis(450)).await;
        let state = browser
            .client
            .execute(
                "return { result: window.__benchResult || null, \
                          error: window.__benchError || null, \
                          progress: window.__benchProgress || null };",
                vec![],
            )
            .await
            .ok()?;
        if let Some(p) = state["progress"].as_str() {
            if *last.borrow() != p {
                eprintln!("  page: {p}");
                *last.borrow_mut() = p.to_string();
            }
        }
        if let Some(e) = state["error"].as_str() {
            return Some(Err(format!("the page failed: {e}")));
        }
        if !state["result"].is_null() {
            return Some(Ok(state["result"].clone()));
        }
        (Instant::now() > deadline)
            .then(|| Err(format!("no result from the page within {timeout:?}")))
    })
    .await;
    browser.close().await;
    drop(server);
    outcome
}

const WAIT_MARGIN: Duration = Duration::from_secs(30);

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

fn mb(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.0}")
    } else {
        "?".into()
    }
}

fn ratio(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.2}×")
    } else {
        "?".into()
    }
}

fn chromium_version(user_agent: &str) -> String {
    user_agent
        .split_whitespace()
        .find_map(|t| {
            t.strip_prefix("HeadlessChrome/")
                .or_else(|| t.strip_prefix("Chrome/"))
        })
        .unwrap_or("?")
        .to_string()
}

/// The two eventsource-parser versions the page measured (as it read them from their
/// package.json files).
fn esp_versions(browser: &Value) -> (&str, &str) {
    let version = |key: &str| browser["eventsource_parser"][key].as_str().unwrap_or("?");
    (version("esp3"), version("esp4"))
}

/// The markdown section, from its heading to just before the next one.
fn section(args: &Args, m: &Machine, native: &[NativeCase], browser: &Value) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let (esp3, esp4) = esp_versions(browser);
    let chromium = browser["browser"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| chromium_version(browser["user_agent"].as_str().unwrap_or("")));
    let _ = writeln!(s, "{SECTION}\n");
    let _ = writeln!(
        s,
        "<!-- Written by `./x bench` (bench/run, bench/runner); rerun it rather than editing. -->\n"
    );
    let _ = writeln!(
        s,
        "- Date: {} · machine: {} cores, {} · {} (headless) · rustc {}",
        args.date, m.cores, m.cpu, chromium, m.rustc
    );
    let _ = writeln!(
        s,
        "- Other load just before the browser run: {} of all CPU time busy over 1 s, 1-min \
         load average {}",
        m.busy.map_or("?".into(), |b| format!("{:.0} %", b * 100.0)),
        m.load
    );
    let _ = writeln!(s, "- Command: `{}`", args.command);
    if m.busy.is_some_and(|b| b >= BUSY) {
        let _ = writeln!(
            s,
            "- **The machine was busy**: other work shared the CPU, so these figures are lower \
             and noisier than on an idle machine."
        );
    }
    let _ = writeln!(s, "- MB = 10^6 bytes; higher is better.\n");

    let _ = writeln!(s, "### Native\n");
    let _ = writeln!(
        s,
        "`cargo run --release -p rill-sse --example decode_bench`: each input fed in 64 KiB \
         chunks to a fresh decoder, repeated for at least 0.5 s, through `Decoder::push_with` \
         (events handed over borrowed) and `Decoder::push` (an owned `Item` per event). The \
         baseline is the naive whole-input `str::from_utf8` + `str::lines` + `split_once` \
         decoder in that example (not incremental, not spec-complete; a yardstick only).\n"
    );
    let _ = writeln!(
        s,
        "| input | bytes | rill-sse `push_with` MB/s | rill-sse `push` MB/s | naive baseline \
         MB/s | `push_with` / baseline |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|");
    let mut native_goal = true;
    for case in native.iter().filter(|c| !c.name.contains('/')) {
        let base = native
            .iter()
            .find(|b| b.name == format!("baseline_str_lines/{}", case.name));
        let base_mb = base.map_or(f64::NAN, |b| b.mb_per_s);
        let owned_mb = native
            .iter()
            .find(|b| b.name == format!("owned/{}", case.name))
            .map_or(f64::NAN, |b| b.mb_per_s);
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} |",
            case.name,
            case.bytes,
            mb(case.mb_per_s),
            mb(owned_mb),
            mb(base_mb),
            ratio(case.mb_per_s / base_mb)
        );
        if LARGE.contains(&case.name.as_str()) && case.mb_per_s < NATIVE_GOAL_MB_S {
            native_goal = false;
        }
    }
    let _ = writeln!(
        s,
        "\nGoal ≥ {NATIVE_GOAL_MB_S:.0} MB/s on large events ({}): **{}**.\n",
        LARGE.join(", "),
        if native_goal { "met" } else { "not met" }
    );

    let _ = writeln!(s, "### Browser: rill-sse (wasm) vs eventsource-parser\n");
    let _ = writeln!(
        s,
        "Headless Chromium, one page, one run (`bench/page/bench.js`, served by rill-server). \
         Both sides get the same input as bytes, pre-split into the same `Uint8Array` chunks \
         (64 KiB, and seeded-random 1-4 KiB sizes as a network delivers them):\n\n\
         - eventsource-parser (its published ESM build, unmodified), used as with `fetch`: \
         `new TextDecoder()` decodes each chunk with `{{stream: true}}`, `parser.feed(text)` \
         parses it, `onEvent` counts the event and adds `data.length`. Its event strings are \
         V8 substrings of the decoded chunk (no copy).\n\
         - rill-sse wasm (`bench/wasm`, release, rill-sse at opt-level 3 with WebAssembly SIMD \
         as in the app, no wasm-opt): each chunk is copied into a buffer in wasm memory kept \
         between chunks (`Uint8Array::copy_to`, as the app's fetch transport does), then \
         decoded; `Decoder::push_with` hands each event to a Rust \
         closure as borrowed `&str`s (type, data, id) — the counterpart of `onEvent` receiving \
         strings — where it is counted.\n\
         - \"owned\": the same with `Decoder::push`, which allocates an `Item` with owned \
         `String`s per event (what the app's fetch transport uses, as it hands events on).\n\
         - \"whole buffer\": the entire input copied into wasm in one call and cut into the \
         same chunks inside Rust — a lower bound for the per-chunk boundary cost, not how the \
         app is fed.\n\n\
         Every run of every implementation must report the generator's event count and data \
         length. A sample repeats one implementation's run until {} ms have passed. For each \
         input and chunking, warm-up rounds run for at least {} ms (V8 first runs wasm in its \
         baseline compiler and swaps in optimised code later, up to ~2 s later on this \
         machine, and JS has its own tiers: the figures are steady state), then {} rounds \
         interleave the implementations (order rotated each round) and the figures are \
         medians. `one_1mb_line` is the 1 MiB-line event repeated {} times.\n",
        browser["min_sample_ms"],
        browser["warmup_ms"],
        browser["rounds"],
        browser["cases"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["input"] == "one_1mb_line"))
            .map_or(0, |c| c["events"].as_u64().unwrap_or(0)),
    );
    let _ = writeln!(
        s,
        "| input | chunks | eventsource-parser {esp3} MB/s | rill-sse wasm MB/s | **wasm / \
         {esp3}** | wasm, owned MB/s | wasm, whole buffer MB/s | eventsource-parser {esp4} \
         MB/s | wasm / {esp4} |"
    );
    let _ = writeln!(s, "|---|---|---:|---:|---:|---:|---:|---:|---:|");
    let mut met = 0;
    let mut total = 0;
    for c in browser["cases"].as_array().into_iter().flatten() {
        let m = &c["mb_per_s"];
        let r3 = f(&c["ratio_wasm_vs_esp3"]);
        total += 1;
        if r3 >= BROWSER_GOAL_RATIO {
            met += 1;
        }
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | **{}** | {} | {} | {} | {} |",
            c["input"].as_str().unwrap_or("?"),
            c["chunking"].as_str().unwrap_or("?"),
            mb(f(&m["esp3"])),
            mb(f(&m["wasm"])),
            ratio(r3),
            mb(f(&m["wasm_owned"])),
            mb(f(&m["wasm_whole"])),
            mb(f(&m["esp4"])),
            ratio(f(&c["ratio_wasm_vs_esp4"])),
        );
    }
    let _ = writeln!(
        s,
        "\nGoal ≥ {BROWSER_GOAL_RATIO:.0}× eventsource-parser {esp3} (wasm, chunked): **met in \
         {met} of {total} cases**."
    );
    s
}

fn print_tables(native: &[NativeCase], browser: &Value) {
    println!("\nnative (MB/s)");
    for c in native {
        println!("  {:<34} {:>8}", c.name, mb(c.mb_per_s));
    }
    let (esp3, esp4) = esp_versions(browser);
    println!(
        "\nheadless Chromium (MB/s, medians)\n  {:<14}{:<9}{:>11}{:>9}{:>8}{:>9}{:>11}{:>8}",
        "input",
        "chunks",
        format!("esp {esp3}"),
        "wasm",
        "ratio",
        "whole",
        format!("esp {esp4}"),
        "ratio"
    );
    for c in browser["cases"].as_array().into_iter().flatten() {
        let m = &c["mb_per_s"];
        println!(
            "  {:<14}{:<9}{:>11}{:>9}{:>8}{:>9}{:>11}{:>8}",
            c["input"].as_str().unwrap_or("?"),
            c["chunking"].as_str().unwrap_or("?"),
            mb(f(&m["esp3"])),
            mb(f(&m["wasm"])),
            ratio(f(&c["ratio_wasm_vs_esp3"])),
            mb(f(&m["wasm_whole"])),
            mb(f(&m["esp4"])),
            ratio(f(&c["ratio_wasm_vs_esp4"])),
        );
    }
}

async fn run(args: Args) -> Result<(), String> {
    let native_text = std::fs::read_to_string(&args.native)
        .map_err(|e| format!("{}: {e}", args.native.display()))?;
    let native = parse_native(&native_text);
    if native.is_empty() {
        return Err(format!("{}: no `case=` lines", args.native.display()));
    }
    let m = machine();
    let browser = browser_bench(&args.www, args.timeout).await?;
    print_tables(&native, &browser);

    let report = json!({
        "date": args.date,
        "command": args.command,
        "machine": {
            "cores": m.cores, "cpu": m.cpu, "load_average_1min": m.load,
            "cpu_busy_before_browser_run": m.busy, "rustc": m.rustc,
        },
        "native": native.iter().map(|c| json!({
            "case": c.name, "bytes": c.bytes, "mb_per_s": c.mb_per_s,
        })).collect::<Vec<_>>(),
        "browser": browser,
    });
    let text = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
    std::fs::write(&args.json, text + "\n").map_err(|e| format!("{}: {e}", args.json.display()))?;
    eprintln!("rill-bench: wrote {}", args.json.display());

    if let Some(path) = &args.markdown {
        let existing = std::fs::read_to_string(path).unwrap_or_default();
        let updated = splice(&existing, SECTION, &section(&args, &m, &native, &browser));
        std::fs::write(path, updated).map_err(|e| format!("{}: {e}", path.display()))?;
        eprintln!("rill-bench: updated {}", path.display());
    }
    Ok(())
}

#[tokio::main]
async fn main() {
    let result = if std::env::args().nth(1).as_deref() == Some("big-chat") {
        big_chat::main(std::env::args().skip(2)).await
    } else if std::env::args().nth(1).as_deref() == Some("chat") {
        chat::main(std::env::args().skip(2)).await
    } else if std::env::args().nth(1).as_deref() == Some("idle") {
        idle::main(std::env::args().skip(2)).await
    } else if std::env::args().nth(1).as_deref() == Some("size") {
        size::main(std::env::args().skip(2)).await
    } else {
        match parse_args() {
            Ok(args) => run(args).await,
            Err(e) => Err(e),
        }
    };
    // Everything started above (server, chromedriver, browser) is dropped by now.
    if let Err(e) = result {
        eprintln!("rill-bench: {e}");
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn native_lines_parse() {
        let cases = parse_native(
            "case=events_1k bytes=8000 mb_per_s=1234\nnoise\n\
             case=baseline_str_lines/chat_tokens bytes=10 mb_per_s=5.5\n",
        );
        assert_eq!(cases.len(), 2);
        assert_eq!(cases[1].name, "baseline_str_lines/chat_tokens");
        assert!((cases[1].mb_per_s - 5.5).abs() < 1e-9);
    }

    #[test]
    fn chromium_version_from_user_agent() {
        let ua = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
                  HeadlessChrome/156.0.8078.108 Safari/537.36";
        assert_eq!(chromium_version(ua), "156.0.8078.108");
    }
}
