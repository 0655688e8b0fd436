//! `GET /stream`: the original design's clock feed, reproduced byte for byte.
//!
//! The Node original (`../shared/seed/clock_server.js`) answers with four headers, writes
//! `retry: 10000\n`, `event: connecttime\n`, `data: <time>\n\n`, then `data: <time>\n\n` every
//! second, where `<time>` is `new Date().toLocaleString('zh-CN', {timeZone: 'Asia/Shanghai'})`.
//! This module must stay byte-compatible with it: interop tests compare the two.

use std::convert::Infallible;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::stream::{self, StreamExt};
use tokio::time::{interval_at, Instant, MissedTickBehavior};

use crate::AppState;

/// The reconnection time the original sends, in milliseconds.
pub const RETRY_MS: u64 = 10_000;

/// Streams the clock until the client goes away.
pub async fn stream(State(state): State<AppState>) -> Response {
    let guard = match state.streams.try_enter() {
        Ok(guard) => guard,
        Err(busy) => return busy.into_response(),
    };
    // Node writes these three pieces with three `res.write` calls; keep them separate chunks.
    let head = stream::iter([
        Bytes::from(format!("retry: {RETRY_MS}\n")),
        Bytes::from_static(b"event: connecttime\n"),
        Bytes::from(format!("data: {}\n\n", now_text())),
    ]);
    // `setInterval(…, 1000)` first fires one period after it is set, not at once.
    let mut ticker = interval_at(
        Instant::now() + Duration::from_secs(1),
        Duration::from_secs(1),
    );
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    // The guard lives in the stream state: when hyper drops the body, the ticker and the guard
    // go with it, so nothing is left running for a client that has left.
    let ticks = stream::unfold((ticker, guard), |(mut ticker, guard)| async move {
        ticker.tick().await;
        let chunk = tick_chunk();
        Some((chunk, (ticker, guard)))
    });
    let body = Body::from_stream(head.chain(ticks).map(Ok::<_, Infallible>));

    let mut response = Response::new(body);
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(header::CONNECTION, HeaderValue::from_static("keep-alive"));
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}

/// `data: <now>\n\n` for the current second, encoded once per second for every client: each
/// client's tick is a reference-counted clone, not a string of its own.
fn tick_chunk() -> Bytes {
    static CACHE: Mutex<Option<(u64, Bytes)>> = Mutex::new(None);
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut cache = CACHE.lock().unwrap_or_else(PoisonError::into_inner);
    match &*cache {
        Some((at, chunk)) if *at == secs => chunk.clone(),
        _ => {
            let ms = i64::try_from(secs.saturating_mul(1000)).unwrap_or(i64::MAX);
            let chunk = Bytes::from(format!("data: {}\n\n", format_zh_cn_shanghai(ms)));
            *cache = Some((secs, chunk.clone()));
            chunk
        }
    }
}

/// The current time as the original prints it.
fn now_text() -> String {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    format_zh_cn_shanghai(ms)
}

/// Formats a Unix time in milliseconds as Node's
/// `new Date(ms).toLocaleString('zh-CN', {timeZone: 'Asia/Shanghai'})`: `2026/1/5 09:03:07`
/// (year, unpadded month and day, 24-hour padded time).
///
/// Shanghai has been UTC+8 without daylight saving since 1991, which covers every "now" this
/// server will see; earlier instants are formatted with the same fixed offset.
pub fn format_zh_cn_shanghai(unix_ms: i64) -> String {
    const OFFSET_SECS: i64 = 8 * 3600;
    let secs = unix_ms.div_euclid(1000) + OFFSET_SECS;
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y}/{m}/{d} {:02}:{:02}:{:02}",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    )
}

/// Proleptic Gregorian (year, month, day) of a day count since 1970-01-01 (Howard Hinnant's
/// algorithm).
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    // Both fit by construction: 1 <= d <= 31, 1 <= m <= 12.
    (y, m as u32, d as u32)
}

#[cfg(test)]
mod tests {
    use super::format_zh_cn_shanghai;

    /// Expected strings printed by Node 20 (`toLocaleString('zh-CN', {timeZone: 'Asia/Shanghai'})`).
    #[test]
    fn formats_like_node_zh_cn_shanghai() {
        let cases = [
            (0, "1970/1/1 08:00:00"),
            (-1000, "1970/1/1 07:59:59"),
            (951_782_400_000, "2000/2/29 08:00:00"),
            (1_234_567_890_123, "2009/2/14 07:31:30"),
            (1_609_459_199_000, "2021/1/1 07:59:59"),
            (1_700_000_000_000, "2023/11/15 06:13:20"),
            (1_735_689_599_999, "2025/1/1 07:59:59"),
            (1_736_006_400_000, "2025/1/5 00:00:00"),
            (1_736_038_987_000, "2025/1/5 09:03:07"),
            (1_767_575_587_000, "2026/1/5 09:13:07"),
            (4_102_444_800_000, "2100/1/1 08:00:00"),
        ];
        for (ms, want) in cases {
            assert_eq!(format_zh_cn_shanghai(ms), want, "at {ms} ms");
        }
    }
}
