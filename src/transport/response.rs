//! Pure checks on a response's status and headers before its body is read.
//!
//! These are the browser's EventSource rules made explicit, so the fetch transport fails
//! the same way and can say why: 204 stops, other non-2xx statuses and a wrong
//! Content-Type are final.

use super::policy::{parse_retry_after, retry_after_applies, Outcome};
use super::ErrorKind;

/// What the body is expected to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BodyFormat {
    /// `text/event-stream`, decoded by `rill_sse::Decoder`.
    #[default]
    EventStream,
    /// Newline-delimited JSON (Ollama's native API), decoded by `rill_sse::NdjsonDecoder`.
    Ndjson,
}

/// A rejected response: what the policy sees, and what the user is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub outcome: Outcome,
    pub kind: ErrorKind,
}

/// Checks status and Content-Type. `body_excerpt` is read only for error statuses.
pub fn check(
    status: u16,
    content_type: &str,
    format: BodyFormat,
    body_excerpt: impl FnOnce() -> String,
) -> Result<(), Rejection> {
    if status == 204 {
        return Err(Rejection {
            outcome: Outcome::NoContent,
            kind: ErrorKind::NoContent,
        });
    }
    if !(200..300).contains(&status) {
        return Err(Rejection {
            outcome: Outcome::HttpStatus(status),
            kind: ErrorKind::Http {
                status,
                content_type: content_type.to_string(),
                message: body_excerpt(),
                retry_after_ms: None,
            },
        });
    }
    let acceptable = match format {
        BodyFormat::EventStream => is_event_stream(content_type),
        // Ollama sends application/x-ndjson; proxies and other servers vary, and a JSON
        // parse error on the first line is a clearer message than a refusal.
        BodyFormat::Ndjson => true,
    };
    if acceptable {
        Ok(())
    } else {
        Err(Rejection {
            outcome: Outcome::WrongContentType,
            kind: ErrorKind::ContentType {
                status,
                received: content_type.to_string(),
            },
        })
    }
}

/// A rejection for an error status, with the response's `Retry-After` applied: for the
/// statuses whose header rill honours ([`retry_after_applies`]) and a header it can read,
/// the outcome is [`Outcome::RetryLater`] (the wait counted from `now_epoch_ms`) and the
/// error carries the wait; any other rejection is returned as it was.
pub fn with_retry_after(
    rejection: Rejection,
    retry_after: Option<&str>,
    now_epoch_ms: f64,
) -> Rejection {
    let Outcome::HttpStatus(status) = rejection.outcome else {
        return rejection;
    };
    let wait = retry_after
        .filter(|_| retry_after_applies(status))
        .and_then(|value| parse_retry_after(value, now_epoch_ms));
    let (
        Some(after_ms),
        ErrorKind::Http {
            status,
            content_type,
            message,
            ..
        },
    ) = (wait, rejection.kind.clone())
    else {
        return rejection;
    };
    Rejection {
        outcome: Outcome::RetryLater { status, after_ms },
        kind: ErrorKind::Http {
            status,
            content_type,
            message,
            retry_after_ms: Some(after_ms),
        },
    }
}

/// True for `text/event-stream` with no charset or a UTF-8 one (Chromium refuses others).
pub fn is_event_stream(content_type: &str) -> bool {
    let mut parts = content_type.split(';');
    let essence = parts.next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case("text/event-stream") {
        return false;
    }
    parts.all(|param| match param.split_once('=') {
        Some((name, value)) if name.trim().eq_ignore_ascii_case("charset") => {
            let v = value.trim().trim_matches('"');
            v.eq_ignore_ascii_case("utf-8") || v.eq_ignore_ascii_case("utf8")
        }
        _ => true,
    })
}

/// How much of an error body is read: enough for any server's message, never a whole page
/// (or an endless stream) held in memory.
pub const ERROR_BODY_MAX_BYTES: usize = 4 * 1024;
/// How many characters of the server's message are shown.
pub const ERROR_MESSAGE_MAX_CHARS: usize = 300;

/// The first bytes of a body, up to a limit: what a reader keeps of an error body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyPrefix {
    bytes: Vec<u8>,
    limit: usize,
    truncated: bool,
}

impl Default for BodyPrefix {
    fn default() -> Self {
        BodyPrefix::new(ERROR_BODY_MAX_BYTES)
    }
}

impl BodyPrefix {
    /// Keeps at most `limit` bytes.
    pub fn new(limit: usize) -> BodyPrefix {
        BodyPrefix {
            bytes: Vec::new(),
            limit,
            truncated: false,
        }
    }

    /// How many more bytes are wanted (the reader copies no more than this of a chunk):
    /// one beyond the limit, to know whether the body goes on.
    pub fn wanted(&self) -> usize {
        if self.truncated {
            return 0;
        }
        self.limit
            .saturating_add(1)
            .saturating_sub(self.bytes.len())
    }

    /// Adds a chunk of `total_len` bytes of which `chunk` is the start (at most
    /// [`wanted`](Self::wanted) bytes). Returns false once the body is known to be longer
    /// than the limit: the reader stops reading there.
    pub fn push(&mut self, chunk: &[u8], total_len: usize) -> bool {
        let take = chunk.len().min(self.wanted());
        self.bytes.extend_from_slice(&chunk[..take]);
        if self.bytes.len() > self.limit || total_len > take {
            self.truncated = true;
            self.bytes.truncate(self.limit);
        }
        !self.truncated
    }

    /// True if the body had more than was kept.
    pub fn is_truncated(&self) -> bool {
        self.truncated
    }

    /// The server's message (see [`error_message`]), ending in "…" if the body was cut.
    pub fn message(&self, max_chars: usize) -> String {
        let text = match std::str::from_utf8(&self.bytes) {
            Ok(text) => text.to_string(),
            // A character cut by the limit is dropped, not shown as U+FFFD.
            Err(err) if err.error_len().is_none() => {
                String::from_utf8_lossy(&self.bytes[..err.valid_up_to()]).into_owned()
            }
            Err(_) => String::from_utf8_lossy(&self.bytes).into_owned(),
        };
        let mut message = error_message(&text, max_chars);
        if self.truncated && !message.ends_with('…') {
            message.push('…');
        }
        message
    }
}

/// The server's error message from an error body: the `error`/`detail`/`message` field of
/// a JSON body (OpenAI, Ollama and FastAPI shapes), otherwise the text itself, trimmed and
/// cut to at most `max` characters.
pub fn error_message(body: &str, max: usize) -> String {
    let from_json = crate::json::Json::parse(body).ok().and_then(|v| {
        ["error", "detail", "message"]
            .iter()
            .find_map(|k| v.get(k)?.message().map(str::to_string))
    });
    let text = from_json.unwrap_or_else(|| body.trim().to_string());
    let mut out: String = text.chars().take(max).collect();
    if text.chars().count() > max {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(status: u16, ct: &str) -> Result<(), Rejection> {
        check(status, ct, BodyFormat::EventStream, || "body".into())
    }

    #[test]
    fn event_stream_content_types() {
        assert!(is_event_stream("text/event-stream"));
        assert!(is_event_stream("Text/Event-Stream; charset=UTF-8"));
        assert!(is_event_stream("text/event-stream;charset=\"utf-8\""));
        assert!(!is_event_stream("text/event-stream;charset=windows-1252"));
        assert!(!is_event_stream("text/html"));
        assert!(!is_event_stream(""));
        assert!(!is_event_stream("text/event-streamx"));
    }

    #[test]
    fn statuses_follow_the_browser_rules() {
        assert_eq!(ok(200, "text/event-stream"), Ok(()));
        assert_eq!(ok(204, "").map_err(|r| r.outcome), Err(Outcome::NoContent));
        let err = ok(500, "application/json").expect_err("500");
        assert_eq!(err.outcome, Outcome::HttpStatus(500));
        assert_eq!(
            err.kind,
            ErrorKind::Http {
                status: 500,
                content_type: "application/json".into(),
                message: "body".into(),
                retry_after_ms: None,
            }
        );
        let err = ok(200, "text/html").expect_err("html");
        assert_eq!(err.outcome, Outcome::WrongContentType);
        assert_eq!(
            err.kind,
            ErrorKind::ContentType {
                status: 200,
                received: "text/html".into()
            }
        );
    }

    #[test]
    fn retry_after_makes_an_overload_a_later_retry() {
        let reject = |status| ok(status, "text/plain").expect_err("error status");
        let later = with_retry_after(reject(503), Some("3"), 0.0);
        assert_eq!(
            later.outcome,
            Outcome::RetryLater {
                status: 503,
                after_ms: 3_000
            }
        );
        assert!(matches!(
            later.kind,
            ErrorKind::Http {
                status: 503,
                retry_after_ms: Some(3_000),
                ..
            }
        ));
        // Without the header, with one it cannot read, or for a status it does not fit:
        // unchanged (final).
        assert_eq!(with_retry_after(reject(503), None, 0.0), reject(503));
        assert_eq!(
            with_retry_after(reject(502), Some("soon"), 0.0),
            reject(502)
        );
        assert_eq!(with_retry_after(reject(404), Some("3"), 0.0), reject(404));
        let wrong = ok(200, "text/html").expect_err("wrong type");
        assert_eq!(with_retry_after(wrong.clone(), Some("3"), 0.0), wrong);
    }

    #[test]
    fn ndjson_accepts_any_content_type() {
        assert_eq!(
            check(200, "application/x-ndjson", BodyFormat::Ndjson, String::new),
            Ok(())
        );
        assert_eq!(
            check(200, "text/plain", BodyFormat::Ndjson, String::new),
            Ok(())
        );
    }

    #[test]
    fn error_messages_from_common_shapes() {
        assert_eq!(
            error_message(r#"{"error":{"message":"boom","type":"x"}}"#, 100),
            "boom"
        );
        assert_eq!(
            error_message(r#"{"error":"model not found"}"#, 100),
            "model not found"
        );
        assert_eq!(
            error_message(r#"{"detail":"No content provided"}"#, 100),
            "No content provided"
        );
        assert_eq!(error_message("  plain text\n", 100), "plain text");
        assert_eq!(error_message("abcdef", 3), "abc…");
        assert_eq!(error_message("", 10), "");
    }

    #[test]
    fn an_error_body_is_read_only_up_to_the_limit() {
        // A 10 MB page in 64 KiB chunks: the reader stops after the first.
        let mut prefix = BodyPrefix::default();
        let chunk = vec![b'x'; 64 * 1024];
        let mut reads = 0;
        for _ in 0..160 {
            reads += 1;
            let wanted = prefix.wanted();
            if !prefix.push(&chunk[..wanted.min(chunk.len())], chunk.len()) {
                break;
            }
        }
        assert_eq!(reads, 1);
        assert!(prefix.is_truncated());
        assert_eq!(prefix.wanted(), 0);
        let message = prefix.message(ERROR_MESSAGE_MAX_CHARS);
        assert_eq!(message.chars().count(), ERROR_MESSAGE_MAX_CHARS + 1);
        assert!(message.ends_with('…'));
    }

    #[test]
    fn a_short_body_in_pieces_is_whole_and_parsed() {
        let body = r#"{"error":{"message":"model not found"}}"#.as_bytes();
        let mut prefix = BodyPrefix::default();
        for piece in body.chunks(7) {
            assert!(prefix.push(piece, piece.len()));
        }
        assert!(!prefix.is_truncated());
        assert_eq!(prefix.message(300), "model not found");
    }

    #[test]
    fn a_cut_body_ends_with_an_ellipsis_and_no_broken_character() {
        // "é" is two bytes: a limit of 5 cuts the third one in half.
        let mut prefix = BodyPrefix::new(5);
        assert!(!prefix.push("ééé".as_bytes(), 6));
        assert_eq!(prefix.message(300), "éé…");
        // Exactly at the limit, with nothing more: not cut.
        let mut prefix = BodyPrefix::new(4);
        assert!(prefix.push("éé".as_bytes(), 4));
        assert_eq!(prefix.message(300), "éé");
    }
}
