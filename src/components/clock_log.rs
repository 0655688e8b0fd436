//! The clock view's event log as DOM rows, each built once: a new entry is one `<li>`
//! put at the top (the log reads newest first), and the row of an entry the model has
//! dropped ([`crate::clock::LOG_CAP`]) is removed from the bottom. Nothing else in the list
//! is touched per event.
//!
//! Why not a keyed `<For>`: it needs the whole list as a new `Vec` on every event (200
//! entries of up to 2 KB each, copied and diffed once a second, all day) to find the one
//! row that changed. Rows are built with `createElement` and text nodes only: remote text
//! never becomes markup.

use std::collections::VecDeque;

use wasm_bindgen::JsValue;
use web_sys::{Document, Element};

use crate::clock::{format_size, ClockState, Cut, LogEntry};
use crate::i18n::FeedStrings;

/// The rows on screen, oldest first, with their entries' sequence numbers.
pub struct LogRows {
    list: Element,
    rows: VecDeque<(u64, Element)>,
}

impl LogRows {
    /// Rows in `list` (an `<ol>`, emptied first).
    pub fn new(list: Element) -> LogRows {
        list.set_text_content(None);
        LogRows {
            list,
            rows: VecDeque::new(),
        }
    }

    /// Brings the rows in step with `state`: adds the entries that have no row yet and
    /// removes the rows of entries the model no longer holds.
    pub fn sync(&mut self, state: &ClockState, t: &FeedStrings) {
        let Some(doc) = self.list.owner_document() else {
            return;
        };
        let shown = self.rows.back().map(|(seq, _)| *seq);
        let mut fresh: Vec<&LogEntry> = state
            .log()
            .take_while(|e| shown.is_none_or(|s| e.seq > s))
            .collect();
        fresh.reverse();
        for entry in fresh {
            if let Some(row) = row(&doc, entry, t) {
                let _ = self.list.prepend_with_node_1(&row);
                self.rows.push_back((entry.seq, row));
            }
        }
        let oldest = state.log().last().map(|e| e.seq);
        while let Some((seq, row)) = self.rows.front() {
            if oldest.is_some_and(|o| *seq >= o) {
                break;
            }
            row.remove();
            self.rows.pop_front();
        }
    }

    /// Builds every row again (the language changed: the size lines are in words).
    pub fn rebuild(&mut self, state: &ClockState, t: &FeedStrings) {
        self.list.set_text_content(None);
        self.rows.clear();
        self.sync(state, t);
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
