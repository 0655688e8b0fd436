//! When a streaming reply counts as stalled: the connection is open (or being made) but
//! nothing has come for a while. Pure; the chat's glue (`components::chat::reply_watch`)
//! feeds it the time and the transport's events and shows "no data for N s" with the
//! choice to keep waiting or stop.
//!
//! What counts as data: the server answering (`Open`), any SSE event or NDJSON value, a
//! `retry` field. What does not: a heartbeat comment or blank line ([`StreamEvent::Alive`]).
//! Such a stream is alive for the connection, but a reply that has sent no piece for the
//! stall time is not progressing, and the user is asked whether to go on waiting (a model
//! behind a proxy that only sends keep-alives looks exactly like that). The clock view
//! decides the other way (`clock::ClockState`): a feed that sends heartbeats is healthy.

use crate::transport::StreamEvent;

/// The default stall time for a chat reply (`?stall=` seconds overrides it): a model may
/// think for a few seconds before its first token, rarely for twenty without a byte.
pub const DEFAULT_STALL_MS: u64 = 20_000;

/// True for the transport events that show a reply is progressing (see the module comment).
pub fn counts_as_data(event: &StreamEvent) -> bool {
    matches!(
        event,
        StreamEvent::Open | StreamEvent::Event(_) | StreamEvent::Json(_) | StreamEvent::Retry(_)
    )
}

/// One reply's stall state.
#[derive(Debug, Clone, PartialEq)]
pub struct StallWatch {
    after_ms: u64,
    last_data_at: f64,
    stalled: bool,
}

impl StallWatch {
    /// A reply whose request went out at `now`; stalled after `after_ms` without data.
    pub fn new(after_ms: u64, now: f64) -> StallWatch {
        StallWatch {
            after_ms: after_ms.max(1),
            last_data_at: now,
            stalled: false,
        }
    }

    /// The stall time in whole seconds (what the notice says).
    pub fn after_secs(&self) -> u64 {
        self.after_ms.div_ceil(1000)
    }

    /// True while the notice is shown.
    pub fn is_stalled(&self) -> bool {
        self.stalled
    }

    /// When the reply counts as stalled if no data comes first; `None` while it is (then
    /// only data or the user's choice moves it on).
    pub fn deadline(&self) -> Option<f64> {
        (!self.stalled).then_some(self.last_data_at + self.after_ms as f64)
    }

    /// Data arrived at `now`. Returns true if that ends a stall (the notice goes).
    pub fn on_data(&mut self, now: f64) -> bool {
        self.last_data_at = now;
        std::mem::replace(&mut self.stalled, false)
    }

    /// Checks the deadline at `now`. Returns true if the reply became stalled now.
    pub fn check(&mut self, now: f64) -> bool {
        if self.deadline().is_some_and(|at| now >= at) {
            self.stalled = true;
            return true;
        }
        false
    }

    /// The user chose to keep waiting at `now`: the notice goes, and comes back after
    /// another stall time without data.
    pub fn keep_waiting(&mut self, now: f64) {
        self.stalled = false;
        self.last_data_at = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::{ErrorKind, Event, Reconnect};

    #[test]
    fn a_reply_with_no_data_for_the_stall_time_is_stalled_until_data_comes() {
        let mut w = StallWatch::new(20_000, 1_000.0);
        assert_eq!(w.after_secs(), 20);
        assert_eq!(w.deadline(), Some(21_000.0));
        assert!(!w.check(20_999.0));
        assert!(!w.on_data(5_000.0));
        assert!(!w.check(21_000.0));
        assert!(w.check(25_000.0));
        assert!(w.is_stalled());
        assert_eq!(w.deadline(), None);
        // Checked again: no second notice.
        assert!(!w.check(90_000.0));
        assert!(w.on_data(91_000.0));
        assert!(!w.is_stalled());
        assert_eq!(w.deadline(), Some(111_000.0));
    }

    #[test]
    fn keep_waiting_hides_the_notice_for_another_stall_time() {
        let mut w = StallWatch::new(2_000, 0.0);
        assert!(w.check(2_000.0));
        w.keep_waiting(3_000.0);
        assert!(!w.is_stalled());
        assert!(!w.check(4_999.0));
        assert!(w.check(5_000.0));
    }

    #[test]
    fn heartbeats_do_not_count_as_a_reply_progressing() {
        let event = StreamEvent::Event(Event {
            event: "message".into(),
            data: "{}".into(),
            id: String::new(),
        });
        assert!(counts_as_data(&event));
        assert!(counts_as_data(&StreamEvent::Open));
        assert!(counts_as_data(&StreamEvent::Retry(1)));
        assert!(!counts_as_data(&StreamEvent::Alive));
        assert!(!counts_as_data(&StreamEvent::error(
            ErrorKind::Network,
            Reconnect::Never
        )));
    }

    #[test]
    fn a_zero_stall_time_is_one_millisecond() {
        let mut w = StallWatch::new(0, 0.0);
        assert!(w.check(1.0));
        assert_eq!(w.after_secs(), 1);
    }
}
