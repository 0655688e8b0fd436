//! `deploy/run`: a real SSE engine (nginx + Nchan, or Pushpin) and rill-server publishing
//! into it, on free ports in a scratch folder, for the engine tests (`engines.rs`,
//! `engine_replies.rs`).

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::{dist_dir, workspace_root, Proc, TempDir};

/// `deploy/run ENGINE …` and the `key=value` lines it printed before `ready`.
pub struct Deployed {
    _proc: Proc,
    vals: HashMap<String, String>,
    _dir: TempDir,
}

impl Drop for Deployed {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Deployed {
    /// `deploy/run ENGINE --dist … --rill … --dir … EXTRA…` (EXTRA: e.g. `--`, then more
    /// rill-server flags), once it printed `ready`.
    pub fn start(engine: &str, extra: &[&str]) -> Deployed {
        let dir = std::env::temp_dir().join(format!(
            "rill-e2e-engine-{engine}-{}-{}",
            std::process::id(),
            crate::free_port()
        ));
        std::fs::create_dir_all(&dir).expect("scratch folder");
        let dir = TempDir(dir);
        let rill = std::env::var_os("RILL_SERVER_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| workspace_root().join("target/debug/rill-server"));
        let mut cmd = Command::new(workspace_root().join("deploy/run"));
        cmd.arg(engine)
            .arg("--dist")
            .arg(dist_dir())
            .arg("--rill")
            .arg(&rill)
            .arg("--dir")
            .arg(&dir.0)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut proc = Proc::spawn("deploy/run", cmd);
        let stdout = proc.take_stdout().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut vals = HashMap::new();
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line == "ready" {
                    let _ = tx.send(std::mem::take(&mut vals));
                    continue;
                }
                if let Some((k, v)) = line.split_once('=') {
                    vals.insert(k.to_string(), v.to_string());
                }
            }
        });
        let vals = rx
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("deploy/run {engine} did not get ready"));
        Deployed {
            _proc: proc,
            vals,
            _dir: dir,
        }
    }

    /// Stops deploy/run with SIGTERM first, so it stops the engine the way the engine wants
    /// (Pushpin's runner puts its proxy and handler out of the process group, where the
    /// harness's SIGKILL of the group does not reach), waiting at most 10 s.
    pub fn stop(&self) {
        let pid = self._proc.id();
        if let Ok(pgid) = i32::try_from(pid) {
            // SAFETY: kill(2) on the process group this test's Proc created and still owns.
            unsafe {
                libc::kill(-pgid, libc::SIGTERM);
            }
        }
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::time::Instant::now() < deadline {
            let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let zombie_or_gone = state
                .rsplit_once(')')
                .is_none_or(|(_, rest)| rest.trim_start().starts_with('Z'));
            if zombie_or_gone {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// A value deploy/run printed (`engine`, `app`, `clock`, …).
    pub fn get(&self, key: &str) -> &str {
        self.vals
            .get(key)
            .unwrap_or_else(|| panic!("deploy/run printed no {key}= ({:?})", self.vals))
    }

    /// The app (on rill-server) at `query`, with the `stream` printed under `stream_key`.
    pub fn page(&self, query: &str, stream_key: &str) -> String {
        format!(
            "{}/?{query}&stream={}",
            self.get("app"),
            crate::encode(self.get(stream_key))
        )
    }
}
