//! Gaps and duplicates in a feed's event ids (pure).
//!
//! A feed that numbers its events (`id: 41`, `id: 42`, …) lets a client see what it missed
//! and what it was sent twice. [`IdTracker`] reads each event's id in order:
//! - an id more than one above the highest seen is a gap of the ids in between;
//! - after a reconnection, ids at or below the highest seen are events the client already has
//!   (a server resuming too early from `Last-Event-ID`): duplicates, to be dropped;
//! - within one connection an id equal to the last is not a duplicate: an event without an
//!   `id` line of its own carries the last one (the SSE spec's last-event-id buffer);
//! - an id far below the highest seen ([`RESTART_WINDOW`]), or a lower one within a
//!   connection, means the server started counting again (it restarted): a new sequence,
//!   neither a gap nor duplicates.
//!
//! Ids that are not whole numbers are not compared for gaps; after a reconnection one of
//! the last [`RECENT`] such ids seen again is a duplicate.

use std::collections::VecDeque;

/// How far below the highest id seen an id after a reconnection still counts as a
/// duplicate rather than a server that started counting again.
pub const RESTART_WINDOW: u64 = 10_000;
/// How many non-numeric ids are remembered to spot duplicates.
pub const RECENT: usize = 64;
/// Longest non-numeric id remembered, in bytes (longer ones are not compared).
const RECENT_ID_MAX: usize = 256;

/// What one event's id says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdVerdict {
    /// Keep the event.
    Fresh,
    /// Keep the event; this many events before it were never received.
    Gap(u64),
    /// Drop the event: it was already received.
    Duplicate,
}

/// Follows a feed's ids across connections.
#[derive(Debug, Clone, Default)]
pub struct IdTracker {
    highest: Option<u64>,
    last: Option<u64>,
    /// True from a (re)connection until its first event that is not a duplicate.
    resuming: bool,
    recent: VecDeque<String>,
}

impl IdTracker {
    pub fn new() -> IdTracker {
        IdTracker::default()
    }

    /// A connection opened: the events it starts with may repeat earlier ones.
    pub fn on_open(&mut self) {
        self.resuming = true;
    }

    /// The verdict on the next event, whose id is `id` (empty: none).
    pub fn check(&mut self, id: &str) -> IdVerdict {
        let id = id.trim();
        if id.is_empty() {
            self.resuming = false;
            return IdVerdict::Fresh;
        }
        match whole_number(id) {
            Some(n) => self.check_number(n),
            None => self.check_text(id),
        }
    }

    fn check_number(&mut self, n: u64) -> IdVerdict {
        let Some(highest) = self.highest else {
            self.restart(n);
            return IdVerdict::Fresh;
        };
        if self.resuming && n <= highest && highest - n < RESTART_WINDOW {
            return IdVerdict::Duplicate;
        }
        if n < highest && !(self.resuming || self.last == Some(n)) {
            // Lower within a connection: the server counts again.
            self.restart(n);
            return IdVerdict::Fresh;
        }
        if n + RESTART_WINDOW <= highest {
            self.restart(n);
            return IdVerdict::Fresh;
        }
        self.resuming = false;
        self.last = Some(n);
        if n > highest {
            self.highest = Some(n);
            if n - highest > 1 {
                return IdVerdict::Gap(n - highest - 1);
            }
        }
        IdVerdict::Fresh
    }

    fn restart(&mut self, n: u64) {
        self.highest = Some(n);
        self.last = Some(n);
        self.resuming = false;
    }

    fn check_text(&mut self, id: &str) -> IdVerdict {
        if id.len() > RECENT_ID_MAX {
            self.resuming = false;
            return IdVerdict::Fresh;
        }
        let seen = self.recent.iter().any(|r| r == id);
        if seen && self.resuming {
            return IdVerdict::Duplicate;
        }
        self.resuming = false;
        if !seen {
            if self.recent.len() == RECENT {
                self.recent.pop_front();
            }
            self.recent.push_back(id.to_string());
        }
        IdVerdict::Fresh
    }
}

/// `id` as a whole number, if it is one (ASCII digits only, at most 18 of them).
fn whole_number(id: &str) -> Option<u64> {
    if id.is_empty() || id.len() > 18 || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    id.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use IdVerdict::*;

    fn run(t: &mut IdTracker, ids: &[&str]) -> Vec<IdVerdict> {
        ids.iter().map(|id| t.check(id)).collect()
    }

    #[test]
    fn consecutive_ids_are_fresh_and_a_skip_is_a_gap_of_the_missing_count() {
        let mut t = IdTracker::new();
        t.on_open();
        assert_eq!(
            run(&mut t, &["7", "8", "9", "13", "14"]),
            [Fresh, Fresh, Fresh, Gap(3), Fresh]
        );
    }

    #[test]
    fn a_resume_that_repeats_ids_is_dropped_until_new_ones_come() {
        let mut t = IdTracker::new();
        t.on_open();
        run(&mut t, &["1", "2", "3", "4"]);
        t.on_open();
        assert_eq!(
            run(&mut t, &["3", "4", "5", "6"]),
            [Duplicate, Duplicate, Fresh, Fresh]
        );
    }

    #[test]
    fn an_exact_resume_has_no_gap_and_no_duplicate() {
        let mut t = IdTracker::new();
        t.on_open();
        run(&mut t, &["10", "11"]);
        t.on_open();
        assert_eq!(run(&mut t, &["12", "13"]), [Fresh, Fresh]);
    }

    #[test]
    fn a_resume_that_skips_is_a_gap() {
        let mut t = IdTracker::new();
        t.on_open();
        run(&mut t, &["10", "11"]);
        t.on_open();
        assert_eq!(run(&mut t, &["15"]), [Gap(3)]);
    }

    #[test]
    fn within_a_connection_the_same_id_again_is_an_event_without_its_own_id() {
        let mut t = IdTracker::new();
        t.on_open();
        assert_eq!(
            run(&mut t, &["5", "5", "5", "6"]),
            [Fresh, Fresh, Fresh, Fresh]
        );
    }

    #[test]
    fn a_server_that_counts_again_starts_a_new_sequence() {
        let mut t = IdTracker::new();
        t.on_open();
        run(&mut t, &["50000", "50001"]);
        t.on_open();
        // Far below: the server restarted; neither duplicates nor a gap.
        assert_eq!(run(&mut t, &["1", "2", "4"]), [Fresh, Fresh, Gap(1)]);
        // Lower within a connection: counting again too.
        assert_eq!(run(&mut t, &["1", "2"]), [Fresh, Fresh]);
    }

    #[test]
    fn text_ids_are_duplicates_only_after_a_reconnection() {
        let mut t = IdTracker::new();
        t.on_open();
        assert_eq!(run(&mut t, &["a", "b", "a"]), [Fresh, Fresh, Fresh]);
        t.on_open();
        assert_eq!(run(&mut t, &["b", "c", "b"]), [Duplicate, Fresh, Fresh]);
    }

    #[test]
    fn nchan_time_tag_ids_are_never_gaps_and_a_resume_repeat_is_dropped() {
        // Nchan numbers messages `<unix time>:<tag>`; seconds jump, which must not read as
        // missed events.
        let mut t = IdTracker::new();
        t.on_open();
        assert_eq!(
            run(&mut t, &["1796303444:1", "1796303445:0", "1796303449:0"]),
            [Fresh, Fresh, Fresh]
        );
        t.on_open();
        assert_eq!(
            run(&mut t, &["1796303449:0", "1796303450:0"]),
            [Duplicate, Fresh]
        );
    }

    #[test]
    fn events_without_ids_are_kept() {
        let mut t = IdTracker::new();
        t.on_open();
        assert_eq!(run(&mut t, &["", "", " "]), [Fresh, Fresh, Fresh]);
        assert_eq!(whole_number("-1"), None);
        assert_eq!(whole_number("99999999999999999999"), None);
        assert_eq!(whole_number("0042"), Some(42));
    }

    #[test]
    fn recent_text_ids_are_bounded() {
        let mut t = IdTracker::new();
        for i in 0..(RECENT * 3) {
            t.check(&format!("x{i}"));
        }
        assert_eq!(t.recent.len(), RECENT);
        t.check(&"y".repeat(10_000));
        assert_eq!(t.recent.len(), RECENT);
    }
}
