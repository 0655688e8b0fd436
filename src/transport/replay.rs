//! Plays a [`Recording`] back on the page's clock: each step handed on at its recorded time
//! after the start (or all of them at once, a few hundred per task turn, as fast as
//! possible), stamped with the time it was recorded at relative to the replay's start, so a
//! replay gives the same times — and the same decoding and diagnosis — whatever its pace.
//!
//! [`ReplayTask`] owns the task (and so every timer): dropping it stops the replay and the
//! callbacks are not called again. [`ReplayStream`] turns the steps into the
//! [`StreamEvent`]s a live fetch stream would have sent, through the same body decoder
//! ([`super::body::BodyDecoder`]), for the clock view and the chat.

use std::cell::Cell;
use std::rc::Rc;

use super::body::BodyDecoder;
use super::response::{check, BodyFormat};
use super::{CloseReason, ErrorKind, Reconnect, StreamEvent};
use crate::browser::{now_ms, sleep_ms, Task};
use crate::inspect::recording::{Recording, Step};
use crate::inspect::{End, Format};

/// Steps handed on per task turn when playing as fast as possible (the page stays
/// responsive between turns).
const FAST_BATCH: usize = 256;

/// A running replay; stopped on drop.
pub struct ReplayTask {
    task: Task,
    /// Cleared on close: a step already under way hands on nothing more.
    alive: Rc<Cell<bool>>,
}

impl Drop for ReplayTask {
    fn drop(&mut self) {
        self.alive.set(false);
    }
}

impl ReplayTask {
    /// Stops now (safe inside a callback of its own); the callbacks are not called again.
    pub fn close(&self) {
        self.alive.set(false);
        self.task.abort();
    }

    /// Plays `recording`: `on_step(at_ms, step)` for each step, then `on_done(end_ms)`.
    /// Recorded pace waits for each step's time after now; `fast` hands them all on in turns,
    /// timed as if the recording had ended now.
    pub fn start(
        recording: Rc<Recording>,
        fast: bool,
        mut on_step: impl FnMut(f64, &Step) + 'static,
        on_done: impl FnOnce(f64) + 'static,
    ) -> ReplayTask {
        let alive = Rc::new(Cell::new(true));
        let running = alive.clone();
        let task = Task::spawn(async move {
            let start = now_ms();
            let base = if fast {
                start - recording.duration_ms()
            } else {
                start
            };
            for (n, (t, step)) in recording.steps().iter().enumerate() {
                if fast {
                    if n > 0 && n % FAST_BATCH == 0 {
                        sleep_ms(0.0).await;
                    }
                } else {
                    let wait = base + t - now_ms();
                    if wait > 0.0 {
                        sleep_ms(wait).await;
                    }
                }
                if !running.get() {
                    return;
                }
                on_step(base + t, step);
            }
            if running.get() {
                on_done(base + recording.duration_ms());
            }
        });
        ReplayTask { task, alive }
    }
}

/// A recording played as a stream's events; stopped on drop.
pub struct ReplayStream {
    task: ReplayTask,
    alive: Rc<Cell<bool>>,
}

impl Drop for ReplayStream {
    fn drop(&mut self) {
        self.alive.set(false);
    }
}

impl ReplayStream {
    /// Stops now (safe inside its own sink); the sink is not called again.
    pub fn close(&self) {
        self.alive.set(false);
        self.task.close();
    }

    /// Plays `recording` into `sink` as a fetch stream of `format` would have reported it:
    /// `Open` for a good response (or the same error for a bad one), each read through the
    /// live decoder, a drop before each later attempt, and `Closed` at the end.
    pub fn open(
        recording: Rc<Recording>,
        fast: bool,
        sink: impl FnMut(StreamEvent) + 'static,
    ) -> ReplayStream {
        let format = match recording.request.format {
            Format::Sse => BodyFormat::EventStream,
            Format::Ndjson => BodyFormat::Ndjson,
        };
        let sink = Rc::new(std::cell::RefCell::new(sink));
        let done_sink = sink.clone();
        let mut player = Player::new(format);
        let steps = sink.clone();
        let alive = Rc::new(Cell::new(true));
        let (step_alive, done_alive) = (alive.clone(), alive.clone());
        let task = ReplayTask::start(
            recording,
            fast,
            move |_, step| {
                let mut out = Vec::new();
                player.step(step, &mut out);
                for event in out {
                    // The sink may close the stream (a chat reply's end) mid-read.
                    if !step_alive.get() {
                        return;
                    }
                    (*steps.borrow_mut())(event);
                }
            },
            move |_| {
                if done_alive.get() {
                    (*done_sink.borrow_mut())(StreamEvent::Closed(CloseReason::EndOfStream));
                }
            },
        );
        ReplayStream { task, alive }
    }
}

/// The events of each step (pure but for the decoder's state).
struct Player {
    format: BodyFormat,
    decoder: BodyDecoder,
    /// The current attempt was refused or failed to decode: its reads are not events.
    refused: bool,
    attempts: u32,
}

impl Player {
    fn new(format: BodyFormat) -> Player {
        Player {
            format,
            decoder: BodyDecoder::new(format, rill_sse::decode::DEFAULT_MAX_BUFFER, None),
            refused: false,
            attempts: 0,
        }
    }

    fn step(&mut self, step: &Step, out: &mut Vec<StreamEvent>) {
        match step {
            Step::Request => {
                if self.attempts > 0 {
                    // A live stream reports the drop before its next attempt.
                    out.push(StreamEvent::error(ErrorKind::Network, Reconnect::After(0)));
                }
                self.attempts += 1;
                self.refused = false;
                self.decoder.restart();
            }
            Step::Response { status, headers } => {
                let content_type = headers
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case("content-type"))
                    .map_or("", |(_, v)| v.as_str());
                match check(*status, content_type, self.format, String::new) {
                    Ok(()) => out.push(StreamEvent::Open),
                    Err(rejection) => {
                        self.refused = true;
                        out.push(StreamEvent::error(rejection.kind, Reconnect::Never));
                    }
                }
            }
            Step::Read(bytes) => {
                if self.refused {
                    return;
                }
                if let Err(message) = self.decoder.push(bytes, &mut |e| out.push(e)) {
                    self.refused = true;
                    out.push(StreamEvent::error(
                        ErrorKind::Decode(message),
                        Reconnect::Never,
                    ));
                }
            }
            Step::End(end) => {
                if !self.refused {
                    if let Err(message) = self.decoder.finish(&mut |e| out.push(e)) {
                        out.push(StreamEvent::error(
                            ErrorKind::Decode(message),
                            Reconnect::Never,
                        ));
                    }
                }
                if matches!(end, End::Failed { .. }) && !self.refused {
                    self.refused = true;
                }
            }
        }
    }
}

/// Why a recording could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplayFailure {
    /// `?replay=` named another origin (a recording is loaded only from the page's own).
    NotSameOrigin,
    /// The server answered this status.
    Status(u16),
    /// The request failed (the browser's message).
    Network(String),
    /// The file is not a recording this rill reads (the reader's message, naming the line
    /// and field).
    Bad(String),
}

/// Reads a recording's text; a bad one is [`ReplayFailure::Bad`].
pub fn parse_recording(text: &str) -> Result<Recording, ReplayFailure> {
    Recording::read(text).map_err(|e| ReplayFailure::Bad(e.to_string()))
}

/// Fetches the recording at `src`, which must be on the page's own origin.
pub async fn fetch_recording(src: &str) -> Result<Recording, ReplayFailure> {
    let here = crate::browser::url::origin_of("./");
    if here.is_none() || crate::browser::url::origin_of(src) != here {
        return Err(ReplayFailure::NotSameOrigin);
    }
    let init = crate::browser::FetchInit {
        method: "GET",
        headers: Vec::new(),
        body: None,
        signal: None,
        with_credentials: false,
    };
    let response = crate::browser::fetch(src, init)
        .await
        .map_err(|e| match e {
            crate::browser::FetchError::Network(m) | crate::browser::FetchError::Invalid(m) => {
                ReplayFailure::Network(m)
            }
        })?;
    if !response.ok() {
        return Err(ReplayFailure::Status(response.status()));
    }
    // A redirect could lead elsewhere: the answer must come from this origin too.
    if crate::browser::url::origin_of(&response.url()) != here {
        return Err(ReplayFailure::NotSameOrigin);
    }
    parse_recording(&crate::browser::response_text(&response).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn play(format: BodyFormat, steps: &[Step]) -> Vec<String> {
        let mut player = Player::new(format);
        let mut out = Vec::new();
        for step in steps {
            player.step(step, &mut out);
        }
        out.into_iter()
            .map(|e| match e {
                StreamEvent::Open => "open".to_string(),
                StreamEvent::Event(ev) => format!("event {} {}", ev.id, ev.data),
                StreamEvent::Alive => "alive".into(),
                StreamEvent::Error(err) => format!("error {:?} {:?}", err.kind, err.reconnect),
                _ => "other".into(),
            })
            .collect()
    }

    fn ok(ct: &str) -> Step {
        Step::Response {
            status: 200,
            headers: vec![("Content-Type".into(), ct.into())],
        }
    }

    #[test]
    fn reads_become_the_events_a_live_stream_gives_across_a_reconnect() {
        let got = play(
            BodyFormat::EventStream,
            &[
                Step::Request,
                ok("text/event-stream"),
                Step::Read(b"id: 1\ndata: a\xc3".to_vec()),
                Step::Read(b"\xa9\n\n: hb\n\n".to_vec()),
                Step::End(End::ServerClosed),
                Step::Request,
                ok("text/event-stream"),
                Step::Read(b"data: b\n\n".to_vec()),
            ],
        );
        assert_eq!(
            got,
            vec![
                "open",
                "alive",
                "event 1 aé",
                "error Network After(0)",
                "open",
                // The id carries on, as the live decoder's does.
                "event 1 b",
            ]
        );
    }

    #[test]
    fn a_refused_answer_is_its_error_and_its_body_no_events() {
        let got = play(
            BodyFormat::EventStream,
            &[
                Step::Request,
                Step::Response {
                    status: 404,
                    headers: vec![],
                },
                Step::Read(b"data: not an event\n\n".to_vec()),
            ],
        );
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(
            got[0].starts_with("error") && got[0].ends_with("Never"),
            "{got:?}"
        );
        let got = play(
            BodyFormat::EventStream,
            &[
                Step::Request,
                ok("text/html"),
                Step::Read(b"data: x\n\n".to_vec()),
            ],
        );
        assert_eq!(got.len(), 1, "{got:?}");
    }
}
