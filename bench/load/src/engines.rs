//! `rill-load engines`: the clock feed to N loopback subscribers through Nchan and Pushpin
//! (each started by `deploy/run`, with rill-server publishing into it) vs rill-server
//! direct vs the original Node server, the same client for all; writes the "Feeds through
//! an engine under load" section of BENCHMARKS.md.
//!
//! RSS and CPU are the serving processes': rill-server or node; nginx (its master and
//! worker); Pushpin's condure, pushpin-proxy, pushpin-handler and zurl. The
//! publishing rill-server beside an engine is not counted (one request a second per feed).
//! Every engine is stopped (its process group gets SIGTERM, then SIGKILL) after its run.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::time::timeout;

use super::{node_version, run, splice, start_node, start_rill, utc_now, Report, RunArgs};

#[derive(clap::Args)]
pub struct EnginesArgs {
    /// The rill-server binary (a release build).
    #[arg(long)]
    server: PathBuf,
    /// deploy/run.
    #[arg(long)]
    deploy: PathBuf,
    /// The original Node clock server (../shared/seed/clock_server.js).
    #[arg(long)]
    node_js: Option<PathBuf>,
    /// Engines to run (nchan, pushpin).
    #[arg(long, value_delimiter = ',', default_value = "nchan,pushpin")]
    engines: Vec<String>,
    #[arg(long, value_delimiter = ',', default_value = "1000,5000")]
    clients: Vec<usize>,
    #[arg(long, default_value_t = 5.0)]
    ramp: f64,
    #[arg(long, default_value_t = 10.0)]
    hold: f64,
    #[arg(long, default_value = "BENCHMARKS.md")]
    out: PathBuf,
    #[arg(long)]
    no_write: bool,
}

/// A `deploy/run` in its own process group, stopped when dropped.
struct Deployed {
    child: Child,
    vals: HashMap<String, String>,
}

impl Deployed {
    async fn start(deploy: &PathBuf, engine: &str, server: &PathBuf) -> Option<Deployed> {
        let mut cmd = Command::new(deploy);
        cmd.arg(engine)
            .arg("--rill")
            .arg(server)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .process_group(0)
            .kill_on_drop(true);
        let mut child = cmd.spawn().ok()?;
        let stdout = child.stdout.take()?;
        let mut lines = BufReader::new(stdout).lines();
        let mut vals = HashMap::new();
        let ready = timeout(Duration::from_secs(30), async {
            while let Ok(Some(line)) = lines.next_line().await {
                if line == "ready" {
                    return true;
                }
                if let Some((k, v)) = line.split_once('=') {
                    vals.insert(k.to_string(), v.to_string());
                }
            }
            false
        })
        .await
        .unwrap_or(false);
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let deployed = Deployed { child, vals };
        ready.then_some(deployed)
    }

    /// The engine's serving processes, from the pid files in its scratch folder.
    fn pids(&self, engine: &str) -> Vec<u32> {
        let Some(dir) = self.vals.get("dir") else {
            return Vec::new();
        };
        let files: &[&str] = match engine {
            "nchan" => &["nginx.pid"],
            _ => &[
                "run/condure.pid",
                "run/pushpin-proxy.pid",
                "run/pushpin-handler.pid",
                "run/zurl.pid",
            ],
        };
        let pids: Vec<u32> = files
            .iter()
            .filter_map(|f| std::fs::read_to_string(format!("{dir}/{f}")).ok())
            .filter_map(|s| s.trim().parse().ok())
            .collect();
        // nginx's pid file names its master; its worker is a child.
        let children = pids.iter().flat_map(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
                .unwrap_or_default()
                .split_whitespace()
                .filter_map(|c| c.parse::<u32>().ok())
                .collect::<Vec<_>>()
        });
        let mut all: Vec<u32> = pids.iter().copied().chain(children).collect();
        all.sort_unstable();
        all.dedup();
        all
    }

    /// The clock's address and path on the engine.
    fn clock(&self) -> Option<(SocketAddr, String)> {
        let url = self.vals.get("clock")?;
        let rest = url.strip_prefix("http://")?;
        let i = rest.find('/')?;
        Some((rest[..i].parse().ok()?, rest[i..].to_string()))
    }

    async fn stop(mut self) {
        if let Some(pid) = self.child.id().and_then(|p| i32::try_from(p).ok()) {
            // SAFETY: kill(2) on the process group this child leads (`process_group(0)`);
            // the child is not reaped yet, so the id is still its own.
            unsafe {
                libc::kill(-pid, libc::SIGTERM);
            }
            if timeout(Duration::from_secs(8), self.child.wait())
                .await
                .is_err()
            {
                unsafe {
                    libc::kill(-pid, libc::SIGKILL);
                }
            }
        }
        let _ = self.child.kill().await;
    }
}

pub async fn bench(args: EnginesArgs) -> i32 {
    super::raise_fd_limit(200_000);
    let mut rows: Vec<(String, Report)> = Vec::new();
    for &clients in &args.clients {
        let run_args = |addr, path: &str, pid: Vec<u32>| RunArgs {
            addr,
            clients,
            ramp: args.ramp,
            hold: args.hold,
            sources: 16,
            path: path.to_string(),
            pid,
        };
        if let Some(mut rill) = start_rill(&args.server, &[], &[]).await {
            let report = run(run_args(rill.addr, "/stream", vec![rill.pid])).await;
            println!("{}", report.line("rill-server"));
            rows.push(("rill-server direct".into(), report));
            let _ = rill.child.kill().await;
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        if let Some(js) = &args.node_js {
            if let Some(mut node) = start_node(js).await {
                let report = run(run_args(node.addr, "/stream", vec![node.pid])).await;
                println!("{}", report.line("node"));
                rows.push(("node (original)".into(), report));
                let _ = node.child.kill().await;
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        }
        for engine in &args.engines {
            let Some(deployed) = Deployed::start(&args.deploy, engine, &args.server).await else {
                eprintln!("rill-load: could not start {engine} (deploy/run)");
                continue;
            };
            let Some((addr, path)) = deployed.clock() else {
                eprintln!("rill-load: {engine}: no clock URL");
                deployed.stop().await;
                continue;
            };
            let pids = deployed.pids(engine);
            let report = run(run_args(addr, &path, pids)).await;
            println!("{}", report.line(engine));
            rows.push((format!("{engine} (+ rill-server publishing)"), report));
            deployed.stop().await;
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
    }
    if !args.no_write {
        let section = section(&args, &rows);
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

const SECTION: &str = "## Feeds through an engine under load";

fn section(args: &EnginesArgs, rows: &[(String, Report)]) -> String {
    let mut s = String::new();
    s.push_str(SECTION);
    s.push_str("\n\n<!-- Written by `./x bench` (bench/engine-load, rill-load engines); rerun it rather than editing. -->\n\n");
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    s.push_str(&format!(
        "- Date: {} · machine: {cores} cores shared with other work (figures are noisy) · command: `./x bench` \
         (`bench/engine-load`: `rill-load engines --clients {} --ramp {} --hold {} --engines {}`), release \
         rill-server (direct: `--max-streams 0 --max-streams-per-client 0`; beside an engine: `--publish`), \
         node {}, nginx {} with Nchan and Pushpin {} from Debian's packages, started by `deploy/run` from \
         deploy/'s configurations\n",
        utc_now(),
        args.clients.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(","),
        args.ramp,
        args.hold,
        args.engines.join(","),
        node_version(),
        tool_version("nginx", &["-v"]),
        tool_version("pushpin", &["--version"]),
    ));
    s.push_str("- The same Rust client for all (`rill-load`): each subscriber `GET`s the clock (rill-server and node: `/stream`; \
                Nchan: `/sub/clock`; Pushpin: `/stream` through Pushpin) on its own connection from 127.0.0.1–16, connected over \
                the ramp, then measured over the hold: deviation = |gap between two ticks − 1 s|; a gap over 1.5 s counts its \
                skipped seconds as missing. RSS and CPU (100 % = one core) are the serving processes' (rill-server or node; \
                nginx's master and worker; Pushpin's condure, proxy, handler and zurl), not the publishing rill-server's.\n\n");
    s.push_str("| Server | Clients | Failed | Missing | p50 dev | p99 dev | max dev | RSS | per client | CPU |\n");
    s.push_str("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for (name, r) in rows {
        s.push_str(&format!(
            "| {name} | {} | {}{} | {} | {:.2} ms | {:.2} ms | {:.1} ms | {:.1} MB | {:.1} KB | {:.1} % |\n",
            r.clients, r.failed, r.reasons_text(), r.missing, r.p50_ms, r.p99_ms, r.max_ms, r.rss_mb, r.per_client_kb(), r.cpu_pct
        ));
    }
    s.push_str(NOTE);
    s
}

/// How to read the table (what the figures include), kept with the section.
const NOTE: &str = "\nThrough an engine a tick takes one more hop (rill-server publishes it, the engine writes it to \
    every subscriber), so its deviation includes the publish and the engine's own fan-out; the engines' RSS \
    starts higher (nginx with Nchan's shared memory; Pushpin's four processes). \"status N\" is an engine's \
    refusal of a new subscriber with that status. Pushpin takes at most 100 requests at once \
    (`max_open_requests` in deploy/pushpin/pushpin.conf; a burst waits in condure instead of being \
    answered 502 or 500) and delivers up to 50,000 messages a second (`message_rate`; Debian's 2,500 \
    would give 5,000 subscribers every other tick).\n";

fn tool_version(bin: &str, args: &[&str]) -> String {
    std::process::Command::new(bin)
        .args(args)
        .output()
        .ok()
        .map(|o| {
            let text = String::from_utf8_lossy(if o.stdout.is_empty() {
                &o.stderr
            } else {
                &o.stdout
            })
            .to_string();
            text.split_whitespace()
                .find_map(|w| {
                    let v = w.rsplit('/').next().unwrap_or(w);
                    v.chars()
                        .next()
                        .filter(char::is_ascii_digit)
                        .map(|_| v.to_string())
                })
                .unwrap_or_else(|| "?".into())
        })
        .unwrap_or_else(|| "?".into())
}
