//! What the inspector's observations say, as [`Diagnosis`] codes the view puts in words
//! (`i18n::InspectStrings`). Pure rules over an [`Inspector`] and the time now.

use super::{End, Format, Inspector, Via};

/// A delivery with at least this many events after a silence is a burst.
pub const BURST_EVENTS: usize = 3;
/// The silence before a burst, in ms.
pub const BURST_SILENCE_MS: f64 = 1000.0;
/// Reads (or EventSource events) this close together (ms) are one delivery: a proxy's
/// released buffer is decompressed and read in several pieces at once.
pub const SAME_READ_MS: f64 = 50.0;
/// No byte for this long on an open stream is a stall.
pub const STALL_MS: f64 = 30_000.0;
/// An `http:` connection not answered after this long may wait for a free connection.
pub const CONNECT_WAIT_MS: f64 = 5_000.0;
/// Connections that lived at least this long and ended alike suggest a proxy timeout.
pub const MIN_TIMEOUT_MS: f64 = 5_000.0;

/// What is wrong, by the contract's `data-code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    Buffering,
    Compression,
    ProxyTimeout,
    Cors,
    ContentType,
    Status,
    Stall,
    NoIds,
    ConnectionLimit,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Buffering => "buffering",
            Code::Compression => "compression",
            Code::ProxyTimeout => "proxy-timeout",
            Code::Cors => "cors",
            Code::ContentType => "content-type",
            Code::Status => "status",
            Code::Stall => "stall",
            Code::NoIds => "no-ids",
            Code::ConnectionLimit => "connection-limit",
        }
    }
}

/// One finding: its code and the evidence (a number, a header value), shown beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnosis {
    pub code: Code,
    pub evidence: String,
}

fn found(code: Code, evidence: impl Into<String>) -> Diagnosis {
    Diagnosis {
        code,
        evidence: evidence.into(),
    }
}

/// Every finding, in a fixed order.
pub fn diagnose(i: &Inspector, now_ms: f64) -> Vec<Diagnosis> {
    let mut out = Vec::new();
    if let Some((bursts, events)) = bursts(i) {
        out.push(found(Code::Buffering, format!("{events}/{bursts}")));
    }
    if let Some(enc) = i.conns.iter().find_map(|c| {
        c.header("content-encoding")
            .filter(|e| !e.trim().is_empty() && !e.trim().eq_ignore_ascii_case("identity"))
    }) {
        out.push(found(Code::Compression, enc));
    }
    if let Some(secs) = proxy_timeout(i) {
        out.push(found(Code::ProxyTimeout, secs.to_string()));
    }
    if i.cross_origin
        && i.conns
            .iter()
            .any(|c| c.opened_ms.is_none() && matches!(c.end, Some(End::Failed { .. })))
    {
        out.push(found(Code::Cors, ""));
    }
    if let Some(status) = i.conns.iter().rev().find_map(|c| c.status) {
        if (200..300).contains(&status) {
            if let Some(c) = i.conns.iter().rev().find(|c| c.status.is_some()) {
                let ct = c.header("content-type").unwrap_or("").to_string();
                if !type_fits(&ct, i.format) {
                    out.push(found(Code::ContentType, ct));
                }
            }
        } else {
            out.push(found(Code::Status, status.to_string()));
        }
    }
    if let Some(c) = i.conn() {
        if c.end.is_none() {
            if let Some(since) = c.last_byte_ms.or(c.opened_ms) {
                if now_ms - since >= STALL_MS {
                    out.push(found(
                        Code::Stall,
                        ((now_ms - since) / 1000.0).floor().to_string(),
                    ));
                }
            }
            if i.plain_http && c.opened_ms.is_none() && now_ms - c.started_ms >= CONNECT_WAIT_MS {
                out.push(found(
                    Code::ConnectionLimit,
                    ((now_ms - c.started_ms) / 1000.0).floor().to_string(),
                ));
            }
        }
    }
    if i.format == Format::Sse && i.entries().len() >= 5 && i.entries().all(|e| e.id.is_empty()) {
        out.push(found(Code::NoIds, ""));
    }
    out
}

/// Whether a Content-Type is right for the format.
pub fn type_fits(content_type: &str, format: Format) -> bool {
    let media = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match format {
        Format::Sse => media == "text/event-stream",
        Format::Ndjson => matches!(
            media.as_str(),
            "application/x-ndjson"
                | "application/ndjson"
                | "application/jsonl"
                | "application/json"
        ),
    }
}

/// Deliveries (network reads, or EventSource events, a few ms apart) as (conn, at of the
/// last piece, events), with the silence before each.
fn deliveries(i: &Inspector) -> Vec<(u32, f64, usize, f64)> {
    let pieces: Vec<(u32, f64, usize)> = match i.via {
        Via::Fetch => i
            .reads()
            .filter(|r| r.events > 0)
            .map(|r| (r.conn, r.at_ms, r.events))
            .collect(),
        Via::EventSource => i.entries().map(|e| (e.conn, e.at_ms, 1)).collect(),
    };
    let mut out: Vec<(u32, f64, usize, f64)> = Vec::new();
    for (conn, at, events) in pieces {
        match out.last_mut() {
            Some(last) if last.0 == conn && at - last.1 <= SAME_READ_MS => {
                last.1 = at;
                last.2 += events;
            }
            Some(last) => {
                let silence = if last.0 == conn { at - last.1 } else { 0.0 };
                out.push((conn, at, events, silence));
            }
            None => out.push((conn, at, events, 0.0)),
        }
    }
    out
}

/// Bursts after silences: (how many, events in them), when they are at least two and carry
/// at least half of the events. The first delivery of each connection is left out (a resume
/// may rightly send what was missed at once).
fn bursts(i: &Inspector) -> Option<(usize, usize)> {
    let d = deliveries(i);
    let mut bursts = 0;
    let mut in_bursts = 0;
    let mut counted = 0;
    for pair in d.windows(2) {
        let (prev, cur) = (pair[0], pair[1]);
        if prev.0 != cur.0 {
            continue;
        }
        counted += cur.2;
        if cur.2 >= BURST_EVENTS && cur.3 >= BURST_SILENCE_MS {
            bursts += 1;
            in_bursts += cur.2;
        }
    }
    (bursts >= 2 && in_bursts * 2 >= counted).then_some((bursts, in_bursts))
}

/// Seconds after which connections keep ending, if at least two opened ones lived about as
/// long (within 15 %) and at least [`MIN_TIMEOUT_MS`].
fn proxy_timeout(i: &Inspector) -> Option<u64> {
    let mut lives: Vec<f64> = i
        .conns
        .iter()
        .filter(|c| matches!(c.end, Some(End::ServerClosed | End::Failed { .. })))
        .filter_map(|c| Some(c.ended_ms? - c.opened_ms?))
        .filter(|&ms| ms >= MIN_TIMEOUT_MS)
        .collect();
    if lives.len() < 2 {
        return None;
    }
    lives.sort_by(f64::total_cmp);
    let median = lives[lives.len() / 2];
    lives
        .iter()
        .all(|&l| (l - median).abs() <= median * 0.15)
        .then(|| (median / 1000.0).round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::{Format, Via};

    fn codes(i: &Inspector, now: f64) -> Vec<&'static str> {
        diagnose(i, now).iter().map(|d| d.code.as_str()).collect()
    }

    fn ok_headers() -> Vec<(String, String)> {
        vec![("content-type".into(), "text/event-stream".into())]
    }

    fn ev(n: u32) -> String {
        format!("id: {n}\ndata: {n}\n\n")
    }

    #[test]
    fn a_steady_stream_has_no_findings() {
        let mut i = Inspector::new("https://x/s", Via::Fetch, Format::Sse, false);
        i.on_request(0.0);
        i.on_response(10.0, Some(200), ok_headers());
        for n in 0..30 {
            i.on_chunk(20.0 + f64::from(n) * 1000.0, ev(n).as_bytes());
        }
        assert!(codes(&i, 30_000.0).is_empty(), "{:?}", codes(&i, 30_000.0));
    }

    #[test]
    fn bursts_after_silence_are_buffering() {
        let mut i = Inspector::new("https://x/s", Via::Fetch, Format::Sse, false);
        i.on_request(0.0);
        i.on_response(10.0, Some(200), ok_headers());
        i.on_chunk(11.0, b"retry: 1000\n\n");
        let mut n = 0;
        for burst in 0..4 {
            let chunk: String = (0..8)
                .map(|_| {
                    n += 1;
                    ev(n)
                })
                .collect();
            i.on_chunk(4000.0 * f64::from(burst + 1), chunk.as_bytes());
        }
        assert_eq!(codes(&i, 17_000.0), vec!["buffering"]);
        // Fast batches with no silence between them are not.
        let mut j = Inspector::new("https://x/s", Via::Fetch, Format::Sse, false);
        j.on_request(0.0);
        j.on_response(1.0, Some(200), ok_headers());
        for b in 0..20 {
            let chunk: String = (0..50).map(|k| ev(b * 50 + k)).collect();
            j.on_chunk(2.0 + f64::from(b) * 10.0, chunk.as_bytes());
        }
        assert!(codes(&j, 300.0).is_empty());
    }

    #[test]
    fn a_burst_read_in_pieces_is_one_burst() {
        let mut i = Inspector::new("https://x/s", Via::Fetch, Format::Sse, false);
        i.on_request(0.0);
        i.on_response(1.0, Some(200), ok_headers());
        let mut n = 0;
        for burst in 1..=4 {
            for piece in 0..4 {
                let chunk: String = (0..50)
                    .map(|_| {
                        n += 1;
                        ev(n)
                    })
                    .collect();
                i.on_chunk(
                    f64::from(burst) * 4000.0 + f64::from(piece) * 5.0,
                    chunk.as_bytes(),
                );
            }
        }
        assert_eq!(codes(&i, 16_100.0), vec!["buffering"]);
    }

    #[test]
    fn eventsource_bursts_are_grouped_by_time() {
        let mut i = Inspector::new("https://x/s", Via::EventSource, Format::Sse, false);
        i.on_request(0.0);
        i.on_response(5.0, None, Vec::new());
        for burst in 1..=3 {
            for k in 0..6 {
                i.on_event(
                    f64::from(burst) * 3000.0 + f64::from(k) * 0.2,
                    "m".into(),
                    "1".into(),
                    "d".into(),
                );
            }
        }
        assert_eq!(codes(&i, 9500.0), vec!["buffering"]);
    }

    #[test]
    fn headers_and_status() {
        let mut i = Inspector::new("https://x/s", Via::Fetch, Format::Sse, false);
        i.on_request(0.0);
        i.on_response(
            1.0,
            Some(200),
            vec![
                ("Content-Type".into(), "text/plain".into()),
                ("Content-Encoding".into(), "gzip".into()),
            ],
        );
        let d = diagnose(&i, 2.0);
        assert_eq!(d[0], found(Code::Compression, "gzip"));
        assert_eq!(d[1], found(Code::ContentType, "text/plain"));
        i.on_end(3.0, End::ServerClosed);
        i.on_request(1003.0);
        i.on_response(1004.0, Some(502), vec![]);
        assert!(diagnose(&i, 1005.0).contains(&found(Code::Status, "502")));
    }

    #[test]
    fn cors_stall_no_ids_connection_limit_timeouts() {
        let mut i = Inspector::new("http://other/s", Via::Fetch, Format::Sse, true);
        i.on_request(0.0);
        assert_eq!(codes(&i, 6000.0), vec!["connection-limit"]);
        i.on_end(
            6001.0,
            End::Failed {
                message: "TypeError: Failed to fetch".into(),
            },
        );
        assert_eq!(codes(&i, 6002.0), vec!["cors"]);

        let mut i = Inspector::new("https://x/s", Via::Fetch, Format::Sse, false);
        for k in 0..3 {
            let t = f64::from(k) * 31_000.0;
            i.on_request(t);
            i.on_response(t + 10.0, Some(200), ok_headers());
            i.on_chunk(t + 20.0, b"data: a\n\ndata: b\n\n");
            i.on_end(t + 30_010.0, End::ServerClosed);
        }
        i.on_request(100_000.0);
        i.on_response(100_010.0, Some(200), ok_headers());
        i.on_chunk(100_020.0, b"data: c\n\n");
        assert_eq!(codes(&i, 100_100.0), vec!["proxy-timeout", "no-ids"]);
        assert_eq!(diagnose(&i, 100_100.0)[0].evidence, "30");
        assert!(codes(&i, 131_000.0).contains(&"stall"));
    }
}
