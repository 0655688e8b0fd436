//! The pinned feeds, as saved in the browser's storage (pure).
//!
//! Stored under [`KEY`] as `{"feeds":[{"url":"…","notify":"price"}]}`: each feed's URL and the
//! event type that raises a browser notification (`null`: none). At most [`MAX_PINS`] feeds
//! and [`URL_MAX`] bytes per URL; an unreadable value reads as no pins (nothing else is
//! stored there, and pins are cheap to make again).

use crate::json::{read, Json};

/// The storage key.
pub const KEY: &str = "rill.feeds.v1";
/// Most feeds pinned at once (each holds a connection).
pub const MAX_PINS: usize = 4;
/// Longest URL pinned, in bytes.
pub const URL_MAX: usize = 2048;
/// Longest event type chosen for notifications, in bytes.
pub const NOTIFY_MAX: usize = 64;

/// One pinned feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    pub url: String,
    /// The event type that notifies, if any.
    pub notify: Option<String>,
}

/// Why a URL could not be pinned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinRefusal {
    Empty,
    TooLong,
    AlreadyPinned,
    Full,
}

/// The pinned feeds, in the order they were pinned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pins {
    pub feeds: Vec<Pin>,
}

impl Pins {
    /// Reads the stored text (anything unreadable or out of bounds is left out).
    pub fn parse(text: &str) -> Pins {
        let Ok(value) = Json::parse(text) else {
            return Pins::default();
        };
        let Ok(list) = read::array(&value, "feeds", "pins") else {
            return Pins::default();
        };
        let mut pins = Pins::default();
        for item in list {
            let Ok(url) = read::string(item, "url", "pin") else {
                continue;
            };
            let notify = read::opt_string(item, "notify", "pin")
                .ok()
                .flatten()
                .filter(|t| !t.is_empty() && t.len() <= NOTIFY_MAX);
            if pins.add(&url).is_ok() {
                if let Some(pin) = pins.feeds.last_mut() {
                    pin.notify = notify;
                }
            }
        }
        pins
    }

    /// The text to store.
    pub fn to_text(&self) -> String {
        let feeds = self
            .feeds
            .iter()
            .map(|p| {
                Json::obj([
                    ("url", Json::Str(p.url.as_str().into())),
                    (
                        "notify",
                        p.notify
                            .as_deref()
                            .map_or(Json::Null, |t| Json::Str(t.into())),
                    ),
                ])
            })
            .collect();
        let mut out = String::new();
        Json::obj([("feeds", Json::Arr(feeds))]).write(&mut out);
        out
    }

    /// Pins `url` (trimmed).
    pub fn add(&mut self, url: &str) -> Result<(), PinRefusal> {
        let url = url.trim();
        if url.is_empty() {
            return Err(PinRefusal::Empty);
        }
        if url.len() > URL_MAX {
            return Err(PinRefusal::TooLong);
        }
        if self.feeds.iter().any(|p| p.url == url) {
            return Err(PinRefusal::AlreadyPinned);
        }
        if self.feeds.len() >= MAX_PINS {
            return Err(PinRefusal::Full);
        }
        self.feeds.push(Pin {
            url: url.to_string(),
            notify: None,
        });
        Ok(())
    }

    /// Unpins `url`.
    pub fn remove(&mut self, url: &str) {
        self.feeds.retain(|p| p.url != url);
    }

    /// Sets (or clears) the event type of `url` that notifies.
    pub fn set_notify(&mut self, url: &str, event_type: Option<&str>) {
        if let Some(pin) = self.feeds.iter_mut().find(|p| p.url == url) {
            pin.notify = event_type
                .filter(|t| !t.is_empty() && t.len() <= NOTIFY_MAX)
                .map(str::to_string);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_round_trip_through_their_text() {
        let mut pins = Pins::default();
        pins.add(" /demo/ticker ").expect("pin");
        pins.add("https://example.com/feed?a=\"b\"").expect("pin");
        pins.set_notify("/demo/ticker", Some("trade"));
        let text = pins.to_text();
        assert_eq!(
            text,
            r#"{"feeds":[{"url":"/demo/ticker","notify":"trade"},{"url":"https://example.com/feed?a=\"b\"","notify":null}]}"#
        );
        assert_eq!(Pins::parse(&text), pins);
    }

    #[test]
    fn refusals_are_named() {
        let mut pins = Pins::default();
        assert_eq!(pins.add("  "), Err(PinRefusal::Empty));
        assert_eq!(pins.add(&"u".repeat(URL_MAX + 1)), Err(PinRefusal::TooLong));
        pins.add("/a").expect("pin");
        assert_eq!(pins.add("/a"), Err(PinRefusal::AlreadyPinned));
        for i in 1..MAX_PINS {
            pins.add(&format!("/{i}")).expect("pin");
        }
        assert_eq!(pins.add("/more"), Err(PinRefusal::Full));
        pins.remove("/a");
        assert_eq!(pins.feeds.len(), MAX_PINS - 1);
    }

    #[test]
    fn unreadable_or_odd_storage_reads_as_what_is_usable() {
        assert_eq!(Pins::parse(""), Pins::default());
        assert_eq!(Pins::parse("{"), Pins::default());
        assert_eq!(Pins::parse(r#"{"feeds":3}"#), Pins::default());
        let pins = Pins::parse(
            r#"{"feeds":[{"url":1},{"url":"/x","notify":7},{"url":"/x"},{"url":"/y","notify":""}]}"#,
        );
        assert_eq!(
            pins.feeds,
            [
                Pin {
                    url: "/x".into(),
                    notify: None
                },
                Pin {
                    url: "/y".into(),
                    notify: None
                }
            ]
        );
    }
}
