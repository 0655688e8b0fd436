//! The clock/feed view's state: what a stream has said and where its connection stands.
//!
//! Pure: the view feeds it [`StreamEvent`]s with the current time and renders what it holds.
//! Memory stays flat over hours: the event log keeps the newest [`LOG_CAP`] entries.

use std::collections::VecDeque;

use crate::i18n::{describe_error, Lang};
use crate::transport::{ErrorKind, Reconnect, StreamEvent};

/// How many log entries are kept; older ones are dropped.
pub const LOG_CAP: usize = 200;
/// At most this many bytes of an event's data are kept for the log and the fields: a feed
/// may send megabytes in one event, and the log holds [`LOG_CAP`] of them.
pub const TEXT_MAX: usize = 2 * 1024;
/// An open stream that sends no byte for this long is shown as stalled (unless the
/// view is told otherwise: `?stall=` seconds).
pub const DEFAULT_STALL_MS: u64 = 20_000;
/// At most this many bytes of an event's type or id are kept.
pub const NAME_MAX: usize = 256;

/// Where a kept text was cut: its kept and its full size, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cut {
    pub shown: usize,
    pub full: usize,
}

/// `text` cut to at most `max` bytes at a character boundary, with "…" when cut.
pub fn bounded(text: &str, max: usize) -> (String, Option<Cut>) {
    if text.len() <= max {
        return (text.to_string(), None);
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut kept = String::with_capacity(end + '…'.len_utf8());
    kept.push_str(&text[..end]);
    kept.push('…');
    (
        kept,
        Some(Cut {
            shown: end,
            full: text.len(),
        }),
    )
}

/// `text` cut to `max` bytes, without saying where.
fn bounded_text(text: &str, max: usize) -> String {
    bounded(text, max).0
}

/// A byte size for people: `512 B`, `2.0 KB`, `10.5 MB` (decimal units, tenths cut down,
/// integer arithmetic only: the page formats no floats).
pub fn format_size(bytes: usize) -> String {
    const UNITS: [(usize, &str); 3] = [(1_000_000_000, "GB"), (1_000_000, "MB"), (1_000, "KB")];
    for (unit, name) in UNITS {
        if bytes >= unit {
            let tenths = bytes / (unit / 10);
            return format!("{}.{} {name}", tenths / 10, tenths % 10);
        }
    }
    format!("{bytes} B")
}

/// The connection state shown by the indicator (`data-state` of `clock-status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnState {
    Connecting,
    Open,
    Reconnecting,
    Closed,
    Error,
    /// Open, but nothing (not even a heartbeat comment, where the transport sees those)
    /// arrived for longer than the stall time.
    Stalled,
}

impl ConnState {
    /// The `data-state` value.
    pub fn as_str(self) -> &'static str {
        match self {
            ConnState::Connecting => "connecting",
            ConnState::Open => "open",
            ConnState::Reconnecting => "reconnecting",
            ConnState::Closed => "closed",
            ConnState::Error => "error",
            ConnState::Stalled => "stalled",
        }
    }
}

/// Where a known reconnect delay came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetrySource {
    /// Read from the stream's `retry:` field.
    Server,
    /// Measured between two reconnect attempts of the browser's EventSource, which applies
    /// the server's value but does not reveal it.
    Observed,
}

/// A reconnect delay and how it is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryInfo {
    pub ms: u64,
    pub source: RetrySource,
}

/// What one log line records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogKind {
    Connect,
    Open,
    Event,
    Retry,
    Error,
    Closed,
}

impl LogKind {
    /// A CSS-friendly name.
    pub fn as_str(self) -> &'static str {
        match self {
            LogKind::Connect => "connect",
            LogKind::Open => "open",
            LogKind::Event => "event",
            LogKind::Retry => "retry",
            LogKind::Error => "error",
            LogKind::Closed => "closed",
        }
    }
}

/// One line of the event log.
#[derive(Debug, Clone, PartialEq)]
pub struct LogEntry {
    /// Increasing sequence number, unique for the life of the state (a stable list key).
    pub seq: u64,
    /// Wall-clock time in milliseconds since the Unix epoch.
    pub at_ms: f64,
    pub kind: LogKind,
    /// Event type for events, a short label otherwise.
    pub label: String,
    pub text: String,
    /// Set when `text` is a cut of a longer text.
    pub cut: Option<Cut>,
}

/// Everything the clock view shows.
#[derive(Debug, Clone, PartialEq)]
pub struct ClockState {
    pub conn: ConnState,
    /// Data of the latest `connecttime` event.
    pub connected_at: Option<String>,
    /// Data of the latest `message` event.
    pub time: Option<String>,
    pub last_event_id: String,
    pub retry: Option<RetryInfo>,
    /// When the current reconnect wait began.
    pub reconnecting_since: Option<f64>,
    /// When the next attempt is due, if known.
    pub next_attempt_at: Option<f64>,
    /// The last final error.
    pub error: Option<ErrorKind>,
    /// Events received since the view opened.
    pub events: u64,
    /// How long an open stream may send nothing before it is shown as stalled.
    pub stall_ms: u64,
    /// When the open stream last sent anything (an event, `retry`, a comment).
    last_data_at: Option<f64>,
    log: VecDeque<LogEntry>,
    next_seq: u64,
    last_browser_error_at: Option<f64>,
    last_change_at: f64,
}

impl Default for ClockState {
    fn default() -> Self {
        ClockState::new()
    }
}

impl ClockState {
    /// A state before any connection.
    pub fn new() -> ClockState {
        ClockState {
            conn: ConnState::Closed,
            connected_at: None,
            time: None,
            last_event_id: String::new(),
            retry: None,
            reconnecting_since: None,
            next_attempt_at: None,
            error: None,
            events: 0,
            stall_ms: DEFAULT_STALL_MS,
            last_data_at: None,
            log: VecDeque::with_capacity(LOG_CAP),
            next_seq: 0,
            last_browser_error_at: None,
            last_change_at: f64::MIN,
        }
    }

    /// A new connection to `url` is being opened.
    pub fn connecting(&mut self, url: &str, now: f64) {
        self.conn = ConnState::Connecting;
        self.error = None;
        self.clear_wait();
        self.push_bounded(now, LogKind::Connect, "connect", url);
    }

    /// The user closed the connection.
    pub fn disconnected(&mut self, now: f64) {
        if self.conn != ConnState::Closed {
            self.conn = ConnState::Closed;
            self.clear_wait();
            self.push(now, LogKind::Closed, "closed", String::new());
        }
    }

    /// When the open stream counts as stalled if nothing arrives first; `None` unless open.
    pub fn stall_deadline(&self) -> Option<f64> {
        match self.conn {
            ConnState::Open => self.last_data_at.map(|at| at + self.stall_ms as f64),
            _ => None,
        }
    }

    /// Marks the open stream stalled if its deadline has passed at `now`; true if it did.
    pub fn check_stall(&mut self, now: f64) -> bool {
        if self.stall_deadline().is_some_and(|at| now >= at) {
            self.conn = ConnState::Stalled;
            self.push(
                now,
                LogKind::Error,
                "stalled",
                format!("{} ms", self.stall_ms),
            );
            true
        } else {
            false
        }
    }

    /// Something arrived on the open stream: it is alive (again).
    fn data(&mut self, now: f64) {
        self.last_data_at = Some(now);
        if self.conn == ConnState::Stalled {
            self.conn = ConnState::Open;
        }
    }

    /// Applies one event from the transport.
    pub fn apply(&mut self, event: &StreamEvent, now: f64) {
        if matches!(
            event,
            StreamEvent::Event(_)
                | StreamEvent::Json(_)
                | StreamEvent::Retry(_)
                | StreamEvent::Alive
        ) {
            self.data(now);
        }
        match event {
            StreamEvent::Alive | StreamEvent::Offer { .. } | StreamEvent::ReplyEnd(_) => {}
            StreamEvent::Open => {
                self.conn = ConnState::Open;
                self.last_data_at = Some(now);
                self.error = None;
                self.clear_wait();
                self.push(now, LogKind::Open, "open", String::new());
            }
            StreamEvent::Event(ev) => {
                self.events += 1;
                // Remote text is kept bounded: one event may be megabytes, and the log
                // holds many (each cut is marked with the full size).
                self.last_event_id = bounded_text(&ev.id, NAME_MAX);
                match ev.event.as_str() {
                    "connecttime" => self.connected_at = Some(bounded_text(&ev.data, TEXT_MAX)),
                    "message" => self.time = Some(bounded_text(&ev.data, TEXT_MAX)),
                    _ => {}
                }
                let label = bounded_text(&ev.event, NAME_MAX);
                self.push_bounded(now, LogKind::Event, &label, &ev.data);
            }
            StreamEvent::Json(value) => {
                self.events += 1;
                self.push_bounded(now, LogKind::Event, "json", &value.to_string());
            }
            StreamEvent::Retry(ms) => {
                self.retry = Some(RetryInfo {
                    ms: *ms,
                    source: RetrySource::Server,
                });
                self.push(now, LogKind::Retry, "retry", format!("{ms} ms"));
            }
            StreamEvent::Error(err) => {
                match err.reconnect {
                    Reconnect::Never => {
                        self.conn = ConnState::Error;
                        self.error = Some(err.kind.clone());
                        self.clear_wait();
                    }
                    Reconnect::After(ms) => {
                        self.conn = ConnState::Reconnecting;
                        self.reconnecting_since.get_or_insert(now);
                        self.next_attempt_at = Some(now + ms as f64);
                    }
                    Reconnect::ByBrowser => self.browser_error(now),
                    Reconnect::WhenOnline => {
                        self.conn = ConnState::Reconnecting;
                        self.reconnecting_since.get_or_insert(now);
                        self.next_attempt_at = None;
                    }
                }
                self.push(
                    now,
                    LogKind::Error,
                    "error",
                    describe_error(&err.kind, Lang::En),
                );
            }
            StreamEvent::Closed(_) => {
                self.conn = ConnState::Closed;
                self.clear_wait();
                self.push(now, LogKind::Closed, "closed", String::new());
            }
        }
    }

    /// The browser's EventSource lost the connection or failed an attempt; it retries by
    /// itself after the server's delay. The gap between two consecutive failures is that
    /// delay (plus the failed attempt's own short time), so it is shown as "observed".
    fn browser_error(&mut self, now: f64) {
        if self.conn == ConnState::Reconnecting {
            if let Some(prev) = self.last_browser_error_at {
                let gap = (now - prev).max(0.0);
                if !matches!(
                    self.retry,
                    Some(RetryInfo {
                        source: RetrySource::Server,
                        ..
                    })
                ) {
                    // Round to 100 ms: the attempt itself adds a few milliseconds.
                    let ms = ((gap / 100.0).round() * 100.0) as u64;
                    self.retry = Some(RetryInfo {
                        ms,
                        source: RetrySource::Observed,
                    });
                }
            }
        }
        self.conn = ConnState::Reconnecting;
        self.reconnecting_since.get_or_insert(now);
        self.last_browser_error_at = Some(now);
        self.next_attempt_at = self.retry.map(|r| now + r.ms as f64);
    }

    /// Whole seconds until the next attempt, when it is known. A `now` older than the
    /// last state change (a view clock that ticks coarsely) counts from that change, so the
    /// countdown never shows more than the delay itself.
    pub fn countdown_secs(&self, now: f64) -> Option<u64> {
        let now = now.max(self.last_change_at);
        self.next_attempt_at
            .map(|at| ((at - now) / 1000.0).ceil().max(0.0) as u64)
    }

    /// Whole seconds spent waiting to reconnect.
    pub fn waiting_secs(&self, now: f64) -> Option<u64> {
        self.reconnecting_since
            .map(|since| ((now - since) / 1000.0).floor().max(0.0) as u64)
    }

    /// The event log, newest first.
    pub fn log(&self) -> impl Iterator<Item = &LogEntry> {
        self.log.iter().rev()
    }

    /// How many log entries are held.
    pub fn log_len(&self) -> usize {
        self.log.len()
    }

    fn clear_wait(&mut self) {
        self.reconnecting_since = None;
        self.next_attempt_at = None;
        self.last_browser_error_at = None;
    }

    /// Logs remote text, cut to [`TEXT_MAX`] bytes.
    fn push_bounded(&mut self, at_ms: f64, kind: LogKind, label: &str, text: &str) {
        let (text, cut) = bounded(text, TEXT_MAX);
        self.push(at_ms, kind, label, text);
        if let Some(entry) = self.log.back_mut() {
            entry.cut = cut;
        }
    }

    fn push(&mut self, at_ms: f64, kind: LogKind, label: &str, text: String) {
        self.last_change_at = self.last_change_at.max(at_ms);
        if self.log.len() == LOG_CAP {
            self.log.pop_front();
        }
        self.log.push_back(LogEntry {
            seq: self.next_seq,
            at_ms,
            kind,
            label: label.to_string(),
            text,
            cut: None,
        });
        self.next_seq += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::{CloseReason, Event};

    fn ev(event: &str, data: &str, id: &str) -> StreamEvent {
        StreamEvent::Event(Event {
            event: event.into(),
            data: data.into(),
            id: id.into(),
        })
    }

    fn browser_error() -> StreamEvent {
        StreamEvent::error(ErrorKind::Network, Reconnect::ByBrowser)
    }

    #[test]
    fn connecttime_and_message_fill_their_fields() {
        let mut s = ClockState::new();
        s.connecting("/stream", 0.0);
        assert_eq!(s.conn, ConnState::Connecting);
        s.apply(&StreamEvent::Open, 1.0);
        s.apply(&StreamEvent::Retry(10_000), 2.0);
        s.apply(&ev("connecttime", "2026/1/5 09:03:07", ""), 3.0);
        s.apply(&ev("message", "2026/1/5 09:03:08", "7"), 4.0);
        assert_eq!(s.conn, ConnState::Open);
        assert_eq!(s.connected_at.as_deref(), Some("2026/1/5 09:03:07"));
        assert_eq!(s.time.as_deref(), Some("2026/1/5 09:03:08"));
        assert_eq!(s.last_event_id, "7");
        assert_eq!(s.events, 2);
        assert_eq!(
            s.retry,
            Some(RetryInfo {
                ms: 10_000,
                source: RetrySource::Server
            })
        );
        let kinds: Vec<_> = s.log().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            [
                LogKind::Event,
                LogKind::Event,
                LogKind::Retry,
                LogKind::Open,
                LogKind::Connect
            ]
        );
    }

    #[test]
    fn an_open_stream_that_sends_nothing_stalls_and_recovers_on_data() {
        let mut s = ClockState::new();
        s.stall_ms = 2_000;
        assert_eq!(s.stall_deadline(), None);
        s.connecting("/stream", 0.0);
        s.apply(&StreamEvent::Open, 100.0);
        assert_eq!(s.stall_deadline(), Some(2_100.0));
        assert!(!s.check_stall(2_000.0));
        // A heartbeat (fetch sees comments) moves the deadline.
        s.apply(&StreamEvent::Alive, 2_000.0);
        assert!(!s.check_stall(2_100.0));
        assert!(s.check_stall(4_000.0));
        assert_eq!(s.conn, ConnState::Stalled);
        assert_eq!(s.conn.as_str(), "stalled");
        // No deadline while stalled: nothing to wake up for until data comes.
        assert_eq!(s.stall_deadline(), None);
        s.apply(&ev("message", "tick", "1"), 9_000.0);
        assert_eq!(s.conn, ConnState::Open);
        assert_eq!(s.stall_deadline(), Some(11_000.0));
        // A reconnect wait or an error is not a stall.
        s.apply(&browser_error(), 9_500.0);
        assert_eq!(s.stall_deadline(), None);
        assert!(!s.check_stall(100_000.0));
        assert_eq!(s.conn, ConnState::Reconnecting);
    }

    #[test]
    fn other_event_types_are_logged_but_not_shown_as_time() {
        let mut s = ClockState::new();
        s.apply(&ev("price", "42", ""), 0.0);
        assert_eq!(s.time, None);
        assert_eq!(s.log().next().map(|e| e.label.as_str()), Some("price"));
    }

    #[test]
    fn browser_reconnect_gap_is_observed_and_counted_down() {
        let mut s = ClockState::new();
        s.apply(&StreamEvent::Open, 0.0);
        s.apply(&browser_error(), 1_000.0);
        assert_eq!(s.conn, ConnState::Reconnecting);
        assert_eq!(s.retry, None, "one failure tells nothing about the delay");
        assert_eq!(s.countdown_secs(1_500.0), None);
        assert_eq!(s.waiting_secs(3_500.0), Some(2));
        s.apply(&browser_error(), 11_004.0);
        assert_eq!(
            s.retry,
            Some(RetryInfo {
                ms: 10_000,
                source: RetrySource::Observed
            })
        );
        assert_eq!(s.countdown_secs(11_004.0), Some(10));
        assert_eq!(s.countdown_secs(20_500.0), Some(1));
        assert_eq!(s.countdown_secs(30_000.0), Some(0));
        s.apply(&StreamEvent::Open, 21_010.0);
        assert_eq!(s.conn, ConnState::Open);
        assert_eq!(s.countdown_secs(21_010.0), None);
        assert_eq!(s.waiting_secs(21_010.0), None);
    }

    #[test]
    fn server_retry_is_not_replaced_by_an_observation() {
        let mut s = ClockState::new();
        s.apply(&StreamEvent::Retry(10_000), 0.0);
        s.apply(&browser_error(), 0.0);
        assert_eq!(s.countdown_secs(0.0), Some(10));
        s.apply(&browser_error(), 10_300.0);
        assert_eq!(
            s.retry.map(|r| (r.ms, r.source)),
            Some((10_000, RetrySource::Server))
        );
    }

    #[test]
    fn transport_scheduled_reconnect_counts_down() {
        let mut s = ClockState::new();
        s.apply(
            &StreamEvent::error(ErrorKind::Network, Reconnect::After(2_500)),
            100.0,
        );
        assert_eq!(s.conn, ConnState::Reconnecting);
        assert_eq!(s.countdown_secs(100.0), Some(3));
        assert_eq!(s.countdown_secs(1_700.0), Some(1));
    }

    #[test]
    fn a_stale_view_clock_never_shows_more_than_the_delay() {
        let mut s = ClockState::new();
        s.apply(
            &StreamEvent::error(ErrorKind::Network, Reconnect::After(10_000)),
            5_000.0,
        );
        // The view's clock last ticked 200 ms before the error arrived.
        assert_eq!(s.countdown_secs(4_800.0), Some(10));
        assert_eq!(s.countdown_secs(5_100.0), Some(10));
        assert_eq!(s.countdown_secs(6_000.0), Some(9));
    }

    #[test]
    fn final_error_and_close_states() {
        let mut s = ClockState::new();
        s.connecting("/x", 0.0);
        s.apply(
            &StreamEvent::error(ErrorKind::Refused, Reconnect::Never),
            1.0,
        );
        assert_eq!(s.conn, ConnState::Error);
        assert_eq!(s.error, Some(ErrorKind::Refused));
        s.connecting("/x", 2.0);
        assert_eq!(s.error, None);
        s.apply(&StreamEvent::Closed(CloseReason::ByClient), 3.0);
        assert_eq!(s.conn, ConnState::Closed);
        s.disconnected(4.0);
        assert_eq!(s.log_len(), 4, "a second close is not logged twice");
    }

    #[test]
    fn log_is_capped_and_newest_first() {
        let mut s = ClockState::new();
        for i in 0..(LOG_CAP as u64 * 3) {
            s.apply(&ev("message", &i.to_string(), ""), i as f64);
        }
        assert_eq!(s.log_len(), LOG_CAP);
        let newest = s.log().next().expect("entry");
        assert_eq!(newest.text, (LOG_CAP * 3 - 1).to_string());
        assert_eq!(newest.seq, LOG_CAP as u64 * 3 - 1);
        let oldest = s.log().last().expect("entry");
        assert_eq!(oldest.text, (LOG_CAP * 2).to_string());
    }

    #[test]
    fn a_ten_megabyte_event_is_kept_bounded_with_its_size() {
        let mut s = ClockState::new();
        let data = "d".repeat(10_500_000);
        let name = "n".repeat(100_000);
        let id = "i".repeat(1_000_000);
        for event in ["message", "connecttime", name.as_str()] {
            s.apply(&ev(event, &data, &id), 0.0);
        }
        let entry = s.log().next().expect("entry");
        assert_eq!(
            entry.cut,
            Some(Cut {
                shown: TEXT_MAX,
                full: 10_500_000
            })
        );
        assert!(entry.text.len() <= TEXT_MAX + '…'.len_utf8());
        assert!(entry.text.ends_with('…'));
        assert!(entry.label.len() <= NAME_MAX + '…'.len_utf8());
        for field in [s.time.as_deref(), s.connected_at.as_deref()] {
            let field = field.expect("set");
            assert!(field.len() <= TEXT_MAX + '…'.len_utf8(), "{}", field.len());
        }
        assert!(s.last_event_id.len() <= NAME_MAX + '…'.len_utf8());
        // The whole log of such events stays small.
        for _ in 0..LOG_CAP {
            s.apply(&ev("message", &data, &id), 0.0);
        }
        let held: usize = s.log().map(|e| e.text.len() + e.label.len()).sum();
        assert!(held <= LOG_CAP * (TEXT_MAX + NAME_MAX + 8), "{held}");
    }

    #[test]
    fn short_texts_are_kept_whole_and_cuts_respect_characters() {
        assert_eq!(bounded("hello", 5), ("hello".to_string(), None));
        // "é" is two bytes: a 5-byte limit keeps two of them.
        assert_eq!(
            bounded("ééé", 5),
            ("éé…".to_string(), Some(Cut { shown: 4, full: 6 }))
        );
        let mut s = ClockState::new();
        s.apply(&ev("message", "12:00:00", "7"), 0.0);
        assert_eq!(s.log().next().map(|e| e.cut), Some(None));
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        let cases = [
            (0, "0 B"),
            (999, "999 B"),
            (1_000, "1.0 KB"),
            (2_048, "2.0 KB"),
            (999_999, "999.9 KB"),
            (1_000_000, "1.0 MB"),
            (10_500_000, "10.5 MB"),
            (3_210_000_000, "3.2 GB"),
        ];
        for (bytes, text) in cases {
            assert_eq!(format_size(bytes), text, "{bytes}");
        }
    }

    #[test]
    fn state_names_match_the_contract() {
        let names: Vec<_> = [
            ConnState::Connecting,
            ConnState::Open,
            ConnState::Reconnecting,
            ConnState::Closed,
            ConnState::Error,
        ]
        .iter()
        .map(|s| s.as_str())
        .collect();
        assert_eq!(
            names,
            ["connecting", "open", "reconnecting", "closed", "error"]
        );
    }
}
