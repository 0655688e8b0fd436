//! The SSE decoder never panics, and cutting the stream into chunks anywhere gives the same
//! items as pushing it whole (the first input byte picks the cut).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rill_sse::{Decoder, Item};

fn decode(chunks: &[&[u8]]) -> (Vec<Item>, bool) {
    let mut decoder = Decoder::with_max_buffer(4096);
    let mut out = Vec::new();
    let mut failed = false;
    for chunk in chunks {
        if decoder.push(chunk, &mut out).is_err() {
            failed = true;
            break;
        }
    }
    if !failed {
        decoder.finish(&mut out);
    }
    (out, failed)
}

fuzz_target!(|data: &[u8]| {
    let Some((&cut, body)) = data.split_first() else {
        return;
    };
    let cut = usize::from(cut) % (body.len() + 1);
    let (whole, whole_failed) = decode(&[body]);
    let (split, split_failed) = decode(&[&body[..cut], &body[cut..]]);
    // An error (invalid UTF-8, a line over the limit) may be found at a different item
    // count depending on the cut, so only error-free streams must agree item for item.
    assert_eq!(whole_failed, split_failed);
    if !whole_failed {
        assert_eq!(whole, split);
    }
});
