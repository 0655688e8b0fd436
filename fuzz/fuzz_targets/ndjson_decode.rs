//! The NDJSON decoder never panics, and a cut anywhere in the stream gives the same values
//! and errors (in words) as pushing it whole.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rill_sse::NdjsonDecoder;

fn decode(chunks: &[&[u8]]) -> Vec<String> {
    let mut decoder = NdjsonDecoder::with_max_buffer(4096);
    let mut out = Vec::new();
    for chunk in chunks {
        decoder.push(chunk, &mut out);
    }
    decoder.finish(&mut out);
    out.into_iter()
        .map(|r| match r {
            Ok(v) => format!("ok {v}"),
            Err(e) => format!("err {e}"),
        })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let Some((&cut, body)) = data.split_first() else {
        return;
    };
    let cut = usize::from(cut) % (body.len() + 1);
    assert_eq!(decode(&[body]), decode(&[&body[..cut], &body[cut..]]));
});
