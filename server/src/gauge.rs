//! A count of live streaming responses, and the limits on them.
//!
//! Each stream holds a [`StreamGuard`]; hyper drops the body (and with it the guard) as soon
//! as the client goes away, so the count returning to zero proves no per-client work is left.
//!
//! A stream is admitted only while fewer than `max` streams are open in all and fewer than
//! `per_client` from the client's address ([`StreamGauge::try_enter`]); otherwise the handler
//! answers 503 with `Retry-After` ([`Busy`]). The client's address is the one the accept loop
//! ([`crate::serve`]) put in [`CLIENT`] for the request; requests that did not come through it
//! (in-process router tests) count against the total only.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// Default `--max-streams`: open streams in all.
pub const DEFAULT_MAX_STREAMS: usize = 10_000;
/// Default `--max-streams-per-client`: open streams from one client address (a browser opens
/// at most six HTTP/1.1 connections to an origin; this leaves room for a NAT of many).
pub const DEFAULT_MAX_STREAMS_PER_CLIENT: usize = 100;
/// Default `--retry-after`, in seconds: what a refused client is told to wait.
pub const DEFAULT_RETRY_AFTER_SECS: u32 = 5;

tokio::task_local! {
    /// The peer address of the request being handled, set by [`crate::serve`]'s accept loop
    /// around the router's future (so every handler of that request sees it).
    pub static CLIENT: IpAddr;
}

/// Shared counter of open streams. Cloning shares the count.
#[derive(Debug, Clone)]
pub struct StreamGauge(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    open: AtomicUsize,
    max: usize,
    per_client: usize,
    retry_after_secs: u32,
    by_client: Mutex<HashMap<IpAddr, usize>>,
}

impl Default for StreamGauge {
    fn default() -> Self {
        Self::with_limits(
            DEFAULT_MAX_STREAMS,
            DEFAULT_MAX_STREAMS_PER_CLIENT,
            DEFAULT_RETRY_AFTER_SECS,
        )
    }
}

/// A stream refused because a limit is reached: 503 with `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy {
    /// Seconds for `Retry-After`.
    pub retry_after_secs: u32,
    /// True when the client's own cap was the one reached (else the server's total).
    pub per_client: bool,
}

impl Busy {
    /// The message of the refusal.
    pub fn message(&self) -> &'static str {
        if self.per_client {
            "too many open streams from this address; retry later"
        } else {
            "the server has as many open streams as it serves; retry later"
        }
    }

    /// Adds `Retry-After` to a refusal built elsewhere (the chat APIs' JSON errors).
    pub fn mark(&self, mut response: Response) -> Response {
        *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
        response.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from(self.retry_after_secs),
        );
        response
    }
}

impl IntoResponse for Busy {
    fn into_response(self) -> Response {
        self.mark((StatusCode::SERVICE_UNAVAILABLE, self.message()).into_response())
    }
}

impl StreamGauge {
    /// A gauge admitting at most `max` open streams, `per_client` from one address
    /// (0: no cap of that kind), telling refused clients to retry after `retry_after_secs`.
    pub fn with_limits(max: usize, per_client: usize, retry_after_secs: u32) -> Self {
        Self(Arc::new(Inner {
            open: AtomicUsize::new(0),
            max: if max == 0 { usize::MAX } else { max },
            per_client: if per_client == 0 {
                usize::MAX
            } else {
                per_client
            },
            retry_after_secs,
            by_client: Mutex::new(HashMap::new()),
        }))
    }

    /// Counts one more open stream of the current request's client ([`CLIENT`], if set)
    /// until the returned guard is dropped, or refuses it if a limit is reached.
    pub fn try_enter(&self) -> Result<StreamGuard, Busy> {
        self.try_enter_from(CLIENT.try_with(|ip| *ip).ok())
    }

    /// [`try_enter`](Self::try_enter) for an explicit client address.
    pub fn try_enter_from(&self, client: Option<IpAddr>) -> Result<StreamGuard, Busy> {
        let inner = &self.0;
        let refuse = |per_client| Busy {
            retry_after_secs: inner.retry_after_secs,
            per_client,
        };
        // Reserve a slot in the total first; give it back if over.
        let now = inner.open.fetch_add(1, Ordering::SeqCst) + 1;
        if now > inner.max {
            inner.open.fetch_sub(1, Ordering::SeqCst);
            return Err(refuse(false));
        }
        if let Some(ip) = client {
            if inner.per_client != usize::MAX {
                let mut map = inner
                    .by_client
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                let count = map.entry(ip).or_insert(0);
                if *count >= inner.per_client {
                    drop(map);
                    inner.open.fetch_sub(1, Ordering::SeqCst);
                    return Err(refuse(true));
                }
                *count += 1;
            } else {
                // No per-address cap: nothing to give back on drop.
                return Ok(self.guard(now, None));
            }
        }
        Ok(self.guard(now, client))
    }

    fn guard(&self, now: usize, client: Option<IpAddr>) -> StreamGuard {
        tracing::debug!(open_streams = now, "stream opened");
        StreamGuard {
            inner: self.0.clone(),
            client,
        }
    }

    /// How many streams are open now.
    pub fn open(&self) -> usize {
        self.0.open.load(Ordering::SeqCst)
    }

    /// How many streams are open now from `ip` (counted only when a per-client cap is set).
    pub fn open_from(&self, ip: IpAddr) -> usize {
        let map = self
            .0
            .by_client
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        map.get(&ip).copied().unwrap_or(0)
    }
}

/// Held by a stream body for as long as the client is connected.
#[derive(Debug)]
pub struct StreamGuard {
    inner: Arc<Inner>,
    client: Option<IpAddr>,
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        if let Some(ip) = self.client {
            let mut map = self
                .inner
                .by_client
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if let Some(count) = map.get_mut(&ip) {
                *count = count.saturating_sub(1);
                if *count == 0 {
                    map.remove(&ip);
                }
            }
        }
        let now = self.inner.open.fetch_sub(1, Ordering::SeqCst) - 1;
        tracing::debug!(open_streams = now, "stream closed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn total_and_per_client_caps_are_released_on_drop() {
        let gauge = StreamGauge::with_limits(3, 2, 7);
        let a: IpAddr = [127, 0, 0, 1].into();
        let b: IpAddr = [127, 0, 0, 2].into();
        let g1 = gauge.try_enter_from(Some(a)).expect("first");
        let g2 = gauge.try_enter_from(Some(a)).expect("second");
        let refused = gauge.try_enter_from(Some(a)).expect_err("third from a");
        assert!(refused.per_client);
        assert_eq!(refused.retry_after_secs, 7);
        let g3 = gauge.try_enter_from(Some(b)).expect("first from b");
        assert!(!gauge.try_enter_from(Some(b)).expect_err("total").per_client);
        assert_eq!(gauge.open(), 3);
        drop((g1, g2, g3));
        assert_eq!(gauge.open(), 0);
        assert_eq!(gauge.open_from(a), 0);
        let _again = gauge.try_enter_from(Some(a)).expect("after release");
    }

    #[test]
    fn zero_means_no_cap() {
        let gauge = StreamGauge::with_limits(0, 0, 1);
        let guards: Vec<_> = (0..1000)
            .map(|_| {
                gauge
                    .try_enter_from(Some([10, 0, 0, 1].into()))
                    .expect("open")
            })
            .collect();
        assert_eq!(gauge.open(), 1000);
        drop(guards);
        assert_eq!(gauge.open(), 0);
    }
}
