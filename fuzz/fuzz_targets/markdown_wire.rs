//! The markdown wire decoder never panics on any text; what it decodes encodes back to text
//! that decodes to the same update; and a rendered update survives encode → decode.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rill_markdown::wire::{decode_update, encode_update};
use rill_markdown::Incremental;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(update) = decode_update(text) {
        let mut encoded = String::new();
        encode_update(&update, &mut encoded);
        assert_eq!(decode_update(&encoded), Some(update));
    }
    let mut renderer = Incremental::new();
    for update in [renderer.push(text), renderer.finish()] {
        let mut encoded = String::new();
        encode_update(&update, &mut encoded);
        assert_eq!(decode_update(&encoded), Some(update));
    }
});
