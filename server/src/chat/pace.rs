//! Turns a [`Reply`] into a timed stream of [`Piece`]s: its tokens at the configured rate,
//! with the `[[malformed]]` and `[[drop:N]]` faults in place. Each API only maps pieces to bytes.

use std::io;
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::{self, Stream, StreamExt};
use tokio::time::{sleep, sleep_until, Instant};

use super::demo::{Reply, MALFORMED_AFTER, SLOW_RATE};
use crate::gauge::StreamGuard;

/// A body chunk, or the error that makes hyper abort the response.
pub(crate) type Chunk = Result<Bytes, io::Error>;

/// The pause before a fault, so that hyper has flushed what came before: an error in the
/// same poll as data would abort the connection before the data was written.
pub(crate) const FLUSH_PAUSE: Duration = Duration::from_millis(30);

/// The pause between a dropped reply's last data and the abort. Longer than a flush: a
/// browser errors a fetch body's stream when the connection breaks, and the Streams spec has
/// it discard chunks its reader has not taken yet, so a page whose main thread is busy for a
/// moment (loading a wasm module, under CI load) could lose data it had in fact received.
/// The drop marker simulates a connection that breaks after the data has arrived.
pub(crate) const ABORT_PAUSE: Duration = Duration::from_millis(300);

/// One step of a streamed reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    /// The next token.
    Token(String),
    /// `[[malformed]]`: send one chunk of invalid JSON here.
    Malformed,
    /// `[[drop:N]]`: send half a chunk here; [`Piece::Abort`] follows.
    Partial,
    /// `[[drop:N]]`: abort the response here (map to an `Err` item).
    Abort,
}

/// Time between tokens for `rate` tokens per second (`[[slow]]` overrides it); `None` is as
/// fast as possible.
pub(crate) fn interval(rate: f64, slow: bool) -> Option<Duration> {
    let rate = if slow { SLOW_RATE } else { rate };
    (rate.is_finite() && rate > 0.0).then(|| Duration::from_secs_f64(1.0 / rate))
}

struct Pacer {
    reply: Reply,
    next: usize,
    limit: usize,
    drop: bool,
    malformed_at: Option<usize>,
    start: Instant,
    every: Option<Duration>,
    stage: Stage,
}

#[derive(PartialEq, Eq)]
enum Stage {
    Tokens,
    Abort,
    Done,
}

/// How a non-streamed answer's paced tokens ended.
pub(crate) enum Collected {
    /// Every token arrived: the whole text and how many tokens made it.
    Whole { text: String, tokens: usize },
    /// `[[malformed]]`: the answer is invalid JSON.
    Malformed,
    /// `[[drop:N]]`: the connection breaks.
    Broken,
}

/// Waits for a reply's tokens at the configured pace and collects them, for the
/// non-streamed (`stream: false`) answers that come whole after as long as streaming took.
pub(crate) async fn collect(reply: Reply, every: Option<Duration>) -> Collected {
    let mut pieces = Box::pin(pieces(reply, every));
    let mut text = String::new();
    let mut tokens = 0;
    while let Some(piece) = pieces.next().await {
        match piece {
            Piece::Token(t) => {
                tokens += 1;
                text.push_str(&t);
            }
            Piece::Malformed => return Collected::Malformed,
            Piece::Partial | Piece::Abort => return Collected::Broken,
        }
    }
    Collected::Whole { text, tokens }
}

/// The pieces of `reply`, token `i` at `start + (i + 1) * every`.
pub(crate) fn pieces(reply: Reply, every: Option<Duration>) -> impl Stream<Item = Piece> + Send {
    let markers = reply.markers;
    let limit = markers.drop.map_or(reply.len(), |n| n.min(reply.len()));
    let pacer = Pacer {
        next: 0,
        limit,
        drop: markers.drop.is_some(),
        malformed_at: markers.malformed.then(|| MALFORMED_AFTER.min(reply.len())),
        start: Instant::now(),
        every,
        stage: Stage::Tokens,
        reply,
    };
    stream::unfold(pacer, |mut p| async move {
        match p.stage {
            Stage::Done => None,
            Stage::Abort => {
                sleep(ABORT_PAUSE).await;
                p.stage = Stage::Done;
                Some((Piece::Abort, p))
            }
            Stage::Tokens => {
                if p.malformed_at == Some(p.next) {
                    p.malformed_at = None;
                    return Some((Piece::Malformed, p));
                }
                if p.next >= p.limit {
                    if !p.drop {
                        return None;
                    }
                    sleep(FLUSH_PAUSE).await;
                    p.stage = Stage::Abort;
                    return Some((Piece::Partial, p));
                }
                if let Some(every) = p.every {
                    let n = u32::try_from(p.next + 1).unwrap_or(u32::MAX);
                    sleep_until(p.start + every.saturating_mul(n)).await;
                }
                let token = p.reply.token(p.next).to_string();
                p.next += 1;
                Some((Piece::Token(token), p))
            }
        }
    })
}

/// `body`, holding `guard` until the body is dropped (finished, or its client gone).
pub(crate) fn guarded<S: Stream>(body: S, guard: StreamGuard) -> impl Stream<Item = S::Item> {
    body.map(move |item| {
        let _keep = &guard;
        item
    })
}

/// A body of `start`, then an abort (after a pause, so `start` is written first).
pub(crate) fn broken_body(start: Bytes) -> axum::body::Body {
    let body = stream::iter([Ok(start), Err(abort())]).then(|item: Chunk| async move {
        if item.is_err() {
            sleep(FLUSH_PAUSE).await;
        }
        item
    });
    axum::body::Body::from_stream(body)
}

/// The error item that aborts a `[[drop:N]]` response.
pub(crate) fn abort() -> io::Error {
    io::Error::other("connection dropped on purpose ([[drop:N]] marker)")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::demo::{respond, Message};

    async fn collect(prompt: &str, rate: f64) -> Vec<Piece> {
        let reply = respond(&[Message::user(prompt)]);
        let every = interval(rate, reply.markers.slow);
        pieces(reply, every).collect().await
    }

    fn text(pieces: &[Piece]) -> String {
        pieces
            .iter()
            .filter_map(|p| match p {
                Piece::Token(t) => Some(t.as_str()),
                _ => None,
            })
            .collect()
    }

    #[tokio::test]
    async fn plain_reply_is_all_tokens() {
        let got = collect("hello", 0.0).await;
        assert_eq!(
            text(&got),
            super::super::demo::reply(&[Message::user("hello")])
        );
        assert!(got.iter().all(|p| matches!(p, Piece::Token(_))));
    }

    #[tokio::test]
    async fn drop_sends_n_tokens_then_partial_and_abort() {
        let got = collect("[[long:50]][[drop:7]]", 0.0).await;
        assert_eq!(got.len(), 9);
        assert!(got[..7].iter().all(|p| matches!(p, Piece::Token(_))));
        assert_eq!(got[7..], [Piece::Partial, Piece::Abort]);
    }

    #[tokio::test]
    async fn malformed_comes_after_three_tokens() {
        let got = collect("[[long:10]][[malformed]]", 0.0).await;
        assert_eq!(got.len(), 11);
        assert_eq!(got[3], Piece::Malformed);
    }

    #[tokio::test(start_paused = true)]
    async fn tokens_are_paced() {
        let started = Instant::now();
        let got = collect("[[long:20]]", 10.0).await;
        assert_eq!(got.len(), 20);
        assert_eq!(started.elapsed(), Duration::from_secs(2));
        let started = Instant::now();
        collect("[[long:4]][[slow]]", 1000.0).await;
        assert_eq!(started.elapsed(), Duration::from_secs(2));
    }

    #[test]
    fn zero_rate_is_unpaced() {
        assert_eq!(interval(0.0, false), None);
        assert_eq!(interval(-1.0, false), None);
        assert_eq!(interval(4.0, false), Some(Duration::from_millis(250)));
        assert_eq!(interval(0.0, true), Some(Duration::from_millis(500)));
    }
}
