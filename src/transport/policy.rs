//! When to reconnect, and when to stop: a pure policy, tested natively with a fake clock
//! and a seeded random source. Time is passed in (milliseconds, any clock that only moves
//! forward; a clock that goes back is treated as no time passing).
//!
//! Rules (the WHATWG rules for EventSource, plus what they leave to the client):
//! - The server's `retry:` value is the base delay (3 s until it sends one, as browsers do).
//! - **The floor.** No attempt starts sooner than [`FLOOR_MS`] after the previous attempt
//!   started, whatever the server's `retry`: a server that answers and closes at once gets
//!   at most one attempt a second, not a tight loop that drains the user's battery.
//! - **Backoff resets only after a stable connection.** A connection that stayed open for
//!   [`STABLE_MS`] resets the failure count; an open that ends sooner counts as one more
//!   failure (a server that answers 200 and hangs up is failing, not working).
//! - The first reconnect after a stable connection waits exactly the base delay: the server
//!   asked for it, and every client of a healthy server comes back spread out by when it
//!   connected. With `retry: 0` that is an immediate reconnect: the attempt started at
//!   least [`STABLE_MS`] ago, so the floor already holds (chosen over waiting the floor
//!   again, since a long-lived connection is the case `retry` exists for).
//! - Backoff grows from at least one second: `retry: 0` buys one reconnect, not a loop.
//! - Consecutive failures back off exponentially with full jitter: the k-th consecutive
//!   failure waits a uniformly random time in `[base, min(cap, base·2^(k-1))]` (then at
//!   least the floor), so a restarted server is not hit by every client at the same instant
//!   (no storm), and a dead one is polled less and less often. The cap (30 s by default) is
//!   raised to the server's own `retry` if that is larger: a server may ask for more
//!   patience, never get less.
//! - HTTP 204 stops for good (the spec's way for a server to say "no more"); any other
//!   non-2xx status, or a Content-Type other than `text/event-stream`, is final too (browsers
//!   fail an EventSource the same way), with a message naming what was received.
//! - Network errors and a stream that ends retry.
//! - **`Retry-After` is honoured.** A 429, 500, 502, 503 or 504 that carries `Retry-After`
//!   (delay-seconds or an HTTP-date, [`parse_retry_after`]) is not final: the next attempt
//!   waits at least that long (and at least the backoff and the floor), never sooner. The
//!   wait is capped at [`RETRY_AFTER_CAP_MS`], so a broken or hostile header (a date in
//!   2099) cannot park a feed or a Retry button for days. Without the header these statuses
//!   stay final, as browsers treat them.
//! - While the browser is offline nothing is attempted; the glue waits for `online`.
//!
//! The browser's EventSource reconnects by itself after the server's `retry`, which it
//! does not reveal. [`FlapGuard`] watches it: the second quick end in a row (an open, or a
//! failed attempt, that ends within [`QUICK_END_MS`]) means the browser is looping, and
//! the glue then closes it and reconnects on this policy's schedule until a connection is
//! stable again.

/// Default base delay before a server sends `retry:` (what browsers use).
pub const DEFAULT_BASE_MS: u64 = 3_000;
/// Default ceiling for backed-off delays.
pub const DEFAULT_CAP_MS: u64 = 30_000;
/// The smallest unit backoff grows from, whatever the server's `retry`.
pub const MIN_BACKOFF_UNIT_MS: u64 = 1_000;
/// No attempt starts sooner than this after the previous attempt started.
pub const FLOOR_MS: u64 = 1_000;
/// A connection open this long counts as working: the failure count starts again.
pub const STABLE_MS: u64 = 5_000;
/// An EventSource connection (or failed attempt) that ends within this time ended quickly.
pub const QUICK_END_MS: u64 = 1_000;
/// Quick ends in a row after which rill takes reconnection over from the browser.
pub const QUICK_ENDS_TO_TAKE_OVER: u32 = 2;

/// The longest `Retry-After` wait rill honours (10 minutes); a longer one waits this long.
pub const RETRY_AFTER_CAP_MS: u64 = 600_000;

/// True for the statuses whose `Retry-After` rill honours: a server that is overloaded,
/// rate-limiting or briefly down (RFC 9110 names 503 and 429; gateways send it with
/// 500, 502 and 504 too).
pub fn retry_after_applies(status: u16) -> bool {
    matches!(status, 429 | 500 | 502 | 503 | 504)
}

/// A `Retry-After` header value (RFC 9110 §10.2.3) as milliseconds to wait from
/// `now_epoch_ms` (milliseconds since the Unix epoch), at most [`RETRY_AFTER_CAP_MS`]:
/// delay-seconds (`120`), or an HTTP-date in any of its three forms (IMF-fixdate
/// `Sun, 06 Nov 1994 08:49:37 GMT`, the obsolete RFC 850 `Sunday, 06-Nov-94 08:49:37 GMT`
/// and asctime `Sun Nov  6 08:49:37 1994`). A date in the past is 0. `None` for anything
/// else (a negative or fractional number, an unknown date form).
pub fn parse_retry_after(value: &str, now_epoch_ms: f64) -> Option<u64> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    if value.bytes().all(|b| b.is_ascii_digit()) {
        // A huge number saturates: it is capped below anyway.
        let secs = value.bytes().fold(0u64, |n, b| {
            n.saturating_mul(10).saturating_add(u64::from(b - b'0'))
        });
        return Some(secs.saturating_mul(1000).min(RETRY_AFTER_CAP_MS));
    }
    let at_ms = http_date_ms(value)?;
    let wait = at_ms - now_epoch_ms;
    let wait = if wait.is_finite() && wait > 0.0 {
        wait.ceil() as u64
    } else {
        0
    };
    Some(wait.min(RETRY_AFTER_CAP_MS))
}

/// An HTTP-date as milliseconds since the Unix epoch (whole seconds; GMT is the only zone
/// HTTP allows, so a zone other than `GMT`/`UTC` is refused).
fn http_date_ms(value: &str) -> Option<f64> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let (mut day, mut month, mut year, mut time) = (None, None, None, None);
    for token in value.split([' ', ',', '-']).filter(|t| !t.is_empty()) {
        let lower = token.to_ascii_lowercase();
        if token.contains(':') {
            let mut parts = token.split(':').map(|p| {
                (p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| p.parse::<u32>().ok())
                    .flatten()
            });
            let (h, m, s) = (parts.next()??, parts.next()??, parts.next()??);
            if parts.next().is_some() || h > 23 || m > 59 || s > 60 {
                return None;
            }
            time = Some((h, m, s));
        } else if let Some(i) = MONTHS.iter().position(|m| lower == *m) {
            month = Some(i as u32 + 1);
        } else if lower.len() >= 3 && DAYS.iter().any(|d| lower.starts_with(d)) {
            // The weekday says nothing the date does not.
        } else if lower == "gmt" || lower == "utc" {
        } else if token.bytes().all(|b| b.is_ascii_digit()) {
            let n: i64 = token.parse().ok()?;
            match token.len() {
                4 if year.is_none() => year = Some(n),
                1 | 2 if day.is_none() => day = Some(n as u32),
                // RFC 850's two-digit year: RFC 9110 reads one more than 50 years ahead as
                // the past; for today's dates that is 19xx from 70 on.
                2 if year.is_none() => year = Some(if n >= 70 { 1900 + n } else { 2000 + n }),
                _ => return None,
            }
        } else {
            return None;
        }
    }
    let (day, month, year, (h, m, s)) = (day?, month?, year?, time?);
    if !(1..=31).contains(&day) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + i64::from(h) * 3_600 + i64::from(m) * 60 + i64::from(s);
    Some(secs as f64 * 1000.0)
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(month) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// How a connection attempt or an open connection ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The connection could not be made, or broke.
    NetworkError,
    /// The server closed an open stream (end of body).
    EndOfStream,
    /// The server answered 204 No Content.
    NoContent,
    /// The server answered a status other than 2xx.
    HttpStatus(u16),
    /// The server answered 2xx with the wrong Content-Type.
    WrongContentType,
    /// The server answered an error status with `Retry-After` ([`retry_after_applies`]):
    /// try again, no sooner than `after_ms` (already capped) from now.
    RetryLater { status: u16, after_ms: u64 },
}

/// What to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Try again after this many milliseconds.
    RetryAfter(u64),
    /// Give up.
    Stop,
}

/// Reconnection state for one stream.
#[derive(Debug, Clone, PartialEq)]
pub struct ReconnectPolicy {
    base_ms: u64,
    cap_ms: u64,
    consecutive_failures: u32,
    /// When the current (or last) attempt started.
    attempt_started_at: Option<f64>,
    /// When the current connection opened, until its outcome is decided.
    opened_at: Option<f64>,
}

impl Default for ReconnectPolicy {
    fn default() -> Self {
        ReconnectPolicy::new(DEFAULT_BASE_MS, DEFAULT_CAP_MS)
    }
}

/// Milliseconds from `since` to `now`; 0 if the clock went back or is not a number.
fn elapsed(since: f64, now: f64) -> u64 {
    let d = now - since;
    if d.is_finite() && d > 0.0 {
        d as u64
    } else {
        0
    }
}

impl ReconnectPolicy {
    /// A policy with a base delay and a ceiling, in milliseconds.
    pub fn new(base_ms: u64, cap_ms: u64) -> ReconnectPolicy {
        ReconnectPolicy {
            base_ms,
            cap_ms,
            consecutive_failures: 0,
            attempt_started_at: None,
            opened_at: None,
        }
    }

    /// The server set the reconnection time (`retry:` field).
    pub fn set_server_retry(&mut self, ms: u64) {
        self.base_ms = ms;
    }

    /// The current base delay.
    pub fn base_ms(&self) -> u64 {
        self.base_ms
    }

    /// Failures since the last stable connection (counted when each outcome is decided).
    pub fn consecutive_failures(&self) -> u32 {
        self.consecutive_failures
    }

    /// An attempt starts at `now_ms`: the floor counts from here.
    pub fn on_attempt(&mut self, now_ms: f64) {
        self.attempt_started_at = Some(now_ms);
        self.opened_at = None;
    }

    /// The attempt's connection opened at `now_ms`. This alone does not reset the backoff:
    /// only staying open for [`STABLE_MS`] does, when the outcome is decided.
    pub fn on_open(&mut self, now_ms: f64) {
        self.opened_at = Some(now_ms);
    }

    /// Decides what follows `outcome`, which happened at `now_ms`. `random` returns a
    /// uniform value in `[0, 1)`.
    pub fn decide(
        &mut self,
        outcome: &Outcome,
        now_ms: f64,
        random: impl FnOnce() -> f64,
    ) -> Decision {
        let opened_at = self.opened_at.take();
        match outcome {
            Outcome::NoContent | Outcome::HttpStatus(_) | Outcome::WrongContentType => {
                Decision::Stop
            }
            Outcome::NetworkError | Outcome::EndOfStream => {
                if opened_at.is_some_and(|at| elapsed(at, now_ms) >= STABLE_MS) {
                    self.consecutive_failures = 0;
                }
                self.consecutive_failures = self.consecutive_failures.saturating_add(1);
                let delay = self.delay_for(self.consecutive_failures, random());
                // An attempt with no known start is treated as one that started now.
                let since_start = self.attempt_started_at.map_or(0, |at| elapsed(at, now_ms));
                Decision::RetryAfter(delay.max(FLOOR_MS.saturating_sub(since_start)))
            }
            Outcome::RetryLater { after_ms, .. } => {
                // A refusal is a failure: the backoff grows, and the server's wait is a
                // lower bound on top of it.
                self.consecutive_failures = self.consecutive_failures.saturating_add(1);
                let delay = self.delay_for(self.consecutive_failures, random());
                let since_start = self.attempt_started_at.map_or(0, |at| elapsed(at, now_ms));
                let wait = (*after_ms).min(RETRY_AFTER_CAP_MS);
                Decision::RetryAfter(delay.max(wait).max(FLOOR_MS.saturating_sub(since_start)))
            }
        }
    }

    /// The delay for the `failures`-th consecutive failure, given a uniform `r` in `[0, 1)`.
    fn delay_for(&self, failures: u32, r: f64) -> u64 {
        let base = self.base_ms;
        let cap = self.cap_ms.max(base);
        if failures <= 1 {
            return base;
        }
        // Back off from at least one second, so a server that sends `retry: 0` gets the
        // same spread-out growth as everyone else.
        let unit = base.max(MIN_BACKOFF_UNIT_MS);
        let doublings = (failures - 1).min(32);
        let ceiling = unit.saturating_mul(1u64 << doublings).min(cap.max(unit));
        let r = if r.is_finite() {
            r.clamp(0.0, 1.0)
        } else {
            0.0
        };
        base + ((ceiling - base) as f64 * r) as u64
    }
}

/// What the EventSource glue does after the browser reports an error it will retry itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrowserRetry {
    /// Leave the EventSource alone: the browser reconnects after the server's `retry`.
    LetBrowser,
    /// Close the EventSource and open a new one after this many milliseconds.
    TakeOver(u64),
}

/// Watches the browser's own EventSource reconnects and says when to take them over.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FlapGuard {
    policy: ReconnectPolicy,
    /// The latest of: a new EventSource, an open, an error (the browser's next attempt
    /// starts no sooner).
    mark: Option<f64>,
    quick_ends: u32,
    /// rill reconnects itself until a connection is stable again.
    own_schedule: bool,
}

impl FlapGuard {
    /// A new EventSource is created at `now_ms`.
    pub fn on_connect(&mut self, now_ms: f64) {
        self.policy.on_attempt(now_ms);
        self.mark = Some(now_ms);
    }

    /// The EventSource opened at `now_ms`.
    pub fn on_open(&mut self, now_ms: f64) {
        self.policy.on_open(now_ms);
        self.mark = Some(now_ms);
    }

    /// Failures since the last stable connection.
    pub fn consecutive_failures(&self) -> u32 {
        self.policy.consecutive_failures()
    }

    /// The EventSource gave up at `now_ms` and a probe found the server asking to come back
    /// later (`Retry-After`): rill reconnects itself after the returned wait (at least the
    /// server's, the backoff and the floor).
    pub fn on_retry_later(
        &mut self,
        now_ms: f64,
        status: u16,
        after_ms: u64,
        random: impl FnOnce() -> f64,
    ) -> u64 {
        self.own_schedule = true;
        self.mark = Some(now_ms);
        match self
            .policy
            .decide(&Outcome::RetryLater { status, after_ms }, now_ms, random)
        {
            Decision::RetryAfter(ms) => ms,
            Decision::Stop => RETRY_AFTER_CAP_MS,
        }
    }

    /// The EventSource reported an error at `now_ms` and is reconnecting by itself.
    pub fn on_browser_error(&mut self, now_ms: f64, random: impl FnOnce() -> f64) -> BrowserRetry {
        let quick = self
            .mark
            .is_some_and(|at| elapsed(at, now_ms) < QUICK_END_MS);
        let decision = self.policy.decide(&Outcome::NetworkError, now_ms, random);
        if self.policy.consecutive_failures() <= 1 {
            // The connection was stable (or this is the first failure): the browser's
            // schedule is trusted again.
            self.own_schedule = false;
        }
        self.quick_ends = if quick { self.quick_ends + 1 } else { 0 };
        if self.quick_ends >= QUICK_ENDS_TO_TAKE_OVER {
            self.own_schedule = true;
        }
        // The browser's next attempt starts no sooner than now.
        self.policy.on_attempt(now_ms);
        self.mark = Some(now_ms);
        match decision {
            Decision::RetryAfter(ms) if self.own_schedule => BrowserRetry::TakeOver(ms),
            _ => BrowserRetry::LetBrowser,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator (xorshift) standing in for `Math.random`.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> f64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    fn delay(d: Decision) -> u64 {
        match d {
            Decision::RetryAfter(ms) => ms,
            Decision::Stop => panic!("expected a retry"),
        }
    }

    /// One attempt that fails at once (a connection refused) at `now`.
    fn fail_at(p: &mut ReconnectPolicy, now: f64, r: f64) -> u64 {
        p.on_attempt(now);
        delay(p.decide(&Outcome::NetworkError, now, || r))
    }

    #[test]
    fn first_retry_after_a_long_open_is_exactly_the_server_retry() {
        let mut p = ReconnectPolicy::default();
        p.set_server_retry(10_000);
        p.on_attempt(0.0);
        p.on_open(10.0);
        assert_eq!(
            p.decide(&Outcome::EndOfStream, 60_000.0, || 0.9),
            Decision::RetryAfter(10_000)
        );
        p.on_attempt(70_000.0);
        p.on_open(70_010.0);
        assert_eq!(
            p.decide(&Outcome::NetworkError, 80_000.0, || 0.1),
            Decision::RetryAfter(10_000)
        );
    }

    #[test]
    fn retry_after_delay_seconds_and_dates() {
        // 2026-12-03 08:00:00 GMT.
        let now = days_from_civil(2026, 12, 3) as f64 * 86_400_000.0 + 8.0 * 3_600_000.0;
        assert_eq!(parse_retry_after("3", now), Some(3_000));
        assert_eq!(parse_retry_after(" 120 ", now), Some(120_000));
        assert_eq!(parse_retry_after("0", now), Some(0));
        assert_eq!(
            parse_retry_after("99999999999999999999", now),
            Some(RETRY_AFTER_CAP_MS)
        );
        assert_eq!(parse_retry_after("-5", now), None);
        assert_eq!(parse_retry_after("1.5", now), None);
        assert_eq!(parse_retry_after("", now), None);
        assert_eq!(parse_retry_after("soon", now), None);
        // The three HTTP-date forms, 90 s ahead.
        for date in [
            "Thu, 03 Dec 2026 08:01:30 GMT",
            "Thursday, 03-Dec-26 08:01:30 GMT",
            "Thu Dec  3 08:01:30 2026",
        ] {
            assert_eq!(parse_retry_after(date, now), Some(90_000), "{date}");
        }
        // In the past: no wait; far ahead: the cap.
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(0)
        );
        assert_eq!(
            parse_retry_after("Fri, 01 Jan 2099 00:00:00 GMT", now),
            Some(RETRY_AFTER_CAP_MS)
        );
        assert_eq!(
            parse_retry_after("Thu, 03 Dec 2026 25:01:30 GMT", now),
            None
        );
        assert_eq!(
            parse_retry_after("Thu, 03 Foo 2026 08:01:30 GMT", now),
            None
        );
        assert_eq!(
            parse_retry_after("Thu, 03 Dec 2026 08:01:30 PST", now),
            None
        );
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn retry_after_is_a_lower_bound_never_shortened() {
        let mut p = ReconnectPolicy::default();
        p.on_attempt(0.0);
        let later = Outcome::RetryLater {
            status: 503,
            after_ms: 7_000,
        };
        assert_eq!(p.decide(&later, 10.0, || 0.0), Decision::RetryAfter(7_000));
        // A short wait still keeps the floor and the backoff.
        p.on_attempt(7_010.0);
        let short = Outcome::RetryLater {
            status: 429,
            after_ms: 0,
        };
        let d = delay(p.decide(&short, 7_020.0, || 0.0));
        assert!(d >= FLOOR_MS, "{d}");
        // A huge one is capped.
        p.on_attempt(20_000.0);
        let huge = Outcome::RetryLater {
            status: 503,
            after_ms: u64::MAX,
        };
        assert_eq!(
            p.decide(&huge, 20_010.0, || 0.0),
            Decision::RetryAfter(RETRY_AFTER_CAP_MS)
        );
        assert!(retry_after_applies(503) && retry_after_applies(429) && retry_after_applies(500));
        assert!(!retry_after_applies(404) && !retry_after_applies(200));
    }

    #[test]
    fn a_probe_that_finds_retry_after_takes_over_the_event_source() {
        let mut g = FlapGuard::default();
        g.on_connect(0.0);
        let ms = g.on_retry_later(5.0, 503, 3_000, || 0.5);
        assert!(ms >= 3_000, "{ms}");
    }

    #[test]
    fn default_base_is_three_seconds() {
        let mut p = ReconnectPolicy::default();
        assert_eq!(fail_at(&mut p, 0.0, 0.5), 3_000);
    }

    #[test]
    fn final_outcomes_stop() {
        let mut p = ReconnectPolicy::default();
        for outcome in [
            Outcome::NoContent,
            Outcome::HttpStatus(500),
            Outcome::HttpStatus(404),
            Outcome::WrongContentType,
        ] {
            p.on_attempt(0.0);
            assert_eq!(
                p.decide(&outcome, 1.0, || 0.5),
                Decision::Stop,
                "{outcome:?}"
            );
        }
        assert_eq!(p.consecutive_failures(), 0);
    }

    #[test]
    fn hundred_failures_give_bounded_jittered_backoff() {
        let mut p = ReconnectPolicy::new(1_000, 30_000);
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let mut now = 0.0;
        let delays: Vec<u64> = (0..100)
            .map(|_| {
                let d = fail_at(&mut p, now, rng.next());
                now += d as f64;
                d
            })
            .collect();
        assert_eq!(delays[0], 1_000);
        for (i, &d) in delays.iter().enumerate() {
            let k = i as u32 + 1;
            let ceiling = (1_000u64 << (k - 1).min(32)).min(30_000);
            assert!(
                (1_000..=ceiling).contains(&d),
                "failure {k}: {d} not in [1000, {ceiling}]"
            );
        }
        // Jitter: once capped, delays are spread, not one value repeated.
        let tail = &delays[10..];
        let distinct: std::collections::BTreeSet<_> = tail.iter().collect();
        assert!(
            distinct.len() > 80,
            "only {} distinct delays",
            distinct.len()
        );
        let mean = tail.iter().sum::<u64>() as f64 / tail.len() as f64;
        assert!((12_000.0..19_000.0).contains(&mean), "mean {mean}");
        // Total wait of 100 failures is bounded by 100 caps.
        assert!(delays.iter().sum::<u64>() <= 100 * 30_000);
    }

    #[test]
    fn many_clients_restarting_together_are_spread_out() {
        // 1000 clients, each on its third consecutive failure: their delays must not bunch.
        let mut rng = Rng(42);
        let mut buckets = [0u32; 10];
        for _ in 0..1_000 {
            let mut p = ReconnectPolicy::new(1_000, 30_000);
            let mut d = 0;
            let mut now = 0.0;
            for _ in 0..3 {
                d = fail_at(&mut p, now, rng.next());
                now += d as f64;
            }
            // Third failure: uniform in [1000, 4000].
            let bucket = ((d - 1_000) * 10 / 3_001) as usize;
            buckets[bucket] += 1;
        }
        for (i, &n) in buckets.iter().enumerate() {
            assert!(
                (50..=150).contains(&n),
                "bucket {i} has {n} of 1000: {buckets:?}"
            );
        }
    }

    #[test]
    fn a_connection_open_five_seconds_resets_the_backoff() {
        let mut p = ReconnectPolicy::new(1_000, 30_000);
        let mut now = 0.0;
        for _ in 0..10 {
            now += fail_at(&mut p, now, 0.99) as f64;
        }
        assert_eq!(p.consecutive_failures(), 10);
        p.on_attempt(now);
        p.on_open(now + 10.0);
        assert_eq!(
            p.decide(&Outcome::EndOfStream, now + 10.0 + STABLE_MS as f64, || {
                0.99
            }),
            Decision::RetryAfter(1_000)
        );
        assert_eq!(p.consecutive_failures(), 1);
    }

    #[test]
    fn an_open_that_ends_quickly_does_not_reset_the_backoff() {
        let mut p = ReconnectPolicy::new(1_000, 30_000);
        let mut now = 0.0;
        for _ in 0..5 {
            now += fail_at(&mut p, now, 0.99) as f64;
        }
        // Open for just under the stable time: still the sixth failure in a row.
        p.on_attempt(now);
        p.on_open(now);
        let d = delay(p.decide(&Outcome::EndOfStream, now + STABLE_MS as f64 - 1.0, || 0.99));
        assert_eq!(p.consecutive_failures(), 6);
        assert!(d > 20_000, "sixth failure backs off, got {d}");
    }

    #[test]
    fn a_server_that_opens_and_closes_at_once_gets_few_attempts_and_growing_delays() {
        // 200 + `retry: 0` + end, a few milliseconds after each attempt starts, for 10 s.
        for seed in 1..200u64 {
            let mut rng = Rng(seed);
            let mut p = ReconnectPolicy::default();
            let mut now = 0.0;
            let mut starts = Vec::new();
            let mut delays = Vec::new();
            while now < 10_000.0 {
                starts.push(now);
                p.on_attempt(now);
                p.on_open(now + 3.0);
                p.set_server_retry(0);
                let d = delay(p.decide(&Outcome::EndOfStream, now + 5.0, || rng.next()));
                delays.push(d);
                now += 5.0 + d as f64;
            }
            assert!(starts.len() <= 10, "seed {seed}: {} attempts", starts.len());
            for pair in starts.windows(2) {
                assert!(
                    pair[1] - pair[0] >= FLOOR_MS as f64,
                    "seed {seed}: {starts:?}"
                );
            }
            // The ceiling doubles: the last delays are longer than the first on average.
            let first = delays[0];
            let last_two = delays[delays.len() - 2..].iter().sum::<u64>() / 2;
            assert!(last_two >= first, "seed {seed}: {delays:?}");
        }
        // With a fixed random value the growth is plain to see.
        let mut p = ReconnectPolicy::default();
        let mut now = 0.0;
        let mut delays = Vec::new();
        for _ in 0..6 {
            p.on_attempt(now);
            p.on_open(now + 3.0);
            p.set_server_retry(0);
            let d = delay(p.decide(&Outcome::EndOfStream, now + 5.0, || 0.5));
            delays.push(d);
            now += 5.0 + d as f64;
        }
        assert_eq!(delays, [995, 1_000, 2_000, 4_000, 8_000, 15_000]);
    }

    #[test]
    fn retry_zero_after_a_long_lived_connection_reconnects_at_once() {
        let mut p = ReconnectPolicy::default();
        p.on_attempt(0.0);
        p.on_open(10.0);
        p.set_server_retry(0);
        assert_eq!(
            p.decide(&Outcome::EndOfStream, 60_000.0, || 0.7),
            Decision::RetryAfter(0)
        );
        // That reconnect fails at once: the floor applies from its start.
        p.on_attempt(60_000.0);
        assert_eq!(
            p.decide(&Outcome::NetworkError, 60_004.0, || 0.0),
            Decision::RetryAfter(996)
        );
    }

    #[test]
    fn a_server_retry_above_the_cap_is_honoured() {
        let mut p = ReconnectPolicy::new(3_000, 30_000);
        p.set_server_retry(60_000);
        let mut now = 0.0;
        for _ in 0..5 {
            let d = fail_at(&mut p, now, 0.99);
            assert_eq!(d, 60_000);
            now += d as f64;
        }
    }

    #[test]
    fn hostile_randoms_huge_values_and_clocks_do_not_overflow() {
        let mut p = ReconnectPolicy::new(u64::MAX / 2, u64::MAX);
        for r in [f64::NAN, f64::INFINITY, -1.0, 2.0, 0.999_999] {
            assert!(fail_at(&mut p, 0.0, r) >= FLOOR_MS);
        }
        // A clock that goes backwards, or is not a number, still waits the floor.
        let mut p = ReconnectPolicy::new(0, 30_000);
        p.on_attempt(10_000.0);
        assert_eq!(
            p.decide(&Outcome::NetworkError, 5_000.0, || 0.0),
            Decision::RetryAfter(FLOOR_MS)
        );
        p.on_attempt(f64::NAN);
        p.on_open(f64::NAN);
        assert!(delay(p.decide(&Outcome::EndOfStream, f64::NAN, || 0.0)) >= FLOOR_MS);
    }

    #[test]
    fn retry_zero_never_reconnects_within_the_floor() {
        let mut p = ReconnectPolicy::new(0, 30_000);
        assert_eq!(fail_at(&mut p, 0.0, 0.7), FLOOR_MS);
        let mut now = FLOOR_MS as f64;
        let later: Vec<u64> = (0..20)
            .map(|_| {
                let d = fail_at(&mut p, now, 0.7);
                now += d as f64;
                d
            })
            .collect();
        assert_eq!(later[0], 1_400, "second failure: 0.7 of [0, 2000]");
        assert!(later.iter().all(|&d| (FLOOR_MS..=30_000).contains(&d)));
        assert_eq!(*later.last().unwrap_or(&0), 21_000);
    }

    /// The browser's EventSource against a server that answers 200, `retry: 0` and ends:
    /// the browser reconnects at once by itself, the guard takes over.
    #[test]
    fn event_source_flapping_is_taken_over_on_the_second_quick_end() {
        let mut g = FlapGuard::default();
        g.on_connect(0.0);
        g.on_open(4.0);
        assert_eq!(g.on_browser_error(6.0, || 0.5), BrowserRetry::LetBrowser);
        g.on_open(9.0);
        let BrowserRetry::TakeOver(d) = g.on_browser_error(11.0, || 0.5) else {
            panic!("the second quick end takes over");
        };
        assert!(d >= FLOOR_MS, "{d}");
        // rill's own EventSource flaps too: taken over again, later.
        let t = 11.0 + d as f64;
        g.on_connect(t);
        g.on_open(t + 4.0);
        let BrowserRetry::TakeOver(d2) = g.on_browser_error(t + 6.0, || 0.5) else {
            panic!("still flapping");
        };
        assert!(d2 > d, "{d2} after {d}");
        // A connection that stays open hands reconnection back to the browser.
        let t = t + 6.0 + d2 as f64;
        g.on_connect(t);
        g.on_open(t + 4.0);
        assert_eq!(
            g.on_browser_error(t + 4.0 + STABLE_MS as f64, || 0.5),
            BrowserRetry::LetBrowser
        );
    }

    #[test]
    fn a_healthy_event_source_is_left_to_the_browser() {
        let mut g = FlapGuard::default();
        g.on_connect(0.0);
        g.on_open(10.0);
        assert_eq!(
            g.on_browser_error(600_000.0, || 0.5),
            BrowserRetry::LetBrowser
        );
        // The server restarts: the browser's retries, 10 s apart, fail for a while.
        for k in 1..20 {
            let t = 600_000.0 + 10_000.0 * k as f64;
            assert_eq!(g.on_browser_error(t, || 0.5), BrowserRetry::LetBrowser);
        }
        // One slow failure between quick ones does not add up to flapping.
        g.on_open(800_000.0);
        assert_eq!(
            g.on_browser_error(800_005.0, || 0.5),
            BrowserRetry::LetBrowser
        );
        assert_eq!(
            g.on_browser_error(803_000.0, || 0.5),
            BrowserRetry::LetBrowser
        );
        assert_eq!(
            g.on_browser_error(806_000.0, || 0.5),
            BrowserRetry::LetBrowser
        );
    }

    #[test]
    fn an_unreachable_server_after_retry_zero_is_taken_over() {
        // Refused connections a few milliseconds apart: no open at all.
        let mut g = FlapGuard::default();
        g.on_connect(0.0);
        assert_eq!(g.on_browser_error(3.0, || 0.5), BrowserRetry::LetBrowser);
        assert!(matches!(
            g.on_browser_error(6.0, || 0.5),
            BrowserRetry::TakeOver(_)
        ));
    }

    #[test]
    fn a_flapping_event_source_connects_at_most_ten_times_in_ten_seconds() {
        for seed in 1..200u64 {
            let mut rng = Rng(seed);
            let mut g = FlapGuard::default();
            let mut connections = 0;
            let mut now = 0.0;
            g.on_connect(now);
            while now < 10_000.0 {
                connections += 1;
                g.on_open(now + 3.0);
                now += 5.0;
                match g.on_browser_error(now, || rng.next()) {
                    // The browser reconnects after `retry: 0`, a millisecond later.
                    BrowserRetry::LetBrowser => now += 1.0,
                    BrowserRetry::TakeOver(ms) => {
                        now += ms as f64;
                        g.on_connect(now);
                    }
                }
            }
            assert!(connections <= 10, "seed {seed}: {connections} connections");
            assert!(connections >= 2, "seed {seed}: {connections} connections");
        }
    }

    /// Property tests (proptest is a native-only dev-dependency).
    #[cfg(not(target_arch = "wasm32"))]
    mod props {
        use super::*;
        use proptest::prelude::*;

        #[derive(Debug, Clone)]
        enum Step {
            /// The attempt fails after this many ms.
            Fail(u16),
            /// The attempt opens, then the stream ends or breaks after this many ms.
            Open(u32, bool),
            /// The server sends `retry:` while open.
            Retry(u32),
        }

        fn step() -> impl Strategy<Value = Step> {
            prop_oneof![
                (0u16..3_000).prop_map(Step::Fail),
                (0u32..20_000, any::<bool>()).prop_map(|(ms, end)| Step::Open(ms, end)),
                (0u32..40_000).prop_map(Step::Retry),
            ]
        }

        proptest! {
            /// Whatever the server does, no attempt starts within the floor of the previous one.
            #[test]
            fn attempts_are_never_closer_than_the_floor(
                steps in proptest::collection::vec(step(), 1..60),
                seed in 1u64..u64::MAX,
            ) {
                let mut rng = Rng(seed);
                let mut p = ReconnectPolicy::default();
                let mut now = 0.0;
                let mut last_start: Option<f64> = None;
                for s in steps {
                    if let Step::Retry(ms) = s {
                        p.set_server_retry(u64::from(ms));
                        continue;
                    }
                    if let Some(prev) = last_start {
                        prop_assert!(now - prev >= FLOOR_MS as f64, "{prev} then {now}");
                    }
                    last_start = Some(now);
                    p.on_attempt(now);
                    let (ended, outcome) = match s {
                        Step::Fail(ms) => (now + f64::from(ms), Outcome::NetworkError),
                        Step::Open(ms, end) => {
                            p.on_open(now);
                            let o = if end { Outcome::EndOfStream } else { Outcome::NetworkError };
                            (now + f64::from(ms), o)
                        }
                        Step::Retry(_) => unreachable!(),
                    };
                    let d = delay(p.decide(&outcome, ended, || rng.next()));
                    prop_assert!(d <= 40_000, "{d}");
                    now = ended + d as f64;
                }
            }
        }
    }
}
