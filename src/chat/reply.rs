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
//! - a malformed piece is skipped and reported, the reply goes on;
//! - the model's reasoning is kept apart from the answer: the formats' own reasoning fields,
//!   and inline `<think>…</think>` at the very start of the text (tags split across chunks
//!   included); tool-call fragments and token usage are passed on as they come.

use super::conversation::MessageState;
use super::format::{
    parse_anthropic, parse_ollama, parse_openai, parse_responses, ChatFormat, Piece, ToolDelta,
    Usage,
};
use crate::i18n::{describe_error, Lang};
use crate::transport::{CloseReason, ErrorKind, Reconnect, ReplyEnd, StreamEvent};

/// What the view does with the reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyAction {
    /// Append text to the answer.
    Append(String),
    /// Append text to the model's reasoning (shown apart, never sent back).
    Reason(String),
    /// A fragment of a tool call (accumulate by index).
    Tool(ToolDelta),
    /// Token counts learned (merge into what is known).
    Usage(Usage),
    /// Note a problem that did not end the reply.
    Warn(String),
    /// End the reply in this state (and close the stream).
    Finish(MessageState, Option<String>),
    /// The server asked to wait this many milliseconds (`Retry-After`, capped) before the
    /// reply is asked for again: its Retry waits that long. Comes just before `Finish`.
    RetryAfter(u64),
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
    think: Think,
    /// How the server said the reply ended (`StreamEvent::ReplyEnd`), for the close after it.
    told: Option<ReplyEnd>,
    /// The reply's text so far was read before this reader (a reattached reply).
    had_text: bool,
}

const THINK_OPEN: &str = "<think>";
const THINK_CLOSE: &str = "</think>";

/// Where the answer's text stands with respect to an inline `<think>` block at its start.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Think {
    /// Nothing but (maybe) whitespace and a part of `<think>` yet: held back until it is
    /// clear whether a block opens.
    Undecided(String),
    /// Inside the block; holds back text that may be the start of `</think>`.
    Inside(String),
    /// Just after the block: the answer's leading whitespace is dropped.
    Leading,
    /// The answer proper: text goes straight through.
    Outside,
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
            think: Think::Undecided(String::new()),
            told: None,
            had_text: false,
        }
    }

    /// A reader for a reply reattached after `had_text` (its text so far came before, on
    /// another connection): the stream is taken as open, and an end with nothing more is
    /// not an empty reply.
    pub fn reattached(format: ChatFormat, lang: Lang, had_text: bool) -> ReplyReader {
        let mut reader = ReplyReader::new(format, lang);
        reader.opened = true;
        reader.had_text = had_text;
        reader
    }

    /// True once a finishing action was returned.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// True once the format's end marker was read (the reply is complete).
    pub fn saw_end(&self) -> bool {
        self.saw_end
    }

    /// Turns one transport event into actions for the reply.
    pub fn on_event(&mut self, event: &StreamEvent) -> Vec<ReplyAction> {
        if self.finished {
            return Vec::new();
        }
        let mut out = Vec::new();
        match event {
            StreamEvent::Open => self.opened = true,
            StreamEvent::Retry(_) | StreamEvent::Alive | StreamEvent::Offer { .. } => {}
            StreamEvent::ReplyEnd(end) => self.told = Some(*end),
            StreamEvent::Closed(CloseReason::EndOfStream | CloseReason::NoContent)
                if self.told.is_some() =>
            {
                // The server said how the reply ended: that wins over what the stream
                // showed (a reload may have come between the last event and its end).
                let state = match self.told {
                    Some(ReplyEnd::Stopped) => MessageState::Stopped,
                    Some(ReplyEnd::Failed) => MessageState::Interrupted,
                    _ if self.received == 0
                        && !self.had_text
                        && self.format == ChatFormat::Summary =>
                    {
                        self.finish_empty(&mut out);
                        return out;
                    }
                    _ => MessageState::Done,
                };
                self.finish(state, None, &mut out);
            }
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
                ChatFormat::Anthropic => {
                    for piece in parse_anthropic(&ev.event, &ev.data) {
                        self.piece(piece, &mut out);
                    }
                }
                ChatFormat::Responses => {
                    for piece in parse_responses(&ev.event, &ev.data) {
                        self.piece(piece, &mut out);
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
                if let ErrorKind::Http {
                    retry_after_ms: Some(ms),
                    ..
                } = err.kind
                {
                    out.push(ReplyAction::RetryAfter(ms));
                }
                let state = match (&err.kind, err.reconnect) {
                    // EventSource after the server closed the stream: for `summary` that is
                    // the end of the reply (it has no end marker).
                    (ErrorKind::Network, Reconnect::ByBrowser) if self.opened => {
                        if self.format == ChatFormat::Summary && self.received == 0 {
                            self.finish_empty(&mut out);
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
                self.text(text, out);
            }
            Piece::Reasoning(text) => {
                self.received += text.len();
                out.push(ReplyAction::Reason(text));
            }
            Piece::Tool(delta) => {
                self.received += 1;
                out.push(ReplyAction::Tool(delta));
            }
            Piece::Usage(usage) => out.push(ReplyAction::Usage(usage)),
            Piece::End => self.saw_end = true,
            Piece::Nothing => {}
            Piece::Malformed(message) => out.push(ReplyAction::Warn(message)),
            Piece::Error(message) => self.finish(MessageState::Error, Some(message), out),
        }
    }

    /// The answer's text, with an inline `<think>` block at its start split off.
    fn text(&mut self, text: String, out: &mut Vec<ReplyAction>) {
        match &mut self.think {
            Think::Outside => out.push(ReplyAction::Append(text)),
            Think::Leading => {
                let answer = text.trim_start();
                if !answer.is_empty() {
                    out.push(ReplyAction::Append(answer.to_string()));
                    self.think = Think::Outside;
                }
            }
            Think::Undecided(held) => {
                held.push_str(&text);
                let start = held.trim_start();
                if let Some(rest) = start.strip_prefix(THINK_OPEN) {
                    let rest = rest.to_string();
                    self.think = Think::Inside(String::new());
                    self.thought(rest, out);
                } else if !THINK_OPEN.starts_with(start) {
                    let held = std::mem::take(held);
                    self.think = Think::Outside;
                    out.push(ReplyAction::Append(held));
                }
            }
            Think::Inside(_) => self.thought(text, out),
        }
    }

    /// Text inside an inline `<think>` block: reasoning up to `</think>`, the answer after.
    fn thought(&mut self, text: String, out: &mut Vec<ReplyAction>) {
        let Think::Inside(held) = &mut self.think else {
            return;
        };
        held.push_str(&text);
        if let Some(at) = held.find(THINK_CLOSE) {
            let thought = held[..at].to_string();
            let answer = held[at + THINK_CLOSE.len()..].to_string();
            if !thought.is_empty() {
                out.push(ReplyAction::Reason(thought));
            }
            // The blank lines between the block and the answer are not the answer's.
            self.think = Think::Leading;
            self.text(answer, out);
            return;
        }
        // Keep back what could be the start of `</think>`; the rest is reasoning now.
        let keep = (1..THINK_CLOSE.len())
            .rev()
            .find(|&n| {
                held.len() >= n
                    && held.is_char_boundary(held.len() - n)
                    && THINK_CLOSE.starts_with(&held[held.len() - n..])
            })
            .unwrap_or(0);
        let ready = held.len() - keep;
        if ready > 0 {
            let thought: String = held.drain(..ready).collect();
            out.push(ReplyAction::Reason(thought));
        }
    }

    /// What was held back while deciding about a `<think>` block, at the reply's end.
    fn flush_held(&mut self, out: &mut Vec<ReplyAction>) {
        match std::mem::replace(&mut self.think, Think::Outside) {
            Think::Undecided(held) if !held.is_empty() => out.push(ReplyAction::Append(held)),
            Think::Inside(held) if !held.is_empty() => out.push(ReplyAction::Reason(held)),
            _ => {}
        }
    }

    /// Ends a summary reply that brought nothing: an error saying so.
    fn finish_empty(&mut self, out: &mut Vec<ReplyAction>) {
        let t = crate::i18n::strings(self.lang);
        self.finish(
            MessageState::Error,
            Some(t.chat_empty_reply.to_string()),
            out,
        );
    }

    fn finish(&mut self, state: MessageState, error: Option<String>, out: &mut Vec<ReplyAction>) {
        if !self.finished {
            self.flush_held(out);
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
    fn retry_after_comes_with_the_error() {
        let err = StreamEvent::error(
            ErrorKind::Http {
                status: 503,
                content_type: "text/plain".into(),
                message: "busy".into(),
                retry_after_ms: Some(3_000),
            },
            Reconnect::Never,
        );
        assert_eq!(
            run(ChatFormat::OpenAi, &[err]),
            [
                ReplyAction::RetryAfter(3_000),
                ReplyAction::Finish(MessageState::Error, Some("HTTP 503: busy".into()))
            ]
        );
    }

    #[test]
    fn http_error_is_an_error_with_the_server_message() {
        let err = StreamEvent::error(
            ErrorKind::Http {
                status: 500,
                content_type: "application/json".into(),
                message: "boom".into(),
                retry_after_ms: None,
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
    fn a_resume_that_is_told_how_the_reply_ended_ends_so() {
        let text = [StreamEvent::Open, sse(HEL), sse(LO)];
        let ended = |end: ReplyEnd| {
            let mut events = text.to_vec();
            events.push(StreamEvent::ReplyEnd(end));
            // rill-server's 204, mapped to the end of the stream by the controller.
            events.push(StreamEvent::Closed(CloseReason::EndOfStream));
            run(ChatFormat::OpenAi, &events).pop()
        };
        assert_eq!(
            ended(ReplyEnd::Done),
            Some(ReplyAction::Finish(MessageState::Done, None)),
            "every event was read but the end marker: done, not interrupted"
        );
        assert_eq!(
            ended(ReplyEnd::Stopped),
            Some(ReplyAction::Finish(MessageState::Stopped, None))
        );
        assert_eq!(
            ended(ReplyEnd::Failed),
            Some(ReplyAction::Finish(MessageState::Interrupted, None))
        );
        // Not told: as before.
        let mut events = text.to_vec();
        events.push(StreamEvent::Closed(CloseReason::EndOfStream));
        assert_eq!(
            run(ChatFormat::OpenAi, &events).pop(),
            Some(ReplyAction::Finish(MessageState::Interrupted, None))
        );
    }

    #[test]
    fn a_reattached_reply_told_done_is_done_and_a_new_empty_summary_is_not() {
        let told = [
            StreamEvent::ReplyEnd(ReplyEnd::Done),
            StreamEvent::Closed(CloseReason::NoContent),
        ];
        let mut r = ReplyReader::reattached(ChatFormat::Summary, Lang::En, true);
        let actions: Vec<_> = told.iter().flat_map(|e| r.on_event(e)).collect();
        assert_eq!(actions, [ReplyAction::Finish(MessageState::Done, None)]);
        let mut r = ReplyReader::new(ChatFormat::Summary, Lang::En);
        let actions: Vec<_> = [StreamEvent::Open]
            .iter()
            .chain(&told)
            .flat_map(|e| r.on_event(e))
            .collect();
        assert!(
            matches!(
                &actions[..],
                [ReplyAction::Finish(MessageState::Error, Some(_))]
            ),
            "{actions:?}"
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

    /// The reasoning and the answer a reader makes of `chunks` of OpenAI content.
    fn split(chunks: &[&str]) -> (String, String) {
        let mut events = vec![StreamEvent::Open];
        for c in chunks {
            let data = crate::json::Json::obj([(
                "choices",
                crate::json::Json::Arr(vec![crate::json::Json::obj([(
                    "delta",
                    crate::json::Json::obj([("content", (*c).into())]),
                )])]),
            )])
            .to_string();
            events.push(sse(&data));
        }
        events.push(sse(STOP));
        events.push(StreamEvent::Closed(CloseReason::EndOfStream));
        let (mut reason, mut answer) = (String::new(), String::new());
        for action in run(ChatFormat::OpenAi, &events) {
            match action {
                ReplyAction::Reason(t) => reason.push_str(&t),
                ReplyAction::Append(t) => answer.push_str(&t),
                ReplyAction::Finish(state, _) => assert_eq!(state, MessageState::Done),
                _ => {}
            }
        }
        (reason, answer)
    }

    #[test]
    fn inline_think_block_is_reasoning_not_answer() {
        let want = ("Let me count: 2.".to_string(), "Two.".to_string());
        assert_eq!(split(&["<think>Let me count: 2.</think>\n\nTwo."]), want);
        assert_eq!(
            split(&[
                "<thi",
                "nk>Let me ",
                "count: 2.</th",
                "ink>",
                "\n\n",
                "Two."
            ]),
            want
        );
        assert_eq!(
            split(&["\n<think>", "Let me count: 2.", "<", "/think>Two."]),
            want
        );
        // Not at the start: it is the answer's text.
        assert_eq!(
            split(&["Say <think> to me"]),
            (String::new(), "Say <think> to me".into())
        );
        // Text that only looks like the start of a tag, then is not.
        assert_eq!(split(&["<th", "ere"]), (String::new(), "<there".into()));
        // A block never closed: all of it is reasoning, nothing is lost.
        assert_eq!(
            split(&["<think>still going</thi"]),
            ("still going</thi".into(), String::new())
        );
        // Held back text (a lone `<`) still arrives at the end.
        assert_eq!(split(&["<"]), (String::new(), "<".into()));
    }

    #[test]
    fn reasoning_tool_and_usage_actions_pass_through() {
        let reason = r#"{"choices":[{"delta":{"reasoning_content":"hmm"},"finish_reason":null}]}"#;
        let tool = r#"{"choices":[{"delta":{"tool_calls":[{"index":0,"id":"c","function":{"name":"f","arguments":"{}"}}]},"finish_reason":"tool_calls"}]}"#;
        let usage = r#"{"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2}}"#;
        let actions = run(
            ChatFormat::OpenAi,
            &[
                StreamEvent::Open,
                sse(reason),
                sse(tool),
                sse(usage),
                sse("[DONE]"),
                StreamEvent::Closed(CloseReason::EndOfStream),
            ],
        );
        assert_eq!(actions.len(), 4, "{actions:?}");
        assert_eq!(actions[0], ReplyAction::Reason("hmm".into()));
        assert!(matches!(&actions[1], ReplyAction::Tool(d) if d.name.as_deref() == Some("f")));
        assert!(matches!(&actions[2], ReplyAction::Usage(u) if u.output == Some(2)));
        // A reply that ends in tool calls is done, not an error.
        assert_eq!(actions[3], ReplyAction::Finish(MessageState::Done, None));
    }

    #[test]
    fn anthropic_reply_reads_to_done() {
        let ev = |name: &str, data: &str| {
            StreamEvent::Event(Event {
                event: name.into(),
                data: data.into(),
                id: String::new(),
            })
        };
        let actions = run(
            ChatFormat::Anthropic,
            &[
                StreamEvent::Open,
                ev(
                    "content_block_delta",
                    r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}"#,
                ),
                ev("message_stop", r#"{"type":"message_stop"}"#),
                StreamEvent::Closed(CloseReason::EndOfStream),
            ],
        );
        assert_eq!(
            actions,
            [
                ReplyAction::Append("Hi".into()),
                ReplyAction::Finish(MessageState::Done, None)
            ]
        );
        // Cut before message_stop: interrupted, the text kept.
        let actions = run(
            ChatFormat::Anthropic,
            &[
                StreamEvent::Open,
                ev(
                    "content_block_delta",
                    r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}"#,
                ),
                StreamEvent::Closed(CloseReason::EndOfStream),
            ],
        );
        assert_eq!(
            actions[1],
            ReplyAction::Finish(MessageState::Interrupted, None)
        );
    }

    #[cfg(not(target_arch = "wasm32"))]
    proptest::proptest! {
        /// However the text is cut into chunks, the reader splits it the same way.
        #[test]
        fn think_split_does_not_depend_on_chunking(
            thought in "[a-z <>/]{0,20}",
            answer in "[a-z <>]{0,20}",
            cuts in proptest::collection::vec(0usize..60, 0..8),
        ) {
            let thought = thought.replace("</think>", "");
            let whole = format!("<think>{thought}</think>{answer}");
            let mut at: Vec<usize> = cuts.into_iter().filter(|c| *c < whole.len()).collect();
            at.sort_unstable();
            at.dedup();
            let mut chunks = Vec::new();
            let mut from = 0;
            for c in at {
                chunks.push(&whole[from..c]);
                from = c;
            }
            chunks.push(&whole[from..]);
            let (r, a) = split(&chunks);
            let (r1, a1) = split(&[whole.as_str()]);
            proptest::prop_assert_eq!(&r, &r1);
            proptest::prop_assert_eq!(&a, &a1);
            proptest::prop_assert_eq!(r, thought);
            proptest::prop_assert_eq!(a, answer.trim_start());
        }
    }
}
