//! The publishing loops (`--publish`): the clock (`clock`: the time each second, with the
//! Unix second as its id) and the demo feeds (`demo-ticker`, `demo-scores`, `demo-news`:
//! event `n` under id `n`, at their default rates), each event published once, in order;
//! and [`Published`], the last id each channel published (what Pushpin's origin answers a
//! subscriber up to).
//!
//! Every event's content is a function of its id (the clock's of its second, a feed's of
//! `n`, [`crate::demo_feeds::event`]), so a publisher that was cut off from its engine
//! resumes where it stopped (at most [`crate::demo_feeds::RING`] events back) and an
//! origin can recompute any recent event. A loop ends when its task is aborted.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::task::JoinHandle;

use super::{Publisher, SseEvent};
use crate::clock::format_zh_cn_shanghai;
use crate::demo_feeds::{self, Feed, RING};

/// The clock's channel.
pub const CLOCK: &str = "clock";
/// The demo feeds that are published (not `/demo/buffered`: it imitates a buffering proxy,
/// which an engine is not).
pub const FEEDS: [Feed; 3] = [Feed::Ticker, Feed::Scores, Feed::News];
/// Pause after a failed publish before the next attempt.
const RETRY: Duration = Duration::from_secs(1);

/// A demo feed's channel.
pub fn feed_channel(feed: Feed) -> &'static str {
    match feed {
        Feed::Ticker => "demo-ticker",
        Feed::Scores => "demo-scores",
        Feed::News => "demo-news",
        Feed::Buffered => "demo-buffered",
    }
}

/// The clock's tick for Unix second `second`: its id is the second, its data the time as
/// `/stream` prints it.
pub fn clock_event(second: u64) -> SseEvent {
    let ms = i64::try_from(second.saturating_mul(1000)).unwrap_or(i64::MAX);
    SseEvent {
        event: None,
        id: second.to_string(),
        data: format_zh_cn_shanghai(ms),
    }
}

/// A demo feed's event `n`.
pub fn feed_event(feed: Feed, n: u64) -> SseEvent {
    let (kind, data) = demo_feeds::event(feed, n);
    SseEvent {
        event: Some(kind.to_string()),
        id: n.to_string(),
        data,
    }
}

/// The last id published per channel (0: none yet), shared by the loops and the origin.
#[derive(Debug, Clone, Default)]
pub struct Published {
    // Indexed by `slot`: the clock, then FEEDS in order.
    last: Arc<[AtomicU64; 4]>,
}

fn slot(channel: &str) -> Option<usize> {
    if channel == CLOCK {
        return Some(0);
    }
    FEEDS
        .iter()
        .position(|f| feed_channel(*f) == channel)
        .map(|i| i + 1)
}

impl Published {
    /// The last id published to `channel`, if any.
    pub fn last(&self, channel: &str) -> Option<u64> {
        let n = self.last[slot(channel)?].load(Ordering::Acquire);
        (n > 0).then_some(n)
    }

    fn set(&self, channel: &str, id: u64) {
        if let Some(i) = slot(channel) {
            self.last[i].store(id, Ordering::Release);
        }
    }
}

/// What a loop publishes: the clock, or one feed.
#[derive(Debug, Clone, Copy)]
enum Source {
    Clock,
    Feed(Feed),
}

impl Source {
    fn channel(self) -> &'static str {
        match self {
            Source::Clock => CLOCK,
            Source::Feed(feed) => feed_channel(feed),
        }
    }

    fn event(self, id: u64) -> SseEvent {
        match self {
            Source::Clock => clock_event(id),
            Source::Feed(feed) => feed_event(feed, id),
        }
    }

    /// The newest id due now.
    fn newest(self) -> u64 {
        match self {
            Source::Clock => unix_now().as_secs(),
            Source::Feed(feed) => demo_feeds::newest_now(feed),
        }
    }

    /// How long until id `next` is due (zero: it is).
    fn wait_for(self, next: u64) -> Duration {
        match self {
            Source::Clock => Duration::from_secs(next).saturating_sub(unix_now()),
            Source::Feed(feed) => {
                let due = demo_feeds::due_at(feed, next);
                due.saturating_duration_since(tokio::time::Instant::now())
            }
        }
    }
}

fn unix_now() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
}

/// Starts the clock's and the demo feeds' loops for `publisher`; `published` (Pushpin's
/// origin state) is kept up to date when given. Abort the handles to stop them.
pub fn spawn(publisher: &Publisher, published: Option<Published>) -> Vec<JoinHandle<()>> {
    std::iter::once(Source::Clock)
        .chain(FEEDS.into_iter().map(Source::Feed))
        .map(|source| tokio::spawn(run(publisher.clone(), source, published.clone())))
        .collect()
}

/// Publishes `source`'s events as they fall due, forever.
async fn run(publisher: Publisher, source: Source, published: Option<Published>) {
    let channel = source.channel();
    let engine = publisher.engine().to_string();
    let mut prev: Option<u64> = None;
    let mut next = source.newest();
    let mut failing = false;
    loop {
        let newest = source.newest();
        if next > newest {
            tokio::time::sleep(source.wait_for(next).max(Duration::from_millis(1))).await;
            continue;
        }
        // Cut off for long: resume no further back than a subscriber could resume.
        next = next.max(newest.saturating_sub(RING - 1));
        let event = source.event(next);
        let prev_text = prev.map(|p| p.to_string());
        match publisher
            .publish(channel, &event, prev_text.as_deref())
            .await
        {
            Ok(()) => {
                if failing {
                    tracing::info!(%engine, channel, id = next, "publishing again");
                    failing = false;
                }
                if let Some(p) = &published {
                    p.set(channel, next);
                }
                prev = Some(next);
                next += 1;
            }
            Err(err) => {
                if !failing {
                    tracing::warn!(%engine, channel, id = next, %err, "publish failed; retrying every second");
                    failing = true;
                }
                tokio::time::sleep(RETRY).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_event_is_its_second_and_the_time_of_it() {
        let e = clock_event(1_767_575_587);
        assert_eq!(e.id, "1767575587");
        assert_eq!(e.data, "2026/1/5 09:13:07");
        assert_eq!(e.event, None);
    }

    #[test]
    fn feed_events_are_the_direct_feeds_events() {
        let e = feed_event(Feed::Ticker, 5);
        assert_eq!(e.event.as_deref(), Some("trade"));
        assert_eq!(e.id, "5");
        assert_eq!(e.data, demo_feeds::event(Feed::Ticker, 5).1);
    }

    #[test]
    fn published_ids_are_kept_per_channel() {
        let p = Published::default();
        assert_eq!(p.last(CLOCK), None);
        p.set(CLOCK, 10);
        p.set("demo-news", 3);
        p.set("unknown", 4);
        assert_eq!(p.last(CLOCK), Some(10));
        assert_eq!(p.last("demo-news"), Some(3));
        assert_eq!(p.last("demo-ticker"), None);
        assert_eq!(p.last("unknown"), None);
    }
}
