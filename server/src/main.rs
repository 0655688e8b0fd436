//! The `rill-server` binary: parses flags, sets up logging, serves until Ctrl-C or SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use rill_server::chat::replies::{self, ReplyLimits};
use rill_server::chat::{ChatConfig, Upstream, DEFAULT_SUMMARY_MODEL};
use rill_server::publish::{self, Engine, EngineKind, Publisher};
use rill_server::{router, serve_with, AppState, Config, Limits};
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

/// jemalloc: 7.5 KB of RSS per idle `/stream` client where glibc malloc took 11.5 KB (its
/// chunk headers touch pages of hyper's per-connection buffers that jemalloc leaves alone).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Printed after the flags by `--help`.
const AFTER_HELP: &str = "\
Routes:
  GET  /stream                 the original clock feed (byte-exact, no CORS layer)
  /test/...                    streams with faults on purpose, only with --test-routes
                               (404 otherwise); sent as text/plain, application/json,
                               text/event-stream or application/x-ndjson only, with
                               nosniff and Content-Security-Policy: sandbox
  POST /v1/chat/completions    OpenAI-compatible (stream: true -> SSE ending in data: [DONE])
  POST /v1/messages            Anthropic Messages (stream: true -> message_start ... message_stop)
  POST /v1/responses           OpenAI Responses (stream: true -> response.created ... response.completed)
  GET  /v1/models
  POST /api/chat, /api/generate  Ollama-compatible NDJSON; GET /api/tags, /api/version
  GET|POST /gpt/summary?content=...  the original summary feed (sse_starlette framing)
  GET  /demo/ticker, /demo/scores, /demo/news  demo feeds: JSON events with integer ids,
                               resumed on Last-Event-ID without gap or duplicate
  GET  /demo/buffered          the ticker released in bursts, as a buffering proxy would
  GET  /v1/replies/ID, /api/replies/ID, /gpt/replies/ID  resume a streamed reply
                               (Last-Event-ID header or ?last_event_id=N; SSE with ids;
                               204 when it ended with nothing more, 404 unknown/expired)
  POST /v1/replies/ID/stop (and /api/..., /gpt/...)  end a reply's generation
  GET  /v1/replies/ID/known    204 while the reply is kept, else 404 (Nchan asks it before
                               a reattach through it: nchan_authorize_request)
  --publish nchan=URL          also publish the clock (channel `clock`: the time each second,
                               id = its Unix second) and the demo feeds (`demo-ticker`,
                               `demo-scores`, `demo-news`: event n under id n) into Nchan:
                               POST URL/pub/CHANNEL; browsers subscribe to URL/sub/CHANNEL
                               (deploy/nchan/nginx.conf); Nchan numbers messages itself
                               (id TIME:TAG) and resumes them on Last-Event-ID. Every
                               streamed reply goes to channel reply-ID too (its SSE bytes,
                               rill's ids); a chat request that came through nginx
                               (Rill-Via: nchan) is offered Rill-Resume: /sub/reply-ID there
  --publish pushpin=URL        the same into Pushpin's control API (URL: e.g.
                               http://127.0.0.1:5561; POST URL/publish/, http-stream items
                               with id and prev-id); rill-server is Pushpin's origin: a
                               request for /stream or /demo/ticker|scores|news through
                               Pushpin (Grip-Sig) is answered with its head, what a
                               Last-Event-ID missed, and Grip-Hold/Grip-Channel/Grip-Link
                               (deploy/pushpin/routes); direct requests are served as before.
                               Every streamed reply goes to channel reply-ID too, and a
                               reattach (GET .../replies/ID) through Pushpin is held on it
  /...                         with --dist, the app's files

The built-in model `rill-demo` answers any model name with a deterministic markdown reply
(Simplified Chinese for a CJK prompt). Test markers in the last user message:
  [[long:N]]      a reply of exactly N tokens
  [[slow]]        2 tokens per second
  [[drop:N]]      the connection breaks after N tokens (no final chunk, no [DONE])
  [[error:S]]     HTTP status S with the API's JSON error body (message \"boom\")
  [[malformed]]   one chunk of invalid JSON after 3 tokens, then the stream goes on
  [[echo]]        the reply is exactly the prompt without its markers
  [[system]]      the reply is exactly the system prompt (echo wins)
With --upstream, exactly the routes above under /v1 and /api, with their methods, are
forwarded instead (and the markers mean nothing here); any other /v1 or /api request is
answered 404 and never reaches the upstream.

Security:
  Every answer has X-Content-Type-Options: nosniff and Referrer-Policy: no-referrer; the
  app's files (--dist) have the Content-Security-Policy
    default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self';
    img-src 'self' data:; font-src 'self'; connect-src 'self' http: https:;
    object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'
  with frame-ancestors from --frame-ancestors.
  Host check (DNS rebinding): only requests whose Host is a loopback name (localhost,
  *.localhost), an IP address, or a name given by --allowed-host are served; others get 421.
  CORS: any origin for the demo model; with --upstream none at all unless --cors-origin names
  origins. Allowed request headers are listed (Authorization, Content-Type, Accept,
  Last-Event-ID, Cache-Control, x-api-key, anthropic-version,
  anthropic-dangerous-direct-browser-access); methods GET, POST, OPTIONS.
  Paths with a `..` segment (also percent-encoded) are refused with 400.

Limits (all flags above; defaults in brackets):
  a request's headers must arrive within --header-timeout-secs [10], else the connection is
  closed; a connection that moves no byte for --idle-timeout-secs [60] is closed; at most
  --max-streams [10000] open streams, --max-streams-per-client [100] from one address, then
  503 with Retry-After: --retry-after [5]; request bodies --max-body [4 MiB] (413), sent
  within --body-timeout-secs [30] (408); a model name over 256 bytes is refused with 400;
  [[long:N]] is cut to 100000 tokens; /test/events' count to 1000000 and interval_ms to
  60000.

Resumable replies: every streamed chat answer (demo model or --upstream; OpenAI chat,
Anthropic Messages, OpenAI Responses, Ollama, summary) is generated by rill-server into a
buffer and read from it; the answer carries Rill-Reply-Id (128 random bits) and
Rill-Resume (a URL relative to the request). SSE events carry id: N (from 1); an Ollama
reply's lines are numbered by position and resumed as SSE (data: the line, id: its number).
The generation goes on when the client leaves: at most --max-replies [64] kept, each at
most --reply-buffer-bytes [16777216], stopped after --reply-linger-secs [300] with no
reader and forgotten that long after it ended and its last reader left.";

/// rill's reference backend.
#[derive(Debug, Parser)]
#[command(name = "rill-server", version, after_help = AFTER_HELP)]
struct Args {
    /// Address to listen on; port 0 picks a free port (the chosen address is printed).
    #[arg(long, default_value = "127.0.0.1:8844")]
    addr: SocketAddr,
    /// Serve a built app (`trunk build --release --dist DIR`) at `/`.
    #[arg(long, value_name = "DIR")]
    dist: Option<PathBuf>,
    /// Serve the /test/... routes (streams with faults on purpose) for rill's own tests.
    /// Never on a deployed app's origin: without this flag they answer 404.
    #[arg(long)]
    test_routes: bool,
    /// Tokens per second of the built-in demo model; 0 sends them as fast as possible.
    #[arg(long, value_name = "TOKENS_PER_SEC", default_value_t = 30.0, value_parser = non_negative)]
    rate: f64,
    /// Seconds between the `: ping` comments of /gpt/summary; 0 sends none.
    #[arg(long, value_name = "SECS", default_value_t = 15.0, value_parser = non_negative)]
    ping_secs: f64,
    /// Forward /v1/* and /api/* (and /gpt/summary's generation) to this Ollama or
    /// OpenAI-compatible server instead of the demo model, e.g. http://127.0.0.1:11434
    /// (http only; a path is a prefix, so leave out /v1).
    #[arg(long, value_name = "URL")]
    upstream: Option<Upstream>,
    /// The model /gpt/summary asks the upstream's /api/generate for.
    #[arg(long, value_name = "NAME", default_value = DEFAULT_SUMMARY_MODEL)]
    summary_model: String,
    /// An origin whose pages may call the chat routes (repeatable), e.g. http://localhost:8080;
    /// `*` allows any. Without it: any origin for the demo model, none with --upstream.
    #[arg(long = "cors-origin", value_name = "ORIGIN")]
    cors_origins: Vec<String>,
    /// Who may frame the app (the Content-Security-Policy's frame-ancestors; repeatable, or
    /// several separated by spaces), e.g. 'self' https://host.example. Default: 'self'.
    #[arg(long = "frame-ancestors", value_name = "SOURCES", value_parser = frame_ancestors)]
    frame_ancestors: Vec<String>,
    /// A DNS name this server may be reached by (repeatable; exact, case-insensitive, port
    /// ignored). Loopback names (localhost, *.localhost) and IP addresses are always served;
    /// any other Host is refused with 421, against DNS rebinding.
    #[arg(long = "allowed-host", value_name = "NAME", value_parser = allowed_host)]
    allowed_hosts: Vec<String>,
    /// Largest request body accepted by the chat routes, in bytes (larger: 413). The app's
    /// default context budget (512 KB of message text) fits with room for JSON escaping.
    #[arg(long, value_name = "BYTES", default_value_t = 4 * 1024 * 1024)]
    max_body: usize,
    /// Seconds allowed for receiving a request body (slower: 408).
    #[arg(long, value_name = "SECS", default_value_t = 30.0, value_parser = non_negative)]
    body_timeout_secs: f64,
    /// Seconds allowed for the upstream to answer with its headers (slower: 504).
    #[arg(long, value_name = "SECS", default_value_t = 30.0, value_parser = non_negative)]
    upstream_timeout_secs: f64,
    /// Seconds allowed for a request's headers to arrive (slowloris); slower: the connection
    /// is closed.
    #[arg(long, value_name = "SECS", default_value_t = 10.0, value_parser = positive)]
    header_timeout_secs: f64,
    /// Seconds a connection may move no byte either way before it is closed (idle
    /// keep-alive, a client that stopped reading); 0: never. Generous, because a reply
    /// streamed from an upstream can be silent while a model reasons before its first token.
    #[arg(long, value_name = "SECS", default_value_t = 300.0, value_parser = non_negative)]
    idle_timeout_secs: f64,
    /// Open streams (/stream, streamed chat answers, /gpt/summary, /test streams) served at
    /// once; beyond it 503 with Retry-After. 0: no limit.
    #[arg(long, value_name = "N", default_value_t = rill_server::gauge::DEFAULT_MAX_STREAMS)]
    max_streams: usize,
    /// Open streams from one client address; beyond it 503 with Retry-After. 0: no limit.
    #[arg(long, value_name = "N", default_value_t = rill_server::gauge::DEFAULT_MAX_STREAMS_PER_CLIENT)]
    max_streams_per_client: usize,
    /// Publish the clock, the demo feeds and every streamed reply into an SSE engine as
    /// well: `nchan=URL` (nginx with Nchan: its /pub/CHANNEL publisher) or `pushpin=URL`
    /// (Pushpin's control API, which also makes this server Pushpin's origin). Once per
    /// kind; see Routes below.
    #[arg(long = "publish", value_name = "KIND=URL")]
    publish: Vec<Engine>,
    /// The Retry-After (seconds) of a stream refused by a stream limit.
    #[arg(long, value_name = "SECS", default_value_t = rill_server::gauge::DEFAULT_RETRY_AFTER_SECS)]
    retry_after: u32,
    /// Streamed chat replies kept for resuming at once (generating, or ended and read
    /// within --reply-linger-secs); beyond it a new reply is streamed without resume.
    #[arg(long, value_name = "N", default_value_t = replies::DEFAULT_MAX_REPLIES)]
    max_replies: usize,
    /// The most bytes of events one kept reply may hold; more stops its generation.
    #[arg(long, value_name = "BYTES", default_value_t = replies::DEFAULT_REPLY_BYTES)]
    reply_buffer_bytes: usize,
    /// Seconds a reply goes on generating with no client reading it, and is kept after
    /// it ended and its last reader left; 0: a reply ends when its last reader leaves.
    #[arg(long, value_name = "SECS", default_value_t = replies::DEFAULT_LINGER.as_secs_f64(), value_parser = non_negative)]
    reply_linger_secs: f64,
}

/// A finite number > 0.
fn positive(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(n) if n > 0.0 && n < 1e9 => Ok(n),
        _ => Err(format!("expected a number above 0, got {text:?}")),
    }
}

/// Raises the soft limit on open files to the hard one: each client is a file descriptor.
#[cfg(unix)]
fn raise_fd_limit() {
    // SAFETY: getrlimit/setrlimit only read and write the struct passed to them.
    unsafe {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max;
            if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                tracing::warn!("could not raise the open-file limit");
            }
        }
    }
}

#[cfg(not(unix))]
fn raise_fd_limit() {}

/// One `--frame-ancestors` value, checked (kept as given: the router splits it again).
fn frame_ancestors(text: &str) -> Result<String, String> {
    rill_server::csp::parse_frame_ancestors(text).map(|sources| sources.join(" "))
}

/// One `--allowed-host` name: a host name (a port is allowed and ignored), nothing else.
fn allowed_host(text: &str) -> Result<String, String> {
    let name = text.trim();
    let plain = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b':' | b'_'));
    if plain {
        Ok(name.to_string())
    } else {
        Err(format!(
            "expected a host name such as rill.example, got {text:?}"
        ))
    }
}

/// A finite number ≥ 0.
fn non_negative(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(n) if (0.0..1e9).contains(&n) => Ok(n),
        _ => Err(format!("expected a number from 0 up, got {text:?}")),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    raise_fd_limit();
    if let Some(dir) = &args.dist {
        if !dir.join("index.html").is_file() {
            eprintln!(
                "rill-server: --dist {}: no index.html there (build the app with `trunk build --release --dist {}`)",
                dir.display(),
                dir.display()
            );
            return ExitCode::from(2);
        }
    }
    let listener = match TcpListener::bind(args.addr).await {
        Ok(listener) => listener,
        Err(err) => {
            eprintln!("rill-server: cannot listen on {}: {err}", args.addr);
            return ExitCode::from(1);
        }
    };
    let local = match listener.local_addr() {
        Ok(addr) => addr,
        Err(err) => {
            eprintln!("rill-server: cannot read the bound address: {err}");
            return ExitCode::from(1);
        }
    };
    // Tests and scripts read this first line of stdout to find the port.
    println!("rill-server listening on http://{local}");
    tracing::info!(%local, dist = ?args.dist, test_routes = args.test_routes, allowed_hosts = ?args.allowed_hosts, "listening");
    tracing::info!(
        rate = args.rate,
        upstream = args.upstream.as_ref().map(ToString::to_string),
        cors = ?args.cors_origins,
        "chat endpoints"
    );
    let config = Config {
        dist: args.dist,
        test_routes: args.test_routes,
        frame_ancestors: args.frame_ancestors,
        allowed_hosts: args.allowed_hosts,
        chat: ChatConfig {
            rate: args.rate,
            ping: Duration::from_secs_f64(args.ping_secs),
            upstream: args.upstream,
            summary_model: args.summary_model,
            cors_origins: args.cors_origins,
            max_body: args.max_body,
            body_timeout: Duration::from_secs_f64(args.body_timeout_secs),
            upstream_timeout: Duration::from_secs_f64(args.upstream_timeout_secs),
            replies: ReplyLimits {
                max_replies: args.max_replies,
                max_bytes: args.reply_buffer_bytes,
                linger: Duration::from_secs_f64(args.reply_linger_secs),
            },
        },
    };
    let of_kind = |kind| args.publish.iter().filter(|e| e.kind == kind).count();
    if of_kind(EngineKind::Nchan) > 1 || of_kind(EngineKind::Pushpin) > 1 {
        eprintln!("rill-server: --publish: at most one engine of each kind");
        return ExitCode::from(2);
    }
    let published = args
        .publish
        .iter()
        .any(|e| e.kind == EngineKind::Pushpin)
        .then(publish::Published::default);
    // The loops run until the process ends; the handles are kept so they are aborted with it.
    let _publishing: Vec<_> = args
        .publish
        .iter()
        .flat_map(|engine| {
            tracing::info!(%engine, "publishing the clock and demo feeds");
            let origin_state = (engine.kind == EngineKind::Pushpin)
                .then(|| published.clone())
                .flatten();
            publish::feeds::spawn(&Publisher::new(engine.clone()), origin_state)
        })
        .map(AbortOnDrop)
        .collect();
    let state = AppState {
        streams: rill_server::StreamGauge::with_limits(
            args.max_streams,
            args.max_streams_per_client,
            args.retry_after,
        ),
        published,
        ..AppState::default()
    };
    // Every resumable reply goes to the engines too (`chat::reply_engine`).
    state
        .replies
        .set_engines(args.publish.iter().cloned().map(Publisher::new).collect());
    let limits = Limits {
        header_timeout: Duration::from_secs_f64(args.header_timeout_secs),
        idle_timeout: Duration::from_secs_f64(args.idle_timeout_secs),
    };
    match serve_with(listener, router(&config, state), &limits, shutdown_signal()).await {
        Ok(()) => {
            tracing::info!("stopped");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("rill-server: {err}");
            ExitCode::from(1)
        }
    }
}

/// A task aborted when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sig) => {
                sig.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
