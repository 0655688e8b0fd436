//! `--publish KIND=URL`: which SSE engine rill-server publishes into, and its base URL.
//! Pure parsing; it must not open connections.

use std::fmt;
use std::str::FromStr;

/// The SSE engines rill-server can publish into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineKind {
    /// Nchan (an nginx module): `URL` is the nginx server whose `/pub/{channel}` location is
    /// an `nchan_publisher` and `/sub/{channel}` an `nchan_subscriber` (deploy/nchan).
    Nchan,
    /// Pushpin (a GRIP proxy): `URL` is its HTTP control API (port 5561 by default), which
    /// takes `POST /publish/`; rill-server is then Pushpin's origin (deploy/pushpin).
    Pushpin,
}

impl EngineKind {
    pub fn name(self) -> &'static str {
        match self {
            EngineKind::Nchan => "nchan",
            EngineKind::Pushpin => "pushpin",
        }
    }
}

/// One `--publish` target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Engine {
    pub kind: EngineKind,
    /// `http://host[:port][/prefix]`, without a trailing `/`.
    pub base: String,
}

impl Engine {
    /// Parses `nchan=URL` or `pushpin=URL` (http only: the engine is on this machine or its
    /// private network, as the deploy examples have it).
    pub fn parse(text: &str) -> Result<Engine, String> {
        let (kind, url) = text
            .split_once('=')
            .ok_or_else(|| format!("expected nchan=URL or pushpin=URL, got {text:?}"))?;
        let kind = match kind.trim() {
            "nchan" => EngineKind::Nchan,
            "pushpin" => EngineKind::Pushpin,
            other => return Err(format!("unknown engine {other:?}: nchan or pushpin")),
        };
        let url = url.trim();
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| format!("{url:?}: an http:// URL"))?;
        let (authority, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        let authority_ok = !authority.is_empty()
            && authority.bytes().all(|b| {
                b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']')
            });
        let path_ok = path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.'));
        if !authority_ok || !path_ok {
            return Err(format!("{url:?}: expected http://host[:port][/path]"));
        }
        Ok(Engine {
            kind,
            base: format!("http://{authority}{}", path.trim_end_matches('/')),
        })
    }
}

impl FromStr for Engine {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Engine::parse(s)
    }
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.kind.name(), self.base)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_kind_and_base() {
        let e = Engine::parse("nchan=http://127.0.0.1:8081/").expect("ok");
        assert_eq!(e.kind, EngineKind::Nchan);
        assert_eq!(e.base, "http://127.0.0.1:8081");
        let e = Engine::parse("pushpin=http://localhost:5561/grip").expect("ok");
        assert_eq!(e.kind, EngineKind::Pushpin);
        assert_eq!(e.base, "http://localhost:5561/grip");
        assert_eq!(e.to_string(), "pushpin=http://localhost:5561/grip");
    }

    #[test]
    fn refuses_what_it_cannot_publish_to() {
        assert!(Engine::parse("http://127.0.0.1:8081").is_err());
        assert!(Engine::parse("redis=http://127.0.0.1:6379").is_err());
        assert!(Engine::parse("nchan=https://x").is_err());
        assert!(Engine::parse("nchan=http://").is_err());
        assert!(Engine::parse("nchan=http://h/a?b").is_err());
        assert!(Engine::parse("nchan=http://h a").is_err());
    }
}
