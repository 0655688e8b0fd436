//! Which messages of a long conversation the log renders: a window around the viewport.
//!
//! Owns the window (`start..end` of the conversation's rows), the heights measured of rows
//! that were on the page, and the spacers that stand for the rows left out above and below,
//! so the scrollbar and the reader's place stay right while only what is near the viewport
//! is in the DOM. Both ends move: rows far above or below the viewport leave the page (their
//! views, markdown renderers and reactive bindings dropped) and come back when the reader
//! scrolls to them. A conversation opens at its latest [`FIRST_SHOWN`]; rows added at the
//! end join a window that reaches the end. Short conversations ([`ALL_UP_TO`] rows) are
//! rendered whole. Pure, tested natively; the view (`components/chat/mod.rs`) measures the
//! rendered rows and asks it where the viewport is, once per animation frame at most.

/// Rows rendered when a conversation opens (its latest ones), before anything is measured.
pub const FIRST_SHOWN: usize = 40;
/// A conversation of at most this many rows is rendered whole.
pub const ALL_UP_TO: usize = 60;
/// The height assumed for a row never measured, before any row is (px, with the gap).
pub const DEFAULT_HEIGHT: u32 = 120;
/// Rows measured after which the estimate for the others stays as it is.
pub const SETTLE_AFTER: u64 = 20;

/// The rendered window of a conversation's rows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogWindow {
    /// The first row's key when the window was last fitted: another first row means another
    /// conversation (or the same one opened again), which starts from its latest messages.
    first_key: Option<u64>,
    len: usize,
    start: usize,
    end: usize,
    /// Per row, its measured height in px including the gap after it (0: not measured).
    heights: Vec<u32>,
    measured_sum: u64,
    measured: u64,
    /// The estimate, once settled (see [`LogWindow::estimate`]).
    settled: Option<u32>,
}

impl LogWindow {
    /// The rows to render (`start..end`) of a log of `len` rows whose first row has key
    /// `first_key`. Another first row starts again from the latest [`FIRST_SHOWN`]; rows
    /// added at the end join a window that reached the end; fewer rows shrink it.
    pub fn fit(&mut self, first_key: Option<u64>, len: usize) -> (usize, usize) {
        if first_key != self.first_key {
            *self = LogWindow {
                first_key,
                ..LogWindow::default()
            };
            self.start = len.saturating_sub(FIRST_SHOWN);
            self.end = len;
        } else if len != self.len {
            if self.end == self.len || self.end > len {
                self.end = len;
            }
            self.start = self.start.min(self.end);
            if len < self.heights.len() {
                for h in self.heights.drain(len..) {
                    if h > 0 {
                        self.measured_sum -= u64::from(h);
                        self.measured -= 1;
                    }
                }
            }
        }
        self.len = len;
        self.heights.resize(len, 0);
        if len <= ALL_UP_TO {
            (self.start, self.end) = (0, len);
        } else if self.end - self.start < FIRST_SHOWN.min(len) && self.end == len {
            // Rows taken away (another branch shown) never leave fewer shown at the end.
            self.start = len.saturating_sub(FIRST_SHOWN);
        }
        (self.start, self.end)
    }

    /// Records the height (px, with the gap after it) of row `index`, as rendered.
    pub fn measure(&mut self, index: usize, height: u32) {
        let Some(slot) = self.heights.get_mut(index) else {
            return;
        };
        if *slot > 0 {
            self.measured_sum -= u64::from(*slot);
            self.measured -= 1;
        }
        *slot = height;
        if height > 0 {
            self.measured_sum += u64::from(height);
            self.measured += 1;
        }
        if self.settled.is_none() && self.measured >= SETTLE_AFTER {
            self.settled = Some(self.estimate());
        }
    }

    /// The height assumed for a row not measured: the mean of those measured, taken once
    /// [`SETTLE_AFTER`] rows are and kept from then on. A mean that kept moving would move
    /// the spacer above by (change × the thousands of rows it stands for) at once, further
    /// than scroll anchoring can be relied on to hide.
    pub fn estimate(&self) -> u32 {
        if let Some(settled) = self.settled {
            return settled;
        }
        self.measured_sum
            .checked_div(self.measured)
            .and_then(|mean| u32::try_from(mean).ok())
            .map_or(DEFAULT_HEIGHT, |mean| mean.max(1))
    }

    fn height(&self, index: usize, estimate: u32) -> u32 {
        match self.heights.get(index) {
            Some(&h) if h > 0 => h,
            _ => estimate,
        }
    }

    /// Moves the window for a viewport at `top` px of the log, `view` px high: it keeps the
    /// rows within `over` px beyond each edge of the viewport rendered, and moves only when
    /// the viewport comes within `over / 2` of an edge of what is rendered (so a slow scroll
    /// changes the DOM every half-`over` or so, not every frame). True if it moved.
    pub fn place(&mut self, top: i64, view: i64, over: i64) -> bool {
        if self.len <= ALL_UP_TO {
            return false;
        }
        let estimate = self.estimate();
        let (lo, hi) = (top - over / 2, top + view + over / 2);
        let rendered_top = self.offset(self.start, estimate);
        let rendered_bottom = rendered_top + self.span(self.start, self.end, estimate);
        let covers_top = self.start == 0 || rendered_top <= lo;
        let covers_bottom = self.end == self.len || rendered_bottom >= hi;
        if covers_top && covers_bottom && self.end > self.start {
            return false;
        }
        let (want_lo, want_hi) = (top - over, top + view + over);
        let mut start = 0;
        let mut y = 0i64;
        while start < self.len {
            let h = i64::from(self.height(start, estimate));
            if y + h > want_lo {
                break;
            }
            y += h;
            start += 1;
        }
        // Scrolled past the end (the spacers were estimates): the latest rows.
        start = start.min(self.len.saturating_sub(1));
        let mut end = start;
        while end < self.len && y < want_hi {
            y += i64::from(self.height(end, estimate));
            end += 1;
        }
        let end = end.max(start + 1).min(self.len);
        let moved = (start, end) != (self.start, self.end);
        (self.start, self.end) = (start, end);
        moved
    }

    /// Renders the latest rows (the reader went to the end): as many as fill `view` px and
    /// `over` px above it. True if it moved.
    pub fn to_end(&mut self, view: i64, over: i64) -> bool {
        if self.len <= ALL_UP_TO {
            return false;
        }
        let estimate = self.estimate();
        if self.end == self.len && self.span(self.start, self.end, estimate) >= view + over {
            // Already there, with enough above the viewport: nothing to redo.
            return false;
        }
        let mut start = self.len;
        let mut y = 0i64;
        while start > 0 && y < view + over {
            start -= 1;
            y += i64::from(self.height(start, estimate));
        }
        let moved = (start, self.len) != (self.start, self.end);
        (self.start, self.end) = (start, self.len);
        moved
    }

    /// The y of row `index`'s top (px from the first row's).
    fn offset(&self, index: usize, estimate: u32) -> i64 {
        self.span(0, index, estimate)
    }

    fn span(&self, from: usize, to: usize, estimate: u32) -> i64 {
        (from..to.min(self.len))
            .map(|i| i64::from(self.height(i, estimate)))
            .sum()
    }

    /// The heights (px) of the spacers that stand for the rows before and after the window.
    pub fn spacers(&self) -> (i64, i64) {
        let estimate = self.estimate();
        (
            self.offset(self.start, estimate),
            self.span(self.end, self.len, estimate),
        )
    }

    /// The rendered rows.
    pub fn range(&self) -> (usize, usize) {
        (self.start, self.end)
    }

    /// Whether the window holds the conversation's last row.
    pub fn at_end(&self) -> bool {
        self.end == self.len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Scrolls a log of `n` rows of `h` px each from its end to its top, `step` px a frame,
    /// as the view does: measure what is rendered, then place the window for the viewport
    /// (whose top the view reads relative to the first rendered row, in the window's own
    /// terms). Checks that every row in the viewport is rendered; returns the most rows
    /// rendered at once after the first move.
    fn scroll_through(w: &mut LogWindow, n: usize, h: u32, view: i64, step: i64) -> usize {
        let mut most = 0;
        let hi = i64::from(h);
        let total = i64::try_from(n).unwrap_or(0) * hi;
        let mut top = total - view;
        loop {
            let (start, end) = w.range();
            for i in start..end {
                w.measure(i, h);
            }
            let first_top = i64::try_from(start).unwrap_or(0) * hi;
            w.place(w.spacers().0 + (top - first_top), view, view);
            let (start, end) = w.range();
            most = most.max(end - start);
            let first_seen = usize::try_from(top.max(0) / hi).unwrap_or(0);
            let last_seen = usize::try_from(((top + view - 1) / hi).max(0))
                .unwrap_or(0)
                .min(n - 1);
            assert!(
                start <= first_seen && last_seen < end,
                "{top}: {start}..{end}"
            );
            if top == 0 {
                break;
            }
            top = (top - step).max(0);
        }
        most
    }

    #[test]
    fn opens_at_the_latest_and_renders_only_around_the_viewport_to_the_first() {
        let mut w = LogWindow::default();
        assert_eq!(w.fit(Some(7), 10_000), (10_000 - FIRST_SHOWN, 10_000));
        let most = scroll_through(&mut w, 10_000, 100, 800, 350);
        assert!(most <= 40, "{most} rows rendered at once");
        assert_eq!(w.range().0, 0);
        // The spacers stand for what is not rendered.
        let (above, below) = w.spacers();
        assert_eq!(above, 0);
        let (start, end) = w.range();
        assert_eq!(below, i64::try_from(10_000 - end).unwrap_or(0) * 100);
        assert!(end - start < 40);
    }

    #[test]
    fn a_fling_of_4000_px_a_frame_still_renders_every_row_in_view() {
        let mut w = LogWindow::default();
        w.fit(Some(1), 10_000);
        let most = scroll_through(&mut w, 10_000, 150, 700, 4000);
        assert!(most <= FIRST_SHOWN, "{most}");
    }

    #[test]
    fn unmeasured_rows_are_estimated_by_the_measured_mean() {
        let mut w = LogWindow::default();
        w.fit(Some(1), 1000);
        assert_eq!(w.estimate(), DEFAULT_HEIGHT);
        w.measure(999, 300);
        w.measure(998, 100);
        assert_eq!(w.estimate(), 200);
        w.measure(999, 500);
        assert_eq!(w.estimate(), 300);
        let (above, below) = w.spacers();
        assert_eq!(
            above,
            i64::from(300u32) * i64::try_from(1000 - FIRST_SHOWN).unwrap_or(0)
        );
        assert_eq!(below, 0);
    }

    #[test]
    fn rows_added_at_the_end_join_a_window_at_the_end_but_not_one_above_it() {
        let mut w = LogWindow::default();
        w.fit(Some(1), 500);
        assert_eq!(w.fit(Some(1), 502), (500 - FIRST_SHOWN, 502));
        assert!(w.at_end());
        w.place(0, 800, 800);
        let (start, end) = w.range();
        assert_eq!(start, 0);
        assert_eq!(w.fit(Some(1), 504), (0, end));
        assert!(!w.at_end());
        assert!(w.to_end(800, 800));
        assert!(w.at_end());
        assert_eq!(w.range().1, 504);
        // At the end with enough rendered above: it stays as it is.
        assert!(!w.to_end(800, 800));
    }

    #[test]
    fn short_logs_render_whole_and_another_conversation_starts_again() {
        let mut w = LogWindow::default();
        assert_eq!(w.fit(None, 0), (0, 0));
        assert_eq!(w.fit(Some(1), 3), (0, 3));
        assert_eq!(w.fit(Some(1), ALL_UP_TO), (0, ALL_UP_TO));
        assert!(!w.place(5000, 800, 800));
        assert_eq!(w.fit(Some(2), 500), (500 - FIRST_SHOWN, 500));
        // Rows taken away (another branch shown) still leave the latest ones shown.
        assert_eq!(w.fit(Some(2), 10), (0, 10));
        assert_eq!(w.fit(Some(3), 100), (100 - FIRST_SHOWN, 100));
    }

    #[test]
    fn a_viewport_past_the_estimated_end_shows_the_latest_rows() {
        let mut w = LogWindow::default();
        w.fit(Some(1), 1000);
        w.place(10_000_000, 800, 800);
        let (start, end) = w.range();
        assert_eq!(end, 1000);
        assert!(start < end);
    }
}
