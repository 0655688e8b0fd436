//! The messages tabs exchange about one shared feed (pure): the leader tab's
//! [`StreamEvent`]s, and a newcomer's request for what it missed. Written as compact JSON
//! arrays, so they cross a `BroadcastChannel` as plain strings; anything that does not read
//! back as one of these is ignored by the receiver.

use std::borrow::Cow;

use super::{CloseReason, ErrorKind, Event, Reconnect, StreamError, StreamEvent};
use crate::json::Json;

/// One message on a shared feed's channel.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// From the leader: what its stream reported.
    Event(StreamEvent),
    /// From a tab that just joined, with a name of its own: send me the state so far.
    Hello(String),
    /// From the leader to the one tab that said [`Message::Hello`] with this name.
    To(String, StreamEvent),
}

fn s(text: &str) -> Json<'_> {
    Json::Str(Cow::Borrowed(text))
}

fn n(value: u64) -> Json<'static> {
    Json::Num(value as f64)
}

/// The message as text.
pub fn encode(message: &Message) -> String {
    let value = match message {
        Message::Hello(name) => Json::Arr(vec![s("hello"), s(name)]),
        Message::Event(event) => encode_event(event),
        Message::To(name, event) => Json::Arr(vec![s("to"), s(name), encode_event(event)]),
    };
    value.to_string()
}

fn encode_event(event: &StreamEvent) -> Json<'_> {
    match event {
        StreamEvent::Open => Json::Arr(vec![s("open")]),
        StreamEvent::Event(e) => Json::Arr(vec![s("event"), s(&e.event), s(&e.data), s(&e.id)]),
        StreamEvent::Json(value) => Json::Arr(vec![s("json"), value.clone()]),
        StreamEvent::Retry(ms) => Json::Arr(vec![s("retry"), n(*ms)]),
        // A feed never gets an offer (POST only); were one here, it is no event.
        StreamEvent::Alive | StreamEvent::Offer { .. } | StreamEvent::ReplyEnd(_) => {
            Json::Arr(vec![s("alive")])
        }
        StreamEvent::Closed(reason) => Json::Arr(vec![
            s("closed"),
            s(match reason {
                CloseReason::ByClient => "client",
                CloseReason::EndOfStream => "end",
                CloseReason::NoContent => "no-content",
            }),
        ]),
        StreamEvent::Error(error) => {
            let reconnect = match error.reconnect {
                Reconnect::Never => Json::Arr(vec![s("never")]),
                Reconnect::ByBrowser => Json::Arr(vec![s("browser")]),
                Reconnect::After(ms) => Json::Arr(vec![s("after"), n(ms)]),
                Reconnect::WhenOnline => Json::Arr(vec![s("online")]),
            };
            let kind = match &error.kind {
                ErrorKind::Network => Json::Arr(vec![s("network")]),
                ErrorKind::Offline => Json::Arr(vec![s("offline")]),
                ErrorKind::Refused => Json::Arr(vec![s("refused")]),
                ErrorKind::Http {
                    status,
                    content_type,
                    message,
                    retry_after_ms,
                } => Json::Arr(vec![
                    s("http"),
                    n(u64::from(*status)),
                    s(content_type),
                    s(message),
                    retry_after_ms.map_or(Json::Null, n),
                ]),
                ErrorKind::ContentType { status, received } => {
                    Json::Arr(vec![s("type"), n(u64::from(*status)), s(received)])
                }
                ErrorKind::NoContent => Json::Arr(vec![s("no-content")]),
                ErrorKind::Decode(what) => Json::Arr(vec![s("decode"), s(what)]),
                ErrorKind::BadUrl(what) => Json::Arr(vec![s("bad-url"), s(what)]),
            };
            Json::Arr(vec![s("error"), kind, reconnect])
        }
    }
}

/// The message `text` holds, if it is one.
pub fn decode(text: &str) -> Option<Message> {
    let value = Json::parse(text).ok()?;
    let items = value.as_array()?;
    match items.first()?.as_str()? {
        "hello" => Some(Message::Hello(items.get(1)?.as_str()?.to_string())),
        "to" => Some(Message::To(
            items.get(1)?.as_str()?.to_string(),
            decode_event(items.get(2)?.as_array()?)?,
        )),
        _ => decode_event(items).map(Message::Event),
    }
}

fn decode_event(items: &[Json<'_>]) -> Option<StreamEvent> {
    let tag = items.first()?.as_str()?;
    let str_at = |i: usize| items.get(i).and_then(Json::as_str).map(str::to_string);
    let event = match tag {
        "open" => StreamEvent::Open,
        "alive" => StreamEvent::Alive,
        "event" => StreamEvent::Event(Event {
            event: str_at(1)?,
            data: str_at(2)?,
            id: str_at(3)?,
        }),
        "json" => StreamEvent::Json(items.get(1)?.clone().into_owned()),
        "retry" => StreamEvent::Retry(items.get(1)?.as_u64()?),
        "closed" => StreamEvent::Closed(match str_at(1)?.as_str() {
            "client" => CloseReason::ByClient,
            "end" => CloseReason::EndOfStream,
            "no-content" => CloseReason::NoContent,
            _ => return None,
        }),
        "error" => StreamEvent::Error(StreamError {
            kind: decode_kind(items.get(1)?.as_array()?)?,
            reconnect: decode_reconnect(items.get(2)?.as_array()?)?,
        }),
        _ => return None,
    };
    Some(event)
}

fn decode_kind(items: &[Json<'_>]) -> Option<ErrorKind> {
    let str_at = |i: usize| items.get(i).and_then(Json::as_str).map(str::to_string);
    let status = || items.get(1)?.as_u64().and_then(|v| u16::try_from(v).ok());
    Some(match items.first()?.as_str()? {
        "network" => ErrorKind::Network,
        "offline" => ErrorKind::Offline,
        "refused" => ErrorKind::Refused,
        "http" => ErrorKind::Http {
            status: status()?,
            content_type: str_at(2)?,
            message: str_at(3)?,
            retry_after_ms: items.get(4).and_then(Json::as_u64),
        },
        "type" => ErrorKind::ContentType {
            status: status()?,
            received: str_at(2)?,
        },
        "no-content" => ErrorKind::NoContent,
        "decode" => ErrorKind::Decode(str_at(1)?),
        "bad-url" => ErrorKind::BadUrl(str_at(1)?),
        _ => return None,
    })
}

fn decode_reconnect(items: &[Json<'_>]) -> Option<Reconnect> {
    Some(match items.first()?.as_str()? {
        "never" => Reconnect::Never,
        "browser" => Reconnect::ByBrowser,
        "after" => Reconnect::After(items.get(1)?.as_u64()?),
        "online" => Reconnect::WhenOnline,
        _ => return None,
    })
}

/// What a newcomer is sent so it shows what the other tabs show: the last `Open` or error
/// state and the latest event of each type (at most [`Replay::MAX_TYPES`]), in the order
/// they came. The leader keeps one.
#[derive(Debug, Default)]
pub struct Replay {
    state: Option<StreamEvent>,
    retry: Option<u64>,
    latest: Vec<StreamEvent>,
}

impl Replay {
    /// Event types kept for a newcomer; later new types are not replayed.
    pub const MAX_TYPES: usize = 16;

    /// Notes one event of the leader's stream.
    pub fn note(&mut self, event: &StreamEvent) {
        match event {
            StreamEvent::Open | StreamEvent::Error(_) | StreamEvent::Closed(_) => {
                self.state = Some(event.clone());
            }
            StreamEvent::Retry(ms) => self.retry = Some(*ms),
            StreamEvent::Event(e) => {
                if let Some(i) = self
                    .latest
                    .iter()
                    .position(|old| matches!(old, StreamEvent::Event(o) if o.event == e.event))
                {
                    self.latest.remove(i);
                } else if self.latest.len() >= Self::MAX_TYPES {
                    return;
                }
                self.latest.push(event.clone());
            }
            StreamEvent::Json(_) => {
                self.latest
                    .retain(|old| !matches!(old, StreamEvent::Json(_)));
                self.latest.push(event.clone());
            }
            StreamEvent::Alive | StreamEvent::Offer { .. } | StreamEvent::ReplyEnd(_) => {}
        }
    }

    /// The events to send a newcomer, in order.
    pub fn events(&self) -> Vec<StreamEvent> {
        let mut out = Vec::new();
        let open = matches!(self.state, Some(StreamEvent::Open));
        if open {
            out.push(StreamEvent::Open);
        }
        out.extend(self.retry.map(StreamEvent::Retry));
        out.extend(self.latest.iter().cloned());
        if !open {
            out.extend(self.state.clone());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(kind: &str, data: &str, id: &str) -> StreamEvent {
        StreamEvent::Event(Event {
            event: kind.into(),
            data: data.into(),
            id: id.into(),
        })
    }

    #[test]
    fn every_event_reads_back_as_itself() {
        let all = vec![
            StreamEvent::Open,
            StreamEvent::Alive,
            ev("message", "2026/12/3 10:00:00", ""),
            ev("tick", "line one\nline \"two\" 你好", "42"),
            StreamEvent::Json(
                Json::parse(r#"{"a":[1,true,null,"x"]}"#)
                    .unwrap()
                    .into_owned(),
            ),
            StreamEvent::Retry(10_000),
            StreamEvent::Closed(CloseReason::ByClient),
            StreamEvent::Closed(CloseReason::EndOfStream),
            StreamEvent::Closed(CloseReason::NoContent),
            StreamEvent::error(ErrorKind::Network, Reconnect::After(3000)),
            StreamEvent::error(ErrorKind::Offline, Reconnect::WhenOnline),
            StreamEvent::error(ErrorKind::Refused, Reconnect::ByBrowser),
            StreamEvent::error(
                ErrorKind::Http {
                    status: 503,
                    content_type: "text/plain".into(),
                    message: "busy".into(),
                    retry_after_ms: Some(5000),
                },
                Reconnect::After(5000),
            ),
            StreamEvent::error(
                ErrorKind::Http {
                    status: 500,
                    content_type: String::new(),
                    message: String::new(),
                    retry_after_ms: None,
                },
                Reconnect::Never,
            ),
            StreamEvent::error(
                ErrorKind::ContentType {
                    status: 200,
                    received: "text/html".into(),
                },
                Reconnect::Never,
            ),
            StreamEvent::error(ErrorKind::NoContent, Reconnect::Never),
            StreamEvent::error(ErrorKind::Decode("too large".into()), Reconnect::Never),
            StreamEvent::error(ErrorKind::BadUrl("::".into()), Reconnect::Never),
        ];
        for event in all {
            let message = Message::Event(event);
            assert_eq!(decode(&encode(&message)), Some(message));
        }
        let hello = Message::Hello("tab-7".into());
        assert_eq!(decode(&encode(&hello)), Some(hello));
        let to = Message::To("tab-7".into(), StreamEvent::Retry(3));
        assert_eq!(decode(&encode(&to)), Some(to));
    }

    #[test]
    fn anything_else_is_ignored() {
        for text in [
            "",
            "hello",
            "[]",
            r#"["hello"]"#,
            r#"["to","x",["nope"]]"#,
            "{}",
            r#"["nope"]"#,
            r#"["event","a"]"#,
            r#"["retry","x"]"#,
            r#"["closed","maybe"]"#,
            r#"["error",["http",70000,"","",null],["never"]]"#,
            r#"["error",["network"],["later"]]"#,
        ] {
            assert_eq!(decode(text), None, "{text}");
        }
    }

    #[test]
    fn a_newcomer_gets_the_state_and_the_latest_of_each_type_in_order() {
        let mut r = Replay::default();
        r.note(&StreamEvent::Open);
        r.note(&StreamEvent::Retry(10_000));
        r.note(&ev("connecttime", "t0", ""));
        r.note(&ev("message", "t1", ""));
        r.note(&StreamEvent::Alive);
        r.note(&ev("message", "t2", ""));
        assert_eq!(
            r.events(),
            vec![
                StreamEvent::Open,
                StreamEvent::Retry(10_000),
                ev("connecttime", "t0", ""),
                ev("message", "t2", ""),
            ]
        );
        let lost = StreamEvent::error(ErrorKind::Network, Reconnect::ByBrowser);
        r.note(&lost);
        assert_eq!(r.events().last(), Some(&lost), "the error state comes last");
    }

    #[test]
    fn replay_is_bounded() {
        let mut r = Replay::default();
        for i in 0..100 {
            r.note(&ev(&format!("type{i}"), "x", ""));
        }
        assert_eq!(r.events().len(), Replay::MAX_TYPES);
    }
}
