//! Native throughput benchmark for [`rill_sse::Decoder`].
//!
//! Run with `cargo run --release -p rill-sse --example decode_bench`.
//!
//! Three inputs, each fed in 64 KiB chunks to a fresh decoder, repeated for at least 0.5 s,
//! through [`Decoder::push_with`] (borrowed events: `case=<input>`) and [`Decoder::push`]
//! (owned `Item`s: `case=owned/<input>`):
//! * `events_1k`: ~8 MB of ~1 KiB events (`id:` + one `data:` line each);
//! * `chat_tokens`: ~8 MB of `data: {"choices":[{"delta":{"content":"tok"}}]}\n\n`;
//! * `one_1mb_line`: one event whose single data line is 1 MiB.
//!
//! For comparison each case is also run through `baseline_str_lines`, a naive decoder written
//! here: `str::from_utf8` on the whole input, then `str::lines()` and `split_once(':')`. It is
//! not incremental, not spec-complete (no lone-CR line ends, no BOM, no invalid UTF-8), and only
//! a yardstick. Output: one line per run, `case=<name> bytes=<n> mb_per_s=<x>` (MB = 10^6 B).
//! An optional argument keeps only the cases whose name contains it, e.g. `-- chat`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use rill_sse::{Decoder, Item, ItemRef};

const TARGET: usize = 8 * 1000 * 1000;
const CHUNK: usize = 64 * 1024;
const MIN_TIME: Duration = Duration::from_millis(500);

fn events_1k() -> Vec<u8> {
    let payload: String = (0..1000)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    let mut out = Vec::with_capacity(TARGET + 2048);
    let mut i = 0u64;
    while out.len() < TARGET {
        out.extend_from_slice(format!("id: {i}\ndata: {payload}\n\n").as_bytes());
        i += 1;
    }
    out
}

fn chat_tokens() -> Vec<u8> {
    let event = b"data: {\"choices\":[{\"delta\":{\"content\":\"tok\"}}]}\n\n";
    let mut out = Vec::with_capacity(TARGET + event.len());
    while out.len() < TARGET {
        out.extend_from_slice(event);
    }
    out
}

fn one_1mb_line() -> Vec<u8> {
    let mut out = b"data: ".to_vec();
    out.extend((0..1024 * 1024).map(|i| b'a' + (i % 26) as u8));
    out.extend_from_slice(b"\n\n");
    out
}

/// Decode `input` in 64 KiB chunks with the borrowing API, [`Decoder::push_with`]; returns the
/// number of events plus their total data length (so work is not elided).
fn run_decoder(input: &[u8]) -> usize {
    let mut decoder = Decoder::new();
    let mut count = 0usize;
    for chunk in input.chunks(CHUNK) {
        let pushed = decoder.push_with(chunk, |item| {
            if let ItemRef::Event(event) = item {
                count = count.wrapping_add(1 + event.data.len());
            }
        });
        if pushed.is_err() {
            return usize::MAX;
        }
    }
    count
}

/// Decode `input` in 64 KiB chunks with [`Decoder::push`] (owned [`Item`]s); returns the
/// number of events.
fn run_decoder_owned(input: &[u8]) -> usize {
    let mut decoder = Decoder::new();
    let mut items = Vec::new();
    let mut events = 0;
    for chunk in input.chunks(CHUNK) {
        if decoder.push(chunk, &mut items).is_err() {
            return usize::MAX;
        }
        events += items
            .drain(..)
            .filter(|item| matches!(item, Item::Event(_)))
            .count();
    }
    decoder.finish(&mut items);
    events + items.len()
}

/// The naive yardstick: whole-input UTF-8 check, `str::lines`, `split_once`.
fn run_baseline(input: &[u8]) -> usize {
    let Ok(text) = std::str::from_utf8(input) else {
        return 0;
    };
    let mut events = Vec::new();
    let (mut data, mut event_type, mut id) = (String::new(), String::new(), String::new());
    for line in text.lines() {
        if line.is_empty() {
            if !data.is_empty() {
                data.pop();
                let event = if event_type.is_empty() {
                    "message".to_owned()
                } else {
                    std::mem::take(&mut event_type)
                };
                events.push((event, std::mem::take(&mut data), id.clone()));
            }
            event_type.clear();
            continue;
        }
        if line.starts_with(':') {
            continue;
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "data" => {
                data.push_str(value);
                data.push('\n');
            }
            "event" => event_type = value.to_owned(),
            "id" => id = value.to_owned(),
            _ => {}
        }
    }
    events.len()
}

fn measure(name: &str, input: &[u8], run: fn(&[u8]) -> usize) {
    let start = Instant::now();
    let mut rounds = 0u64;
    let mut events = 0;
    while rounds == 0 || start.elapsed() < MIN_TIME {
        events = black_box(run(black_box(input)));
        rounds += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    let mb_per_s = input.len() as f64 * rounds as f64 / secs / 1e6;
    assert!(
        events > 0 && events != usize::MAX,
        "{name}: decoded no events"
    );
    println!("case={name} bytes={} mb_per_s={mb_per_s:.0}", input.len());
}

fn main() {
    let cases: [(&str, Vec<u8>); 3] = [
        ("events_1k", events_1k()),
        ("chat_tokens", chat_tokens()),
        ("one_1mb_line", one_1mb_line()),
    ];
    // An optional argument keeps only the cases whose name contains it (for profiling).
    let filter = std::env::args().nth(1).unwrap_or_default();
    let selected = || {
        cases
            .iter()
            .filter(|(name, _)| name.contains(filter.as_str()))
    };
    for (name, input) in selected() {
        measure(name, input, run_decoder);
    }
    for (name, input) in selected() {
        measure(&format!("owned/{name}"), input, run_decoder_owned);
    }
    for (name, input) in selected() {
        measure(&format!("baseline_str_lines/{name}"), input, run_baseline);
    }
}
