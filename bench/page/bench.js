// In-browser half of `./x bench`: rill-sse's decoder compiled to wasm against the npm package
// eventsource-parser, on the same inputs, in the same page and run.
//
// What each side is given and must do (the same for both, as an app reading a fetch() body):
// * Input: one stream as bytes, pre-split into the same Uint8Array chunks (views of one buffer;
//   the split is made before timing starts).
// * eventsource-parser (its documented use with fetch): a fresh `new TextDecoder()` decodes each
//   chunk with {stream: true} and `parser.feed(text)` parses it; onEvent counts the event and
//   adds `event.data.length`. The events are JS objects whose strings are usable from JS.
// * rill-sse (wasm): a fresh `Session` (one rill_sse::Decoder) gets each chunk as the app's fetch
//   transport does: `push(chunk)` copies it into a buffer in wasm memory kept between chunks
//   (`Uint8Array::copy_to`), then decodes it.
//   Events are handed to a Rust closure borrowed (`Decoder::push_with`: &str type, data, id),
//   counted there — Rust is where the app consumes them. "wasm, owned" is the same with
//   `Decoder::push`, which allocates an Item with owned Strings per event.
// * "wasm, whole buffer": the entire input is copied into wasm memory in one call and cut into
//   the same chunks inside Rust. A lower bound for the per-chunk boundary overhead; not what the
//   app does, labelled as such.
// Both count events and total data length; every run of every implementation must report the
// counts the generator expects (all inputs are ASCII, so UTF-16 length = UTF-8 length), or the
// page fails. A sample repeats one implementation's run (fresh parser each time) until at least
// MIN_SAMPLE_MS have passed; samples are interleaved (the order rotates every round) after
// warm-up rounds, at least WARMUP of them and at least WARMUP_MS of them: V8 runs new wasm code
// in its baseline compiler (Liftoff) and swaps in optimised (TurboFan) code some time later —
// on this 2-core machine up to ~2 s, during which wasm runs at about half speed — and JS goes
// through its own tiers. Steady state is what a long stream sees. Each figure is the median
// over the measured rounds of input bytes / wall
// time (MB = 10^6 B). Between samples the page yields to the event loop (outside the timing).

import init, { Session, decode } from "./pkg/rill_bench_wasm.js";
import { createParser as createParser3 } from "./esp3/dist/index.js";
import { createParser as createParser4 } from "./esp4/dist/index.js";

// The same generators as sse/examples/decode_bench.rs.
const TARGET = 8 * 1000 * 1000;
const LINE_REPEATS = 8; // the 1 MiB line event, repeated to a few MB per run
const WARMUP = 2;
const WARMUP_MS = 3000; // per input and chunking, all implementations interleaved
const ROUNDS = 11;
const MIN_SAMPLE_MS = 25; // a sample repeats its run until this much time has passed
const CHUNKINGS = [
  { name: "64 KiB", lengths: (n) => fixedLengths(n, 64 * 1024) },
  { name: "1-4 KiB", lengths: (n) => networkLengths(n, 1024, 4096, 0x5eed) },
];

const log = document.getElementById("log");
const say = (line) => {
  log.textContent += `\n${line}`;
  window.__benchProgress = line;
};
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

function letters(n) {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = 97 + (i % 26);
  return new TextDecoder().decode(out);
}

function events1k() {
  const payload = letters(1000);
  const parts = [];
  let len = 0;
  let n = 0;
  while (len < TARGET) {
    const event = `id: ${n}\ndata: ${payload}\n\n`;
    parts.push(event);
    len += event.length;
    n++;
  }
  return { name: "events_1k", text: parts.join(""), events: n, dataBytes: n * payload.length };
}

function chatTokens() {
  const data = '{"choices":[{"delta":{"content":"tok"}}]}';
  const event = `data: ${data}\n\n`;
  const n = Math.ceil(TARGET / event.length);
  return { name: "chat_tokens", text: event.repeat(n), events: n, dataBytes: n * data.length };
}

function oneMbLine() {
  const line = letters(1024 * 1024);
  const event = `data: ${line}\n\n`;
  return {
    name: "one_1mb_line",
    text: event.repeat(LINE_REPEATS),
    events: LINE_REPEATS,
    dataBytes: LINE_REPEATS * line.length,
  };
}

function fixedLengths(total, size) {
  const out = [];
  for (let at = 0; at < total; at += size) out.push(Math.min(size, total - at));
  return out;
}

// Sizes uniformly drawn from [min, max] with a fixed seed (mulberry32): the same every run.
function networkLengths(total, min, max, seed) {
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [];
  for (let at = 0; at < total; ) {
    const len = Math.min(total - at, min + Math.floor(random() * (max - min + 1)));
    out.push(len);
    at += len;
  }
  return out;
}

const STREAM = { stream: true };

function runParser(createParser, c) {
  let events = 0;
  let dataBytes = 0;
  let errors = 0;
  const parser = createParser({
    onEvent(event) {
      events++;
      dataBytes += event.data.length;
    },
    onError() {
      errors++;
    },
  });
  const text = new TextDecoder();
  const chunks = c.chunks;
  for (let i = 0; i < chunks.length; i++) parser.feed(text.decode(chunks[i], STREAM));
  const tail = text.decode();
  if (tail !== "") parser.feed(tail);
  return { events, dataBytes, failed: errors > 0 };
}

// A session's counts, read before it is freed.
function counts(session) {
  const out = { events: session.events, dataBytes: session.dataBytes, failed: session.failed };
  session.free();
  return out;
}

// `session` fed chunk by chunk from JavaScript.
function runWasm(session, c) {
  const chunks = c.chunks;
  for (let i = 0; i < chunks.length; i++) session.push(chunks[i]);
  session.finish();
  return counts(session);
}

function runWasmWhole(c) {
  return counts(decode(c.bytes, c.lengths));
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function version(dir) {
  const response = await fetch(`./${dir}/package.json`);
  if (!response.ok) throw new Error(`${dir}/package.json: HTTP ${response.status}`);
  return (await response.json()).version;
}

// The full version (the user agent string says only "156.0.0.0").
async function browserVersion() {
  try {
    const { fullVersionList } = await navigator.userAgentData.getHighEntropyValues([
      "fullVersionList",
    ]);
    const brand =
      fullVersionList.find((b) => b.brand === "Chromium") ||
      fullVersionList.find((b) => /Chrom/.test(b.brand));
    if (brand) return `${brand.brand} ${brand.version}`;
  } catch (_) {
    // Not Chromium, or no User-Agent Client Hints: fall back to the user agent string.
  }
  return navigator.userAgent;
}

async function main() {
  const started = performance.now();
  await init();
  const versions = { esp3: await version("esp3"), esp4: await version("esp4") };
  const impls = [
    { key: "esp3", run: (c) => runParser(createParser3, c) },
    { key: "wasm", run: (c) => runWasm(new Session(), c) },
    { key: "esp4", run: (c) => runParser(createParser4, c) },
    { key: "wasm_whole", run: runWasmWhole },
    { key: "wasm_owned", run: (c) => runWasm(Session.owned(), c) },
  ];
  const encoder = new TextEncoder();
  const cases = [];
  for (const make of [events1k, chatTokens, oneMbLine]) {
    const input = make();
    const bytes = encoder.encode(input.text);
    input.text = null;
    for (const chunking of CHUNKINGS) {
      const lengths = chunking.lengths(bytes.length);
      const chunks = [];
      let at = 0;
      for (const len of lengths) {
        chunks.push(bytes.subarray(at, at + len));
        at += len;
      }
      const c = { bytes, chunks, lengths: Uint32Array.from(lengths) };
      const samples = Object.fromEntries(impls.map((impl) => [impl.key, []]));
      const paired = [];
      const warmStart = performance.now();
      let warmRounds = 0;
      for (let round = 0; round < warmRounds + ROUNDS; round++) {
        // Warm-up rounds come first and stop for good at the first round that is not one.
        const warming =
          round === warmRounds &&
          (round < WARMUP || performance.now() - warmStart < WARMUP_MS);
        if (warming) warmRounds++;
        const mbps = {};
        for (let k = 0; k < impls.length; k++) {
          const impl = impls[(k + round) % impls.length];
          await tick();
          let runs = 0;
          let ms = 0;
          const t0 = performance.now();
          do {
            const result = impl.run(c);
            runs++;
            ms = performance.now() - t0;
            if (
              result.failed ||
              result.events !== input.events ||
              result.dataBytes !== input.dataBytes
            ) {
              throw new Error(
                `${input.name} / ${chunking.name} / ${impl.key}: decoded ${result.events} events ` +
                  `with ${result.dataBytes} data bytes (failed: ${result.failed}), expected ` +
                  `${input.events} events with ${input.dataBytes}`,
              );
            }
          } while (ms < MIN_SAMPLE_MS);
          mbps[impl.key] = (bytes.length * runs) / ms / 1000;
          if (!warming) samples[impl.key].push(mbps[impl.key]);
        }
        if (!warming) paired.push(mbps.wasm / mbps.esp3);
      }
      const med = Object.fromEntries(impls.map((impl) => [impl.key, median(samples[impl.key])]));
      cases.push({
        warmup_rounds: warmRounds,
        input: input.name,
        chunking: chunking.name,
        bytes: bytes.length,
        chunks: chunks.length,
        events: input.events,
        data_bytes: input.dataBytes,
        mb_per_s: med,
        ratio_wasm_vs_esp3: med.wasm / med.esp3,
        ratio_wasm_vs_esp4: med.wasm / med.esp4,
        paired_ratio_wasm_vs_esp3_median: median(paired),
        samples,
      });
      say(
        `${input.name} ${chunking.name}: eventsource-parser ${versions.esp3} ` +
          `${med.esp3.toFixed(0)} MB/s, ${versions.esp4} ${med.esp4.toFixed(0)} MB/s, ` +
          `wasm ${med.wasm.toFixed(0)} MB/s (whole buffer ${med.wasm_whole.toFixed(0)}), ` +
          `ratio ${(med.wasm / med.esp3).toFixed(2)}`,
      );
    }
  }
  window.__benchResult = {
    user_agent: navigator.userAgent,
    browser: await browserVersion(),
    hardware_concurrency: navigator.hardwareConcurrency,
    cross_origin_isolated: window.crossOriginIsolated,
    eventsource_parser: versions,
    warmup_rounds: WARMUP,
    warmup_ms: WARMUP_MS,
    rounds: ROUNDS,
    min_sample_ms: MIN_SAMPLE_MS,
    seconds: (performance.now() - started) / 1000,
    cases,
  };
  say("done");
}

main().catch((error) => {
  window.__benchError = String((error && error.stack) || error);
  say(`error: ${window.__benchError}`);
});
