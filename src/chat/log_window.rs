//! Which messages of a long conversation the log renders: the latest [`FIRST_SHOWN`] when a
//! conversation opens, [`MORE`] earlier ones each time the reader scrolls near the top of
//! what is shown, until the first message. A 10,000-message conversation then opens as
//! quickly as a short one, and typing and scrolling cost what a short log costs: the page
//! holds only what the reader has scrolled through. Pure, tested natively; the view
//! (`components/chat/mod.rs`) keeps one [`LogWindow`] and asks it on every change of rows.

/// Messages rendered when a conversation opens (its latest ones). `style/chat.css` lets
/// only messages before the latest this many skip rendering off screen (`n+41`).
pub const FIRST_SHOWN: usize = 40;
/// Earlier messages added each time the reader nears the top of what is shown.
pub const MORE: usize = 40;

/// How many of the current conversation's earliest messages are not rendered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LogWindow {
    /// The first row's key when the window was last fitted: another first row means another
    /// conversation (or the same one opened again), which starts from its latest messages.
    first_key: Option<u64>,
    hidden: usize,
}

impl LogWindow {
    /// The number of leading rows to leave out of a log of `len` rows whose first row has
    /// key `first_key`. Rows added at the end (a new question, a reply) keep the window's
    /// start; a different first row starts again from the latest [`FIRST_SHOWN`], and fewer
    /// rows than before never leave fewer than that shown.
    pub fn fit(&mut self, first_key: Option<u64>, len: usize) -> usize {
        if first_key != self.first_key {
            self.first_key = first_key;
            self.hidden = len.saturating_sub(FIRST_SHOWN);
        }
        // Rows taken away (another branch shown) never leave fewer than FIRST_SHOWN shown.
        self.hidden = self.hidden.min(len.saturating_sub(FIRST_SHOWN));
        self.hidden
    }

    /// Shows up to [`MORE`] earlier rows; false when every row was already shown.
    pub fn reveal(&mut self) -> bool {
        if self.hidden == 0 {
            return false;
        }
        self.hidden = self.hidden.saturating_sub(MORE);
        true
    }

    pub fn hidden(&self) -> usize {
        self.hidden
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_at_the_latest_and_reveals_back_to_the_first() {
        let mut w = LogWindow::default();
        assert_eq!(w.fit(Some(7), 10_000), 10_000 - FIRST_SHOWN);
        // A reply added at the end keeps the start.
        assert_eq!(w.fit(Some(7), 10_001), 10_000 - FIRST_SHOWN);
        let mut steps = 0;
        while w.reveal() {
            steps += 1;
        }
        assert_eq!(w.fit(Some(7), 10_001), 0);
        assert_eq!(steps, (10_000 - FIRST_SHOWN).div_ceil(MORE));
        assert!(!w.reveal());
    }

    #[test]
    fn short_logs_show_everything_and_another_conversation_starts_again() {
        let mut w = LogWindow::default();
        assert_eq!(w.fit(None, 0), 0);
        assert_eq!(w.fit(Some(1), 3), 0);
        assert_eq!(w.fit(Some(1), FIRST_SHOWN), 0);
        assert_eq!(w.fit(Some(2), 500), 500 - FIRST_SHOWN);
        assert!(w.reveal());
        assert_eq!(w.hidden(), 500 - FIRST_SHOWN - MORE);
        // Rows taken away (another branch shown) still leave the latest ones shown.
        assert_eq!(w.fit(Some(2), 10), 0);
        assert_eq!(w.fit(None, 0), 0);
        assert_eq!(w.fit(Some(3), 100), 100 - FIRST_SHOWN);
    }
}
