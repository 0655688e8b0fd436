//! Browser tests (wasm-bindgen-test in headless Chromium) for `rill::browser` helpers whose
//! wasm32 code path differs from the native one.
#![cfg(target_arch = "wasm32")]

use rill::browser::{lowercase, parse_number};
use rill::json::{number_text, Json};
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

/// In the browser `json` reads numbers with JavaScript's `Number()` and writes the ones that
/// are not integers with its `String()` (natively: Rust's parser and shortest formatting):
/// the same values and texts come out, and the text reads back as the same number.
#[wasm_bindgen_test]
fn json_numbers_go_through_javascript_and_read_back() {
    for (text, n) in [
        ("0.1", 0.1),
        ("-2.5e-3", -0.0025),
        ("1E+2", 100.0),
        ("12345678901234567890", 12345678901234567890.0),
        ("1e300", 1e300),
        ("5e-324", 5e-324),
        ("0.30000000000000004", 0.1 + 0.2),
    ] {
        assert_eq!(Json::parse(text), Ok(Json::Num(n)), "{text}");
        let written = number_text(n);
        assert_eq!(Json::parse(&written), Ok(Json::Num(n)), "{written}");
    }
    assert_eq!(number_text(0.7), "0.7");
    assert_eq!(number_text(-3.0), "-3");
    assert_eq!(number_text(1e21), "1e+21");
    assert_eq!(number_text(f64::NAN), "");
    assert!(Json::parse("1e400").is_err());
    assert_eq!(
        Json::obj([("t", 0.25.into()), ("s", "é\n".into())]).to_string(),
        r#"{"t":0.25,"s":"é\n"}"#
    );
}

/// `lowercase` is JavaScript's `toLowerCase` in the browser: Unicode case rules, as Rust's
/// `to_lowercase` natively.
#[wasm_bindgen_test]
fn lowercase_follows_unicode() {
    assert_eq!(lowercase("Rivers ÉCOLE ΣΑΣ 中文"), "rivers école σας 中文");
    assert_eq!(lowercase("RIVERS of Text"), "rivers of text");
}
