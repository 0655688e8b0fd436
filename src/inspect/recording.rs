//! A recording of one inspected stream (pure): the request, and what the network did —
//! each attempt, each response's status and headers, the raw bytes of each network read and
//! each end — with its time in ms since the recording began. It is written as a versioned
//! JSON Lines file ([`Recording::write`], read back by [`Recording::read`]) and replayed
//! through [`Step::apply`], the same call the live inspector makes for each thing its fetch
//! transport saw, so a replay decodes and diagnoses exactly as the live stream did.
//!
//! The file (version 1), one JSON object a line:
//!
//! ```text
//! {"format":"rill-recording","version":1,"url":"/demo/ticker","method":"GET",
//!  "headers":[["X-A","1"]],"body":null,"body_format":"sse","cross_origin":false,
//!  "removed_headers":["authorization"],"cut":false}
//! {"t":0,"step":"request"}
//! {"t":4.2,"step":"response","status":200,"headers":[["content-type","text/event-stream"]]}
//! {"t":5.1,"step":"read","base64":"aWQ6IDEK…"}
//! {"t":9000,"step":"end","end":"server-closed"}
//! ```
//!
//! Reads are base64: a read may end inside a UTF-8 character, and a replay must cut the
//! bytes where the network did. Secrets are not written: request headers named in
//! [`SECRET_HEADERS`] are left out (their names are listed in `removed_headers`, and the view
//! says so), as are response headers that set cookies. Bounded: at most
//! [`MAX_RECORDED_BYTES`] of reads (the inspector's 20 MB; then recording stops and `cut` is
//! set) and [`MAX_STEPS`] steps; a file larger than [`MAX_FILE_BYTES`] is refused unread.
//!
//! Must not: touch the browser, or panic on any file (hostile files are tested).

use std::fmt::Write as _;

use super::{End, Format, Inspector, Via};
use crate::json::{read, Json};

/// The `format` member of a recording's first line.
pub const FORMAT: &str = "rill-recording";
/// The version this code writes and the newest it reads.
pub const VERSION: u64 = 1;
/// Most bytes of network reads a recording holds (the inspector's own bound).
pub const MAX_RECORDED_BYTES: usize = super::MAX_BYTES;
/// Most steps (attempts, responses, reads, ends) a recording holds.
pub const MAX_STEPS: usize = 200_000;
/// Largest file read: the reads in base64 plus every step's line.
pub const MAX_FILE_BYTES: usize = MAX_RECORDED_BYTES / 3 * 4 + 64 * MAX_STEPS;
/// Request headers never written into a recording (compared case-insensitively).
pub const SECRET_HEADERS: [&str; 5] = [
    "authorization",
    "proxy-authorization",
    "x-api-key",
    "api-key",
    "cookie",
];
/// Response headers never written (the browser hides them from fetch anyway).
const SECRET_RESPONSE_HEADERS: [&str; 2] = ["set-cookie", "set-cookie2"];

/// Why a file is not a recording this code can replay.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordingError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is larger than {max} bytes")]
    TooLarge { max: usize },
    #[error("not a rill recording (line 1 must have \"format\": \"rill-recording\")")]
    NotARecording,
    #[error("recording version {0} is newer than this rill reads ({VERSION})")]
    Version(u64),
    #[error("line {line}: {problem}")]
    Line { line: usize, problem: String },
    #[error("more than {MAX_STEPS} steps")]
    TooManySteps,
    #[error("the reads add up to more than {MAX_RECORDED_BYTES} bytes")]
    TooManyBytes,
}

/// The recorded request, secrets left out.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RecordedRequest {
    pub url: String,
    pub method: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    pub format: Format,
    /// The URL was on another origin than the page (the CORS rule needs it).
    pub cross_origin: bool,
    /// Names of the request headers left out (lowercase).
    pub removed: Vec<String>,
}

impl RecordedRequest {
    /// The request as sent, with [`SECRET_HEADERS`] left out and named in `removed`.
    pub fn new(
        url: &str,
        method: &str,
        headers: &[(String, String)],
        body: Option<&str>,
        format: Format,
        cross_origin: bool,
    ) -> RecordedRequest {
        let mut kept = Vec::new();
        let mut removed: Vec<String> = Vec::new();
        for (name, value) in headers {
            let lower = name.trim().to_ascii_lowercase();
            if SECRET_HEADERS.contains(&lower.as_str()) {
                if !removed.contains(&lower) {
                    removed.push(lower);
                }
            } else {
                kept.push((name.clone(), value.clone()));
            }
        }
        let method = match method.trim() {
            "" => "GET".to_string(),
            m => m.to_ascii_uppercase(),
        };
        RecordedRequest {
            url: url.to_string(),
            body: body
                .filter(|b| !b.is_empty() && method != "GET")
                .map(str::to_string),
            method,
            headers: kept,
            format,
            cross_origin,
            removed,
        }
    }
}

/// One thing the network did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// An attempt starts.
    Request,
    /// The response's status and headers.
    Response {
        status: u16,
        headers: Vec<(String, String)>,
    },
    /// One network read of the body, its bytes exactly.
    Read(Vec<u8>),
    /// The attempt ended.
    End(End),
}

impl Step {
    /// Tells `inspector` this step happened at `at_ms`: the one path for live and replayed
    /// data.
    pub fn apply(&self, inspector: &mut Inspector, at_ms: f64) {
        match self {
            Step::Request => inspector.on_request(at_ms),
            Step::Response { status, headers } => {
                inspector.on_response(at_ms, Some(*status), headers.clone())
            }
            Step::Read(bytes) => inspector.on_chunk(at_ms, bytes),
            Step::End(end) => inspector.on_end(at_ms, end.clone()),
        }
    }
}

/// A recording: the request and its steps, each at ms since the first.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Recording {
    pub request: RecordedRequest,
    steps: Vec<(f64, Step)>,
    /// Recording stopped at a bound; later steps are not in it.
    pub cut: bool,
    start_ms: Option<f64>,
    bytes: usize,
    reads: usize,
}

impl Recording {
    /// An empty recording of `request`.
    pub fn new(request: RecordedRequest) -> Recording {
        Recording {
            request,
            ..Recording::default()
        }
    }

    /// Adds `step`, seen at `at_ms` (the page's clock); false once the recording is cut.
    pub fn push(&mut self, at_ms: f64, step: Step) -> bool {
        if self.cut {
            return false;
        }
        let size = match &step {
            Step::Read(b) => b.len(),
            _ => 0,
        };
        if self.steps.len() >= MAX_STEPS || self.bytes + size > MAX_RECORDED_BYTES {
            self.cut = true;
            return false;
        }
        let start = *self.start_ms.get_or_insert(at_ms);
        // Microseconds are enough, and keep the file short.
        // Never earlier than the step before (the page's clock may be set back).
        let t = ((at_ms - start).max(self.duration_ms()) * 1000.0).round() / 1000.0;
        let step = match step {
            Step::Response { status, headers } => Step::Response {
                status,
                headers: headers
                    .into_iter()
                    .filter(|(n, _)| {
                        !SECRET_RESPONSE_HEADERS.contains(&n.trim().to_ascii_lowercase().as_str())
                    })
                    .collect(),
            },
            other => other,
        };
        self.bytes += size;
        self.reads += usize::from(matches!(step, Step::Read(_)));
        self.steps.push((t, step));
        true
    }

    /// The steps, oldest first, each with its time in ms since the first.
    pub fn steps(&self) -> &[(f64, Step)] {
        &self.steps
    }

    /// Bytes of network reads held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// The time of the last step (ms since the first).
    pub fn duration_ms(&self) -> f64 {
        self.steps.last().map_or(0.0, |(t, _)| *t)
    }

    /// A fresh inspector for this recording's request (fetch: a recording has every read).
    pub fn inspector(&self) -> Inspector {
        Inspector::new(
            &self.request.url,
            Via::Fetch,
            self.request.format,
            self.request.cross_origin,
        )
    }

    /// The file's text (see the module comment).
    pub fn write(&self) -> String {
        let r = &self.request;
        let mut out = String::with_capacity(self.bytes / 3 * 4 + 64 * self.steps.len() + 256);
        Json::obj([
            ("format", Json::Str(FORMAT.into())),
            ("version", Json::Num(VERSION as f64)),
            ("url", Json::Str(r.url.as_str().into())),
            ("method", Json::Str(r.method.as_str().into())),
            ("headers", pairs(&r.headers)),
            (
                "body",
                r.body
                    .as_deref()
                    .map_or(Json::Null, |b| Json::Str(b.into())),
            ),
            ("body_format", Json::Str(format_name(r.format).into())),
            ("cross_origin", Json::Bool(r.cross_origin)),
            (
                "removed_headers",
                Json::Arr(
                    r.removed
                        .iter()
                        .map(|n| Json::Str(n.as_str().into()))
                        .collect(),
                ),
            ),
            ("cut", Json::Bool(self.cut)),
        ])
        .write(&mut out);
        out.push('\n');
        for (t, step) in &self.steps {
            let t = Json::Num(*t);
            let line = match step {
                Step::Request => Json::obj([("t", t), ("step", Json::Str("request".into()))]),
                Step::Response { status, headers } => Json::obj([
                    ("t", t),
                    ("step", Json::Str("response".into())),
                    ("status", Json::Num(f64::from(*status))),
                    ("headers", pairs(headers)),
                ]),
                Step::Read(bytes) => Json::obj([
                    ("t", t),
                    ("step", Json::Str("read".into())),
                    ("base64", Json::Str(base64_encode(bytes).into())),
                ]),
                Step::End(end) => {
                    let (name, message) = match end {
                        End::ServerClosed => ("server-closed", None),
                        End::ByClient => ("by-client", None),
                        End::Failed { message } => ("failed", Some(message.as_str())),
                    };
                    let mut members = vec![
                        ("t".into(), t),
                        ("step".into(), Json::Str("end".into())),
                        ("end".into(), Json::Str(name.into())),
                    ];
                    if let Some(m) = message {
                        members.push(("message".into(), Json::Str(m.into())));
                    }
                    Json::Obj(members)
                }
            };
            line.write(&mut out);
            out.push('\n');
        }
        out
    }

    /// Reads a file written by [`Recording::write`]; every problem names its line and field.
    pub fn read(text: &str) -> Result<Recording, RecordingError> {
        if text.len() > MAX_FILE_BYTES {
            return Err(RecordingError::TooLarge {
                max: MAX_FILE_BYTES,
            });
        }
        let mut lines = text
            .split('\n')
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
            .filter(|(_, l)| !l.trim().is_empty());
        let Some((n, first)) = lines.next() else {
            return Err(RecordingError::Empty);
        };
        let bad = |line: usize, problem: String| RecordingError::Line { line, problem };
        let head = Json::parse(first).map_err(|_| RecordingError::NotARecording)?;
        if head.get("format").and_then(Json::as_str) != Some(FORMAT) {
            return Err(RecordingError::NotARecording);
        }
        let version = read::u64(&head, "version", "").map_err(|p| bad(n, field(&p)))?;
        if version > VERSION || version == 0 {
            return Err(RecordingError::Version(version));
        }
        let text_of = |key: &str| read::string(&head, key, "").map_err(|p| bad(n, field(&p)));
        let body_format = match text_of("body_format")?.as_str() {
            "sse" => Format::Sse,
            "ndjson" => Format::Ndjson,
            _ => {
                return Err(bad(
                    n,
                    field(".body_format: expected \"sse\" or \"ndjson\""),
                ))
            }
        };
        let flag = |key: &str| match head.get(key) {
            None => Ok(false),
            Some(v) => v
                .as_bool()
                .ok_or_else(|| bad(n, field(&format!(".{key}: expected true or false")))),
        };
        let removed = read::array(&head, "removed_headers", "")
            .map_err(|p| bad(n, field(&p)))?
            .iter()
            .map(|v| v.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| bad(n, field(".removed_headers: expected strings")))?;
        let request = RecordedRequest {
            url: text_of("url")?,
            method: text_of("method")?,
            headers: pairs_of(&head, n)?,
            body: read::opt_string(&head, "body", "").map_err(|p| bad(n, field(&p)))?,
            format: body_format,
            cross_origin: flag("cross_origin")?,
            removed,
        };
        let mut rec = Recording {
            request,
            cut: flag("cut")?,
            ..Recording::default()
        };
        let mut last_t = 0.0;
        for (n, line) in lines {
            if rec.steps.len() >= MAX_STEPS {
                return Err(RecordingError::TooManySteps);
            }
            let v = Json::parse(line).map_err(|e| bad(n, format!("not JSON ({e})")))?;
            read::object(&v, "").map_err(|_| bad(n, "expected an object".into()))?;
            let t = match v.get("t") {
                Some(Json::Num(t)) if t.is_finite() && *t >= 0.0 => *t,
                _ => return Err(bad(n, field(".t: expected a time in ms, 0 or more"))),
            };
            if t < last_t {
                return Err(bad(n, field(".t: earlier than the line before")));
            }
            last_t = t;
            let step = match read::string(&v, "step", "")
                .map_err(|p| bad(n, field(&p)))?
                .as_str()
            {
                "request" => Step::Request,
                "response" => {
                    let status = read::u64(&v, "status", "").map_err(|p| bad(n, field(&p)))?;
                    let status = u16::try_from(status)
                        .ok()
                        .filter(|s| (100..=999).contains(s))
                        .ok_or_else(|| bad(n, field(".status: expected 100 to 999")))?;
                    Step::Response {
                        status,
                        headers: pairs_of(&v, n)?,
                    }
                }
                "read" => {
                    let text = read::string(&v, "base64", "").map_err(|p| bad(n, field(&p)))?;
                    let bytes =
                        base64_decode(&text).ok_or_else(|| bad(n, field(".base64: not base64")))?;
                    rec.bytes += bytes.len();
                    rec.reads += 1;
                    if rec.bytes > MAX_RECORDED_BYTES {
                        return Err(RecordingError::TooManyBytes);
                    }
                    Step::Read(bytes)
                }
                "end" => {
                    let end = match read::string(&v, "end", "")
                        .map_err(|p| bad(n, field(&p)))?
                        .as_str()
                    {
                        "server-closed" => End::ServerClosed,
                        "by-client" => End::ByClient,
                        "failed" => End::Failed {
                            message: read::opt_string(&v, "message", "")
                                .map_err(|p| bad(n, field(&p)))?
                                .unwrap_or_default(),
                        },
                        _ => {
                            return Err(bad(
                                n,
                                field(".end: expected server-closed, by-client or failed"),
                            ))
                        }
                    };
                    Step::End(end)
                }
                _ => {
                    return Err(bad(
                        n,
                        field(".step: expected request, response, read or end"),
                    ))
                }
            };
            rec.steps.push((t, step));
        }
        Ok(rec)
    }
}

/// `.key: expected …` (from `json::read`) as `field "key": expected …`.
fn field(problem: &str) -> String {
    let problem = problem.strip_prefix('.').unwrap_or(problem);
    match problem.split_once(": ") {
        Some((name, rest)) => format!("field \"{name}\": {rest}"),
        None => problem.to_string(),
    }
}

/// The `headers` member: an array of `[name, value]` string pairs.
fn pairs_of(v: &Json<'_>, line: usize) -> Result<Vec<(String, String)>, RecordingError> {
    let bad = || RecordingError::Line {
        line,
        problem: field(".headers: expected [name, value] pairs of strings"),
    };
    read::array(v, "headers", "")
        .map_err(|_| bad())?
        .iter()
        .map(|pair| match pair.as_array() {
            Some([Json::Str(n), Json::Str(v)]) => Ok((n.to_string(), v.to_string())),
            _ => Err(bad()),
        })
        .collect()
}

/// Header pairs as `[[name, value], …]`.
fn pairs(list: &[(String, String)]) -> Json<'_> {
    Json::Arr(
        list.iter()
            .map(|(n, v)| {
                Json::Arr(vec![
                    Json::Str(n.as_str().into()),
                    Json::Str(v.as_str().into()),
                ])
            })
            .collect(),
    )
}

fn format_name(f: Format) -> &'static str {
    match f {
        Format::Sse => "sse",
        Format::Ndjson => "ndjson",
    }
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 (RFC 4648 §4) with padding.
pub fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes standard padded base64; `None` for anything else (wrong length, a stray
/// character, padding in the middle, non-zero bits after the last byte).
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.as_bytes();
    if !text.len().is_multiple_of(4) {
        return None;
    }
    let value = |c: u8| -> Option<u32> {
        Some(u32::from(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        }))
    };
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let quads = text.len() / 4;
    for (i, quad) in text.chunks(4).enumerate() {
        let pad = quad.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && i + 1 != quads) {
            return None;
        }
        let mut n = 0u32;
        for &c in &quad[..4 - pad] {
            n = (n << 6) | value(c)?;
        }
        n <<= 6 * pad as u32;
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        let keep = 3 - pad;
        if bytes[keep..].iter().any(|&b| b != 0) {
            return None;
        }
        out.extend_from_slice(&bytes[..keep]);
    }
    Some(out)
}

/// "12.0 KB · 30 reads · 9.5 s": a recording's size for the view (`reads`: the word).
pub fn summary(rec: &Recording, reads_word: &str) -> String {
    let mut out = String::new();
    let reads = rec.reads;
    let _ = write!(
        out,
        "{} · {reads} {reads_word} · {}",
        crate::clock::format_size(rec.bytes),
        secs(rec.duration_ms())
    );
    out
}

fn secs(ms: f64) -> String {
    let ms = ms.max(0.0) as u64;
    format!("{}.{} s", ms / 1000, (ms % 1000) / 100)
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> Recording {
        let mut rec = Recording::new(RecordedRequest::new(
            "/demo/ticker",
            "post",
            &[
                ("Authorization".into(), "Bearer sk-secret".into()),
                ("X-Trace".into(), "a\"b".into()),
                ("x-api-key".into(), "k".into()),
                ("Cookie".into(), "s=1".into()),
            ],
            Some("{\"q\":1}"),
            Format::Sse,
            false,
        ));
        rec.push(1000.0, Step::Request);
        rec.push(
            1004.25,
            Step::Response {
                status: 200,
                headers: vec![
                    ("content-type".into(), "text/event-stream".into()),
                    ("set-cookie".into(), "s=2".into()),
                ],
            },
        );
        // "é" cut between its two bytes.
        rec.push(1005.0, Step::Read(b"id: 1\ndata: \xc3".to_vec()));
        rec.push(1020.0, Step::Read(b"\xa9\n\n".to_vec()));
        rec.push(
            1030.0,
            Step::End(End::Failed {
                message: "net::ERR \"x\"".into(),
            }),
        );
        rec
    }

    #[test]
    fn secrets_are_left_out_and_named() {
        let rec = sample();
        let text = rec.write();
        assert!(!text.contains("sk-secret") && !text.contains("s=1") && !text.contains("s=2"));
        assert_eq!(
            rec.request.removed,
            vec!["authorization", "x-api-key", "cookie"]
        );
        assert_eq!(
            rec.request.headers,
            vec![("X-Trace".to_string(), "a\"b".to_string())]
        );
        assert_eq!(rec.request.method, "POST");
    }

    #[test]
    fn write_then_read_is_the_same_recording() {
        let rec = sample();
        let back = Recording::read(&rec.write()).expect("reads back");
        assert_eq!(back.request, rec.request);
        assert_eq!(back.steps(), rec.steps());
        assert_eq!(back.steps()[1].0, 4.25);
        assert_eq!(back.bytes(), rec.bytes());
    }

    #[test]
    fn a_replay_decodes_like_the_live_stream_including_a_character_cut_between_reads() {
        let rec = sample();
        let back = Recording::read(&rec.write()).expect("reads back");
        let mut live = rec.inspector();
        for (t, s) in rec.steps() {
            s.apply(&mut live, *t);
        }
        let mut replayed = back.inspector();
        for (t, s) in back.steps() {
            s.apply(&mut replayed, *t);
        }
        let data: Vec<_> = replayed.entries().map(|e| e.data.clone()).collect();
        assert_eq!(data, vec!["é"]);
        assert_eq!(
            live.entries().collect::<Vec<_>>(),
            replayed.entries().collect::<Vec<_>>()
        );
        assert_eq!(
            live.reads().collect::<Vec<_>>(),
            replayed.reads().collect::<Vec<_>>()
        );
    }

    #[test]
    fn hostile_files_give_a_message_naming_the_line_and_field() {
        let good = sample().write();
        let head = good.lines().next().expect("a head line");
        let cases: Vec<(String, &str)> = vec![
            (String::new(), "the file is empty"),
            ("{}".into(), "not a rill recording"),
            ("[1,2".into(), "not a rill recording"),
            (
                head.replace("\"version\":1", "\"version\":9"),
                "recording version 9",
            ),
            (
                head.replace("\"version\":1", "\"version\":\"1\""),
                "line 1: field \"version\": expected a whole number",
            ),
            (
                head.replace("\"url\":", "\"uri\":"),
                "line 1: field \"url\": expected a string",
            ),
            (
                head.replace("\"sse\"", "\"xml\""),
                "line 1: field \"body_format\"",
            ),
            (
                format!("{head}\n{{\"t\":1,\"step\":\"read\",\"base64\":\"a$==\"}}"),
                "line 2: field \"base64\": not base64",
            ),
            (
                format!("{head}\n{{\"t\":-1,\"step\":\"request\"}}"),
                "line 2: field \"t\"",
            ),
            (
                format!(
                    "{head}\n{{\"t\":5,\"step\":\"request\"}}\n\n{{\"t\":4,\"step\":\"request\"}}"
                ),
                "line 4: field \"t\": earlier",
            ),
            (
                format!(
                    "{head}\n{{\"t\":1,\"step\":\"response\",\"status\":70000,\"headers\":[]}}"
                ),
                "line 2: field \"status\"",
            ),
            (
                format!(
                    "{head}\n{{\"t\":1,\"step\":\"response\",\"status\":200,\"headers\":[[1,2]]}}"
                ),
                "line 2: field \"headers\"",
            ),
            (
                format!("{head}\n{{\"t\":1,\"step\":\"dance\"}}"),
                "line 2: field \"step\"",
            ),
            (format!("{head}\n{{\"t\":1,"), "line 2: not JSON"),
            (format!("{head}\n[]"), "line 2: expected an object"),
        ];
        for (text, want) in cases {
            let err = Recording::read(&text).expect_err(&text).to_string();
            assert!(err.starts_with(want), "{text:?}: {err:?}, want {want:?}");
        }
        // Every prefix of a good file either reads or says why, without panicking.
        for cut in 0..good.len() {
            if good.is_char_boundary(cut) {
                let _ = Recording::read(&good[..cut]);
            }
        }
    }

    #[test]
    fn recording_stops_at_its_bound_and_says_so() {
        let mut rec = Recording::new(RecordedRequest::default());
        assert!(rec.push(0.0, Step::Read(vec![b'x'; MAX_RECORDED_BYTES - 1])));
        assert!(!rec.push(1.0, Step::Read(vec![b'x'; 2])));
        assert!(rec.cut);
        assert!(!rec.push(2.0, Step::Request));
        assert_eq!(rec.steps().len(), 1);
        let back = Recording::read(&rec.write()).expect("reads back");
        assert!(back.cut);
        assert!(Recording::read(&"x".repeat(MAX_FILE_BYTES + 1))
            .expect_err("too large")
            .to_string()
            .starts_with("the file is larger"));
    }

    #[test]
    fn base64_known_answers() {
        for (raw, enc) in [
            (&b""[..], ""),
            (b"f", "Zg=="),
            (b"fo", "Zm8="),
            (b"foo", "Zm9v"),
            (b"foob", "Zm9vYg=="),
            (b"\xff\xfe\x00", "//4A"),
        ] {
            assert_eq!(base64_encode(raw), enc);
            assert_eq!(base64_decode(enc).as_deref(), Some(raw));
        }
        for bad in ["Zg=", "Zh==", "Z===", "Zg==Zg==", "Zm9\u{e9}", "Zm 9"] {
            assert_eq!(base64_decode(bad), None, "{bad}");
        }
    }

    proptest! {
        #[test]
        fn any_reads_round_trip_with_their_boundaries(
            reads in proptest::collection::vec((0.0f64..1e7, proptest::collection::vec(any::<u8>(), 0..64)), 0..20),
            status in 100u16..1000,
        ) {
            let mut rec = Recording::new(RecordedRequest::new("u", "GET", &[], None, Format::Ndjson, true));
            rec.push(0.0, Step::Request);
            rec.push(0.0, Step::Response { status, headers: vec![] });
            let mut t = 0.0;
            for (dt, bytes) in &reads {
                t += dt;
                rec.push(t, Step::Read(bytes.clone()));
            }
            rec.push(t, Step::End(End::ServerClosed));
            let back = Recording::read(&rec.write()).expect("reads back");
            prop_assert_eq!(back.steps(), rec.steps());
            prop_assert_eq!(back.request, rec.request);
        }

        #[test]
        fn any_bytes_never_panic(text in "\\PC{0,200}") {
            let _ = Recording::read(&text);
            let _ = base64_decode(&text);
        }

        #[test]
        fn base64_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            prop_assert_eq!(base64_decode(&base64_encode(&bytes)), Some(bytes));
        }
    }
}
