//! Pure checks on a response's status and headers before its body is read.
//!
//! These are the browser's EventSource rules made explicit, so the fetch transport fails
//! the same way and can say why: 204 stops, other non-2xx statuses and a wrong
//! Content-Type are final.

use super::policy::Outcome;
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
                message: "body".into()
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
}
