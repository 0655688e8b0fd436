//! Two waits around a streaming reply, as signals the message view shows: the stall
//! notice ("no data for N s", keep waiting or stop; the rule is `chat::stall`) and the
//! countdown before an error reply's Retry may ask again (the server's `Retry-After`).
//!
//! Each wait is one owned [`Task`] (a timer loop), dropped with its wait: the stall timer
//! wakes at the deadline only (data moves the deadline; the loop sleeps until the latest),
//! the countdown once per second while it is shown.

use leptos::prelude::*;

use crate::browser::{now_ms, sleep_ms, Task};
use crate::chat::stall::{counts_as_data, StallWatch, DEFAULT_STALL_MS};
use crate::transport::StreamEvent;

/// The reply waits (all fields are cheap handles).
#[derive(Clone, Copy)]
pub struct ReplyWatch {
    /// The stall time's seconds while the streaming reply's stall notice is shown.
    pub stalled: RwSignal<Option<u64>>,
    /// The reply whose Retry waits, and the whole seconds left.
    pub retry_left: RwSignal<Option<(u64, u64)>>,
    stall_ms: u64,
    watch: StoredValue<Option<StallWatch>, LocalStorage>,
    stall_timer: StoredValue<Option<Task>, LocalStorage>,
    retry_timer: StoredValue<Option<Task>, LocalStorage>,
}

impl ReplyWatch {
    /// Waits with a stall time of `stall_secs` (the chat's default when `None`).
    pub fn new(stall_secs: Option<u64>) -> ReplyWatch {
        ReplyWatch {
            stalled: RwSignal::new(None),
            retry_left: RwSignal::new(None),
            stall_ms: stall_secs.map_or(DEFAULT_STALL_MS, |s| s.saturating_mul(1000)),
            watch: StoredValue::new_local(None),
            stall_timer: StoredValue::new_local(None),
            retry_timer: StoredValue::new_local(None),
        }
    }

    /// A reply's request goes out: its stall watch starts, an earlier Retry wait ends.
    pub fn start(&self) {
        self.retry_timer.try_set_value(None);
        let _ = self.retry_left.try_set(None);
        self.watch
            .try_set_value(Some(StallWatch::new(self.stall_ms, now_ms())));
        let _ = self.stalled.try_set(None);
        self.arm();
    }

    /// One transport event of the streaming reply.
    pub fn on_event(&self, event: &StreamEvent) {
        if !counts_as_data(event) {
            return;
        }
        let now = now_ms();
        let ended_stall = self
            .watch
            .try_update_value(|w| w.as_mut().is_some_and(|w| w.on_data(now)))
            .unwrap_or(false);
        if ended_stall {
            let _ = self.stalled.try_set(None);
            self.arm();
        }
    }

    /// The user chose to keep waiting: the notice goes until another stall time passes.
    pub fn keep_waiting(&self) {
        let now = now_ms();
        self.watch.try_update_value(|w| {
            if let Some(w) = w {
                w.keep_waiting(now);
            }
        });
        let _ = self.stalled.try_set(None);
        self.arm();
    }

    /// The reply ended (any way): no stall watch, no notice.
    pub fn end(&self) {
        self.stall_timer.try_set_value(None);
        self.watch.try_set_value(None);
        let _ = self.stalled.try_set(None);
    }

    /// Reply `msg_id` ended with the server asking to wait `ms` before asking again.
    pub fn retry_after(&self, msg_id: u64, ms: u64) {
        let until = now_ms() + ms as f64;
        let left = self.retry_left;
        let count = async move {
            loop {
                let wait = until - now_ms();
                if wait <= 0.0 {
                    let _ = left.try_set(None);
                    break;
                }
                let secs = (wait / 1000.0).ceil() as u64;
                let _ = left.try_set(Some((msg_id, secs)));
                // Wake when the shown number changes (or the wait ends).
                let to_next = wait - (secs.saturating_sub(1) as f64) * 1000.0;
                sleep_ms(to_next).await;
            }
        };
        if ms == 0 {
            self.retry_timer.try_set_value(None);
            let _ = self.retry_left.try_set(None);
            return;
        }
        self.retry_timer.try_set_value(Some(Task::spawn(count)));
    }

    /// Starts (or restarts) the stall timer for the current deadline.
    fn arm(&self) {
        let watch = self.watch;
        let stalled = self.stalled;
        let timer = Task::spawn(async move {
            while let Some(deadline) = watch
                .try_with_value(|w| w.as_ref().and_then(StallWatch::deadline))
                .flatten()
            {
                let now = now_ms();
                if now < deadline {
                    sleep_ms(deadline - now).await;
                    continue;
                }
                let secs = watch
                    .try_update_value(|w| {
                        w.as_mut()
                            .and_then(|w| w.check(now).then(|| w.after_secs()))
                    })
                    .flatten();
                if let Some(secs) = secs {
                    let _ = stalled.try_set(Some(secs));
                }
                break;
            }
        });
        self.stall_timer.try_set_value(Some(timer));
    }
}
