//! Wall-clock times as the emulated servers print them: Unix seconds (OpenAI `created`),
//! RFC 3339 with nanoseconds (Ollama `created_at`) and Python's `str(datetime.now(timezone.utc))`
//! (sse_starlette's ping comments).

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds and nanoseconds since the Unix epoch (zero before it).
fn split(t: SystemTime) -> (i64, u32) {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    (
        i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        d.subsec_nanos(),
    )
}

/// Seconds since the Unix epoch, now.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `2025-01-05T01:03:07.123456789Z`, as Ollama writes `created_at`.
pub fn rfc3339(t: SystemTime) -> String {
    let (secs, nanos) = split(t);
    let (date, h, m, s) = civil(secs);
    format!("{date}T{h:02}:{m:02}:{s:02}.{nanos:09}Z")
}

/// `2025-01-05 01:03:07.123456+00:00` (no fraction when the microseconds are zero), as Python
/// prints an aware UTC `datetime`.
pub fn python_utc(t: SystemTime) -> String {
    let (secs, nanos) = split(t);
    let (date, h, m, s) = civil(secs);
    let micros = nanos / 1000;
    if micros == 0 {
        format!("{date} {h:02}:{m:02}:{s:02}+00:00")
    } else {
        format!("{date} {h:02}:{m:02}:{s:02}.{micros:06}+00:00")
    }
}

/// (`YYYY-MM-DD`, hour, minute, second) of a Unix time in UTC.
fn civil(secs: i64) -> (String, i64, i64, i64) {
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = crate::clock::civil_from_days(days);
    (
        format!("{y:04}-{m:02}-{d:02}"),
        sod / 3600,
        sod % 3600 / 60,
        sod % 60,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(secs: u64, nanos: u32) -> SystemTime {
        UNIX_EPOCH + Duration::new(secs, nanos)
    }

    #[test]
    fn formats_like_ollama_and_python() {
        assert_eq!(rfc3339(at(0, 0)), "1970-01-01T00:00:00.000000000Z");
        assert_eq!(
            rfc3339(at(1_736_038_987, 123_456_789)),
            "2025-01-05T01:03:07.123456789Z"
        );
        assert_eq!(
            rfc3339(at(951_782_400, 5)),
            "2000-02-29T00:00:00.000000005Z"
        );
        assert_eq!(
            python_utc(at(1_736_038_987, 123_456_789)),
            "2025-01-05 01:03:07.123456+00:00"
        );
        assert_eq!(
            python_utc(at(4_102_444_800, 999)),
            "2100-01-01 00:00:00+00:00"
        );
    }
}
