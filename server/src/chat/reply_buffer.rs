//! One resumable reply's events, kept in order and bounded in bytes (pure: no clock, no
//! tasks; [`super::replies`] drives it).
//!
//! Event `N` (from 1) is `events[N - 1]`; a client that has everything up to `N` asks for
//! [`ReplyBuffer::after`]`(N)`. Events are never changed or dropped once pushed, so any two
//! readers see the same sequence: no gap, no duplicate.

use bytes::Bytes;

/// How a reply's generation ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum End {
    /// The writer (or the upstream) finished its answer.
    Done,
    /// Someone asked to stop it (`POST …/replies/{id}/stop`).
    Stopped,
    /// The connection to the model broke (or `[[drop:N]]`): these last bytes of an
    /// unfinished event were read; readers get them and then a broken connection, as they
    /// would have without the buffer.
    Broken(Bytes),
    /// The events would have passed the buffer's byte limit; the generation was stopped.
    Overflow,
    /// No client read it for the linger time; the generation was stopped.
    Abandoned,
}

impl End {
    /// How the reply ended, as `Rill-Reply-End` says it on a resume that has nothing more
    /// to send (204): `done`, `stopped`, or `failed` (broken, overflowed or abandoned: the
    /// reply is incomplete, and nothing will complete it).
    pub(crate) fn word(&self) -> &'static str {
        match self {
            End::Done => "done",
            End::Stopped => "stopped",
            End::Broken(_) | End::Overflow | End::Abandoned => "failed",
        }
    }
}

/// The events pushed would pass the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Full;

/// A reply's events and how it ended.
#[derive(Debug)]
pub(crate) struct ReplyBuffer {
    events: Vec<Bytes>,
    bytes: usize,
    max_bytes: usize,
    end: Option<End>,
}

impl ReplyBuffer {
    pub(crate) fn new(max_bytes: usize) -> ReplyBuffer {
        ReplyBuffer {
            events: Vec::new(),
            bytes: 0,
            max_bytes,
            end: None,
        }
    }

    /// Adds the next event. Refused (and nothing kept) once the reply ended, or if the
    /// buffer would hold more than its limit: the caller then ends it with [`End::Overflow`].
    pub(crate) fn push(&mut self, event: Bytes) -> Result<(), Full> {
        if self.end.is_some() || self.bytes + event.len() > self.max_bytes {
            return Err(Full);
        }
        self.bytes += event.len();
        self.events.push(event);
        Ok(())
    }

    /// Ends the reply; the first end wins.
    pub(crate) fn end(&mut self, end: End) {
        if self.end.is_none() {
            self.end = Some(end);
        }
    }

    pub(crate) fn ended(&self) -> Option<&End> {
        self.end.as_ref()
    }

    /// How many events it has (the last one's number).
    pub(crate) fn len(&self) -> u64 {
        self.events.len() as u64
    }

    /// Bytes held.
    #[cfg(test)]
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    /// The events after number `n` (all of them for 0); empty past the end.
    pub(crate) fn after(&self, n: u64) -> &[Bytes] {
        let from = usize::try_from(n)
            .unwrap_or(usize::MAX)
            .min(self.events.len());
        &self.events[from..]
    }
}

/// A `Last-Event-ID` value as an event number: digits only (what rill writes), else `None`.
pub(crate) fn parse_last_event_id(value: &str) -> Option<u64> {
    let value = value.trim();
    if value.is_empty() {
        return Some(0);
    }
    if !value.bytes().all(|b| b.is_ascii_digit()) || value.len() > 19 {
        return None;
    }
    value.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ev(i: u64) -> Bytes {
        Bytes::from(format!("data: {i}\nid: {i}\n\n"))
    }

    #[test]
    fn a_full_buffer_refuses_and_keeps_what_it_has() {
        let mut b = ReplyBuffer::new(40);
        assert_eq!(b.push(ev(1)), Ok(()));
        assert_eq!(b.push(ev(2)), Ok(()));
        assert_eq!(b.push(Bytes::from(vec![b'x'; 20])), Err(Full));
        assert_eq!(b.len(), 2);
        assert!(b.bytes() <= 40);
        b.end(End::Overflow);
        b.end(End::Done);
        assert_eq!(b.ended(), Some(&End::Overflow));
        assert_eq!(b.push(ev(3)), Err(Full), "nothing is added after the end");
    }

    #[test]
    fn each_end_has_its_word() {
        assert_eq!(End::Done.word(), "done");
        assert_eq!(End::Stopped.word(), "stopped");
        for end in [End::Broken(Bytes::new()), End::Overflow, End::Abandoned] {
            assert_eq!(end.word(), "failed");
        }
    }

    #[test]
    fn last_event_ids_are_numbers() {
        assert_eq!(parse_last_event_id(""), Some(0));
        assert_eq!(parse_last_event_id(" 12 "), Some(12));
        assert_eq!(parse_last_event_id("-1"), None);
        assert_eq!(parse_last_event_id("abc"), None);
        assert_eq!(parse_last_event_id("99999999999999999999"), None);
    }

    proptest! {
        /// Reading from any position up to the end, then the rest from where that read
        /// stopped, gives every event exactly once, in order.
        #[test]
        fn resuming_from_any_id_has_no_gap_and_no_duplicate(
            n in 0u64..60, first_read in 0u64..70, more in 0u64..30,
        ) {
            let mut b = ReplyBuffer::new(usize::MAX);
            for i in 1..=n {
                b.push(ev(i)).unwrap();
            }
            let seen_to = first_read.min(n);
            let mut got: Vec<Bytes> = b.after(0)[..seen_to as usize].to_vec();
            for i in n + 1..=n + more {
                b.push(ev(i)).unwrap();
            }
            got.extend_from_slice(b.after(seen_to));
            let want: Vec<Bytes> = (1..=n + more).map(ev).collect();
            prop_assert_eq!(got, want);
            prop_assert!(b.after(n + more + 5).is_empty());
        }
    }
}
