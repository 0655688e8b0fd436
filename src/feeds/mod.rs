//! Feed cards: a pinned feed shown as the latest value of each event type (pure).
//!
//! [`FeedCards`] takes a feed's [`StreamEvent`]s in order and keeps one [`Card`] per event
//! type — its latest value, updated in place, and for numbers its last [`SPARK_MAX`] values
//! for a sparkline — and what the ids say ([`ids`]): events missed (gaps) and repeats
//! dropped after a resume. The view renders it; nothing here touches the browser.
//! Memory is bounded: at most [`CARDS_MAX`] cards of [`TEXT_MAX`] bytes each.

pub mod ids;
pub mod pins;
pub mod sparkline;
pub mod value;

use std::collections::VecDeque;

use crate::clock::bounded;
use crate::json::number_text;
use crate::transport::StreamEvent;
use ids::{IdTracker, IdVerdict};

/// Values kept per card for its sparkline.
pub const SPARK_MAX: usize = 60;
/// Event types shown as cards; events of further types are counted, not shown.
pub const CARDS_MAX: usize = 24;
/// Bytes of an event's data a card keeps.
pub const TEXT_MAX: usize = 240;
/// Bytes of an event type kept as a card's name.
pub const TYPE_MAX: usize = 64;

/// The latest of one event type.
#[derive(Debug, Clone, PartialEq)]
pub struct Card {
    pub event_type: String,
    /// What the card shows big: the number, or the data's text.
    pub text: String,
    /// The whole data (cut to [`TEXT_MAX`]) when `text` is one member of it.
    pub detail: Option<String>,
    /// The latest number, if the latest event had one.
    pub value: Option<f64>,
    /// The last numbers, oldest first.
    pub history: VecDeque<f64>,
    /// How many events of this type were shown.
    pub updates: u64,
}

impl Card {
    fn new(event_type: String) -> Card {
        Card {
            event_type,
            text: String::new(),
            detail: None,
            value: None,
            history: VecDeque::with_capacity(SPARK_MAX),
            updates: 0,
        }
    }

    fn update(&mut self, data: &str) {
        self.updates += 1;
        match value::numeric_value(data) {
            Some((n, member)) => {
                self.text = number_text(n);
                self.detail = member.map(|_| bounded(data.trim(), TEXT_MAX).0);
                self.value = Some(n);
                if self.history.len() == SPARK_MAX {
                    self.history.pop_front();
                }
                self.history.push_back(n);
            }
            None => {
                self.text = bounded(data, TEXT_MAX).0;
                self.detail = None;
                self.value = None;
            }
        }
    }

    /// The sparkline's SVG path (empty with no numbers yet).
    pub fn sparkline(&self) -> String {
        let (a, b) = self.history.as_slices();
        if b.is_empty() {
            sparkline::path(a, SPARK_MAX)
        } else {
            sparkline::path(&self.history.iter().copied().collect::<Vec<_>>(), SPARK_MAX)
        }
    }
}

/// What one stream event did to the cards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The card at this index was created or updated.
    Card(usize),
    /// The event repeated one already shown and was dropped.
    Duplicate,
    /// Nothing shown changed (connection events, types beyond [`CARDS_MAX`]).
    Nothing,
}

/// The cards of one pinned feed.
#[derive(Debug, Clone, Default)]
pub struct FeedCards {
    cards: Vec<Card>,
    ids: IdTracker,
    /// Events missed in all gaps so far.
    pub missed: u64,
    /// Events missed in the latest gap.
    pub last_gap: u64,
    /// Repeated events dropped.
    pub duplicates: u64,
    /// Events of types beyond [`CARDS_MAX`].
    pub unshown: u64,
}

impl FeedCards {
    pub fn new() -> FeedCards {
        FeedCards::default()
    }

    /// The cards, in the order their types first came.
    pub fn cards(&self) -> &[Card] {
        &self.cards
    }

    /// The card of `event_type`.
    pub fn card(&self, event_type: &str) -> Option<&Card> {
        self.cards.iter().find(|c| c.event_type == event_type)
    }

    /// The event types shown, in card order.
    pub fn types(&self) -> Vec<String> {
        self.cards.iter().map(|c| c.event_type.clone()).collect()
    }

    /// Applies one event of the feed.
    pub fn apply(&mut self, event: &StreamEvent) -> Applied {
        match event {
            StreamEvent::Open => {
                self.ids.on_open();
                Applied::Nothing
            }
            StreamEvent::Event(ev) => {
                match self.ids.check(&ev.id) {
                    IdVerdict::Duplicate => {
                        self.duplicates += 1;
                        return Applied::Duplicate;
                    }
                    IdVerdict::Gap(n) => {
                        self.missed += n;
                        self.last_gap = n;
                    }
                    IdVerdict::Fresh => {}
                }
                let name = if ev.event.is_empty() {
                    "message"
                } else {
                    &ev.event
                };
                self.update(name, &ev.data)
            }
            StreamEvent::Json(value) => self.update("json", &value.to_string()),
            StreamEvent::Retry(_)
            | StreamEvent::Alive
            | StreamEvent::Offer { .. }
            | StreamEvent::ReplyEnd(_)
            | StreamEvent::Error(_)
            | StreamEvent::Closed(_) => Applied::Nothing,
        }
    }

    fn update(&mut self, event_type: &str, data: &str) -> Applied {
        let name = bounded(event_type, TYPE_MAX).0;
        let index = match self.cards.iter().position(|c| c.event_type == name) {
            Some(i) => i,
            None if self.cards.len() < CARDS_MAX => {
                self.cards.push(Card::new(name));
                self.cards.len() - 1
            }
            None => {
                self.unshown += 1;
                return Applied::Nothing;
            }
        };
        self.cards[index].update(data);
        Applied::Card(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::Event;

    fn ev(event: &str, data: &str, id: &str) -> StreamEvent {
        StreamEvent::Event(Event {
            event: event.into(),
            data: data.into(),
            id: id.into(),
        })
    }

    #[test]
    fn each_type_is_one_card_updated_in_place() {
        let mut f = FeedCards::new();
        f.apply(&StreamEvent::Open);
        assert_eq!(
            f.apply(&ev("price", r#"{"symbol":"A","price":1.5}"#, "1")),
            Applied::Card(0)
        );
        assert_eq!(f.apply(&ev("score", "3", "2")), Applied::Card(1));
        assert_eq!(
            f.apply(&ev("price", r#"{"symbol":"B","price":2}"#, "3")),
            Applied::Card(0)
        );
        assert_eq!(f.types(), ["price", "score"]);
        let price = f.card("price").expect("card");
        assert_eq!(price.text, "2");
        assert_eq!(price.detail.as_deref(), Some(r#"{"symbol":"B","price":2}"#));
        assert_eq!(price.updates, 2);
        assert_eq!(Vec::from(price.history.clone()), [1.5, 2.0]);
        assert_eq!(f.card("score").map(|c| c.detail.clone()), Some(None));
    }

    #[test]
    fn text_events_have_no_sparkline() {
        let mut f = FeedCards::new();
        f.apply(&ev("", "tick 1", ""));
        let card = f.card("message").expect("card");
        assert_eq!(card.text, "tick 1");
        assert_eq!(card.value, None);
        assert_eq!(card.sparkline(), "");
    }

    #[test]
    fn the_sparkline_keeps_the_last_values() {
        let mut f = FeedCards::new();
        for i in 0..200 {
            f.apply(&ev("n", &i.to_string(), &i.to_string()));
        }
        let card = f.card("n").expect("card");
        assert_eq!(card.history.len(), SPARK_MAX);
        assert_eq!(card.history.front(), Some(&140.0));
        assert_eq!(card.sparkline().matches('L').count(), SPARK_MAX - 1);
    }

    #[test]
    fn gaps_are_counted_and_duplicates_dropped_after_a_resume() {
        let mut f = FeedCards::new();
        f.apply(&StreamEvent::Open);
        for id in ["1", "2", "3"] {
            f.apply(&ev("n", id, id));
        }
        f.apply(&StreamEvent::Open);
        assert_eq!(f.apply(&ev("n", "2", "2")), Applied::Duplicate);
        assert_eq!(f.apply(&ev("n", "3", "3")), Applied::Duplicate);
        f.apply(&ev("n", "7", "7"));
        assert_eq!((f.missed, f.last_gap, f.duplicates), (3, 3, 2));
        assert_eq!(
            f.card("n").map(|c| (c.updates, c.text.clone())),
            Some((4, "7".into()))
        );
    }

    #[test]
    fn cards_and_their_texts_are_bounded() {
        let mut f = FeedCards::new();
        for i in 0..(CARDS_MAX + 5) {
            f.apply(&ev(&format!("t{i}"), &"x".repeat(10_000), ""));
        }
        assert_eq!(f.cards().len(), CARDS_MAX);
        assert_eq!(f.unshown, 5);
        assert!(f
            .cards()
            .iter()
            .all(|c| c.text.len() <= TEXT_MAX + '…'.len_utf8()));
        f.apply(&ev(&"e".repeat(1000), "1", ""));
        assert!(f
            .cards()
            .iter()
            .all(|c| c.event_type.len() <= TYPE_MAX + '…'.len_utf8()));
    }
}
