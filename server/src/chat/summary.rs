//! `GET|POST /gpt/summary`: the original design's summary feed (FastAPI + sse_starlette, see
//! `shared/seed/summary_server.py`), with its framing and without its bugs.
//!
//! Kept from the original: `Content-Type: text/event-stream; charset=utf-8`; the text is sent
//! in chunks of at least [`CHUNK_CHARS`] characters (a chunk goes out as soon as the text
//! gathered reaches that length; what is left goes at the end); each chunk is one event whose
//! every line is a `data:` line, lines ending in CRLF, as sse_starlette writes them; a
//! `: ping - <UTC time>` comment every 15 s (`--ping-secs`); no end marker, the stream just
//! ends. The content comes from a JSON body `{"content": …}` or the `content` query parameter.
//!
//! Added for resuming (`super::replies`): a kept answer starts with a `rill-reply` event (the
//! offer, ignored by `onmessage`) and its ids name the reply (`id: ID-N`), so a reconnecting
//! EventSource (`Last-Event-ID: ID-N`) is resumed instead of being answered anew.
//!
//! Not kept: the last chunk is sent once, not twice; a request without content is HTTP 400
//! `{"detail":"No content provided"}`, not a 500; the first chunk goes out as soon as it is
//! ready rather than after the whole answer was read.

use std::pin::Pin;
use std::time::{Duration, SystemTime};

use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use futures_util::stream::{self, Stream, StreamExt};
use rill_sse::{Frame, LineEnd};
use serde::Deserialize;
use tokio::time::{interval_at, Instant, MissedTickBehavior};

use super::demo::{self, Message};
use super::pace::{self, Chunk, Piece};
use super::source::Source;
use super::time::python_utc;
use super::{marker_status, read_body, upstream, ChatState, Flavor};

/// The original's `chunk_size`: a chunk is sent once this many characters have gathered.
pub const CHUNK_CHARS: usize = 100;

#[derive(Debug, Deserialize)]
struct SummaryQuery {
    content: Option<String>,
}

#[derive(Debug, Deserialize)]
struct SummaryBody {
    content: Option<String>,
}

/// `GET|POST /gpt/summary`.
pub(super) async fn summary(State(chat): State<ChatState>, request: Request) -> Response {
    let flavor = Flavor::Summary;
    let (parts, body) = request.into_parts();
    // The browser's own EventSource reconnect names the reply it was reading: resume it
    // rather than generating it again.
    if let Some(resumed) = super::replies::last_event_id(&parts.headers)
        .and_then(|last| super::replies::resume_named(&chat, flavor, last))
    {
        return resumed;
    }
    let bytes = match read_body(body, &parts.headers, &chat.config).await {
        Ok(bytes) => bytes,
        Err(err) => return err.response(flavor),
    };
    let from_body = if bytes.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        match serde_json::from_slice::<SummaryBody>(&bytes) {
            Ok(body) => body.content,
            Err(err) => {
                return flavor.error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &format!("the body must be JSON {{\"content\": string}}: {err}"),
                )
            }
        }
    };
    let from_query = Query::<SummaryQuery>::try_from_uri(&parts.uri)
        .ok()
        .and_then(|q| q.0.content);
    let Some(content) = from_body
        .filter(|c| !c.is_empty())
        .or(from_query.filter(|c| !c.is_empty()))
    else {
        return flavor.error(StatusCode::BAD_REQUEST, "No content provided");
    };
    tracing::debug!(chars = content.chars().count(), "summary requested");
    let source: Pin<Box<dyn Stream<Item = Source> + Send>> =
        match (&chat.client, &chat.config.upstream) {
            (Some(client), Some(upstream)) => {
                match upstream::summary_source(&chat.config, client, upstream, &content).await {
                    Ok(source) => Box::pin(source),
                    Err(response) => return response,
                }
            }
            _ => {
                let reply = demo::respond(&[Message::user(content)]);
                if let Some(code) = reply.markers.error {
                    return flavor.error(marker_status(code), "boom");
                }
                let every = pace::interval(chat.config.rate, reply.markers.slow);
                Box::pin(pace::pieces(reply, every).filter_map(|piece| async move {
                    match piece {
                        Piece::Token(t) => Some(Source::Text(t)),
                        // No JSON here to break.
                        Piece::Malformed => None,
                        Piece::Partial => Some(Source::Partial),
                        Piece::Abort => Some(Source::Abort(pace::abort())),
                    }
                }))
            }
        };
    let guard = match chat.streams.try_enter() {
        Ok(guard) => guard,
        Err(busy) => {
            return busy.mark(flavor.error(StatusCode::SERVICE_UNAVAILABLE, busy.message()))
        }
    };
    let body = with_pings(events(source), chat.config.ping);
    let mut response = super::replies::respond(
        &chat,
        super::framing::Wire::Sse,
        "text/event-stream; charset=utf-8",
        super::replies::resume_base("/gpt/summary"),
        super::replies::Offer::EventSource,
        body,
        guard,
    );
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::CONNECTION, HeaderValue::from_static("keep-alive"));
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}

/// Gathers text into chunks of at least [`CHUNK_CHARS`] characters.
#[derive(Debug, Default)]
pub(crate) struct Chunker {
    text: String,
    chars: usize,
}

impl Chunker {
    /// Adds `text`; returns a chunk once enough has gathered.
    pub(crate) fn push(&mut self, text: &str) -> Option<String> {
        self.text.push_str(text);
        self.chars += text.chars().count();
        (self.chars >= CHUNK_CHARS).then(|| self.take())
    }

    /// What has gathered (perhaps nothing), emptying the chunker.
    pub(crate) fn take(&mut self) -> String {
        self.chars = 0;
        std::mem::take(&mut self.text)
    }
}

/// One chunk as sse_starlette frames it: a `data:` line per line, CRLF, blank line.
pub(crate) fn frame(chunk: &str) -> Bytes {
    Bytes::from(Frame::data(chunk).encode(LineEnd::CrLf).unwrap_or_default())
}

/// The events of the feed: text gathered into chunks, each framed; the rest at the end.
fn events(source: Pin<Box<dyn Stream<Item = Source> + Send>>) -> impl Stream<Item = Chunk> + Send {
    stream::unfold(
        (source, Chunker::default(), false),
        |(mut source, mut chunker, ended)| async move {
            if ended {
                return None;
            }
            loop {
                match source.next().await {
                    Some(Source::Text(text)) => {
                        if let Some(chunk) = chunker.push(&text) {
                            return Some((Ok(frame(&chunk)), (source, chunker, false)));
                        }
                    }
                    Some(Source::Partial) => {
                        let rest = chunker.take();
                        // The event's lines without the blank line that would dispatch it.
                        let text = if rest.is_empty() {
                            Bytes::from_static(b"data: ")
                        } else {
                            let full = frame(&rest);
                            full.slice(..full.len() - 2)
                        };
                        return Some((Ok(text), (source, chunker, false)));
                    }
                    Some(Source::Abort(err)) => return Some((Err(err), (source, chunker, true))),
                    None => {
                        let rest = chunker.take();
                        if rest.is_empty() {
                            return None;
                        }
                        return Some((Ok(frame(&rest)), (source, chunker, true)));
                    }
                }
            }
        },
    )
}

/// `body` with a `: ping - <time>` comment every `every` (none if zero) while it lasts.
fn with_pings(
    body: impl Stream<Item = Chunk> + Send + 'static,
    every: Duration,
) -> impl Stream<Item = Chunk> + Send {
    let ticker = (!every.is_zero()).then(|| {
        let mut ticker = interval_at(Instant::now() + every, every);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        ticker
    });
    stream::unfold(
        (Box::pin(body), ticker),
        |(mut body, mut ticker)| async move {
            let item = match ticker.as_mut() {
                Some(t) => tokio::select! {
                    biased;
                    item = body.next() => item,
                    _ = t.tick() => Some(Ok(ping())),
                },
                None => body.next().await,
            };
            item.map(|item| (item, (body, ticker)))
        },
    )
}

fn ping() -> Bytes {
    Bytes::from(
        Frame::comment(format!("ping - {}", python_utc(SystemTime::now())))
            .encode(LineEnd::CrLf)
            .unwrap_or_default(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunker_yields_at_one_hundred_characters() {
        let mut c = Chunker::default();
        assert_eq!(c.push(&"a".repeat(60)), None);
        assert_eq!(c.push(&"中".repeat(39)), None);
        let chunk = c.push("b").expect("100 characters");
        assert_eq!(chunk.chars().count(), 100);
        assert_eq!(c.push("x"), None);
        assert_eq!(c.take(), "x");
        assert_eq!(c.take(), "");
    }

    #[test]
    fn frames_split_lines_with_crlf() {
        assert_eq!(
            &frame("a\nb\n")[..],
            b"data: a\r\ndata: b\r\ndata: \r\n\r\n"
        );
        assert!(ping().starts_with(b": ping - "));
        assert!(ping().ends_with(b"+00:00\r\n\r\n"));
    }

    #[tokio::test]
    async fn events_send_each_chunk_once() {
        let texts: Vec<Source> = ["x".repeat(150), "y".repeat(30), "z".repeat(5)]
            .into_iter()
            .map(Source::Text)
            .collect();
        let got: Vec<Chunk> = events(Box::pin(stream::iter(texts))).collect().await;
        let got: Vec<Bytes> = got.into_iter().map(|c| c.expect("ok")).collect();
        assert_eq!(
            got,
            [
                frame(&"x".repeat(150)),
                frame(&format!("{}{}", "y".repeat(30), "z".repeat(5)))
            ]
        );
    }
}
