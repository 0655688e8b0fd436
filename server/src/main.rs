//! The `rill-server` binary: parses flags, sets up logging, serves until Ctrl-C or SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use rill_server::{router, serve, AppState, Config};
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

/// rill's reference backend.
#[derive(Debug, Parser)]
#[command(name = "rill-server", version)]
struct Args {
    /// Address to listen on; port 0 picks a free port (the chosen address is printed).
    #[arg(long, default_value = "127.0.0.1:8844")]
    addr: SocketAddr,
    /// Serve a built app (`trunk build --release --dist DIR`) at `/`.
    #[arg(long, value_name = "DIR")]
    dist: Option<PathBuf>,
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
    tracing::info!(%local, dist = ?args.dist, "listening");
    let config = Config { dist: args.dist };
    match serve(
        listener,
        router(&config, AppState::default()),
        shutdown_signal(),
    )
    .await
    {
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
