//! The page's JSON parser (`rill::json`, included by path so the fuzz build does not compile
//! Leptos) never panics, and what it accepts writes back to text that parses to an equal value.
#![no_main]

#[allow(dead_code)]
#[path = "../../src/json.rs"]
mod json;

use json::Json;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = Json::parse_bytes(data) else {
        return;
    };
    let mut text = String::new();
    value.write(&mut text);
    let again = Json::parse(&text).unwrap_or_else(|e| panic!("written {text:?} fails: {e:?}"));
    assert_eq!(value, again, "written as {text:?}");
    let mut pretty = String::new();
    value.write_pretty(&mut pretty, 0);
    assert_eq!(Json::parse(&pretty).ok(), Some(again));
});
