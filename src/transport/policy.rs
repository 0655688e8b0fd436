//! When to reconnect, and when to stop: a pure policy, tested natively with a fake clock
//! and a seeded random source.
//!
//! Rules (the WHATWG rules for EventSource, plus what they leave to the client):
//! - The server's `retry:` value is the base delay (3 s until it sends one, as browsers do).
//! - The first reconnect after a working connection waits exactly the base delay: the
//!   server asked for it, and every client of a healthy server comes back spread out by
//!   when it connected.
//! - Backoff grows from at least one second: `retry: 0` buys one immediate reconnect, not a
//!   tight loop.
//! - Consecutive failures back off exponentially with full jitter: the k-th consecutive
//!   failure waits a uniformly random time in `[base, min(cap, base·2^(k-1))]`, so a
//!   restarted server is not hit by every client at the same instant (no storm), and a dead
//!   one is polled less and less often. The cap (30 s by default) is raised to the server's
//!   own `retry` if that is larger: a server may ask for more patience, never get less.
//! - A successful open resets the failure count.
//! - HTTP 204 stops for good (the spec's way for a server to say "no more"); any other
//!   non-2xx status, or a Content-Type other than `text/event-stream`, is final too (browsers
//!   fail an EventSource the same way), with a message naming what was received.
//! - Network errors and a stream that ends retry.
//! - While the browser is offline nothing is attempted; the glue waits for `online`.

/// Default base delay before a server sends `retry:` (what browsers use).
pub const DEFAULT_BASE_MS: u64 = 3_000;
/// Default ceiling for backed-off delays.
pub const DEFAULT_CAP_MS: u64 = 30_000;
/// The smallest unit backoff grows from, whatever the server's `retry`.
pub const MIN_BACKOFF_UNIT_MS: u64 = 1_000;

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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReconnectPolicy {
    base_ms: u64,
    cap_ms: u64,
    consecutive_failures: u32,
}

impl Default for ReconnectPolicy {
    fn default() -> Self {
        ReconnectPolicy::new(DEFAULT_BASE_MS, DEFAULT_CAP_MS)
    }
}

impl ReconnectPolicy {
    /// A policy with a base delay and a ceiling, in milliseconds.
    pub fn new(base_ms: u64, cap_ms: u64) -> ReconnectPolicy {
        ReconnectPolicy {
            base_ms,
            cap_ms,
            consecutive_failures: 0,
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

    /// Failures since the last successful open.
    pub fn consecutive_failures(&self) -> u32 {
        self.consecutive_failures
    }

    /// A connection opened: backoff starts again from the base.
    pub fn on_open(&mut self) {
        self.consecutive_failures = 0;
    }

    /// Decides what follows `outcome`. `random` returns a uniform value in `[0, 1)`.
    pub fn decide(&mut self, outcome: &Outcome, random: impl FnOnce() -> f64) -> Decision {
        match outcome {
            Outcome::NoContent | Outcome::HttpStatus(_) | Outcome::WrongContentType => {
                Decision::Stop
            }
            Outcome::NetworkError | Outcome::EndOfStream => {
                self.consecutive_failures = self.consecutive_failures.saturating_add(1);
                Decision::RetryAfter(self.delay_for(self.consecutive_failures, random()))
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
        // Back off from at least one second, so a server that sends `retry: 0` gets one
        // immediate retry and then the same spread-out growth as everyone else.
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

    #[test]
    fn first_retry_after_an_open_is_exactly_the_server_retry() {
        let mut p = ReconnectPolicy::default();
        p.set_server_retry(10_000);
        p.on_open();
        assert_eq!(
            p.decide(&Outcome::EndOfStream, || 0.9),
            Decision::RetryAfter(10_000)
        );
        p.on_open();
        assert_eq!(
            p.decide(&Outcome::NetworkError, || 0.1),
            Decision::RetryAfter(10_000)
        );
    }

    #[test]
    fn default_base_is_three_seconds() {
        let mut p = ReconnectPolicy::default();
        assert_eq!(
            p.decide(&Outcome::NetworkError, || 0.5),
            Decision::RetryAfter(3_000)
        );
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
            assert_eq!(p.decide(&outcome, || 0.5), Decision::Stop, "{outcome:?}");
        }
        assert_eq!(p.consecutive_failures(), 0);
    }

    #[test]
    fn hundred_failures_give_bounded_jittered_backoff() {
        let mut p = ReconnectPolicy::new(1_000, 30_000);
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let delays: Vec<u64> = (0..100)
            .map(|_| match p.decide(&Outcome::NetworkError, || rng.next()) {
                Decision::RetryAfter(ms) => ms,
                Decision::Stop => panic!("network errors retry"),
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
            for _ in 0..3 {
                if let Decision::RetryAfter(ms) = p.decide(&Outcome::NetworkError, || rng.next()) {
                    d = ms;
                }
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
    fn open_resets_backoff() {
        let mut p = ReconnectPolicy::new(1_000, 30_000);
        for _ in 0..10 {
            p.decide(&Outcome::NetworkError, || 0.99);
        }
        assert_eq!(p.consecutive_failures(), 10);
        p.on_open();
        assert_eq!(
            p.decide(&Outcome::NetworkError, || 0.99),
            Decision::RetryAfter(1_000)
        );
    }

    #[test]
    fn a_server_retry_above_the_cap_is_honoured() {
        let mut p = ReconnectPolicy::new(3_000, 30_000);
        p.set_server_retry(60_000);
        for _ in 0..5 {
            match p.decide(&Outcome::NetworkError, || 0.99) {
                Decision::RetryAfter(ms) => assert_eq!(ms, 60_000),
                Decision::Stop => panic!(),
            }
        }
    }

    #[test]
    fn hostile_randoms_and_huge_values_do_not_overflow() {
        let mut p = ReconnectPolicy::new(u64::MAX / 2, u64::MAX);
        for r in [f64::NAN, f64::INFINITY, -1.0, 2.0, 0.999_999] {
            assert!(matches!(
                p.decide(&Outcome::NetworkError, || r),
                Decision::RetryAfter(_)
            ));
        }
    }

    #[test]
    fn retry_zero_is_one_immediate_retry_then_backoff() {
        let mut p = ReconnectPolicy::new(0, 30_000);
        assert_eq!(
            p.decide(&Outcome::NetworkError, || 0.7),
            Decision::RetryAfter(0)
        );
        let later: Vec<u64> = (0..20)
            .map(|_| match p.decide(&Outcome::NetworkError, || 0.7) {
                Decision::RetryAfter(ms) => ms,
                Decision::Stop => panic!(),
            })
            .collect();
        assert_eq!(later[0], 1_400, "second failure: 0.7 of [0, 2000]");
        assert!(later.iter().all(|&d| d <= 30_000));
        assert_eq!(*later.last().unwrap_or(&0), 21_000);
    }
}
