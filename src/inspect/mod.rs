//! The stream inspector's model (pure, no web-sys): what arrived, when, in which network
//! read, and what it says about the path between server and browser ([`diagnose`]).
//!
//! The glue feeds it what the transport saw: [`Inspector::on_request`] when a connection
//! starts, [`Inspector::on_response`] with status and headers (fetch), [`Inspector::on_chunk`]
//! with each network read's bytes (fetch: decoded here by `rill_sse`), or
//! [`Inspector::on_event`] for each event the browser's EventSource dispatched, then
//! [`Inspector::on_end`]. Times are the page's milliseconds (`performance.now()`).
//!
//! Bounded: at most [`MAX_EVENTS`] events and [`MAX_BYTES`] of their text are kept (then the
//! oldest go and [`Inspector::dropped`] counts them); the view shows the last
//! [`SHOWN`] that pass the filter; the export has everything kept.

pub mod charts;
pub mod diagnose;
pub mod recording;

use std::collections::VecDeque;

use rill_sse::{Decoder, Item, NdjsonDecoder};

use crate::json::Json;

/// Most events kept.
pub const MAX_EVENTS: usize = 50_000;
/// Most bytes of event text kept.
pub const MAX_BYTES: usize = 20 * 1024 * 1024;
/// Most events the list shows.
pub const SHOWN: usize = 500;
/// Most network reads remembered (for the burst rule and the reads table).
pub const MAX_READS: usize = 10_000;

/// What the body is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Sse,
    Ndjson,
}

/// How the stream is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Via {
    /// `fetch`: status, headers and every network read are visible.
    #[default]
    Fetch,
    /// The browser's EventSource: only events, opens and errors.
    EventSource,
}

/// One received event.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// 1-based, over the inspector's life (kept when old entries go).
    pub seq: u64,
    pub kind: String,
    pub id: String,
    pub data: String,
    /// Bytes of data (UTF-8).
    pub size: usize,
    pub at_ms: f64,
    /// Since the previous event (none for the first).
    pub gap_ms: Option<f64>,
    /// The network read it arrived in (fetch), 1-based.
    pub read: Option<u64>,
    /// The connection it arrived on, 1-based.
    pub conn: u32,
}

/// One network read (fetch).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Read {
    pub seq: u64,
    pub conn: u32,
    pub at_ms: f64,
    pub bytes: usize,
    pub events: usize,
}

/// How a connection ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    /// The server ended the body.
    ServerClosed,
    /// A network failure; `message` is the browser's (a fetch `TypeError` for CORS too).
    Failed { message: String },
    /// The user (or a new connect) closed it.
    ByClient,
}

/// One connection attempt.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Conn {
    pub started_ms: f64,
    pub opened_ms: Option<f64>,
    pub first_byte_ms: Option<f64>,
    pub first_event_ms: Option<f64>,
    pub last_byte_ms: Option<f64>,
    pub status: Option<u16>,
    pub headers: Vec<(String, String)>,
    pub ended_ms: Option<f64>,
    pub end: Option<End>,
    pub events: u64,
    pub bytes: u64,
}

impl Conn {
    /// A response header (names compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The filter of the list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only this event type (empty: all).
    pub kind: String,
    /// Only events whose type, id or data contains this (case-sensitive; empty: all).
    pub text: String,
}

impl Filter {
    pub fn matches(&self, e: &Entry) -> bool {
        (self.kind.is_empty() || e.kind == self.kind)
            && (self.text.is_empty()
                || e.data.contains(&self.text)
                || e.kind.contains(&self.text)
                || e.id.contains(&self.text))
    }
}

/// The inspector's whole state.
#[derive(Debug, Default)]
pub struct Inspector {
    pub url: String,
    pub via: Via,
    pub format: Format,
    /// The URL is on another origin than the page.
    pub cross_origin: bool,
    /// The URL is plain `http:` (HTTP/1.1 in every browser: six connections per origin).
    pub plain_http: bool,
    entries: VecDeque<Entry>,
    bytes_kept: usize,
    dropped: u64,
    total: u64,
    reads: VecDeque<Read>,
    read_total: u64,
    pub conns: Vec<Conn>,
    pub retry_ms: Option<u64>,
    decoder: Decoder,
    ndjson: NdjsonDecoder,
    pub decode_error: Option<String>,
    last_event_ms: Option<f64>,
}

impl Inspector {
    /// A fresh inspector for `url`.
    pub fn new(url: &str, via: Via, format: Format, cross_origin: bool) -> Inspector {
        Inspector {
            url: url.to_string(),
            via,
            format,
            cross_origin,
            plain_http: url.trim_start().to_ascii_lowercase().starts_with("http:"),
            ..Inspector::default()
        }
    }

    /// Forgets the events and reads (not the connections, which the diagnosis needs).
    pub fn clear(&mut self) {
        self.entries.clear();
        self.reads.clear();
        self.bytes_kept = 0;
        self.dropped = 0;
        self.total = 0;
        self.last_event_ms = None;
    }

    /// Events received since the last clear, kept or not.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Events let go to stay within the bounds.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    pub fn entries(&self) -> impl DoubleEndedIterator<Item = &Entry> + ExactSizeIterator {
        self.entries.iter()
    }

    pub fn reads(&self) -> impl DoubleEndedIterator<Item = &Read> + ExactSizeIterator {
        self.reads.iter()
    }

    /// The current connection.
    pub fn conn(&self) -> Option<&Conn> {
        self.conns.last()
    }

    fn conn_mut(&mut self) -> Option<&mut Conn> {
        self.conns.last_mut()
    }

    /// A connection attempt starts.
    pub fn on_request(&mut self, at_ms: f64) {
        if let Some(c) = self.conn_mut() {
            if c.end.is_none() {
                c.end = Some(End::ByClient);
                c.ended_ms = Some(at_ms);
            }
        }
        self.conns.push(Conn {
            started_ms: at_ms,
            ..Conn::default()
        });
        let last = self.last_id();
        self.decoder = match last {
            Some(id) => Decoder::new().with_last_event_id(id),
            None => Decoder::new(),
        };
        self.ndjson = NdjsonDecoder::new();
    }

    fn last_id(&self) -> Option<String> {
        self.entries
            .back()
            .map(|e| e.id.clone())
            .filter(|s| !s.is_empty())
    }

    /// The server answered (fetch) or the EventSource opened (no status or headers).
    pub fn on_response(&mut self, at_ms: f64, status: Option<u16>, headers: Vec<(String, String)>) {
        if let Some(c) = self.conn_mut() {
            c.opened_ms = Some(at_ms);
            c.status = status;
            c.headers = headers;
        }
    }

    /// One network read of the body (fetch).
    pub fn on_chunk(&mut self, at_ms: f64, bytes: &[u8]) {
        let conn = self.conns.len() as u32;
        if let Some(c) = self.conn_mut() {
            c.first_byte_ms.get_or_insert(at_ms);
            c.last_byte_ms = Some(at_ms);
            c.bytes += bytes.len() as u64;
        }
        self.read_total += 1;
        let read = self.read_total;
        let mut found: Vec<(String, String, String)> = Vec::new();
        match self.format {
            Format::Sse => {
                let mut items = Vec::new();
                if let Err(err) = self.decoder.push(bytes, &mut items) {
                    self.decode_error = Some(err.to_string());
                }
                for item in items {
                    match item {
                        Item::Event(e) => found.push((e.event, e.id, e.data)),
                        Item::Retry(ms) => self.retry_ms = Some(ms),
                    }
                }
            }
            Format::Ndjson => {
                let mut out = Vec::new();
                self.ndjson.push_with(
                    bytes,
                    &mut |line: &[u8]| {
                        Json::parse_bytes(line).map(|_| String::from_utf8_lossy(line).into_owned())
                    },
                    &mut out,
                );
                for line in out {
                    match line {
                        Ok(text) => found.push(("json".into(), String::new(), text)),
                        Err(err) => self.decode_error = Some(err.to_string()),
                    }
                }
            }
        }
        let events = found.len();
        for (kind, id, data) in found {
            self.push_event(at_ms, kind, id, data, Some(read), conn);
        }
        self.reads.push_back(Read {
            seq: read,
            conn,
            at_ms,
            bytes: bytes.len(),
            events,
        });
        if self.reads.len() > MAX_READS {
            self.reads.pop_front();
        }
    }

    /// One event dispatched by the browser's EventSource.
    pub fn on_event(&mut self, at_ms: f64, kind: String, id: String, data: String) {
        let conn = self.conns.len() as u32;
        if let Some(c) = self.conn_mut() {
            c.first_byte_ms.get_or_insert(at_ms);
            c.last_byte_ms = Some(at_ms);
            c.bytes += data.len() as u64;
        }
        self.push_event(at_ms, kind, id, data, None, conn);
    }

    fn push_event(
        &mut self,
        at_ms: f64,
        kind: String,
        id: String,
        data: String,
        read: Option<u64>,
        conn: u32,
    ) {
        if let Some(c) = self.conn_mut() {
            c.first_event_ms.get_or_insert(at_ms);
            c.events += 1;
        }
        self.total += 1;
        let gap_ms = self.last_event_ms.map(|t| at_ms - t);
        self.last_event_ms = Some(at_ms);
        let size = data.len();
        self.bytes_kept += size + kind.len() + id.len();
        self.entries.push_back(Entry {
            seq: self.total,
            kind,
            id,
            data,
            size,
            at_ms,
            gap_ms,
            read,
            conn,
        });
        while self.entries.len() > MAX_EVENTS || self.bytes_kept > MAX_BYTES {
            match self.entries.pop_front() {
                Some(old) => {
                    self.bytes_kept -= old.size + old.kind.len() + old.id.len();
                    self.dropped += 1;
                }
                None => break,
            }
        }
    }

    /// The connection ended.
    pub fn on_end(&mut self, at_ms: f64, end: End) {
        if let Some(c) = self.conn_mut() {
            if c.end.is_none() {
                c.ended_ms = Some(at_ms);
                c.end = Some(end);
            }
        }
    }

    /// The last [`SHOWN`] kept events that pass `filter`, oldest first, and how many passed.
    pub fn visible(&self, filter: &Filter) -> (Vec<&Entry>, usize) {
        let mut passed = 0;
        let mut shown: Vec<&Entry> = Vec::new();
        for e in self.entries.iter().rev() {
            if filter.matches(e) {
                passed += 1;
                if shown.len() < SHOWN {
                    shown.push(e);
                }
            }
        }
        shown.reverse();
        (shown, passed)
    }

    /// The event types seen, in first-seen order.
    pub fn kinds(&self) -> Vec<String> {
        let mut kinds: Vec<String> = Vec::new();
        for e in &self.entries {
            if !kinds.contains(&e.kind) {
                kinds.push(e.kind.clone());
            }
        }
        kinds
    }

    /// Every kept event as JSON Lines: `{"seq","type","id","data","size","at_ms","gap_ms","read","conn"}`.
    pub fn export_jsonl(&self) -> String {
        let mut out = String::new();
        for e in &self.entries {
            let num = |n: f64| Json::Num((n * 1000.0).round() / 1000.0);
            let value = Json::obj([
                ("seq", Json::Num(e.seq as f64)),
                ("type", Json::Str(e.kind.as_str().into())),
                ("id", Json::Str(e.id.as_str().into())),
                ("data", Json::Str(e.data.as_str().into())),
                ("size", Json::Num(e.size as f64)),
                ("at_ms", num(e.at_ms)),
                ("gap_ms", e.gap_ms.map_or(Json::Null, num)),
                ("read", e.read.map_or(Json::Null, |r| Json::Num(r as f64))),
                ("conn", Json::Num(f64::from(e.conn))),
            ]);
            value.write(&mut out);
            out.push('\n');
        }
        out
    }
}

/// A POSIX shell word: `'…'` with each `'` written `'\''`.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// The request as a `curl` command (`-N`: no buffering, so events show as they come).
pub fn curl(url: &str, method: &str, headers: &[(String, String)], body: Option<&str>) -> String {
    let mut out = String::from("curl -N");
    let method = method.trim().to_ascii_uppercase();
    if !method.is_empty() && method != "GET" {
        out.push_str(" -X ");
        out.push_str(&shell_quote(&method));
    }
    for (name, value) in headers {
        out.push_str(" -H ");
        out.push_str(&shell_quote(&format!("{name}: {value}")));
    }
    if let Some(body) = body.filter(|b| !b.is_empty()) {
        out.push_str(" --data-raw ");
        out.push_str(&shell_quote(body));
    }
    out.push(' ');
    out.push_str(&shell_quote(url));
    out
}

/// Parses a headers field: one `Name: value` a line; blank lines and lines without a colon
/// are left out.
pub fn parse_headers(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|line| {
            let (name, value) = line.split_once(':')?;
            let name = name.trim();
            (!name.is_empty()).then(|| (name.to_string(), value.trim().to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sse(i: &mut Inspector, at: f64, text: &str) {
        i.on_chunk(at, text.as_bytes());
    }

    #[test]
    fn events_are_timed_per_event_and_per_read() {
        let mut i = Inspector::new("http://x/s", Via::Fetch, Format::Sse, false);
        i.on_request(0.0);
        i.on_response(
            5.0,
            Some(200),
            vec![("Content-Type".into(), "text/event-stream".into())],
        );
        sse(
            &mut i,
            10.0,
            "retry: 2000\n\nid: 1\nevent: price\ndata: {\"a\":1}\n\nid: 2\ndata: x",
        );
        sse(&mut i, 30.0, "\n\n");
        let e: Vec<_> = i.entries().collect();
        assert_eq!(e.len(), 2);
        assert_eq!(
            (e[0].kind.as_str(), e[0].id.as_str(), e[0].read),
            ("price", "1", Some(1))
        );
        assert_eq!(
            (e[1].kind.as_str(), e[1].gap_ms, e[1].read),
            ("message", Some(20.0), Some(2))
        );
        assert_eq!(i.retry_ms, Some(2000));
        let r: Vec<_> = i.reads().map(|r| (r.events, r.bytes)).collect();
        assert_eq!(r, vec![(1, 60), (1, 2)]);
        let c = i.conn().unwrap();
        assert_eq!(
            (c.first_byte_ms, c.first_event_ms),
            (Some(10.0), Some(10.0))
        );
        assert_eq!(c.header("content-type"), Some("text/event-stream"));
    }

    #[test]
    fn ndjson_lines_are_events() {
        let mut i = Inspector::new("http://x/s", Via::Fetch, Format::Ndjson, false);
        i.on_request(0.0);
        i.on_chunk(1.0, b"{\"a\":1}\n{\"b\"");
        i.on_chunk(2.0, b":2}\nnot json\n");
        let data: Vec<_> = i.entries().map(|e| e.data.clone()).collect();
        assert_eq!(data, vec!["{\"a\":1}", "{\"b\":2}"]);
        assert!(i.decode_error.is_some());
    }

    #[test]
    fn the_list_is_capped_the_export_is_not() {
        let mut i = Inspector::new("http://x/s", Via::EventSource, Format::Sse, false);
        i.on_request(0.0);
        for n in 0..10_000u32 {
            let kind = if n % 2 == 0 { "a" } else { "b" };
            i.on_event(f64::from(n), kind.into(), n.to_string(), format!("d{n}"));
        }
        let (shown, passed) = i.visible(&Filter::default());
        assert_eq!((shown.len(), passed), (SHOWN, 10_000));
        assert_eq!(shown.last().unwrap().id, "9999");
        let (shown, passed) = i.visible(&Filter {
            kind: "a".into(),
            text: "d99".into(),
        });
        assert_eq!(passed, shown.len());
        assert!(shown
            .iter()
            .all(|e| e.kind == "a" && e.data.contains("d99")));
        assert_eq!(i.export_jsonl().lines().count(), 10_000);
        assert_eq!(i.kinds(), vec!["a", "b"]);
        let first = i.export_jsonl().lines().next().unwrap().to_string();
        assert!(
            first.starts_with("{\"seq\":1,\"type\":\"a\",\"id\":\"0\",\"data\":\"d0\""),
            "{first}"
        );
    }

    #[test]
    fn bounded_overall() {
        let mut i = Inspector::new("u", Via::EventSource, Format::Sse, false);
        i.on_request(0.0);
        for n in 0..(MAX_EVENTS + 10) {
            i.on_event(n as f64, "m".into(), String::new(), "x".into());
        }
        assert_eq!(i.entries().len(), MAX_EVENTS);
        assert_eq!(i.dropped(), 10);
        assert_eq!(i.total(), (MAX_EVENTS + 10) as u64);
    }

    #[test]
    fn curl_quotes_everything() {
        assert_eq!(
            curl(
                "http://h/a?b=1&c",
                "post",
                &[("X-A".into(), "it's".into())],
                Some("{\"q\":1}")
            ),
            "curl -N -X 'POST' -H 'X-A: it'\\''s' --data-raw '{\"q\":1}' 'http://h/a?b=1&c'"
        );
        assert_eq!(curl("http://h/", "GET", &[], None), "curl -N 'http://h/'");
        assert_eq!(
            parse_headers("A: 1\n\nbad\n B : two:three "),
            vec![
                ("A".to_string(), "1".to_string()),
                ("B".to_string(), "two:three".to_string())
            ]
        );
    }
}
