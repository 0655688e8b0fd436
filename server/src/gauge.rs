//! A count of live streaming responses.
//!
//! Each stream holds a [`StreamGuard`]; hyper drops the body (and with it the guard) as soon
//! as the client goes away, so the count returning to zero proves no per-client work is left.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Shared counter of open streams. Cloning shares the count.
#[derive(Debug, Clone, Default)]
pub struct StreamGauge(Arc<AtomicUsize>);

impl StreamGauge {
    /// Counts one more open stream until the returned guard is dropped.
    pub fn enter(&self) -> StreamGuard {
        let now = self.0.fetch_add(1, Ordering::SeqCst) + 1;
        tracing::debug!(open_streams = now, "stream opened");
        StreamGuard(self.0.clone())
    }

    /// How many streams are open now.
    pub fn open(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// Held by a stream body for as long as the client is connected.
#[derive(Debug)]
pub struct StreamGuard(Arc<AtomicUsize>);

impl Drop for StreamGuard {
    fn drop(&mut self) {
        let now = self.0.fetch_sub(1, Ordering::SeqCst) - 1;
        tracing::debug!(open_streams = now, "stream closed");
    }
}
