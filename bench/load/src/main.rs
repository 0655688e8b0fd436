//! rill-load: many `GET /stream` clients on loopback against rill-server or the original Node
//! clock server, and the figures `./x bench` writes to BENCHMARKS.md.
//!
//! `rill-load run --addr A --clients N --ramp S --hold S [--pid P]` opens N clients over S
//! seconds (from 127.0.0.1..127.0.0.K, so one address pair does not run out of ports), holds
//! them, and reports failed connections, missing ticks (a gap between two ticks longer than
//! 1.5 s counts its skipped seconds), p50/p99 of |gap − 1 s| over the hold, and the server's
//! RSS and CPU over the hold from /proc/P.
//!
//! `rill-load bench --server BIN --node-js FILE` starts both servers in turn under the same
//! load (10,000 and 30,000 clients), measures what `--upstream` adds to a chat answer's
//! first byte, and writes the "## rill-server under load" section of BENCHMARKS.md.
//! Everything is bounded: every client stops at the end of the hold, every wait has a
//! timeout, every child process is killed when its run ends.

// BENCHMARKS.md's section writer, the same file rill-bench uses.
#[path = "../../runner/src/splice.rs"]
mod splice;

use std::borrow::Cow;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpSocket, TcpStream};
use tokio::process::{Child, Command};
use tokio::sync::Mutex;

use splice::splice;

mod engines;
use engines::EnginesArgs;
use tokio::time::timeout;

#[derive(Parser)]
#[command(name = "rill-load")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Load one running server.
    Run(RunArgs),
    /// Both servers under the same loads, and the upstream's first byte; writes BENCHMARKS.md.
    Bench(BenchArgs),
    /// The clock through Nchan and Pushpin (deploy/run) vs rill-server direct vs Node;
    /// writes BENCHMARKS.md.
    Engines(EnginesArgs),
}

#[derive(clap::Args, Clone)]
struct RunArgs {
    /// The server (loopback only).
    #[arg(long)]
    addr: SocketAddr,
    #[arg(long, default_value_t = 10_000)]
    clients: usize,
    /// Seconds over which the clients connect.
    #[arg(long, default_value_t = 10.0)]
    ramp: f64,
    /// Seconds all clients are held and measured.
    #[arg(long, default_value_t = 20.0)]
    hold: f64,
    /// Source addresses 127.0.0.1 ..= 127.0.0.K.
    #[arg(long, default_value_t = 16)]
    sources: u8,
    /// The path each client opens (a clock feed: `/stream`, or an engine's channel).
    #[arg(long, default_value = "/stream")]
    path: String,
    /// The server's process ids, for RSS and CPU (repeatable: their sum).
    #[arg(long)]
    pid: Vec<u32>,
}

#[derive(clap::Args)]
struct BenchArgs {
    /// The rill-server binary (a release build).
    #[arg(long)]
    server: PathBuf,
    /// The original Node clock server (../shared/seed/clock_server.js).
    #[arg(long)]
    node_js: Option<PathBuf>,
    /// BENCHMARKS.md to update.
    #[arg(long, default_value = "BENCHMARKS.md")]
    out: PathBuf,
    /// Only print.
    #[arg(long)]
    no_write: bool,
    /// Client counts to run (each against both servers).
    #[arg(long, value_delimiter = ',', default_value = "10000,19000")]
    clients: Vec<usize>,
    #[arg(long, default_value_t = 10.0)]
    ramp: f64,
    #[arg(long, default_value_t = 20.0)]
    hold: f64,
    /// Extra environment for rill-server, e.g. MALLOC_ARENA_MAX=1 (repeatable NAME=VALUE).
    #[arg(long = "server-env")]
    server_env: Vec<String>,
}

/// What one run measured.
#[derive(Debug, Clone, Default)]
struct Report {
    clients: usize,
    connected: usize,
    failed: usize,
    missing: u64,
    ticks: u64,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    rss_before_mb: f64,
    rss_mb: f64,
    cpu_pct: f64,
    /// Failures by reason.
    reasons: Vec<(Cow<'static, str>, usize)>,
}

impl Report {
    fn line(&self, label: &str) -> String {
        format!(
            "{label}: clients {} connected {} failed {} missing {} ticks {} | dev p50 {:.2} ms p99 {:.2} ms max {:.1} ms | RSS {:.1} MB (idle {:.1} MB, {:.1} KB/client) | CPU {:.1} %",
            self.clients,
            self.connected,
            self.failed,
            self.missing,
            self.ticks,
            self.p50_ms,
            self.p99_ms,
            self.max_ms,
            self.rss_mb,
            self.rss_before_mb,
            self.per_client_kb(),
            self.cpu_pct
        ) + &self.reasons_text()
    }
    fn reasons_text(&self) -> String {
        if self.reasons.is_empty() {
            return String::new();
        }
        let list: Vec<String> = self
            .reasons
            .iter()
            .map(|(r, n)| format!("{n} {r}"))
            .collect();
        format!(" (failed: {})", list.join(", "))
    }

    fn per_client_kb(&self) -> f64 {
        if self.connected == 0 {
            0.0
        } else {
            (self.rss_mb - self.rss_before_mb) * 1024.0 / self.connected as f64
        }
    }
}

/// One client's figures.
#[derive(Default)]
struct ClientStats {
    ok: bool,
    /// Why a client failed: connect error, connect timeout, refused ([`refusal`]: `status
    /// N`), closed.
    fail: Option<Cow<'static, str>>,
    missing: u64,
    ticks: u64,
    deviations_us: Vec<u32>,
}

fn raise_fd_limit(want: u64) {
    // SAFETY: getrlimit/setrlimit only read and write the struct passed to them.
    unsafe {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return;
        }
        let target = libc::rlimit {
            rlim_cur: want.max(lim.rlim_cur),
            rlim_max: want.max(lim.rlim_max),
        };
        if libc::setrlimit(libc::RLIMIT_NOFILE, &target) != 0 {
            lim.rlim_cur = lim.rlim_max;
            let _ = libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

/// How a refused client's failure is named: `status N` from the head's status line
/// (`HTTP/1.x N …`), else `not 200`.
fn refusal(head: &[u8]) -> Cow<'static, str> {
    let code = head
        .strip_prefix(b"HTTP/1.")
        .and_then(|rest| rest.get(2..5))
        .filter(|code| code.iter().all(u8::is_ascii_digit));
    match code {
        Some(code) => Cow::Owned(format!("status {}", String::from_utf8_lossy(code))),
        None => Cow::Borrowed("not 200"),
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// One SSE client: connects at `start`, reads until `end`, measures the ticks inside
/// [`hold_start`, `end`]. Blocks without a `data:` line (comments, pings) are not ticks.
async fn client(
    addr: SocketAddr,
    path: Arc<str>,
    source: Ipv4Addr,
    start: tokio::time::Instant,
    hold_start: Instant,
    end: tokio::time::Instant,
) -> ClientStats {
    let mut stats = ClientStats::default();
    tokio::time::sleep_until(start).await;
    let Ok(socket) = TcpSocket::new_v4() else {
        return stats;
    };
    if socket
        .bind(SocketAddr::V4(SocketAddrV4::new(source, 0)))
        .is_err()
    {
        return stats;
    }
    let mut sock = match timeout(Duration::from_secs(10), socket.connect(addr)).await {
        Ok(Ok(sock)) => sock,
        Ok(Err(_)) => {
            stats.fail = Some("connect error".into());
            return stats;
        }
        Err(_) => {
            stats.fail = Some("connect timeout".into());
            return stats;
        }
    };
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n");
    if sock.write_all(req.as_bytes()).await.is_err() {
        return stats;
    }
    let mut buf = Vec::with_capacity(512);
    let mut chunk = [0u8; 512];
    let mut head_done = false;
    let mut last_tick: Option<Instant> = None;
    let mut events = 0u64;
    loop {
        let read = tokio::time::timeout_at(end, sock.read(&mut chunk)).await;
        let n = match read {
            Err(_) => break, // the hold is over
            Ok(Ok(0)) | Ok(Err(_)) => {
                stats.fail = Some(
                    if head_done {
                        "closed"
                    } else {
                        "closed before head"
                    }
                    .into(),
                );
                stats.ok = false;
                return stats;
            }
            Ok(Ok(n)) => n,
        };
        let now = Instant::now();
        buf.extend_from_slice(&chunk[..n]);
        if !head_done {
            let Some(end_of_head) = find(&buf, b"\r\n\r\n") else {
                continue;
            };
            if !buf.starts_with(b"HTTP/1.1 200") {
                stats.fail = Some(refusal(&buf));
                return stats;
            }
            head_done = true;
            stats.ok = true;
            buf.drain(..end_of_head + 4);
        }
        while let Some(i) = find(&buf, b"\n\n") {
            let has_data = find(&buf[..i], b"data:").is_some();
            buf.drain(..i + 2);
            if !has_data {
                continue;
            }
            events += 1;
            // The first event is `connecttime` (through Nchan: the newest tick, at once);
            // ticks follow.
            if events == 1 {
                continue;
            }
            if let Some(prev) = last_tick {
                if prev >= hold_start {
                    let gap = now.duration_since(prev).as_secs_f64();
                    let dev = ((gap - 1.0).abs() * 1e6) as u32;
                    stats.deviations_us.push(dev);
                    stats.ticks += 1;
                    if gap > 1.5 {
                        stats.missing += (gap.round() as u64).saturating_sub(1);
                    }
                }
            }
            last_tick = Some(now);
        }
    }
    // Ticks that never came before the end of the hold.
    let stop = Instant::now();
    let since = last_tick.map_or(0.0, |t| {
        stop.duration_since(t.max(hold_start)).as_secs_f64()
    });
    if since > 1.5 {
        stats.missing += since.floor() as u64;
    }
    stats
}

fn proc_rss_mb(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// User + system CPU seconds of `pid` (and its threads).
fn proc_cpu_secs(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // Fields after the `(comm)`: state is field 3; utime 14, stime 15.
    let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
        return 0.0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    (ticks(11) + ticks(12)) / hz.max(1.0)
}

fn pids_rss_mb(pids: &[u32]) -> f64 {
    pids.iter().copied().map(proc_rss_mb).sum()
}

fn pids_cpu_secs(pids: &[u32]) -> f64 {
    pids.iter().copied().map(proc_cpu_secs).sum()
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[i.min(sorted.len() - 1)]) / 1000.0
}

async fn run(args: RunArgs) -> Report {
    assert!(args.addr.ip().is_loopback(), "loopback only");
    raise_fd_limit(args.clients as u64 + 1024);
    let rss_before = pids_rss_mb(&args.pid);
    let t0 = tokio::time::Instant::now() + Duration::from_millis(100);
    let ramp = Duration::from_secs_f64(args.ramp);
    // One second of settling after the ramp before measuring.
    let hold_start_t = t0 + ramp + Duration::from_secs(1);
    let end = hold_start_t + Duration::from_secs_f64(args.hold);
    let hold_start = hold_start_t.into_std();
    let sources = args.sources.max(1);
    let results = Arc::new(Mutex::new(Vec::with_capacity(args.clients)));
    let mut tasks = Vec::with_capacity(args.clients);
    for i in 0..args.clients {
        let start = t0 + ramp.mul_f64(i as f64 / args.clients.max(1) as f64);
        let source = Ipv4Addr::new(127, 0, 0, 1 + (i % usize::from(sources)) as u8);
        let results = results.clone();
        let addr = args.addr;
        let path: Arc<str> = Arc::from(args.path.as_str());
        tasks.push(tokio::spawn(async move {
            let s = client(addr, path, source, start, hold_start, end).await;
            results.lock().await.push(s);
        }));
    }
    tokio::time::sleep_until(hold_start_t).await;
    let cpu0 = pids_cpu_secs(&args.pid);
    let w0 = Instant::now();
    tokio::time::sleep_until(end).await;
    let cpu1 = pids_cpu_secs(&args.pid);
    let wall = w0.elapsed().as_secs_f64();
    let rss = pids_rss_mb(&args.pid);
    for t in tasks {
        let _ = timeout(Duration::from_secs(15), t).await;
    }
    let results = std::mem::take(&mut *results.lock().await);
    let mut devs: Vec<u32> = Vec::new();
    let mut report = Report {
        clients: args.clients,
        rss_before_mb: rss_before,
        rss_mb: rss,
        cpu_pct: (cpu1 - cpu0) / wall.max(0.001) * 100.0,
        ..Report::default()
    };
    for s in &results {
        if s.ok {
            report.connected += 1;
        } else {
            let why = s.fail.clone().unwrap_or("no head before the end".into());
            match report.reasons.iter_mut().find(|(r, _)| *r == why) {
                Some((_, n)) => *n += 1,
                None => report.reasons.push((why, 1)),
            }
        }
        report.missing += s.missing;
        report.ticks += s.ticks;
        devs.extend_from_slice(&s.deviations_us);
    }
    report.failed = args.clients - report.connected;
    devs.sort_unstable();
    report.p50_ms = percentile(&devs, 0.5);
    report.p99_ms = percentile(&devs, 0.99);
    report.max_ms = devs.last().map_or(0.0, |d| f64::from(*d) / 1000.0);
    report
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(0)
}

/// Waits until `addr` accepts a connection (at most 10 s).
async fn wait_listening(addr: SocketAddr) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if TcpStream::connect(addr).await.is_ok() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// A child in a shell that raises its own fd limit first; killed when dropped.
fn spawn_with_fd_limit(program: &str, args: &[String], env: &[(String, String)]) -> Option<Child> {
    let mut script = String::from("ulimit -n 200000 2>/dev/null || true; exec");
    for a in std::iter::once(program.to_string()).chain(args.iter().cloned()) {
        script.push_str(" '");
        script.push_str(&a.replace('\'', r"'\''"));
        script.push('\'');
    }
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(script)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.spawn().ok()
}

struct Running {
    child: Child,
    addr: SocketAddr,
    pid: u32,
}

async fn start_rill(
    bin: &std::path::Path,
    extra: &[&str],
    env: &[(String, String)],
) -> Option<Running> {
    let mut args: Vec<String> = vec![
        "--addr".into(),
        "127.0.0.1:0".into(),
        "--max-streams".into(),
        "0".into(),
        "--max-streams-per-client".into(),
        "0".into(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let mut env = env.to_vec();
    env.push(("RUST_LOG".into(), "warn".into()));
    let mut child = spawn_with_fd_limit(&bin.to_string_lossy(), &args, &env)?;
    let pid = child.id()?;
    let stdout = child.stdout.take()?;
    let mut lines = BufReader::new(stdout).lines();
    let line = timeout(Duration::from_secs(10), lines.next_line())
        .await
        .ok()?
        .ok()??;
    let addr: SocketAddr = line.rsplit("http://").next()?.trim().parse().ok()?;
    // Keep draining stdout so the child never blocks on it.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Some(Running { child, addr, pid })
}

async fn start_node(js: &std::path::Path) -> Option<Running> {
    let port = free_port();
    let env = vec![
        ("PORT".to_string(), port.to_string()),
        ("HOST".to_string(), "127.0.0.1".to_string()),
    ];
    let mut child = spawn_with_fd_limit("node", &[js.to_string_lossy().into_owned()], &env)?;
    let pid = child.id()?;
    // Node logs every connection: drain it.
    if let Some(stdout) = child.stdout.take() {
        let mut lines = BufReader::new(stdout).lines();
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    }
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    if !wait_listening(addr).await {
        return None;
    }
    Some(Running { child, addr, pid })
}

/// Milliseconds from sending a streamed chat request on a fresh connection to its first
/// `data:` event, `n` times; (median, p99).
async fn first_byte(addr: SocketAddr, n: usize) -> Option<(f64, f64)> {
    let body = r#"{"model":"rill-demo","stream":true,"messages":[{"role":"user","content":"hi"}]}"#;
    let req = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let started = Instant::now();
        let mut sock = timeout(Duration::from_secs(5), TcpStream::connect(addr))
            .await
            .ok()?
            .ok()?;
        sock.write_all(req.as_bytes()).await.ok()?;
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let got = timeout(Duration::from_secs(5), sock.read(&mut chunk))
                .await
                .ok()?
                .ok()?;
            if got == 0 {
                return None;
            }
            buf.extend_from_slice(&chunk[..got]);
            if find(&buf, b"data: ").is_some() {
                break;
            }
        }
        times.push((started.elapsed().as_secs_f64() * 1e6) as u32);
    }
    times.sort_unstable();
    Some((percentile(&times, 0.5), percentile(&times, 0.99)))
}

async fn bench(args: BenchArgs) -> i32 {
    raise_fd_limit(200_000);
    let env: Vec<(String, String)> = args
        .server_env
        .iter()
        .filter_map(|kv| {
            kv.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
        })
        .collect();
    let mut rows = Vec::new();
    for &clients in &args.clients {
        let mut servers: Vec<&str> = vec!["rill-server"];
        if args.node_js.is_some() {
            servers.push("node");
        }
        for which in servers {
            let running = match which {
                "node" => {
                    start_node(args.node_js.as_deref().unwrap_or(std::path::Path::new(""))).await
                }
                _ => start_rill(&args.server, &[], &env).await,
            };
            let Some(mut running) = running else {
                eprintln!("rill-load: could not start {which}");
                return 1;
            };
            let report = run(RunArgs {
                addr: running.addr,
                clients,
                ramp: args.ramp,
                hold: args.hold,
                sources: 16,
                path: "/stream".into(),
                pid: vec![running.pid],
            })
            .await;
            println!("{}", report.line(which));
            let _ = running.child.kill().await;
            rows.push((which.to_string(), report));
            // Let the kernel reclaim the closed sockets before the next run.
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
    }
    // --upstream's first byte: a second rill-server as the upstream.
    let upstream = start_rill(&args.server, &["--rate", "0"], &env).await;
    let mut fb = None;
    if let Some(up) = &upstream {
        let url = format!("http://{}", up.addr);
        let proxy = start_rill(&args.server, &["--upstream", &url], &env).await;
        if let Some(proxy) = &proxy {
            // Warm both (connection pool, caches).
            let _ = first_byte(up.addr, 20).await;
            let _ = first_byte(proxy.addr, 20).await;
            let direct = first_byte(up.addr, 300).await;
            let via = first_byte(proxy.addr, 300).await;
            if let (Some(d), Some(v)) = (direct, via) {
                println!(
                    "first byte: direct p50 {:.3} ms p99 {:.3} ms; via --upstream p50 {:.3} ms p99 {:.3} ms",
                    d.0, d.1, v.0, v.1
                );
                fb = Some((d, v));
            }
        }
        drop(proxy);
    }
    drop(upstream);
    if !args.no_write {
        let section = section(&args, &rows, fb);
        let existing = std::fs::read_to_string(&args.out).unwrap_or_default();
        let updated = splice(&existing, SECTION, &section);
        if let Err(err) = std::fs::write(&args.out, updated) {
            eprintln!("rill-load: cannot write {}: {err}", args.out.display());
            return 1;
        }
        println!("wrote {} ({SECTION})", args.out.display());
    }
    0
}

const SECTION: &str = "## rill-server under load";

/// Measured once by hand (it needs the old binary), kept with the section.
const MEMORY_NOTE: &str = "\nMemory before and after (10,000 clients, same client, same machine, one run each): rill-server at 4df28d0 (`axum::serve`) 330.6 MB RSS, 33.4 KB per client; with its own accept loop (hyper's HTTP/1.1 connection directly instead of axum::serve's hyper-util auto HTTP/1+2 connection) 123.0 MB, 12.2 KB; with the tick encoded once per second for all clients and the request future boxed 116.7 MB, 11.5 KB. Tried without effect: `MALLOC_ARENA_MAX=1` (123.5 MB), `MALLOC_MMAP_THRESHOLD_=8192` (114.2 MB), no idle watchdog (116.9 MB). Then jemalloc as the binary's allocator (2026-12-03, same load, `rill-load bench --clients 10000 --ramp 10 --hold 10`): glibc malloc 117.4 MB, 11.5 KB per client; mimalloc 199.3 MB, 19.4 KB; jemalloc 78.2 MB, 7.5 KB. glibc's inline chunk headers touch pages of hyper's two 8 KB buffers per connection (read, and the response head's) that jemalloc's slabs leave untouched; what is left is mostly those buffers' touched pages, which hyper does not let a server make smaller.\n";

fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y}-{m:02}-{d:02} {:02}:{:02} UTC",
        sod / 3600,
        sod % 3600 / 60
    )
}

fn section(
    args: &BenchArgs,
    rows: &[(String, Report)],
    fb: Option<((f64, f64), (f64, f64))>,
) -> String {
    let mut s = String::new();
    s.push_str(SECTION);
    s.push_str("\n\n<!-- Written by `./x bench` (bench/load, rill-load bench); rerun it rather than editing. -->\n\n");
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    s.push_str(&format!(
        "- Date: {} · machine: {cores} cores (shared with other work: figures are noisy) · command: `./x bench` \
         (`rill-load bench --clients {} --ramp {} --hold {}`), release rill-server with `--max-streams 0 \
         --max-streams-per-client 0`{}, the original `clock_server.js` on node {}\n",
        utc_now(),
        args.clients.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(","),
        args.ramp,
        args.hold,
        if args.server_env.is_empty() { String::new() } else { format!(" (env {})", args.server_env.join(" ")) },
        node_version()
    ));
    s.push_str(&format!(
        "- Open-file limit here: {} per process (hard; this sandbox may not raise it), so one server \
         holds at most about that many clients: 30,000 clients need a machine that allows more \
         (`--clients 10000,30000`; both rill-server and rill-load raise their own limit when they may).\n",
        fd_hard_limit()
    ));
    s.push_str("- Each client: `GET /stream` from 127.0.0.1–16 on its own connection, connected over the ramp, \
                then measured for the hold: deviation = |gap between two ticks − 1 s|, a gap over 1.5 s counts \
                its skipped seconds as missing; RSS (VmRSS) at the end of the hold, CPU over the hold (100 % = one core).\n\n");
    s.push_str("| Server | Clients | Failed | Missing | p50 dev | p99 dev | max dev | RSS | per client | CPU |\n");
    s.push_str("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for (name, r) in rows {
        s.push_str(&format!(
            "| {name} | {} | {}{} | {} | {:.2} ms | {:.2} ms | {:.1} ms | {:.1} MB | {:.1} KB | {:.1} % |\n",
            r.clients, r.failed, r.reasons_text(), r.missing, r.p50_ms, r.p99_ms, r.max_ms, r.rss_mb, r.per_client_kb(), r.cpu_pct
        ));
    }
    s.push_str(MEMORY_NOTE);
    if let Some((d, v)) = fb {
        s.push_str(&format!(
            "\n`--upstream` first byte (POST /v1/chat/completions, stream, a fresh connection each, to the first \
             `data:`; the upstream is a second rill-server with `--rate 0`; 300 requests): direct p50 {:.3} ms, \
             p99 {:.3} ms; through `--upstream` p50 {:.3} ms, p99 {:.3} ms (adds {:.3} ms at p50).\n",
            d.0, d.1, v.0, v.1, v.0 - d.0
        ));
    }
    s
}

fn fd_hard_limit() -> u64 {
    // SAFETY: getrlimit only writes the struct passed to it.
    unsafe {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 {
            lim.rlim_max
        } else {
            0
        }
    }
}

fn node_version() -> String {
    std::process::Command::new("node")
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "?".into())
}

fn main() {
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("rill-load: {err}");
            std::process::exit(1);
        }
    };
    let code = rt.block_on(async move {
        match cli.cmd {
            Cmd::Run(args) => {
                let r = run(args).await;
                println!("{}", r.line("run"));
                i32::from(r.failed > 0 || r.missing > 0)
            }
            Cmd::Bench(args) => bench(args).await,
            Cmd::Engines(args) => engines::bench(args).await,
        }
    });
    std::process::exit(code);
}

#[cfg(test)]
mod tests {
    use super::splice;

    #[test]
    fn splice_keeps_other_sections() {
        let before = "# B\n\n## A\n\na\n\n## rill-server under load\n\nold\n\n## C\n\nc\n";
        let out = splice(before, super::SECTION, "## rill-server under load\n\nnew\n");
        assert_eq!(
            out,
            "# B\n\n## A\n\na\n\n## rill-server under load\n\nnew\n\n## C\n\nc\n"
        );
    }

    #[test]
    fn a_refusal_is_named_by_its_status() {
        use super::refusal;
        assert_eq!(refusal(b"HTTP/1.1 502 Bad Gateway\r\n"), "status 502");
        assert_eq!(refusal(b"HTTP/1.1 500 Internal Server Error"), "status 500");
        assert_eq!(refusal(b"HTTP/1.0 503 x"), "status 503");
        // Not a status line: named as before.
        assert_eq!(refusal(b"SSH-2.0-x\r\n"), "not 200");
        assert_eq!(refusal(b"HTTP/1.1 5"), "not 200");
        assert_eq!(refusal(b"HTTP/1.1 5x2 y"), "not 200");
        assert_eq!(refusal(b""), "not 200");
    }
}
