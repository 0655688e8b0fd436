//! An SVG sparkline's path from the last values of a card (pure).
//!
//! The path is drawn in a fixed [`WIDTH`] × [`HEIGHT`] view box (the SVG stretches it), one
//! step per value from the left, so it grows as values come until [`crate::feeds::SPARK_MAX`]
//! fill the width. Coordinates are whole numbers: the page formats no floats.

/// The view box's width.
pub const WIDTH: u32 = 590;
/// The view box's height.
pub const HEIGHT: u32 = 100;
/// Space kept above and below the line, so its stroke is not cut.
const PAD: f64 = 6.0;

/// `M x y L x y …` through `values` (oldest first), scaled between their lowest and highest;
/// at most `slots` values fit the width. Empty for no values; a flat line through the middle
/// when all are equal.
pub fn path(values: &[f64], slots: usize) -> String {
    let values: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let skip = values.len().saturating_sub(slots);
    let values = &values[skip..];
    if values.is_empty() {
        return String::new();
    }
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let span = hi - lo;
    let steps = slots.saturating_sub(1).max(1) as u64;
    let usable = f64::from(HEIGHT) - 2.0 * PAD;
    let mut out = String::with_capacity(values.len() * 10);
    for (i, v) in values.iter().enumerate() {
        let x = i as u64 * u64::from(WIDTH) / steps;
        let y = if span > 0.0 {
            PAD + (hi - v) / span * usable
        } else {
            f64::from(HEIGHT) / 2.0
        };
        let y = y.round().clamp(0.0, f64::from(HEIGHT)) as u32;
        out.push_str(if i == 0 { "M" } else { " L" });
        out.push_str(&format!("{x} {y}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_values_no_path() {
        assert_eq!(path(&[], 60), "");
        assert_eq!(path(&[f64::NAN], 60), "");
    }

    #[test]
    fn equal_values_are_a_flat_line_through_the_middle() {
        assert_eq!(path(&[3.0, 3.0], 3), "M0 50 L295 50");
    }

    #[test]
    fn highest_is_at_the_top_and_lowest_at_the_bottom() {
        assert_eq!(path(&[1.0, 2.0, 0.0], 3), "M0 50 L295 6 L590 94");
    }

    #[test]
    fn the_path_grows_one_step_per_value_and_keeps_the_last_slots() {
        let values: Vec<f64> = (0..100).map(f64::from).collect();
        let short = path(&values[..10], 60);
        assert_eq!(short.matches('L').count(), 9);
        let full = path(&values, 60);
        assert_eq!(full.matches('L').count(), 59);
        assert!(full.starts_with("M0 94"), "{full}");
        assert!(full.ends_with("L590 6"), "{full}");
    }

    #[test]
    fn one_slot_is_one_point() {
        assert_eq!(path(&[1.0, 2.0], 1), "M0 50");
    }
}
