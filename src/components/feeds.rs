//! Pinned feeds, shown in the clock view: each pinned URL read over fetch (every event type
//! arrives, and a resume sends `Last-Event-ID`), its latest value per event type as a card
//! updated in place, a sparkline for numbers, the events missed and the repeats dropped.
//!
//! The model ([`FeedCards`]) is pure; this file only renders it and owns, per feed, its
//! connection (closed when the feed is unpinned or the view goes). A notification for a
//! chosen event type is asked for on a click only, never on load, and shown only while the
//! page is hidden (on screen, the card says it already).

use leptos::prelude::*;

use crate::browser::{self, notify};
use crate::clock::ConnState;
use crate::feeds::pins::{self, PinRefusal, Pins};
use crate::feeds::{sparkline, Applied, FeedCards};
use crate::i18n::{feed_card_strings, feed_strings, FeedCardStrings, Lang};
use crate::transport::{Reconnect, StreamEvent, StreamHandle, Transport};

/// The pins saved in this browser.
pub fn load_pins() -> Pins {
    browser::storage_get(pins::KEY)
        .map(|text| Pins::parse(&text))
        .unwrap_or_default()
}

/// Saves `pins` (a blocked storage keeps them for this page only).
pub fn save_pins(pins: &Pins) {
    browser::storage_set(pins::KEY, &pins.to_text());
}

/// Why pinning was refused, in words.
pub fn refusal_text(refusal: PinRefusal, t: &FeedCardStrings) -> &'static str {
    match refusal {
        PinRefusal::Empty => t.refused_empty,
        PinRefusal::TooLong => t.refused_long,
        PinRefusal::AlreadyPinned => t.refused_pinned,
        PinRefusal::Full => t.refused_full,
    }
}

/// What the notify button could not do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NotifyNote {
    Denied,
    Unsupported,
}

/// Every pinned feed, in pin order.
#[component]
pub fn PinnedFeeds(pins: RwSignal<Pins>, lang: Signal<Lang>) -> impl IntoView {
    let t = move || feed_card_strings(lang.get());
    let urls = move || pins.with(|p| p.feeds.iter().map(|f| f.url.clone()).collect::<Vec<_>>());
    view! {
        <Show when=move || pins.with(|p| !p.feeds.is_empty())>
            <section class="rill-feeds" aria-labelledby="feeds-title" data-testid="feeds">
                <h2 id="feeds-title" class="rill-feeds-title">{move || t().pinned_title}</h2>
                <For each=urls key=|url| url.clone() let(url)>
                    <FeedPanel url=url pins=pins lang=lang />
                </For>
            </section>
        </Show>
    }
}

/// One pinned feed: its connection, state, notes and cards.
#[component]
fn FeedPanel(url: String, pins: RwSignal<Pins>, lang: Signal<Lang>) -> impl IntoView {
    let t = move || feed_card_strings(lang.get());
    let cards = RwSignal::new(FeedCards::new());
    let state = RwSignal::new(ConnState::Connecting);
    let note = RwSignal::new(None::<NotifyNote>);
    let connection = StoredValue::new_local(None::<StreamHandle>);
    let url = StoredValue::new(url);
    let notify_type = Memo::new(move |_| {
        let url = url.get_value();
        pins.with(|p| {
            p.feeds
                .iter()
                .find(|f| f.url == url)
                .and_then(|f| f.notify.clone())
        })
    });

    let sink = move |event: StreamEvent| {
        let next = match &event {
            StreamEvent::Open => Some(ConnState::Open),
            StreamEvent::Error(e) if e.reconnect == Reconnect::Never => Some(ConnState::Error),
            StreamEvent::Error(_) => Some(ConnState::Reconnecting),
            StreamEvent::Closed(_) => Some(ConnState::Closed),
            _ => None,
        };
        if let Some(next) = next {
            if state.try_get_untracked() != Some(next) {
                let _ = state.try_set(next);
            }
        }
        if matches!(event, StreamEvent::Retry(_)) {
            return;
        }
        let applied = cards.try_update(|c| c.apply(&event));
        if let Some(Applied::Card(i)) = applied {
            let chosen = notify_type.try_get_untracked().flatten();
            let card = cards
                .try_with_untracked(|c| {
                    c.cards()
                        .get(i)
                        .map(|c| (c.event_type.clone(), c.text.clone()))
                })
                .flatten();
            if let (Some(chosen), Some((kind, text))) = (chosen, card) {
                if kind == chosen && notify::page_hidden() {
                    let url = url.get_value();
                    notify::show(
                        &format!("{kind} · {url}"),
                        &text,
                        &format!("rill-feed {url} {kind}"),
                    );
                }
            }
        }
    };
    match StreamHandle::open_feed(Transport::Fetch, &url.get_value(), &[], sink) {
        Ok(handle) => connection.set_value(Some(handle)),
        Err(event) => {
            state.set(ConnState::Error);
            cards.update(|c| {
                c.apply(&event);
            });
        }
    }
    on_cleanup(move || {
        connection.try_set_value(None);
    });

    let toggle_notify = move |kind: String| {
        if notify_type.get_untracked().as_deref() == Some(kind.as_str()) {
            pins.update(|p| p.set_notify(&url.get_value(), None));
            pins.with_untracked(save_pins);
            return;
        }
        // Asked here, from the click, and nowhere else.
        leptos::task::spawn_local(async move {
            let answer = notify::request().await;
            let note_now = match answer {
                notify::Permission::Granted => {
                    let _ = pins.try_update(|p| p.set_notify(&url.get_value(), Some(&kind)));
                    pins.try_with_untracked(save_pins);
                    None
                }
                notify::Permission::Denied => Some(NotifyNote::Denied),
                notify::Permission::Unsupported => Some(NotifyNote::Unsupported),
                notify::Permission::Ask => None,
            };
            let _ = note.try_set(note_now);
        });
    };
    let unpin = move |_| {
        connection.set_value(None);
        pins.update(|p| p.remove(&url.get_value()));
        pins.with_untracked(save_pins);
    };

    let types = move || cards.with(FeedCards::types);
    let missed = move || cards.with(|c| c.missed);
    let duplicates = move || cards.with(|c| c.duplicates);
    let state_label = move || {
        let f = feed_strings(lang.get());
        match state.get() {
            ConnState::Connecting => f.state_connecting,
            ConnState::Open => f.state_open,
            ConnState::Reconnecting => f.state_reconnecting,
            ConnState::Closed => f.state_closed,
            ConnState::Error => f.state_error,
            ConnState::Stalled => f.state_stalled,
        }
    };

    view! {
        <article class="rill-card rill-feed" data-testid="feed" data-url=url.get_value()>
            <div class="rill-feed-head">
                <h3 class="rill-feed-url">{url.get_value()}</h3>
                <span class="rill-feed-state" data-testid="feed-state" data-state=move || state.get().as_str()>
                    {state_label}
                </span>
                <button type="button" class="rill-btn" data-testid="feed-unpin" on:click=unpin>
                    {move || t().unpin}
                </button>
            </div>
            <Show when=move || { missed() > 0 || duplicates() > 0 }>
                <p class="rill-feed-notes">
                    <Show when=move || { missed() > 0 }>
                        <span class="rill-feed-gap" data-testid="feed-gap" data-missed=move || missed().to_string()>
                            {move || format!("{} {} {}", t().missed_before, missed(), t().missed_after)}
                        </span>
                    </Show>
                    <Show when=move || { duplicates() > 0 }>
                        <span data-testid="feed-duplicates" data-count=move || duplicates().to_string()>
                            {move || format!("{} {}", duplicates(), t().duplicates_after)}
                        </span>
                    </Show>
                </p>
            </Show>
            {move || {
                note.get()
                    .map(|n| {
                        let text = move || match n {
                            NotifyNote::Denied => t().notify_denied,
                            NotifyNote::Unsupported => t().notify_unsupported,
                        };
                        view! { <p class="rill-feed-note" role="status">{text}</p> }
                    })
            }}
            <Show
                when=move || cards.with(|c| !c.cards().is_empty())
                fallback=move || view! { <p class="rill-muted">{move || t().waiting}</p> }
            >
                <ul class="rill-feed-cards">
                    <For each=types key=|kind| kind.clone() let(kind)>
                        <FeedCardView kind=kind cards=cards notify_type=notify_type toggle=toggle_notify lang=lang />
                    </For>
                </ul>
            </Show>
        </article>
    }
}

/// One card: an event type's latest value, updated in place.
#[component]
fn FeedCardView(
    kind: String,
    cards: RwSignal<FeedCards>,
    notify_type: Memo<Option<String>>,
    toggle: impl Fn(String) + Copy + 'static,
    lang: Signal<Lang>,
) -> impl IntoView {
    let t = move || feed_card_strings(lang.get());
    let kind = StoredValue::new(kind);
    let read = move |f: &dyn Fn(&crate::feeds::Card) -> String| {
        cards.with(|c| c.card(&kind.get_value()).map(f).unwrap_or_default())
    };
    let text = move || read(&|c| c.text.clone());
    let detail = move || read(&|c| c.detail.clone().unwrap_or_default());
    let updates = move || read(&|c| c.updates.to_string());
    let path = move || read(&|c| c.sparkline());
    let numeric = move || {
        cards.with(|c| {
            c.card(&kind.get_value())
                .is_some_and(|c| !c.history.is_empty())
        })
    };
    let on = move || notify_type.get().as_deref() == Some(kind.get_value().as_str());
    let view_box = format!("0 0 {} {}", sparkline::WIDTH, sparkline::HEIGHT);

    view! {
        <li class="rill-feed-card" data-testid="feed-card" data-event-type=kind.get_value() data-updates=updates>
            <div class="rill-feed-card-head">
                <h4 class="rill-feed-type">{kind.get_value()}</h4>
                <button
                    type="button"
                    class="rill-btn rill-feed-notify"
                    data-testid="feed-notify"
                    aria-pressed=move || on().to_string()
                    aria-label=move || format!("{} ({})", if on() { t().notify_on } else { t().notify }, kind.get_value())
                    on:click=move |_| toggle(kind.get_value())
                >
                    {move || if on() { t().notify_on } else { t().notify }}
                </button>
            </div>
            <p class="rill-feed-value" data-testid="feed-card-value">{text}</p>
            <p class="rill-feed-detail">{detail}</p>
            <Show when=numeric>
                <svg
                    class="rill-feed-spark"
                    data-testid="feed-sparkline"
                    viewBox=view_box.clone()
                    preserveAspectRatio="none"
                    aria-hidden="true"
                    focusable="false"
                >
                    <path d=path vector-effect="non-scaling-stroke"></path>
                </svg>
            </Show>
            <p class="rill-feed-updates">{move || format!("{}: {}", t().updates, updates())}</p>
        </li>
    }
}
