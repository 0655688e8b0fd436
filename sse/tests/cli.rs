//! End-to-end tests of the `sse-decode` binary: exact stdout for a body with a BOM, CRLF line
//! ends and a UTF-8 character split between pieces; ordering; errors; usage errors.
#![cfg(not(target_arch = "wasm32"))]

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn sse_decode(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sse-decode"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn sse-decode");
    // A usage error exits without reading stdin, so the write may fail with a broken pipe;
    // the exit status and output are what the tests check.
    if let Some(mut pipe) = child.stdin.take() {
        let _ = pipe.write_all(stdin);
    }
    child.wait_with_output().expect("wait for sse-decode")
}

fn stdout_lines(output: &Output) -> Vec<String> {
    String::from_utf8(output.stdout.clone())
        .expect("stdout is UTF-8")
        .lines()
        .map(str::to_owned)
        .collect()
}

/// BOM, CRLF everywhere, "é" as C3 A9.
const BODY: &[u8] =
    b"\xEF\xBB\xBFevent: greet\r\ndata: h\xC3\xA9llo\r\nid: 7\r\n\r\nretry: 1500\r\ndata: second\r\n\r\n: bye\r\ndata: unfinished";

const EXPECTED: [&str; 3] = [
    r#"{"type":"event","event":"greet","data":"héllo","id":"7"}"#,
    r#"{"type":"retry","ms":1500}"#,
    r#"{"type":"event","event":"message","data":"second","id":"7"}"#,
];

fn offset_of(needle: &[u8]) -> usize {
    BODY.windows(needle.len())
        .position(|w| w == needle)
        .expect("needle in BODY")
}

#[test]
fn split_inside_bom_crlf_and_utf8_char_gives_exact_lines() {
    let between_cr_and_lf = offset_of(b"greet\r\n") + "greet\r".len();
    let inside_e_acute = offset_of(b"\xC3\xA9") + 1;
    assert_eq!(
        (between_cr_and_lf, inside_e_acute),
        (16, 25),
        "offsets as documented"
    );
    let output = sse_decode(&["--split", "1,2,16,25,9999"], BODY);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_eq!(stdout_lines(&output), EXPECTED);
    assert!(output.stderr.is_empty());
}

#[test]
fn split_option_accepts_equals_form() {
    let output = sse_decode(&["--split=16,25"], BODY);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(stdout_lines(&output), EXPECTED);
}

#[test]
fn every_chunk_size_gives_the_same_lines() {
    for k in ["1", "2", "3", "7", "64"] {
        let output = sse_decode(&["--chunk-size", k], BODY);
        assert_eq!(output.status.code(), Some(0), "chunk size {k}");
        assert_eq!(stdout_lines(&output), EXPECTED, "chunk size {k}");
    }
}

#[test]
fn whole_input_without_options() {
    let output = sse_decode(&[], BODY);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(stdout_lines(&output), EXPECTED);
}

#[test]
fn retry_is_printed_before_the_event_of_its_block() {
    let output = sse_decode(&["--chunk-size", "1"], b"data: x\nretry: 250\n\n");
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        stdout_lines(&output),
        [
            r#"{"type":"retry","ms":250}"#,
            r#"{"type":"event","event":"message","data":"x","id":""}"#,
        ]
    );
}

#[test]
fn json_escaping_is_done_by_serde_json() {
    let output = sse_decode(&[], b"event: q\"t\ndata: a\\b\ndata: \x01\n\n");
    assert_eq!(
        stdout_lines(&output),
        [r#"{"type":"event","event":"q\"t","data":"a\\b\n\u0001","id":""}"#]
    );
}

#[test]
fn decode_error_prints_error_object_and_exits_1() {
    let output = sse_decode(
        &["--max-buffer", "16", "--chunk-size", "4"],
        b"data: ok\n\ndata: 0123456789abcdef\n\n",
    );
    assert_eq!(output.status.code(), Some(1));
    let lines = stdout_lines(&output);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(
        lines[0],
        r#"{"type":"event","event":"message","data":"ok","id":""}"#
    );
    assert!(
        lines[1].starts_with(r#"{"type":"error","message":""#) && lines[1].contains("16-byte"),
        "{}",
        lines[1]
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("16-byte"));
}

#[test]
fn unsorted_split_is_a_usage_error() {
    let output = sse_decode(&["--split", "5,3"], BODY);
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    assert!(String::from_utf8_lossy(&output.stderr).contains("sorted"));
}

#[test]
fn other_usage_errors_exit_2() {
    for args in [
        &["--chunk-size", "0"][..],
        &["--chunk-size"],
        &["--chunk-size", "x"],
        &["--split", "1,a"],
        &["--split", "1", "--chunk-size", "2"],
        &["--frobnicate"],
    ] {
        let output = sse_decode(args, BODY);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(output.stdout.is_empty(), "{args:?}");
        assert!(!output.stderr.is_empty(), "{args:?}");
    }
}

#[test]
fn help_exits_0() {
    let output = sse_decode(&["--help"], b"");
    assert_eq!(output.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&output.stdout).contains("--chunk-size"));
}
