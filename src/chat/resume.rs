//! A reply that its server keeps (rill-server's `Rill-Resume`): where to reattach to it,
//! where to stop it, and how far it was read (pure; saved with the message).
//!
//! The offer comes in the answer's headers (`Rill-Resume`, `Rill-Stop`), or for the summary
//! format, read by EventSource, which cannot see headers, as its first event
//! ([`OFFER_EVENT`], [`ResumePoint::offer_in_event`]).
//!
//! The resume and stop URLs are capabilities of the endpoint's origin: an offer is taken
//! only when both are on the origin the reply was asked from (origins as the browser reads
//! them, passed in), and the app follows exactly the URLs it was given, never one it built.
//! Event numbers are the server's `id:` values (SSE), or for NDJSON (Ollama) the count of
//! lines read, which is what rill-server numbers them by. A reattach may be answered from
//! the reply's start (an engine that cannot start after one of rill's numbers, Nchan):
//! the events the message already has are skipped ([`ResumePoint::is_new`]).

use super::format::ChatFormat;
use crate::json::{read, Json};

/// The event type of an offer sent in the stream (rill-server's summary format, read by
/// EventSource, which cannot see the `Rill-Resume` header).
pub const OFFER_EVENT: &str = "rill-reply";

/// Where a kept reply is resumed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResumePoint {
    /// `GET` with `Last-Event-ID` reattaches (absolute).
    pub url: String,
    /// `POST` ends the generation (absolute), when the server gave one.
    pub stop_url: Option<String>,
    /// The format the reply was asked in (the settings may have changed since).
    pub format: ChatFormat,
    /// The last event whose text is in the message.
    pub last_event_id: u64,
}

/// The number of an event id as rill-server writes them: `N`, or `ID-N` (the summary
/// format's ids name their reply). `None` for anything else (an engine's own id).
fn event_number(id: &str) -> Option<u64> {
    let id = id.trim();
    id.rsplit_once('-')
        .map_or(id, |(_, n)| n)
        .parse::<u64>()
        .ok()
}

impl ResumePoint {
    /// The offer of a reply asked from `request_origin`, with resume and stop URLs already
    /// resolved against the request (`resume_origin`, `stop_origin`: their origins); `None`
    /// when either is on another origin (or has none).
    pub fn offered(
        format: ChatFormat,
        request_origin: Option<&str>,
        resume: (String, Option<&str>),
        stop: Option<(String, Option<&str>)>,
    ) -> Option<ResumePoint> {
        let origin = request_origin?;
        if resume.1 != Some(origin) {
            return None;
        }
        let stop_url = match stop {
            Some((url, Some(o))) if o == origin => Some(url),
            Some(_) => return None,
            None => None,
        };
        Some(ResumePoint {
            url: resume.0,
            stop_url,
            format,
            last_event_id: 0,
        })
    }

    /// The URLs of an offer sent as an event (`event: rill-reply`, for EventSource, which
    /// cannot read the headers): `data` is `{"resume": URL, "stop": URL?, …}`, the URLs as
    /// the server wrote them (relative to the request). `None` unless it is that.
    pub fn offer_in_event(data: &str) -> Option<(String, Option<String>)> {
        let v = Json::parse(data).ok()?;
        let v = read::object(&v, "offer").ok()?;
        let resume = read::string(v, "resume", "offer").ok()?;
        let stop = read::opt_string(v, "stop", "offer").ok()?;
        (!resume.is_empty()).then_some((resume, stop.filter(|s| !s.is_empty())))
    }

    /// Notes an SSE event's id (the server's number `N`, or `ID-N` where the ids name the
    /// reply: the summary format's); an id that is not a number larger than the last one is
    /// ignored.
    pub fn saw_event_id(&mut self, id: &str) {
        if let Some(n) = event_number(id) {
            if n > self.last_event_id {
                self.last_event_id = n;
            }
        }
    }

    /// True unless `id` is the number of an event the message has already (at most
    /// `last_event_id`): a reattach skips those. An id that is not a number is new.
    pub fn is_new(&self, id: &str) -> bool {
        event_number(id).is_none_or(|n| n > self.last_event_id)
    }

    /// Notes one more NDJSON line read.
    pub fn saw_line(&mut self) {
        self.last_event_id = self.last_event_id.saturating_add(1);
    }

    /// The saved form: `{url, stop_url?, format, last}`.
    pub fn to_json(&self) -> Json<'_> {
        let mut members = vec![("url".into(), Json::from(self.url.as_str()))];
        if let Some(stop) = &self.stop_url {
            members.push(("stop_url".into(), stop.as_str().into()));
        }
        members.push(("format".into(), self.format.as_str().into()));
        members.push(("last".into(), self.last_event_id.into()));
        Json::Obj(members)
    }

    /// Reads the saved form (`path` names it in errors).
    pub fn from_json(v: &Json<'_>, path: &str) -> Result<ResumePoint, String> {
        let v = read::object(v, path)?;
        let format = read::string(v, "format", path)?;
        Ok(ResumePoint {
            url: read::string(v, "url", path)?,
            stop_url: read::opt_string(v, "stop_url", path)?,
            format: ChatFormat::parse(&format)
                .ok_or_else(|| read::expected(&format!("{path}.format"), "a chat format"))?,
            last_event_id: read::opt_u64(v, "last", path)?.unwrap_or(0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const O: &str = "http://127.0.0.1:8844";

    fn url(path: &str) -> (String, Option<&'static str>) {
        (format!("{O}{path}"), Some(O))
    }

    #[test]
    fn an_offer_on_the_endpoints_origin_is_taken() {
        let p = ResumePoint::offered(
            ChatFormat::OpenAi,
            Some(O),
            url("/v1/replies/ab"),
            Some(url("/v1/replies/ab/stop")),
        )
        .unwrap();
        assert_eq!(p.url, format!("{O}/v1/replies/ab"));
        assert_eq!(
            p.stop_url.as_deref(),
            Some(&*format!("{O}/v1/replies/ab/stop"))
        );
        assert_eq!(p.last_event_id, 0);
    }

    #[test]
    fn an_offer_elsewhere_is_refused() {
        let evil = (
            "http://evil.example/r".to_string(),
            Some("http://evil.example"),
        );
        assert_eq!(
            ResumePoint::offered(ChatFormat::OpenAi, Some(O), evil.clone(), None),
            None
        );
        assert_eq!(
            ResumePoint::offered(ChatFormat::OpenAi, Some(O), url("/r"), Some(evil)),
            None,
            "a stop URL on another origin spoils the offer"
        );
        assert_eq!(
            ResumePoint::offered(ChatFormat::OpenAi, Some(O), ("data:x".into(), None), None),
            None
        );
        assert_eq!(
            ResumePoint::offered(ChatFormat::OpenAi, None, url("/r"), None),
            None
        );
    }

    #[test]
    fn ids_only_move_forward_and_lines_count() {
        let mut p = ResumePoint::offered(ChatFormat::Ollama, Some(O), url("/r"), None).unwrap();
        p.saw_event_id("5");
        p.saw_event_id("3");
        p.saw_event_id("x");
        assert_eq!(p.last_event_id, 5);
        p.saw_event_id("0123abcd-7");
        assert_eq!(p.last_event_id, 7, "an id that names its reply");
        p.saw_event_id("0123abcd-x");
        p.saw_event_id("-1");
        assert_eq!(p.last_event_id, 7);
        p.saw_line();
        assert_eq!(p.last_event_id, 8);
    }

    #[test]
    fn an_offer_event_gives_its_urls_as_written() {
        assert_eq!(
            ResumePoint::offer_in_event(
                r#"{"id":"ab","resume":"replies/ab","stop":"replies/ab/stop"}"#
            ),
            Some(("replies/ab".into(), Some("replies/ab/stop".into())))
        );
        assert_eq!(
            ResumePoint::offer_in_event(r#"{"resume":"replies/ab"}"#),
            Some(("replies/ab".into(), None))
        );
        for bad in [
            "",
            "x",
            "[]",
            r#"{"resume":5}"#,
            r#"{"resume":""}"#,
            r#"{"stop":"s"}"#,
        ] {
            assert_eq!(ResumePoint::offer_in_event(bad), None, "{bad}");
        }
    }

    #[test]
    fn events_up_to_the_last_are_not_new() {
        let mut p = ResumePoint::offered(ChatFormat::OpenAi, Some(O), url("/r"), None).unwrap();
        assert!(p.is_new("1"), "from the start, everything is new");
        p.saw_event_id("4");
        assert!(!p.is_new("1"));
        assert!(!p.is_new(" 4 "));
        assert!(p.is_new("5"));
        assert!(p.is_new(""), "no id: not one of ours to skip");
        assert!(p.is_new("1733:0"), "an engine's own id");
        let named = "0123456789abcdef0123456789abcdef";
        assert!(
            !p.is_new(&format!("{named}-4")),
            "a summary id names its reply"
        );
        assert!(p.is_new(&format!("{named}-5")));
    }

    #[test]
    fn saved_and_read_back() {
        let mut p =
            ResumePoint::offered(ChatFormat::Anthropic, Some(O), url("/r"), Some(url("/s")))
                .unwrap();
        p.saw_event_id("42");
        let text = p.to_json().to_string();
        let back = ResumePoint::from_json(&Json::parse(&text).unwrap(), "resume").unwrap();
        assert_eq!(back, p);
        let bad = Json::parse(r#"{"url":"u","format":"nope"}"#).unwrap();
        assert!(ResumePoint::from_json(&bad, "m.resume")
            .unwrap_err()
            .contains("m.resume.format"));
    }
}
