//! The inspector's live charts (pure): events and bytes per second over the last minute,
//! and how the gaps between events are spread, with the SVG paths that draw them in
//! whole numbers. Computed from the kept events and reads, newest first, so a chart costs
//! what arrived in its window, not what the inspector keeps.

use super::Inspector;

/// Seconds a rate chart shows.
pub const WINDOW_S: usize = 60;

/// One rate chart: a value per second, oldest first; the last is the second now running.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Rate {
    pub per_s: Vec<u64>,
}

impl Rate {
    pub fn max(&self) -> u64 {
        self.per_s.iter().copied().max().unwrap_or(0)
    }

    pub fn total(&self) -> u64 {
        self.per_s.iter().sum()
    }

    /// Bars from the bottom of a `width` × `height` box, one per second (a path of
    /// rectangles; empty seconds draw nothing).
    pub fn bars(&self, width: u32, height: u32) -> String {
        let max = self.max();
        let mut out = String::new();
        if max == 0 || self.per_s.is_empty() {
            return out;
        }
        let step = width / self.per_s.len() as u32;
        let bar = step.saturating_sub(1).max(1);
        for (i, &v) in self.per_s.iter().enumerate() {
            if v == 0 {
                continue;
            }
            let h = ((v as f64 / max as f64) * f64::from(height))
                .ceil()
                .max(1.0) as u32;
            let x = i as u32 * step;
            out.push_str(&format!("M{x} {}h{bar}v{h}h-{bar}z", height - h));
        }
        out
    }
}

/// Buckets of the gap between two events, by powers of ten.
pub const GAP_BUCKETS: [&str; 5] = ["< 10 ms", "10–100 ms", "0.1–1 s", "1–10 s", "≥ 10 s"];

/// How many gaps fall in each of [`GAP_BUCKETS`].
pub fn gap_histogram(inspector: &Inspector) -> [u64; 5] {
    let mut counts = [0u64; 5];
    for gap in inspector.entries().filter_map(|e| e.gap_ms) {
        let i = match gap {
            g if g < 10.0 => 0,
            g if g < 100.0 => 1,
            g if g < 1000.0 => 2,
            g if g < 10_000.0 => 3,
            _ => 4,
        };
        counts[i] += 1;
    }
    counts
}

/// Events and bytes per second over the [`WINDOW_S`] seconds up to `now_ms`.
pub fn rates(inspector: &Inspector, now_ms: f64) -> (Rate, Rate) {
    let start = now_ms - (WINDOW_S as f64) * 1000.0;
    let slot = |at: f64| -> Option<usize> {
        if at <= start || at > now_ms {
            return None;
        }
        Some((((at - start) / 1000.0).ceil() as usize).clamp(1, WINDOW_S) - 1)
    };
    let mut events = vec![0u64; WINDOW_S];
    for e in inspector.entries().rev() {
        if e.at_ms <= start {
            break;
        }
        if let Some(i) = slot(e.at_ms) {
            events[i] += 1;
        }
    }
    let mut bytes = vec![0u64; WINDOW_S];
    for r in inspector.reads().rev() {
        if r.at_ms <= start {
            break;
        }
        if let Some(i) = slot(r.at_ms) {
            bytes[i] += r.bytes as u64;
        }
    }
    (Rate { per_s: events }, Rate { per_s: bytes })
}

/// A bar per bucket across a `width` × `height` box (as [`Rate::bars`]).
pub fn histogram_bars(counts: &[u64], width: u32, height: u32) -> String {
    Rate {
        per_s: counts.to_vec(),
    }
    .bars(width, height)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::{Format, Via};

    fn inspector_with(times: &[f64]) -> Inspector {
        let mut i = Inspector::new("http://x/s", Via::Fetch, Format::Sse, false);
        i.on_request(0.0);
        i.on_response(1.0, Some(200), vec![]);
        for &t in times {
            i.on_chunk(t, b"data: x\n\n");
        }
        i
    }

    #[test]
    fn events_and_bytes_land_in_their_second() {
        let i = inspector_with(&[100_500.0, 100_700.0, 159_999.0, 160_000.0]);
        let (events, bytes) = rates(&i, 160_000.0);
        assert_eq!(events.per_s.len(), WINDOW_S);
        assert_eq!(
            events.per_s[0], 2,
            "100.5 s and 100.7 s are in the first second"
        );
        assert_eq!(events.per_s[WINDOW_S - 1], 2, "the second now running");
        assert_eq!(events.total(), 4);
        assert_eq!(bytes.total(), 4 * 9);
        let (old, _) = rates(&i, 260_000.0);
        assert_eq!(old.total(), 0, "a minute later nothing is in the window");
    }

    #[test]
    fn gaps_fall_in_their_bucket() {
        let i = inspector_with(&[1000.0, 1005.0, 1055.0, 1555.0, 3555.0, 20_000.0]);
        assert_eq!(gap_histogram(&i), [1, 1, 1, 1, 1]);
    }

    #[test]
    fn bars_are_whole_numbers_scaled_to_the_largest() {
        let r = Rate {
            per_s: vec![0, 2, 4],
        };
        assert_eq!(r.bars(30, 20), "M10 10h9v10h-9zM20 0h9v20h-9z");
        assert_eq!(Rate::default().bars(30, 20), "");
        assert_eq!(Rate { per_s: vec![0, 0] }.bars(30, 20), "");
    }
}
