//! Harness for rill's end-to-end tests: real processes, real headless Chromium.
//!
//! Everything a test starts is owned by a value that stops it on drop (servers, chromedriver
//! and its browser, the Node interop server), ports are chosen free, and every wait polls a
//! condition with a deadline. Nothing here sleeps for a fixed time to "let things settle".

pub mod big_chat;
pub mod deploy;
pub mod forward;
pub mod inspect;
pub mod resume;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;

/// Default bound for a single wait.
pub const WAIT: Duration = Duration::from_secs(15);

/// The workspace root (two levels above this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// The built app (`./x test` builds it with trunk before running these tests).
pub fn dist_dir() -> PathBuf {
    let dir = std::env::var_os("RILL_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target/e2e-dist"));
    assert!(
        dir.join("index.html").is_file(),
        "no built app at {} — run the e2e tests through `./x test`, which builds it",
        dir.display()
    );
    dir
}

/// The `../shared/seed` folder with the original servers, when this checkout has it.
pub fn seed_dir() -> Option<PathBuf> {
    let dir = workspace_root().join("../shared/seed");
    dir.join("clock_server.js").is_file().then_some(dir)
}

/// A port that was free a moment ago (for servers that cannot report a port 0 choice).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// Polls `f` until it returns `Some`, or panics after `timeout` naming `what`.
pub async fn poll<T, F, Fut>(what: &str, timeout: Duration, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A child process in its own process group, killed with its whole group on drop.
pub struct Proc {
    child: Child,
    name: String,
}

impl Proc {
    /// Spawns `cmd` in a new process group.
    pub fn spawn(name: &str, mut cmd: Command) -> Proc {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        Proc {
            child,
            name: name.to_string(),
        }
    }

    /// Its stdout, when it was spawned with `Stdio::piped()` (once).
    pub fn take_stdout(&mut self) -> Option<std::process::ChildStdout> {
        self.child.stdout.take()
    }

    /// The process id (also its process group id).
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Kills the process group now and waits for the leader. Only once: after the leader
    /// is reaped its id may belong to someone else.
    pub fn kill(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        if let Ok(pgid) = i32::try_from(self.child.id()) {
            if pgid > 1 {
                // SAFETY: kill(2) with a negative pid signals that process group only; the
                // group is the one this Proc created (`process_group(0)`), its leader is not
                // reaped yet, so the id cannot have been reused.
                unsafe {
                    libc::kill(-pgid, libc::SIGKILL);
                }
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
        let _ = &self.name;
    }
}

/// A rill-server process; its stdout's first line gives its address, and its log lines are
/// kept so tests can read the live stream count it logs.
pub struct RillServer {
    proc: Proc,
    /// `http://127.0.0.1:PORT`
    pub url: String,
    pub port: u16,
    log: Arc<Mutex<Vec<String>>>,
}

impl RillServer {
    /// Starts `rill-server --addr ADDR --test-routes ARGS…` with debug logs for its own
    /// crate. The test routes are on because the end-to-end tests use them (faulty feeds,
    /// statuses); [`RillServer::start_without_test_routes`] starts a server as deployed.
    pub fn start(addr: &str, args: &[&str]) -> RillServer {
        let mut with_flag = vec!["--test-routes"];
        with_flag.extend_from_slice(args);
        RillServer::start_without_test_routes(addr, &with_flag)
    }

    /// Starts `rill-server --addr ADDR ARGS…` as given: without `--test-routes`, as a
    /// deployed server runs, so a test can check that `/test/…` is not served.
    pub fn start_without_test_routes(addr: &str, args: &[&str]) -> RillServer {
        let bin = std::env::var_os("RILL_SERVER_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| workspace_root().join("target/debug/rill-server"));
        assert!(bin.is_file(), "no rill-server binary at {}", bin.display());
        let mut cmd = Command::new(bin);
        cmd.arg("--addr")
            .arg(addr)
            .args(args)
            .env("RUST_LOG", "rill_server=debug")
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut proc = Proc::spawn("rill-server", cmd);
        let stdout = proc.child.stdout.take().expect("stdout");
        let stderr = proc.child.stderr.take().expect("stderr");
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Ok(mut l) = sink.lock() {
                    l.push(line);
                }
            }
        });
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(first)) = lines.next() {
                let _ = tx.send(first);
            }
            for _ in lines {}
        });
        let first = rx.recv_timeout(WAIT).unwrap_or_else(|_| {
            panic!(
                "rill-server did not report its address; log: {:?}",
                log.lock().map(|l| l.clone())
            )
        });
        let url = first
            .strip_prefix("rill-server listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
            .to_string();
        let port = url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("port in url");
        RillServer {
            proc,
            url,
            port,
            log,
        }
    }

    /// Serves the built app from a fresh rill-server on a free port (test routes on).
    pub fn app() -> RillServer {
        let dist = dist_dir();
        RillServer::start(
            "127.0.0.1:0",
            &["--dist", dist.to_str().expect("utf-8 path")],
        )
    }

    /// [`RillServer::app`] with more flags (e.g. `--rate 400` for faster demo replies).
    pub fn app_with(args: &[&str]) -> RillServer {
        let dist = dist_dir();
        let mut all = vec!["--dist", dist.to_str().expect("utf-8 path")];
        all.extend_from_slice(args);
        RillServer::start("127.0.0.1:0", &all)
    }

    /// Serves the built app as deployed: a fresh rill-server without `--test-routes`.
    pub fn app_without_test_routes() -> RillServer {
        let dist = dist_dir();
        RillServer::start_without_test_routes(
            "127.0.0.1:0",
            &["--dist", dist.to_str().expect("utf-8 path")],
        )
    }

    /// The live stream count from the server's latest debug log line.
    pub fn open_streams(&self) -> usize {
        let log = self.log.lock().map(|l| l.clone()).unwrap_or_default();
        log.iter()
            .rev()
            .find_map(|line| {
                let rest = line.split("open_streams=").nth(1)?;
                rest.split(|c: char| !c.is_ascii_digit())
                    .next()?
                    .parse()
                    .ok()
            })
            .unwrap_or(0)
    }

    /// How many log lines so far contain `needle`.
    pub fn log_count(&self, needle: &str) -> usize {
        self.log
            .lock()
            .map(|l| l.iter().filter(|line| line.contains(needle)).count())
            .unwrap_or(0)
    }

    /// Stops the server now (as a crash would: SIGKILL).
    pub fn kill(&mut self) {
        self.proc.kill();
    }
}

/// The original Node clock server from `../shared/seed/`, on a free port.
pub struct NodeClock {
    _proc: Proc,
    pub port: u16,
}

impl NodeClock {
    /// Starts it on `port`; `None` when the seed or node is missing.
    pub async fn start(port: u16) -> Option<NodeClock> {
        let seed = seed_dir()?;
        Command::new("node").arg("--version").output().ok()?;
        let mut cmd = Command::new("node");
        cmd.arg(seed.join("clock_server.js"))
            .env("PORT", port.to_string())
            .env("HOST", "127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let proc = Proc::spawn("node clock_server.js", cmd);
        let addr: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
        poll("node clock server to listen", WAIT, || async move {
            std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200))
                .ok()
                .map(|_| ())
        })
        .await;
        Some(NodeClock { _proc: proc, port })
    }
}

/// chromedriver plus a headless Chromium session.
pub struct Browser {
    pub client: Client,
    _driver: Proc,
    _profile: TempDir,
}

/// A directory removed on drop.
pub struct TempDir(pub PathBuf);
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Browser {
    /// Starts chromedriver on a free port and opens a headless Chromium session.
    pub async fn start() -> Browser {
        let port = free_port();
        let driver_bin = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
        let mut cmd = Command::new(&driver_bin);
        cmd.arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let driver = Proc::spawn("chromedriver", cmd);
        let webdriver = format!("http://127.0.0.1:{port}");
        let profile = TempDir(
            std::env::temp_dir().join(format!("rill-e2e-chrome-{}-{port}", std::process::id())),
        );
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--no-first-run", "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--disable-quic", "--window-size=1280,900",
                    format!("--user-data-dir={}", profile.0.display()),
                ]
            }),
        );
        let client = poll(
            "chromedriver to accept a session",
            Duration::from_secs(30),
            || {
                let caps = caps.clone();
                let webdriver = webdriver.clone();
                async move {
                    ClientBuilder::new(HttpConnector::new())
                        .capabilities(caps)
                        .connect(&webdriver)
                        .await
                        .ok()
                }
            },
        )
        .await;
        Browser {
            client,
            _driver: driver,
            _profile: profile,
        }
    }

    /// Opens `url`.
    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("navigate");
    }

    /// Waits until the element matching `css` has an attribute value accepted by `pred`.
    pub async fn wait_attr(
        &self,
        css: &str,
        attr: &str,
        pred: impl Fn(&str) -> bool,
        timeout: Duration,
    ) -> String {
        let what = format!("{css} [{attr}] to match");
        poll(&what, timeout, || async {
            let el = self.client.find(Locator::Css(css)).await.ok()?;
            let value = el.attr(attr).await.ok()??;
            pred(&value).then_some(value)
        })
        .await
    }

    /// Waits until the element matching `css` has text accepted by `pred`.
    pub async fn wait_text(
        &self,
        css: &str,
        pred: impl Fn(&str) -> bool,
        timeout: Duration,
    ) -> String {
        let what = format!("text of {css} to match");
        poll(&what, timeout, || async {
            let el = self.client.find(Locator::Css(css)).await.ok()?;
            let text = el.text().await.ok()?;
            pred(&text).then_some(text)
        })
        .await
    }

    /// The text of the element matching `css` now (empty if absent).
    pub async fn text(&self, css: &str) -> String {
        match self.client.find(Locator::Css(css)).await {
            Ok(el) => el.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// Clicks the element matching `css`.
    pub async fn click(&self, css: &str) {
        let el = poll(&format!("{css} to exist"), WAIT, || async {
            self.client.find(Locator::Css(css)).await.ok()
        })
        .await;
        el.click().await.expect("click");
    }

    /// Runs `script` in the page and returns its JSON result.
    pub async fn js(&self, script: &str) -> serde_json::Value {
        self.client
            .execute(script, Vec::new())
            .await
            .expect("execute script")
    }

    /// How many elements match `css`.
    pub async fn count(&self, css: &str) -> usize {
        self.client
            .find_all(Locator::Css(css))
            .await
            .map(|v| v.len())
            .unwrap_or(0)
    }

    /// The rendered text (`innerText`, trimmed) and an attribute of the last element
    /// matching `css`, read together in one script so they describe the same moment.
    pub async fn last(&self, css: &str, attr: &str) -> Option<(String, String)> {
        let script = "const all = document.querySelectorAll(arguments[0]);
             const el = all[all.length - 1];
             return el ? [el.innerText.trim(), el.getAttribute(arguments[1])] : null;";
        let args = vec![serde_json::json!(css), serde_json::json!(attr)];
        let value = self.client.execute(script, args).await.ok()?;
        let pair = value.as_array()?;
        Some((
            pair.first()?.as_str()?.to_string(),
            pair.get(1)?.as_str()?.to_string(),
        ))
    }

    /// Waits until the last element matching `css` has `attr` accepted by `pred`; returns
    /// its (text, attribute).
    pub async fn wait_last(
        &self,
        css: &str,
        attr: &str,
        pred: impl Fn(&str, &str) -> bool,
        timeout: Duration,
    ) -> (String, String) {
        let what = format!("last {css} with [{attr}] to match");
        poll(&what, timeout, || async {
            let (text, value) = self.last(css, attr).await?;
            pred(&text, &value).then_some((text, value))
        })
        .await
    }

    /// Runs a DevTools command through chromedriver (`Page.addScriptToEvaluateOnNewDocument`,
    /// `Emulation.setEmulatedMedia`, …); returns its result.
    pub async fn cdp(
        &self,
        cmd: &'static str,
        params: serde_json::Value,
    ) -> Result<serde_json::Value, fantoccini::error::CmdError> {
        self.client.issue_cmd(CdpExecute { cmd, params }).await
    }

    /// Types `text` into the chat's input and presses Send.
    pub async fn send_chat(&self, text: &str) {
        self.type_into(&testid("chat-input"), text).await;
        self.click(&testid("chat-send")).await;
    }

    /// The last assistant reply once it is done: its answer (`message`), reasoning (text,
    /// open, whether it sits inside the message), tool-call cards and usage line, and the
    /// start of its markup and of the saved library (for failure messages).
    pub async fn last_reply_parts(&self) -> serde_json::Value {
        self.wait_last(
            "[data-testid=\"message\"][data-role=\"assistant\"]",
            "data-state",
            |_, s| s == "done",
            WAIT,
        )
        .await;
        self.js("const art = [...document.querySelectorAll('article[data-role=assistant]')].pop();
             const q = (id) => art.querySelector(`[data-testid=${id}]`);
             const reasoning = q('message-reasoning');
             return {
               answer: q('message').innerText.trim(),
               reasoning: reasoning ? reasoning.textContent : null,
               reasoningInsideMessage: !!q('message').querySelector('[data-testid=message-reasoning]'),
               reasoningOpen: reasoning ? reasoning.open : null,
               tools: [...art.querySelectorAll('[data-testid=message-tool-call]')].map(e => e.innerText),
               usage: q('message-usage') ? q('message-usage').innerText : null,
               html: art.outerHTML.slice(0, 300),
               saved: (localStorage.getItem('rill.chat.v1') || '').slice(0, 3000),
             };")
            .await
    }

    /// Types `text` into the element matching `css` (replacing what it held).
    pub async fn type_into(&self, css: &str, text: &str) {
        let el = poll(&format!("{css} to exist"), WAIT, || async {
            self.client.find(Locator::Css(css)).await.ok()
        })
        .await;
        el.clear().await.expect("clear");
        el.send_keys(text).await.expect("type");
    }

    /// Reloads the page.
    pub async fn reload(&self) {
        self.client.refresh().await.expect("reload");
    }

    /// Saves a screenshot under `target/e2e-screens/NAME.png` for people to look at.
    pub async fn screenshot(&self, name: &str) {
        if let Ok(png) = self.client.screenshot().await {
            let dir = workspace_root().join("target/e2e-screens");
            let _ = std::fs::create_dir_all(&dir);
            let _ = std::fs::write(dir.join(format!("{name}.png")), png);
        }
    }

    /// Sizes the window so the page's viewport (`innerWidth` × `innerHeight`) is `width` ×
    /// `height` CSS pixels, as a phone's would be, and waits until the page reports it. The
    /// window is sized through WebDriver, then corrected by whatever the browser's own frame
    /// takes (none in headless Chromium today).
    pub async fn set_viewport(&self, width: u32, height: u32) {
        let inner = || async {
            let v = self
                .js("return [window.innerWidth, window.innerHeight];")
                .await;
            Some((v.get(0)?.as_u64()?, v.get(1)?.as_u64()?))
        };
        self.client
            .set_window_size(width, height)
            .await
            .expect("set window size");
        if let Some((w, h)) = inner().await {
            let (dw, dh) = (
                u64::from(width).saturating_sub(w),
                u64::from(height).saturating_sub(h),
            );
            if dw > 0 || dh > 0 {
                let grow = |v: u32, d: u64| v + u32::try_from(d).unwrap_or(0);
                self.client
                    .set_window_size(grow(width, dw), grow(height, dh))
                    .await
                    .expect("set window size");
            }
        }
        let want = (u64::from(width), u64::from(height));
        poll(&format!("a {width}x{height} viewport"), WAIT, || async {
            (inner().await? == want).then_some(())
        })
        .await;
    }

    /// Runs axe-core (the browser build at `RILL_AXE_JS`, else where `./x setup` puts it) on
    /// the whole document; returns one readable line per violation, prefixed with `page`.
    /// A missing axe fails the test: an environment without it cannot pass for accessible.
    pub async fn axe_violations(&self, page: &str) -> Vec<String> {
        let path = std::env::var_os("RILL_AXE_JS")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                workspace_root().join("target/npm/node_modules/axe-core/axe.min.js")
            });
        let axe = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "axe-core is missing: cannot read {} ({e}). Run `./x setup` or set RILL_AXE_JS",
                path.display()
            )
        });
        self.client
            .execute(&axe, Vec::new())
            .await
            .unwrap_or_else(|e| panic!("{page}: injecting axe-core failed: {e}"));
        let script = "const done = arguments[arguments.length - 1];
            axe.run(document, { resultTypes: ['violations'] })
              .then((r) => done({ ok: r.violations.map((v) => `${v.id} (${v.impact}) — ${v.help}` +
                  v.nodes.map((n) => `\\n    at ${n.target.join(' ')}: ${String(n.failureSummary).replace(/\\n/g, ' / ')}`).join('')) }))
              .catch((e) => done({ error: String(e) }));";
        let result = self
            .client
            .execute_async(script, Vec::new())
            .await
            .unwrap_or_else(|e| panic!("{page}: axe.run failed: {e}"));
        if let Some(error) = result.get("error") {
            panic!("{page}: axe.run threw: {error}");
        }
        result
            .get("ok")
            .and_then(|v| v.as_array())
            .unwrap_or_else(|| panic!("{page}: unexpected axe result {result}"))
            .iter()
            .map(|line| format!("{page}: {}", line.as_str().unwrap_or_default()))
            .collect()
    }

    /// Ends the WebDriver session (the browser exits); chromedriver is stopped on drop.
    pub async fn close(self) {
        let Browser {
            client,
            _driver,
            _profile,
        } = self;
        let _ = tokio::time::timeout(Duration::from_secs(10), client.close()).await;
    }
}

/// Percent-encodes a URL parameter value.
pub fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `[data-testid="ID"]`
pub fn testid(id: &str) -> String {
    format!("[data-testid=\"{id}\"]")
}

/// True if `s` looks like the original's time: `2026/1/5 09:03:07`.
pub fn is_node_time(s: &str) -> bool {
    let Some((date, time)) = s.trim().split_once(' ') else {
        return false;
    };
    let d: Vec<&str> = date.split('/').collect();
    let t: Vec<&str> = time.split(':').collect();
    d.len() == 3
        && d.iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        && t.len() == 3
        && t.iter()
            .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit()))
}

/// `v[key]` as a string ("" when absent or not a string).
pub fn json_str(v: &serde_json::Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_string()
}

/// chromedriver's CDP passthrough: `POST /session/{id}/goog/cdp/execute`.
#[derive(Debug)]
struct CdpExecute {
    cmd: &'static str,
    params: serde_json::Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for CdpExecute {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        let id = session_id.ok_or(url::ParseError::EmptyHost)?;
        base_url.join(&format!("session/{id}/goog/cdp/execute"))
    }

    fn method_and_body(&self, _url: &url::Url) -> (http::Method, Option<String>) {
        let body = serde_json::json!({ "cmd": self.cmd, "params": self.params });
        (http::Method::POST, Some(body.to_string()))
    }
}
