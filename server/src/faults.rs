//! `/test/fault/{name}` (any method, so a chat client's POST works too): one stream fault
//! each, written in the format a client reads. `?format=` is `sse` (a feed: `data: …`
//! events, the default), `openai` (chat completion chunks, ending `data: [DONE]`) or
//! `ollama` (NDJSON `/api/chat` lines, ending `"done":true`); `?text=` is the reply (at most
//! [`MAX_TEXT`] bytes; default [`DEFAULT_TEXT`]), sent a word per piece.
//!
//! - `drop` — the words, then half a piece, then the connection breaks.
//! - `drop-utf8` — the words, then a piece cut inside a UTF-8 character (`caf` and the
//!   first byte of `é`), then the connection breaks.
//! - `status?code=C&retry_after=S` — status C (400–599, default 503) with a plain-text
//!   body, and `Retry-After: S` if asked (S at most [`MAX_SECS`]).
//! - `no-content` — 204.
//! - `wrong-type` — a good stream sent as `text/plain`.
//! - `proxy-page?code=C` — status C (default 502) with a body that looks like nginx's
//!   error page, sent as `text/plain` (test routes never serve HTML).
//! - `huge?mb=N` — the words, then one piece whose text is N MiB of `x` (N at most
//!   [`MAX_MB`], default 10), then the end.
//! - `endless-line?mb=N` — the words, then a line that never ends: `x` until N MiB (at most
//!   [`MAX_MB`], default 64) have gone, then the connection breaks.
//! - `drip?interval_ms=M` — the whole stream one byte at a time, M ms apart (default 100,
//!   at most 1000).
//! - `heartbeats?interval_ms=M` — only `: heartbeat` comments (blank lines for `ollama`),
//!   every M ms (default 1000), for at most [`MAX_SECS`].
//! - `endless?interval_ms=M` — a piece `tick i ` every M ms (default 500) that never ends
//!   (at most [`MAX_SECS`]).
//! - `stall` — the words, then nothing: the connection stays open for [`MAX_SECS`].
//! - `bad-json` — the words, then a piece whose JSON is cut short (a line with a missing
//!   `}`), then more words and a normal end.
//! - `partial-last-line` — the words, then a last piece without its line end, then the end.
//! - `restart?after_ms=A&interval_ms=M` — a feed of `id: i`, `data: tick i` every M ms
//!   (default 200) that breaks every connection after A ms (default 2000, at most 60 000),
//!   as a server that restarts in a loop does; it goes on after the request's
//!   `Last-Event-ID`. With `skip=N` a resumed connection leaves out the next N ids (the
//!   client sees a gap), with `repeat=N` it sends the last N ids again (duplicates; each
//!   at most [`MAX_OFFSET`]).
//!
//! Every fault holds a [`crate::gauge::StreamGuard`] while it streams, and none sends more
//! than [`MAX_MB`] MiB or lasts longer than [`MAX_SECS`].

use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::stream::{self, BoxStream, StreamExt};
use serde::Deserialize;

use crate::AppState;

/// The reply text when `?text=` is not given.
pub const DEFAULT_TEXT: &str = "Hello from the fault route.";
/// The longest `?text=`, in bytes.
pub const MAX_TEXT: usize = 4096;
/// The most MiB `huge` and `endless-line` send.
pub const MAX_MB: usize = 64;
/// The longest any fault lasts, in seconds (also the largest `Retry-After`).
pub const MAX_SECS: u64 = 600;
/// The most ids `restart` skips or repeats on a resume.
pub const MAX_OFFSET: u64 = 1000;
/// A MiB of `x`, the unit `huge` and `endless-line` are written in.
const MIB: usize = 1 << 20;

/// The stream formats a fault is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// A feed: `data: text` events.
    #[default]
    Sse,
    /// OpenAI chat completion chunks over SSE.
    Openai,
    /// Ollama `/api/chat` NDJSON lines.
    Ollama,
}

impl Format {
    fn content_type(self) -> &'static str {
        match self {
            Format::Sse | Format::Openai => "text/event-stream",
            Format::Ollama => "application/x-ndjson",
        }
    }

    /// One piece carrying `text`, with its line end(s).
    pub fn piece(self, text: &str) -> String {
        let mut out = self.open();
        out.push_str(&self.inner(text));
        out.push_str(&self.close());
        out
    }

    /// What comes before a piece's JSON-escaped text.
    fn open(self) -> String {
        match self {
            Format::Sse => "data: ".into(),
            Format::Openai => "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"".into(),
            Format::Ollama => {
                "{\"model\":\"rill-demo\",\"message\":{\"role\":\"assistant\",\"content\":\"".into()
            }
        }
    }

    /// The text as it sits inside a piece: JSON-escaped for the chat formats.
    fn inner(self, text: &str) -> String {
        match self {
            // A feed's data may not hold line ends; the fault texts have none.
            Format::Sse => text.replace(['\r', '\n'], " "),
            Format::Openai | Format::Ollama => {
                let quoted = serde_json::to_string(text).unwrap_or_else(|_| "\"\"".into());
                quoted[1..quoted.len() - 1].to_string()
            }
        }
    }

    /// What comes after a piece's text.
    fn close(self) -> String {
        match self {
            Format::Sse => "\n\n".into(),
            Format::Openai => "\"},\"finish_reason\":null}]}\n\n".into(),
            Format::Ollama => "\"},\"done\":false}\n".into(),
        }
    }

    /// The normal end of a stream.
    pub fn done(self) -> &'static str {
        match self {
            Format::Sse => "",
            Format::Openai => "data: [DONE]\n\n",
            Format::Ollama => {
                "{\"model\":\"rill-demo\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true}\n"
            }
        }
    }

    /// A keep-alive that carries no text.
    fn heartbeat(self) -> &'static str {
        match self {
            Format::Sse | Format::Openai => ": heartbeat\n\n",
            Format::Ollama => "\n",
        }
    }
}

/// The words of `text`, each with the space after it, as the pieces are cut.
pub fn words(text: &str) -> Vec<String> {
    text.split_inclusive(' ').map(str::to_string).collect()
}

#[derive(Debug, Deserialize)]
pub struct Params {
    #[serde(default)]
    format: Format,
    text: Option<String>,
    code: Option<u16>,
    retry_after: Option<u64>,
    mb: Option<usize>,
    interval_ms: Option<u64>,
    after_ms: Option<u64>,
    skip: Option<u64>,
    repeat: Option<u64>,
}

type Chunks = BoxStream<'static, Result<Bytes, std::io::Error>>;

fn once(bytes: impl Into<Bytes>) -> Chunks {
    stream::iter([Ok(bytes.into())]).boxed()
}

/// The pieces of `text`, a short pause apart so each is its own read.
fn pieces(format: Format, text: &str) -> Chunks {
    let all: Vec<String> = words(text).iter().map(|w| format.piece(w)).collect();
    stream::iter(all.into_iter().enumerate())
        .then(|(i, piece)| async move {
            if i > 0 {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            Ok(Bytes::from(piece))
        })
        .boxed()
}

/// A broken connection: the pause lets hyper flush what came before (an error in the same
/// poll would abort before anything was written), and the error makes hyper abort the
/// response instead of ending it cleanly.
fn break_off() -> Chunks {
    stream::once(async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        Err(std::io::Error::other("dropped on purpose"))
    })
    .boxed()
}

/// Nothing for `secs`, then the end.
fn silence(secs: u64) -> Chunks {
    stream::once(async move {
        tokio::time::sleep(Duration::from_secs(secs)).await;
        Ok(Bytes::new())
    })
    .boxed()
}

fn stream_response(status: StatusCode, content_type: &str, body: Chunks) -> Response {
    let mut response = Response::new(Body::from_stream(body));
    *response.status_mut() = status;
    if let Ok(value) = HeaderValue::from_str(content_type) {
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// The body that looks like the error page nginx sends for `code`.
pub fn proxy_page(code: StatusCode) -> String {
    let line = format!(
        "{} {}",
        code.as_u16(),
        code.canonical_reason().unwrap_or("Error")
    );
    format!(
        "<html>\r\n<head><title>{line}</title></head>\r\n<body>\r\n<center><h1>{line}</h1></center>\r\n<hr><center>nginx/1.24.0</center>\r\n</body>\r\n</html>\r\n"
    )
}

fn error_status(code: Option<u16>, default: StatusCode) -> StatusCode {
    code.filter(|c| (400..600).contains(c))
        .and_then(|c| StatusCode::from_u16(c).ok())
        .unwrap_or(default)
}

pub async fn fault(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Response {
    let format = params.format;
    let mut text = params.text.clone().unwrap_or_else(|| DEFAULT_TEXT.into());
    if text.len() > MAX_TEXT {
        return (StatusCode::BAD_REQUEST, "text is too long").into_response();
    }
    if text.is_empty() {
        text = DEFAULT_TEXT.into();
    }
    // The answers without a stream first: they hold no slot.
    match name.as_str() {
        "status" => {
            let code = error_status(params.code, StatusCode::SERVICE_UNAVAILABLE);
            let mut response = (code, format!("fault: status {}", code.as_u16())).into_response();
            if let Some(secs) = params.retry_after {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(secs.min(MAX_SECS)));
            }
            return response;
        }
        "no-content" => return StatusCode::NO_CONTENT.into_response(),
        "proxy-page" => {
            let code = error_status(params.code, StatusCode::BAD_GATEWAY);
            return (code, proxy_page(code)).into_response();
        }
        _ => {}
    }
    let guard = match state.streams.try_enter() {
        Ok(guard) => guard,
        Err(busy) => return busy.into_response(),
    };
    let mb = |default: usize| params.mb.unwrap_or(default).clamp(1, MAX_MB);
    let interval = |default: u64, max: u64| {
        Duration::from_millis(params.interval_ms.unwrap_or(default).clamp(1, max))
    };
    let mut content_type = format.content_type();
    let body: Chunks = match name.as_str() {
        "drop" => {
            let mut half = format.piece("lost words");
            half.truncate(half.len() / 2 + 3);
            pieces(format, &text)
                .chain(once(half))
                .chain(break_off())
                .boxed()
        }
        "drop-utf8" => {
            let mut cut = format.open().into_bytes();
            cut.extend_from_slice(b"caf\xC3");
            pieces(format, &text)
                .chain(once(cut))
                .chain(break_off())
                .boxed()
        }
        "wrong-type" => {
            content_type = "text/plain";
            pieces(format, &text).chain(once(format.done())).boxed()
        }
        "huge" => {
            let n = mb(10);
            let xs = Bytes::from(vec![b'x'; MIB]);
            pieces(format, &text)
                .chain(once(format.open()))
                .chain(stream::iter((0..n).map(move |_| Ok(xs.clone()))))
                .chain(once(format.close()))
                .chain(once(format.done()))
                .boxed()
        }
        "endless-line" => {
            let n = mb(MAX_MB);
            let xs = Bytes::from(vec![b'x'; MIB]);
            pieces(format, &text)
                .chain(once(format.open()))
                .chain(stream::iter((0..n).map(move |_| Ok(xs.clone()))))
                .chain(break_off())
                .boxed()
        }
        "drip" => {
            let every = interval(100, 1000);
            let mut all: Vec<u8> = words(&text)
                .iter()
                .flat_map(|w| format.piece(w).into_bytes())
                .collect();
            all.extend_from_slice(format.done().as_bytes());
            stream::iter(all)
                .then(move |b| async move {
                    tokio::time::sleep(every).await;
                    Ok(Bytes::from(vec![b]))
                })
                .boxed()
        }
        "heartbeats" => {
            let every = interval(1000, 60_000);
            let beats = MAX_SECS * 1000 / every.as_millis().max(1) as u64;
            stream::iter(0..beats)
                .then(move |i| async move {
                    if i > 0 {
                        tokio::time::sleep(every).await;
                    }
                    Ok(Bytes::from_static(format.heartbeat().as_bytes()))
                })
                .boxed()
        }
        "endless" => {
            let every = interval(500, 60_000);
            let ticks = MAX_SECS * 1000 / every.as_millis().max(1) as u64;
            stream::iter(1..=ticks)
                .then(move |i| async move {
                    if i > 1 {
                        tokio::time::sleep(every).await;
                    }
                    Ok(Bytes::from(format.piece(&format!("tick {i} "))))
                })
                .boxed()
        }
        "stall" => pieces(format, &text).chain(silence(MAX_SECS)).boxed(),
        "bad-json" => {
            let mut bad = format.piece("broken");
            // The `}` before the line end goes: the JSON is cut short, the line is whole.
            let end = bad.trim_end().len();
            if format != Format::Sse {
                bad.remove(end - 1);
            }
            pieces(format, &text)
                .chain(once(bad))
                .chain(pieces(format, "after"))
                .chain(once(format.done()))
                .boxed()
        }
        "partial-last-line" => {
            let last = format.piece("tail");
            pieces(format, &text)
                .chain(once(last.trim_end().to_string()))
                .boxed()
        }
        "restart" => {
            content_type = Format::Sse.content_type();
            let every = interval(200, 60_000);
            let after = Duration::from_millis(params.after_ms.unwrap_or(2000).clamp(1, 60_000));
            let last: Option<u64> = headers
                .get("last-event-id")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse().ok());
            let first: u64 = match last {
                Some(last) => (last + 1 + params.skip.unwrap_or(0).min(MAX_OFFSET))
                    .saturating_sub(params.repeat.unwrap_or(0).min(MAX_OFFSET))
                    .max(1),
                None => 1,
            };
            let ticks = (after.as_millis() / every.as_millis().max(1)) as u64;
            stream::iter(first..first + ticks.max(1))
                .then(move |i| async move {
                    if i > first {
                        tokio::time::sleep(every).await;
                    }
                    Ok(Bytes::from(format!("id: {i}\ndata: tick {i}\n\n")))
                })
                .chain(break_off())
                .boxed()
        }
        _ => return crate::not_found::handler().await.into_response(),
    };
    // The slot is held until the body is dropped.
    let body = body.map(move |item| {
        let _hold = &guard;
        item
    });
    stream_response(StatusCode::OK, content_type, body.boxed())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_are_what_each_format_reads() {
        assert_eq!(Format::Sse.piece("a b"), "data: a b\n\n");
        let chunk = Format::Openai.piece("é\"");
        let json: serde_json::Value =
            serde_json::from_str(chunk.trim().trim_start_matches("data: ")).unwrap();
        assert_eq!(json["choices"][0]["delta"]["content"], "é\"");
        let line = Format::Ollama.piece("hi");
        let json: serde_json::Value = serde_json::from_str(line.trim()).unwrap();
        assert_eq!(json["message"]["content"], "hi");
        assert_eq!(json["done"], false);
        let done: serde_json::Value = serde_json::from_str(Format::Ollama.done().trim()).unwrap();
        assert_eq!(done["done"], true);
    }

    #[test]
    fn words_keep_their_spaces() {
        assert_eq!(words("a bc d"), ["a ", "bc ", "d"]);
        assert_eq!(words("a bc d").concat(), "a bc d");
    }
}
