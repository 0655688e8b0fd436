//! `sse-decode`: run [`rill_sse::Decoder`] over a `text/event-stream` body read from stdin and
//! print what it yields as JSON lines — a test and debugging aid.
//!
//! This binary owns only argument parsing, cutting the input into pieces the way the options
//! say, and printing. All protocol logic stays in the library; this file must not re-implement
//! any of it.

use std::io::{self, BufWriter, Read, Write};
use std::process::ExitCode;

use rill_sse::{Decoder, Item, DEFAULT_MAX_BUFFER};

const USAGE: &str = "\
Usage: sse-decode [--split A,B,C | --chunk-size K] [--max-buffer N]

Decode a text/event-stream body read from stdin (WHATWG HTML 9.2.6) and print one JSON
object per line on stdout:
  {\"type\":\"event\",\"event\":\"<type>\",\"data\":\"<data>\",\"id\":\"<last event id>\"}
  {\"type\":\"retry\",\"ms\":N}
On a decode error, {\"type\":\"error\",\"message\":\"...\"} is printed and the exit status is 1.

Options:
  --split A,B,C     feed the input cut at these byte offsets (non-decreasing; offsets past
                    the end are clamped)
  --chunk-size K    feed the input in K-byte pieces (K >= 1)
  --max-buffer N    decoder buffer limit in bytes (default 16777216)
  -h, --help        print this help

Exit status: 0 success, 1 decode or I/O error, 2 usage error.";

/// How to cut the input into pieces.
enum Feed {
    Whole,
    Split(Vec<usize>),
    ChunkSize(usize),
}

struct Options {
    feed: Feed,
    max_buffer: usize,
}

enum Parsed {
    Run(Options),
    Help,
}

fn parse_number(option: &str, text: &str) -> Result<usize, String> {
    text.trim()
        .parse::<usize>()
        .map_err(|_| format!("{option}: not a non-negative integer: {text:?}"))
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Parsed, String> {
    let mut split: Option<Vec<usize>> = None;
    let mut chunk_size: Option<usize> = None;
    let mut max_buffer = DEFAULT_MAX_BUFFER;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (name, inline_value) = match arg.split_once('=') {
            Some((name, value)) if name.starts_with("--") => {
                (name.to_owned(), Some(value.to_owned()))
            }
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            inline_value
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match name.as_str() {
            "-h" | "--help" => return Ok(Parsed::Help),
            "--split" => {
                let text = value("--split")?;
                let offsets = if text.trim().is_empty() {
                    Vec::new()
                } else {
                    text.split(',')
                        .map(|part| parse_number("--split", part))
                        .collect::<Result<Vec<_>, _>>()?
                };
                if offsets.windows(2).any(|pair| pair[0] > pair[1]) {
                    return Err(format!("--split offsets must be sorted: {text}"));
                }
                split = Some(offsets);
            }
            "--chunk-size" => {
                let k = parse_number("--chunk-size", &value("--chunk-size")?)?;
                if k == 0 {
                    return Err("--chunk-size must be at least 1".to_owned());
                }
                chunk_size = Some(k);
            }
            "--max-buffer" => {
                max_buffer = parse_number("--max-buffer", &value("--max-buffer")?)?;
            }
            other => return Err(format!("unknown argument: {other}")),
        }
    }
    let feed = match (split, chunk_size) {
        (Some(_), Some(_)) => return Err("use either --split or --chunk-size, not both".to_owned()),
        (Some(offsets), None) => Feed::Split(offsets),
        (None, Some(k)) => Feed::ChunkSize(k),
        (None, None) => Feed::Whole,
    };
    Ok(Parsed::Run(Options { feed, max_buffer }))
}

/// The input cut into pieces, in order; concatenated they are the whole input.
fn pieces<'a>(input: &'a [u8], feed: &Feed) -> Vec<&'a [u8]> {
    match feed {
        Feed::Whole => vec![input],
        Feed::ChunkSize(k) => input.chunks((*k).max(1)).collect(),
        Feed::Split(offsets) => {
            let mut out = Vec::with_capacity(offsets.len() + 1);
            let mut start = 0;
            for &offset in offsets {
                let end = offset.clamp(start, input.len());
                out.push(&input[start..end]);
                start = end;
            }
            out.push(&input[start..]);
            out
        }
    }
}

/// A JSON string literal (serde_json does the escaping).
fn json_str(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

fn item_json(item: &Item) -> String {
    match item {
        Item::Event(event) => format!(
            "{{\"type\":\"event\",\"event\":{},\"data\":{},\"id\":{}}}",
            json_str(&event.event),
            json_str(&event.data),
            json_str(&event.id)
        ),
        Item::Retry(ms) => format!("{{\"type\":\"retry\",\"ms\":{ms}}}"),
    }
}

fn run(options: &Options, input: &[u8], stdout: &mut impl Write) -> io::Result<ExitCode> {
    let mut decoder = Decoder::with_max_buffer(options.max_buffer);
    let mut items = Vec::new();
    for piece in pieces(input, &options.feed) {
        let result = decoder.push(piece, &mut items);
        for item in items.drain(..) {
            writeln!(stdout, "{}", item_json(&item))?;
        }
        if let Err(error) = result {
            let message = error.to_string();
            writeln!(
                stdout,
                "{{\"type\":\"error\",\"message\":{}}}",
                json_str(&message)
            )?;
            stdout.flush()?;
            eprintln!("sse-decode: {message}");
            return Ok(ExitCode::from(1));
        }
    }
    decoder.finish(&mut items);
    for item in items.drain(..) {
        writeln!(stdout, "{}", item_json(&item))?;
    }
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(Parsed::Run(options)) => options,
        Ok(Parsed::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("sse-decode: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let mut input = Vec::new();
    if let Err(error) = io::stdin().lock().read_to_end(&mut input) {
        eprintln!("sse-decode: reading stdin: {error}");
        return ExitCode::from(1);
    }
    let stdout = io::stdout();
    let mut stdout = BufWriter::new(stdout.lock());
    match run(&options, &input, &mut stdout) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("sse-decode: writing stdout: {error}");
            ExitCode::from(1)
        }
    }
}
