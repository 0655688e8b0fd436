//! Browser tests (wasm-bindgen-test in headless Chromium) for `rill::browser` helpers whose
//! wasm32 code path differs from the native one.
#![cfg(target_arch = "wasm32")]

use rill::browser::parse_number;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// In the browser `parse_number` lets JavaScript's `Number()` convert the text (natively it
/// is `str::parse`): the same numbers come out, and the forms `Number()` alone would accept
/// (empty, hex, `Infinity`) are still refused.
#[wasm_bindgen_test]
fn parse_number_uses_javascript_number_and_keeps_the_decimal_rules() {
    assert_eq!(parse_number(" 0.7 "), Some(0.7));
    assert_eq!(parse_number("1e-1"), Some(0.1));
    assert_eq!(parse_number("-2"), Some(-2.0));
    assert_eq!(parse_number("+1.25"), Some(1.25));
    assert_eq!(parse_number(".5"), Some(0.5));
    for bad in [
        "", " ", "0x10", "0b1", "inf", "NaN", "Infinity", "1.5abc", "e5", "1e999", "1.2.3", "+-1",
    ] {
        assert_eq!(parse_number(bad), None, "{bad:?}");
    }
}
