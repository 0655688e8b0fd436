//! Reading one streamed reply: transport events in, changes to the reply out.
//!
//! Pure: [`ReplyReader`] knows each format's end marker and what a broken stream means,
//! so the view only appends text and sets the end state it is told. The rules:
//! - text is appended as it arrives; nothing received is ever dropped;
//! - the end marker (`[DONE]`/`finish_reason`, `done: true`) then the end of the body →
//!   done; the body ending (or breaking) without it → interrupted, partial kept;
//! - `summary` has no end marker: the server closing the stream is the end, and the
//!   caller must close the EventSource then so its automatic reconnection never asks again;
//! - an error status or an error object in the stream → error, with the server's message;
//! - a malformed piece is skipped and reported, the reply goes on.

use super::conversation::MessageState;
use super::format::{parse_ollama, parse_openai, ChatFormat, Piece};
use crate::i18n::{describe_error, Lang};
use crate::transport::{CloseReason, ErrorKind, Reconnect, StreamEvent};

/// What the view does with the reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyAction {
    /// Append text.
    Append(String),
    /// Note a problem that did not end the reply.
    Warn(String),
    /// End the reply in this state (and close the stream).
    Finish(MessageState, Option<String>),
}

/// Per-reply reading state.
#[derive(Debug, Clone)]
pub struct ReplyReader {
    format: ChatFormat,
    lang: Lang,
    opened: bool,
    saw_end: bool,
    received: usize,
    finished: bool,
}

impl ReplyReader {
    /// A reader for one reply in `format`; messages are worded in `lang`.
    pub fn new(format: ChatFormat, lang: Lang) -> ReplyReader {
        ReplyReader {
            format,
            lang,
            opened: false,
            saw_end: false,
            received: 0,
            finished: false,
        }
    }

    /// True once a finishing action was returned.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// Turns one transport event into actions for the reply.
    pub fn on_event(&mut self, event: &StreamEvent) -> Vec<ReplyAction> {
        if self.finished {
            return Vec::new();
        }
        let mut out = Vec::new();
        match event {
            StreamEvent::Open => self.opened = true,
            StreamEvent::Retry(_) => {}
            StreamEvent::Event(ev) => match self.format {
                ChatFormat::OpenAi => {
                    for piece in parse_openai(&ev.data) {
                        self.piece(piece, &mut out);
                    }
                }
                ChatFormat::Summary => {
                    if ev.event == "message" {
                        self.piece(Piece::Text(ev.data.clone()), &mut out);
                    }
                }
                ChatFormat::Ollama => {}
            },
            StreamEvent::Json(value) => {
                if self.format == ChatFormat::Ollama {
                    for piece in parse_ollama(value) {
                        self.piece(piece, &mut out);
                    }
                }
            }
            StreamEvent::Closed(reason) => {
                let state = match reason {
                    CloseReason::ByClient => MessageState::Stopped,
                    CloseReason::EndOfStream
                        if self.saw_end || self.format == ChatFormat::Summary =>
                    {
                        MessageState::Done
                    }
                    CloseReason::EndOfStream => MessageState::Interrupted,
                    CloseReason::NoContent if self.received > 0 => MessageState::Done,
                    CloseReason::NoContent => {
                        let message = describe_error(&ErrorKind::NoContent, self.lang);
                        self.finish(MessageState::Error, Some(message), &mut out);
                        return out;
                    }
                };
                self.finish(state, None, &mut out);
            }
            StreamEvent::Error(err) => {
                let message = describe_error(&err.kind, self.lang);
                let state = match (&err.kind, err.reconnect) {
                    // EventSource after the server closed the stream: for `summary` that is
                    // the end of the reply (it has no end marker).
                    (ErrorKind::Network, Reconnect::ByBrowser) if self.opened => {
                        if self.format == ChatFormat::Summary && self.received == 0 {
                            let t = crate::i18n::strings(self.lang);
                            self.finish(
                                MessageState::Error,
                                Some(t.chat_empty_reply.to_string()),
                                &mut out,
                            );
                            return out;
                        }
                        if self.format == ChatFormat::Summary || self.saw_end {
                            MessageState::Done
                        } else {
                            MessageState::Interrupted
                        }
                    }
                    (ErrorKind::Network, _) if self.opened && self.saw_end => MessageState::Done,
                    (ErrorKind::Network, _) if self.opened => MessageState::Interrupted,
                    (ErrorKind::Decode(_), _) if self.received > 0 => {
                        self.finish(MessageState::Interrupted, Some(message), &mut out);
                        return out;
                    }
                    _ => {
                        self.finish(MessageState::Error, Some(message), &mut out);
                        return out;
                    }
                };
                self.finish(state, None, &mut out);
            }
        }
        out
    }

    fn piece(&mut self, piece: Piece, out: &mut Vec<ReplyAction>) {
        match piece {
            Piece::Text(text) => {
                self.received += text.len();
                out.push(ReplyAction::Append(text));
            }
            Piece::End => self.saw_end = true,
            Piece::Nothing => {}
            Piece::Malformed(message) => out.push(ReplyAction::Warn(message)),
            Piece::Error(message) => self.finish(MessageState::Error, Some(message), out),
        }
    }

    fn finish(&mut self, state: MessageState, error: Option<String>, out: &mut Vec<ReplyAction>) {
        if !self.finished {
            self.finished = true;
            out.push(ReplyAction::Finish(state, error));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::Event;

    fn json(text: &str) -> crate::json::Json<'static> {
        crate::json::Json::parse(text).expect("json").into_owned()
    }

    fn sse(data: &str) -> StreamEvent {
        StreamEvent::Event(Event {
            event: "message".into(),
            data: data.into(),
            id: String::new(),
        })
    }

    fn run(format: ChatFormat, events: &[StreamEvent]) -> Vec<ReplyAction> {
        let mut r = ReplyReader::new(format, Lang::En);
        events.iter().flat_map(|e| r.on_event(e)).collect()
    }

    const HEL: &str = r#"{"choices":[{"delta":{"content":"Hel"},"finish_reason":null}]}"#;
    const LO: &str = r#"{"choices":[{"delta":{"content":"lo"},"finish_reason":null}]}"#;
    const STOP: &str = r#"{"choices":[{"delta":{},"finish_reason":"stop"}]}"#;

    #[test]
    fn openai_complete_reply_is_done() {
        let actions = run(
            ChatFormat::OpenAi,
            &[
                StreamEvent::Open,
                sse(HEL),
                sse(LO),
                sse(STOP),
                sse("[DONE]"),
                StreamEvent::Closed(CloseReason::EndOfStream),
            ],
        );
        assert_eq!(
            actions,
            [
                ReplyAction::Append("Hel".into()),
                ReplyAction::Append("lo".into()),
                ReplyAction::Finish(MessageState::Done, None)
            ]
        );
    }

    #[test]
    fn openai_body_ending_without_marker_is_interrupted() {
        let actions = run(
            ChatFormat::OpenAi,
            &[
                StreamEvent::Open,
                sse(HEL),
                StreamEvent::Closed(CloseReason::EndOfStream),
            ],
        );
        assert_eq!(
            actions.last(),
            Some(&ReplyAction::Finish(MessageState::Interrupted, None))
        );
        let actions = run(
            ChatFormat::OpenAi,
            &[
                StreamEvent::Open,
                sse(HEL),
                StreamEvent::error(ErrorKind::Network, Reconnect::Never),
            ],
        );
        assert_eq!(
            actions.last(),
            Some(&ReplyAction::Finish(MessageState::Interrupted, None))
        );
    }

    #[test]
    fn http_error_is_an_error_with_the_server_message() {
        let err = StreamEvent::error(
            ErrorKind::Http {
                status: 500,
                content_type: "application/json".into(),
                message: "boom".into(),
            },
            Reconnect::Never,
        );
        assert_eq!(
            run(ChatFormat::Ollama, &[err]),
            [ReplyAction::Finish(
                MessageState::Error,
                Some("HTTP 500: boom".into())
            )]
        );
    }

    #[test]
    fn connection_refused_before_open_is_an_error() {
        let actions = run(
            ChatFormat::OpenAi,
            &[StreamEvent::error(ErrorKind::Network, Reconnect::Never)],
        );
        assert!(
            matches!(&actions[..], [ReplyAction::Finish(MessageState::Error, Some(m))] if m.contains("connection"))
        );
    }

    #[test]
    fn ollama_done_line_then_end_is_done() {
        let actions = run(
            ChatFormat::Ollama,
            &[
                StreamEvent::Open,
                StreamEvent::Json(json(r#"{"message": {"content": "你"}, "done": false}"#)),
                StreamEvent::Json(json(r#"{"message": {"content": ""}, "done": true}"#)),
                StreamEvent::Closed(CloseReason::EndOfStream),
            ],
        );
        assert_eq!(
            actions,
            [
                ReplyAction::Append("你".into()),
                ReplyAction::Finish(MessageState::Done, None)
            ]
        );
    }

    #[test]
    fn summary_ends_when_the_server_closes_and_never_twice() {
        let mut r = ReplyReader::new(ChatFormat::Summary, Lang::En);
        let mut actions = Vec::new();
        for e in [
            StreamEvent::Open,
            sse("chunk one"),
            sse("chunk two"),
            StreamEvent::error(ErrorKind::Network, Reconnect::ByBrowser),
            // If the EventSource were not closed it would reconnect and send it all again.
            StreamEvent::Open,
            sse("chunk one"),
        ] {
            actions.extend(r.on_event(&e));
        }
        assert_eq!(
            actions,
            [
                ReplyAction::Append("chunk one".into()),
                ReplyAction::Append("chunk two".into()),
                ReplyAction::Finish(MessageState::Done, None)
            ]
        );
        assert!(r.is_finished());
    }

    #[test]
    fn summary_closed_without_any_text_is_an_error() {
        let actions = run(
            ChatFormat::Summary,
            &[
                StreamEvent::Open,
                StreamEvent::error(ErrorKind::Network, Reconnect::ByBrowser),
            ],
        );
        assert!(
            matches!(&actions[..], [ReplyAction::Finish(MessageState::Error, Some(m))] if m.contains("without")),
            "{actions:?}"
        );
    }

    #[test]
    fn summary_refused_is_an_error() {
        let actions = run(
            ChatFormat::Summary,
            &[StreamEvent::error(ErrorKind::Refused, Reconnect::Never)],
        );
        assert!(matches!(
            &actions[..],
            [ReplyAction::Finish(MessageState::Error, Some(_))]
        ));
    }

    #[test]
    fn malformed_piece_is_reported_and_skipped() {
        let actions = run(
            ChatFormat::OpenAi,
            &[
                StreamEvent::Open,
                sse(HEL),
                sse(r#"{"choices": ["#),
                sse(LO),
                sse("[DONE]"),
                StreamEvent::Closed(CloseReason::EndOfStream),
            ],
        );
        assert_eq!(actions.len(), 4);
        assert!(matches!(&actions[1], ReplyAction::Warn(m) if m.contains("malformed")));
        assert_eq!(actions[2], ReplyAction::Append("lo".into()));
        assert_eq!(actions[3], ReplyAction::Finish(MessageState::Done, None));
    }

    #[test]
    fn error_object_in_the_stream_keeps_partial_and_ends_in_error() {
        let actions = run(
            ChatFormat::OpenAi,
            &[
                StreamEvent::Open,
                sse(HEL),
                sse(r#"{"error":{"message":"overloaded"}}"#),
            ],
        );
        assert_eq!(
            actions[1],
            ReplyAction::Finish(MessageState::Error, Some("overloaded".into()))
        );
    }

    #[test]
    fn stop_by_client_is_stopped() {
        let actions = run(
            ChatFormat::OpenAi,
            &[
                StreamEvent::Open,
                sse(HEL),
                StreamEvent::Closed(CloseReason::ByClient),
            ],
        );
        assert_eq!(
            actions.last(),
            Some(&ReplyAction::Finish(MessageState::Stopped, None))
        );
    }
}
