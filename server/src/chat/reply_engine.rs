//! Replies through an SSE engine (`--publish`): each reply's events go to its channel
//! `reply-{id}` ([`publish`]), so that a reload or a second tab reattaches through the
//! engine, and Stop stays rill-server's own (`Rill-Stop` unchanged).
//!
//! - **Nchan**: the events are published as they are (rill's own `text/event-stream` bytes,
//!   `id: N` included; NDJSON lines as numbered `data:` events, as a resume sends them) to
//!   `POST {URL}/pub/reply-{id}`, in order, a batch at a time. A chat request that came
//!   through nginx (it carries `Rill-Via: nchan`, deploy/nchan/nginx.conf) is offered
//!   `Rill-Resume: {URL's path}/sub/reply-{id}` ([`offer_nchan_resume`]): an `http-raw-stream`
//!   subscriber from the channel's oldest message, so the browser reads rill's own ids and
//!   skips the events it has (Nchan numbers its messages `time:tag` and cannot start after
//!   one of rill's numbers; ARCHITECTURE.md "Replies through an engine"). The channel is
//!   created empty first (a reattach before the first event waits) and deleted the linger
//!   time after the reply ended.
//!   Nchan cannot end a raw stream but by deleting its channel, and takes a subscription to a
//!   channel deleted moments ago that then waits: so the channel ends with [`END_EVENT`],
//!   which the app ends a reattach at, and stays the linger time; Nchan asks rill-server
//!   before each reattach ([`known`]), which answers 404 once it forgot the reply. The
//!   location's idle timeout (30 s) bounds what is left, and an empty message every
//!   [`KEEP_ALIVE`] keeps a live reply's raw streams from timing out.
//! - **Pushpin**: the same bytes go out as `http-stream` items numbered by their last event
//!   (`id`, `prev-id`), then a `close` after the last. A reattach through Pushpin reaches
//!   rill-server, which answers what was missed with a hold on the channel ([`hold`]); Pushpin
//!   asks again (`Grip-Last`) when an item does not follow, or after [`NEXT_TIMEOUT_SECS`]
//!   without one, and an ended reply is answered without a hold, which ends the stream.
//!
//! A publish that fails is logged and retried (the batch grows meanwhile), so the channel
//! never has a gap; the reply still streams from rill-server to its own readers. While it is
//! published a reply counts as read (its readers are the engine's), so it is generated to
//! its end, bounded by `--reply-buffer-bytes` and Stop.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use bytes::Bytes;

use super::replies::{
    self, ReaderGuard, Replies, Reply, ResumeQuery, REPLY_ID_HEADER, RESUME_HEADER,
};
use super::reply_buffer::{parse_last_event_id, End};
use super::{ChatState, Flavor};
use crate::publish::{nchan, pushpin, reply_channel, EngineKind, Publisher};

/// The header nginx adds to the chat requests it forwards (deploy/nchan/nginx.conf): the
/// browser reached rill-server through Nchan's server, so it can resume there.
pub const VIA_HEADER: &str = "rill-via";
/// Seconds without an item after which Pushpin asks rill-server about a held reply again.
pub const NEXT_TIMEOUT_SECS: u32 = 10;
/// The least time between two publishes of one reply (its events batch up meanwhile): at
/// most 20 messages a second per reply in the engine.
pub const MIN_GAP: Duration = Duration::from_millis(50);
/// The most bytes of events one publish carries (whole events; a larger single event goes
/// alone): well within what the engines take in one request (nginx's default
/// `client_max_body_size` is 1 MB, as is deploy/pushpin's `push_in_http_max_body_size`).
pub const MAX_BATCH: usize = 256 * 1024;
/// While a reply generates without events, an empty message goes to its Nchan channel this
/// often: the reply location's raw streams end after 30 s without a message
/// (`nchan_subscriber_timeout`, deploy/nchan/nginx.conf), which bounds a reattach to a
/// channel that is gone, and this keeps those of a live reply open through a model's pause.
pub const KEEP_ALIVE: Duration = Duration::from_secs(10);
/// Pause after a failed publish before the next attempt.
const RETRY: Duration = Duration::from_secs(1);

/// The event that ends a reply in its Nchan channel, after its last event: Nchan cannot end
/// a raw stream otherwise (deleting the channel does, but a reattach in the moments after
/// is taken and waits), so the channel says it itself and the app ends a reattach there.
/// No id: it is not one of the reply's events.
pub const END_EVENT: &str = "rill-reply-end";

/// [`END_EVENT`] for a reply that ended so (its data: `done`, `stopped`, `broken`,
/// `overflow` or `abandoned`, for the log).
fn end_event(end: &End) -> Bytes {
    let how = match end {
        End::Done => "done",
        End::Stopped => "stopped",
        End::Broken(_) => "broken",
        End::Overflow => "overflow",
        End::Abandoned => "abandoned",
    };
    Bytes::from(format!("event: {END_EVENT}\ndata: {how}\n\n"))
}

/// Pushpin's connections have everything once the last item is out: closed at once. An
/// Nchan channel is the reply's only copy for the browsers that come back to it (its end
/// event ends their reattach), so it stays the linger time, as the reply does in rill-server.
fn close_after(kind: EngineKind, linger: Duration) -> Duration {
    match kind {
        EngineKind::Nchan => linger,
        EngineKind::Pushpin => Duration::ZERO,
    }
}

/// The registry's hook (`Replies::set_on_start`): reply `id` is published into every engine,
/// each by a task of its own, attached as a reader before the generation runs.
pub(super) fn start_publishing(replies: &Replies, id: &str, reply: &Arc<Reply>, linger: Duration) {
    for publisher in replies.engines() {
        let guard = ReaderGuard::new(reply.clone());
        tokio::spawn(publish(publisher, id.to_string(), guard, linger));
    }
}

/// Publishes reply `id` (read through `guard`, which keeps it counted as read while the
/// engine takes its events) into `publisher`'s engine until it ends, then ends its channel.
async fn publish(publisher: Publisher, id: String, guard: ReaderGuard, linger: Duration) {
    let reply = guard.reply().clone();
    let kind = publisher.engine().kind;
    let engine = publisher.engine().to_string();
    let channel = reply_channel(&id);
    let mut guard = Some(guard);
    let mut changed = reply.subscribe();
    let mut sent = 0u64;
    let mut failing_since: Option<tokio::time::Instant> = None;
    if kind == EngineKind::Nchan {
        // The channel exists before the first event: a reattach then waits for it
        // (the subscriber location takes existing channels only).
        if let Err(err) = send(
            &publisher,
            publisher.reply_request(&channel, Bytes::new(), 0, 0),
        )
        .await
        {
            tracing::warn!(%engine, %channel, %err, "reply channel not created");
        }
    }
    let end = loop {
        changed.borrow_and_update();
        let (content, last, end) = reply.resumed_after(sent, MAX_BATCH);
        if last > sent {
            match send(
                &publisher,
                publisher.reply_request(&channel, content, last, sent),
            )
            .await
            {
                Ok(()) => {
                    if failing_since.take().is_some() {
                        tracing::info!(%engine, %channel, last, "publishing the reply again");
                        guard.get_or_insert_with(|| ReaderGuard::new(reply.clone()));
                    }
                    sent = last;
                    tokio::time::sleep(MIN_GAP).await;
                }
                Err(err) => {
                    let since = *failing_since.get_or_insert_with(|| {
                        tracing::warn!(%engine, %channel, first = sent + 1, %err,
                            "reply publish failed; retrying every second (rill-server still serves it)");
                        tokio::time::Instant::now()
                    });
                    // Not counted as read while the engine takes nothing: an abandoned
                    // reply stops as it would without an engine.
                    guard = None;
                    if end.is_some() && since.elapsed() >= linger {
                        tracing::warn!(%engine, %channel, "reply publish given up");
                        return;
                    }
                    tokio::time::sleep(RETRY).await;
                }
            }
            continue;
        }
        if let Some(end) = end {
            break end;
        }
        tokio::select! {
            // The sender lives in the reply, which this task holds: never closed.
            _ = changed.changed() => {}
            () = tokio::time::sleep(KEEP_ALIVE), if kind == EngineKind::Nchan => {
                // Writes nothing to the raw streams but restarts their idle timeout.
                if let Err(err) = send(&publisher, publisher.reply_request(&channel, Bytes::new(), sent, sent)).await {
                    tracing::debug!(%engine, %channel, %err, "reply keep-alive not published");
                }
            }
        }
    };
    if kind == EngineKind::Nchan {
        let mut published = false;
        for _ in 0..3 {
            let request = publisher.reply_request(&channel, end_event(&end), sent, sent);
            match send(&publisher, request).await {
                Ok(()) => {
                    published = true;
                    break;
                }
                Err(err) => {
                    tracing::debug!(%engine, %channel, %err, "reply end not published yet");
                    tokio::time::sleep(RETRY).await;
                }
            }
        }
        if !published {
            tracing::warn!(%engine, %channel, "reply end not published: a reattach through Nchan waits for its idle timeout");
        }
    }
    drop(guard);
    drop(reply);
    tokio::time::sleep(close_after(kind, linger)).await;
    for _ in 0..3 {
        match send(&publisher, publisher.reply_end_request(&channel, sent)).await {
            // A channel already gone (Nchan's 404) is as good as closed.
            Ok(()) | Err(crate::publish::PublishError::Refused(StatusCode::NOT_FOUND)) => return,
            Err(err) => {
                tracing::debug!(%engine, %channel, %err, "reply channel not closed yet");
                tokio::time::sleep(RETRY).await;
            }
        }
    }
}

async fn send(
    publisher: &Publisher,
    request: Result<axum::http::Request<Bytes>, crate::publish::PublishError>,
) -> Result<(), crate::publish::PublishError> {
    publisher.send(request?).await
}

/// `GET …/replies/{id}`: a reattach that came through Pushpin (`Grip-Sig`, with replies
/// published there) is answered with [`hold`]; any other by rill-server itself
/// (`replies::resume`).
async fn resume(
    chat: ChatState,
    flavor: Flavor,
    id: String,
    query: ResumeQuery,
    headers: HeaderMap,
) -> Response {
    if !pushpin::through_pushpin(&headers) || chat.replies.engine(EngineKind::Pushpin).is_none() {
        return replies::resume(chat, flavor, id, query, headers).await;
    }
    let Some(reply) = chat.replies.get(&id) else {
        return replies::unknown(flavor);
    };
    let Some(after) = replies::asked_after(&headers, query) else {
        return replies::bad_last_event_id(flavor);
    };
    chat.replies.count_held();
    hold(&reply, &id, after, &flavor.replies_path(&id), &headers)
}

/// Whether reply `id` is kept: 204, else 404.
fn known_status(replies: &Replies, id: &str) -> StatusCode {
    if replies.get(id).is_some() {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::NOT_FOUND
    }
}

/// `GET /v1/replies/{id}/known`: Nchan's authorization of a reattach (`nchan_authorize_request`,
/// deploy/nchan/nginx.conf): 204 while rill-server keeps the reply, 404 once it forgot it,
/// which Nchan passes on to the browser (the app takes it as the end) rather than taking the
/// subscription to a channel that may be gone.
pub(super) async fn known(State(chat): State<ChatState>, Path(id): Path<String>) -> Response {
    status(known_status(&chat.replies, &id))
}

/// `GET /v1/replies/{id}`.
pub(super) async fn resume_openai(
    State(chat): State<ChatState>,
    Path(id): Path<String>,
    Query(query): Query<ResumeQuery>,
    headers: HeaderMap,
) -> Response {
    resume(chat, Flavor::OpenAi, id, query, headers).await
}

/// `GET /api/replies/{id}`.
pub(super) async fn resume_ollama(
    State(chat): State<ChatState>,
    Path(id): Path<String>,
    Query(query): Query<ResumeQuery>,
    headers: HeaderMap,
) -> Response {
    resume(chat, Flavor::Ollama, id, query, headers).await
}

/// `GET /gpt/replies/{id}`.
pub(super) async fn resume_summary(
    State(chat): State<ChatState>,
    Path(id): Path<String>,
    Query(query): Query<ResumeQuery>,
    headers: HeaderMap,
) -> Response {
    resume(chat, Flavor::Summary, id, query, headers).await
}

/// The answer to a reattach of `reply` that came through Pushpin: what the browser missed
/// after its `Last-Event-ID` (`after`; `retry:` first), or, for Pushpin's own recovery
/// request (`Grip-Last: reply-{id}; last-id=K`), after `K`; then, while the reply is
/// generating, a hold on its channel from the last event sent. An ended reply is answered
/// in full without a hold, so Pushpin ends the stream after it.
pub(super) fn hold(
    reply: &Arc<Reply>,
    id: &str,
    after: u64,
    path: &str,
    headers: &HeaderMap,
) -> Response {
    let channel = reply_channel(id);
    let recovery = pushpin::grip_last(headers, &channel);
    let after = match &recovery {
        Some(last) => match parse_last_event_id(last) {
            Some(n) => n,
            None => return status(StatusCode::BAD_REQUEST),
        },
        None => after,
    };
    if after > reply.len() {
        return status(StatusCode::BAD_REQUEST);
    }
    let (content, last, end) = reply.resumed_after(after, usize::MAX);
    let mut body = Vec::with_capacity(content.len() + 16);
    if recovery.is_none() {
        body.extend_from_slice(b"retry: 1000\n\n");
    }
    body.extend_from_slice(&content);
    let mut response = Response::new(Body::from(body));
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(value) = HeaderValue::from_str(id) {
        h.insert(REPLY_ID_HEADER, value);
    }
    if end.is_none() {
        for (name, value) in
            pushpin::reply_hold_headers(&channel, &last.to_string(), path, NEXT_TIMEOUT_SECS)
        {
            if let Ok(value) = HeaderValue::from_str(&value) {
                h.insert(HeaderName::from_static(name), value);
            }
        }
    }
    response
}

fn status(code: StatusCode) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = code;
    response
}

/// Where a reply's reattach goes through Nchan: `base`'s path, `/sub/reply-{id}`.
pub fn nchan_resume(base: &str, id: &str) -> String {
    nchan::subscribe_path(base, &reply_channel(id))
}

/// Middleware on the chat routes: a streamed answer to a request that came through nginx
/// (`Rill-Via: nchan`) is offered the reply's Nchan channel as its `Rill-Resume`, when
/// replies are published there. `Rill-Stop` stays rill-server's.
pub(super) async fn offer_nchan_resume(
    State(chat): State<ChatState>,
    request: Request,
    next: Next,
) -> Response {
    let via_nchan = request
        .headers()
        .get(VIA_HEADER)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"nchan"));
    let mut response = next.run(request).await;
    if !via_nchan {
        return response;
    }
    let Some(publisher) = chat.replies.engine(EngineKind::Nchan) else {
        return response;
    };
    let id = response
        .headers()
        .get(REPLY_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    // Only a reply's first answer offers resuming (a resume's own answer names the reply
    // but offers nothing).
    if let (Some(id), true) = (id, response.headers().contains_key(RESUME_HEADER)) {
        if let Ok(url) = HeaderValue::from_str(&nchan_resume(&publisher.engine().base, &id)) {
            response.headers_mut().insert(RESUME_HEADER, url);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::super::framing::Wire;
    use super::super::pace::Chunk;
    use super::super::replies::{wait_ended, wait_len, ReplyLimits};
    use super::*;
    use crate::publish::Engine;
    use futures_util::stream::{self, BoxStream, StreamExt};

    #[test]
    fn an_nchan_channel_ends_with_the_end_event_and_stays_the_linger_time() {
        assert_eq!(
            &end_event(&End::Stopped)[..],
            b"event: rill-reply-end\ndata: stopped\n\n"
        );
        assert_eq!(
            &end_event(&End::Done)[..],
            b"event: rill-reply-end\ndata: done\n\n"
        );
        let linger = Duration::from_secs(300);
        assert_eq!(close_after(EngineKind::Nchan, linger), linger);
        assert_eq!(close_after(EngineKind::Pushpin, linger), Duration::ZERO);
    }

    #[tokio::test]
    async fn a_kept_reply_is_known_and_a_forgotten_one_is_not() {
        let replies = Replies::new(ReplyLimits::default());
        let (id, _reader) = replies.start_for_test(Wire::Sse, stream::pending().boxed());
        assert_eq!(known_status(&replies, &id), StatusCode::NO_CONTENT);
        assert_eq!(
            known_status(&replies, "0123456789abcdef0123456789abcdef"),
            StatusCode::NOT_FOUND
        );
    }

    #[test]
    fn the_nchan_resume_is_the_replys_channel_on_the_browsers_origin() {
        let id = "0123456789abcdef0123456789abcdef";
        assert_eq!(
            nchan_resume("http://127.0.0.1:8081", id),
            format!("/sub/reply-{id}")
        );
        assert_eq!(
            nchan_resume("http://10.0.0.2/nchan", id),
            format!("/nchan/sub/reply-{id}")
        );
    }

    async fn body_text(response: Response) -> String {
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("body");
        String::from_utf8_lossy(&bytes).into_owned()
    }

    fn kept(replies: &Replies, bytes: &'static [u8], open: bool) -> Arc<Reply> {
        let body = stream::once(async move { Chunk::Ok(Bytes::from_static(bytes)) });
        let body: BoxStream<'static, Chunk> = if open {
            body.chain(stream::pending()).boxed()
        } else {
            body.boxed()
        };
        let (_, reader) = replies.start_for_test(Wire::Sse, body);
        reader.reply().clone()
    }

    #[tokio::test]
    async fn a_reattach_through_pushpin_gets_what_it_missed_then_a_hold_after_it() {
        let replies = Replies::new(ReplyLimits::default());
        let reply = kept(&replies, b"data: a\n\ndata: b\n\ndata: c\n\n", true);
        wait_len(&reply, 3).await;
        let id = "0123456789abcdef0123456789abcdef";
        let r = hold(&reply, id, 1, "/v1/replies/x", &HeaderMap::new());
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()["grip-hold"], "stream");
        assert_eq!(
            r.headers()["grip-channel"],
            format!("reply-{id}; prev-id=3")
        );
        assert_eq!(
            r.headers()["grip-link"],
            "</v1/replies/x>; rel=next; timeout=10"
        );
        assert_eq!(
            body_text(r).await,
            "retry: 1000\n\ndata: b\nid: 2\n\ndata: c\nid: 3\n\n"
        );
        // Pushpin's recovery: after its last id, no `retry:` head.
        let mut headers = HeaderMap::new();
        headers.insert(
            "grip-last",
            HeaderValue::from_str(&format!("reply-{id}; last-id=2")).expect("value"),
        );
        let r = hold(&reply, id, 0, "/v1/replies/x", &headers);
        assert_eq!(body_text(r).await, "data: c\nid: 3\n\n");
        headers.insert(
            "grip-last",
            HeaderValue::from_str(&format!("reply-{id}; last-id=9")).expect("value"),
        );
        assert_eq!(
            hold(&reply, id, 0, "/v1/replies/x", &headers).status(),
            StatusCode::BAD_REQUEST
        );
    }

    #[tokio::test]
    async fn an_ended_reply_is_answered_without_a_hold() {
        let replies = Replies::new(ReplyLimits::default());
        let reply = kept(&replies, b"data: a\n\ndata: b\n\n", false);
        wait_ended(&reply).await;
        let r = hold(&reply, "ab", 1, "/v1/replies/ab", &HeaderMap::new());
        assert!(r.headers().get("grip-hold").is_none());
        assert_eq!(body_text(r).await, "retry: 1000\n\ndata: b\nid: 2\n\n");
    }

    #[test]
    fn replies_are_published_to_the_engine_of_each_kind() {
        let replies = Replies::new(ReplyLimits::default());
        assert!(replies.engine(EngineKind::Nchan).is_none());
        replies.set_engines(vec![Publisher::new(
            Engine::parse("nchan=http://127.0.0.1:9").expect("engine"),
        )]);
        assert!(replies.engine(EngineKind::Nchan).is_some());
        assert!(replies.engine(EngineKind::Pushpin).is_none());
    }
}
