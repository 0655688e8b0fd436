//! Markdown conversion never panics, and streaming the text in two deltas cut anywhere gives
//! closed blocks whose nodes concatenate to the one-shot `render` (Incremental's invariant).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rill_markdown::{render, Incremental};

fuzz_target!(|data: &[u8]| {
    let Some((&cut, body)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(body) else {
        return;
    };
    let mut cut = usize::from(cut) % (text.len() + 1);
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let whole = render(text);
    let mut renderer = Incremental::new();
    let mut nodes = Vec::new();
    for update in [
        renderer.push(&text[..cut]),
        renderer.push(&text[cut..]),
        renderer.finish(),
    ] {
        for block in update.closed {
            nodes.extend(block.nodes);
        }
    }
    assert_eq!(whole, nodes);
});
