//! The clock view's event log as DOM rows, each built once: a new entry is one `<li>`
//! appended at the bottom (the log reads oldest first, as a terminal or the devtools'
//! event stream do), and the list follows the newest row unless the reader has scrolled up
//! to read older ones. Nothing else in the list is touched per event: the rows on screen
//! keep their place in the list, so an event repaints one row and scrolls the list (a row
//! put at the top moved every row below it, all repainted and counted as a layout shift,
//! once a second all day).
//!
//! Rows of entries the model has dropped ([`crate::clock::LOG_CAP`]) are removed from the
//! top [`TRIM_BATCH`] at a time, not one per event: removing the top row moves every other
//! row up, so doing it once per event would bring that cost back for as long as the log is
//! full. The list holds at most `LOG_CAP + TRIM_BATCH - 1` rows.
//!
//! Why not a keyed `<For>`: it needs the whole list as a new `Vec` on every event (200
//! entries of up to 2 KB each, copied and diffed once a second, all day) to find the one
//! row that changed. Rows are built with `createElement` and text nodes only: remote text
//! never becomes markup.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use wasm_bindgen::JsValue;
use web_sys::{Document, Element};

use crate::browser::{AnimationFrame, Listener};
use crate::clock::{format_size, ClockState, Cut, LogEntry};
use crate::i18n::FeedStrings;

/// Rows of dropped entries are removed once this many have piled up (see the module doc).
pub const TRIM_BATCH: usize = 50;

/// How close to the bottom (px) the list counts as showing the newest row.
const FOLLOW_SLACK: i32 = 4;

/// The rows on screen, oldest first, with their entries' sequence numbers.
pub struct LogRows {
    list: Element,
    rows: VecDeque<(u64, Element)>,
    /// Scrolls the list to its newest row just before the next frame (see `follow`).
    follow: Option<AnimationFrame>,
    /// Set while that scroll is still to come.
    pending: Rc<Cell<bool>>,
    /// Whether the list shows its newest row, as its last scroll left it: kept by its scroll
    /// events (the reader's, and the follow's own), so an event never reads the layout to
    /// know (read then, just after the event changed the page, it lays the page out once
    /// more per event).
    following: Rc<Cell<bool>>,
    /// Rows appended since the last frame: a reader who was at the bottom before them (and
    /// whose scroll event, in this frame, already counted them) still follows.
    appended: Rc<RefCell<Vec<Element>>>,
    _scrolled: Option<Listener>,
}

impl LogRows {
    /// Rows in `list` (an `<ol>`, emptied first).
    pub fn new(list: Element) -> LogRows {
        list.set_text_content(None);
        let following = Rc::new(Cell::new(true));
        let scrolled = {
            let following = Rc::clone(&following);
            let list = list.clone();
            Listener::new(list.clone().into(), "scroll", move |_| {
                following.set(at_bottom(&list));
            })
        };
        LogRows {
            list,
            rows: VecDeque::new(),
            follow: None,
            pending: Rc::new(Cell::new(false)),
            following,
            appended: Rc::new(RefCell::new(Vec::new())),
            _scrolled: scrolled,
        }
    }

    /// Brings the rows in step with `state`: appends the entries that have no row yet and
    /// removes the rows of entries the model no longer holds, once enough of them are.
    pub fn sync(&mut self, state: &ClockState, t: &FeedStrings) {
        let Some(doc) = self.list.owner_document() else {
            return;
        };
        let shown = self.rows.back().map(|(seq, _)| *seq);
        let mut fresh: Vec<&LogEntry> = state
            .log()
            .take_while(|e| shown.is_none_or(|s| e.seq > s))
            .collect();
        if fresh.is_empty() && !self.trim_due(state) {
            return;
        }
        fresh.reverse();
        for entry in fresh {
            if let Some(row) = row(&doc, entry, t) {
                let _ = self.list.append_child(&row);
                self.appended.borrow_mut().push(row.clone());
                self.rows.push_back((entry.seq, row));
            }
        }
        if self.trim_due(state) {
            let oldest = state.log().last().map(|e| e.seq);
            while let Some((seq, row)) = self.rows.front() {
                if oldest.is_some_and(|o| *seq >= o) {
                    break;
                }
                row.remove();
                self.rows.pop_front();
            }
        }
        self.follow();
    }

    /// Shows the newest row, just before the next frame, unless the reader has scrolled up:
    /// the frame lays out the page then anyway (the event changed other texts too), so
    /// setting the scroll position there costs no layout of its own, and a scroll the reader
    /// made in this frame has been seen (scroll events come before animation frames). A
    /// list that does not overflow is left alone.
    fn follow(&mut self) {
        if self.pending.get() {
            return;
        }
        let list = self.list.clone();
        let pending = Rc::clone(&self.pending);
        let following = Rc::clone(&self.following);
        let appended = Rc::clone(&self.appended);
        pending.set(true);
        self.follow = AnimationFrame::request(move || {
            pending.set(false);
            let bottom = list.scroll_height() - list.client_height();
            let grown: i32 = appended
                .borrow_mut()
                .drain(..)
                .map(|row| row.get_bounding_client_rect().height().round() as i32)
                .sum();
            let rest = bottom - list.scroll_top();
            if !following.get() && rest - grown > FOLLOW_SLACK {
                return;
            }
            following.set(true);
            if bottom > 0 && rest > 0 {
                list.set_scroll_top(bottom);
            }
        });
        if self.follow.is_none() {
            self.pending.set(false);
            self.appended.borrow_mut().clear();
        }
    }

    /// Whether enough rows of dropped entries have piled up to remove them.
    fn trim_due(&self, state: &ClockState) -> bool {
        let oldest = state.log().last().map(|e| e.seq);
        let stale = self
            .rows
            .iter()
            .take(TRIM_BATCH)
            .take_while(|(seq, _)| oldest.is_none_or(|o| *seq < o))
            .count();
        stale >= TRIM_BATCH
    }

    /// Builds every row again (the language changed: the size lines are in words).
    pub fn rebuild(&mut self, state: &ClockState, t: &FeedStrings) {
        self.list.set_text_content(None);
        self.rows.clear();
        self.sync(state, t);
        self.follow();
    }
}

fn el(doc: &Document, tag: &str, class: &str, text: &str) -> Option<Element> {
    let e = doc.create_element(tag).ok()?;
    e.set_class_name(class);
    if !text.is_empty() {
        e.set_text_content(Some(text));
    }
    Some(e)
}

/// `<li class="rill-log-entry" data-kind=…>`: time, label, text and, for a cut event, its
/// shown and full size.
fn row(doc: &Document, entry: &LogEntry, t: &FeedStrings) -> Option<Element> {
    let li = el(doc, "li", "rill-log-entry", "")?;
    li.set_attribute("data-kind", entry.kind.as_str()).ok()?;
    let at = el(doc, "time", "rill-log-at", &clock_of(entry.at_ms))?;
    let label = el(doc, "span", "rill-log-label", &entry.label)?;
    let text = el(doc, "span", "rill-log-text", &entry.text)?;
    li.append_with_node_3(&at, &label, &text).ok()?;
    if let Some(cut) = entry.cut {
        let size = el(doc, "span", "rill-log-size", &size_line(cut, t))?;
        size.set_attribute("data-testid", "clock-log-size").ok()?;
        size.set_attribute("data-full-bytes", &cut.full.to_string())
            .ok()?;
        size.set_attribute("title", t.clock_size_title).ok()?;
        li.append_child(&size).ok()?;
    }
    Some(li)
}

/// "2.0 KB of 10.5 MB": how much of a cut event the log shows.
fn size_line(cut: Cut, t: &FeedStrings) -> String {
    format!(
        "{} {} {}",
        format_size(cut.shown),
        t.clock_size_of,
        format_size(cut.full)
    )
}

/// Whether `list` shows its last row (or has nothing to scroll).
fn at_bottom(list: &Element) -> bool {
    let rest = list.scroll_height() - list.scroll_top() - list.client_height();
    rest <= FOLLOW_SLACK
}

/// Local wall-clock time of a log entry, `HH:MM:SS`.
fn clock_of(at_ms: f64) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(at_ms));
    format!(
        "{:02}:{:02}:{:02}",
        date.get_hours(),
        date.get_minutes(),
        date.get_seconds()
    )
}
