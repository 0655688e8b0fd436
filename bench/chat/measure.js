// The in-page half of `rill-bench chat` (bench/chat-render). rill-bench runs this file
// through WebDriver's Execute Script just before a run, the same script on the app and on
// the plain-JS page: arguments[0] is the CSS selector of the reply element (the last match
// is the reply), arguments[1] the API path whose request is measured.
//
// It records into `window.__chatBench`:
//   longTasks  [startTime, duration] of every `longtask` entry (main-thread tasks > 50 ms)
//   longFrames every `long-animation-frame` entry (frames whose work took > 50 ms), with how
//              much of it was script (scripts of 5 ms or more, as Chromium reports them,
//              animation-frame callbacks included), forced style and layout inside those
//              scripts, the rendering steps from `renderStart` and the style, layout and
//              paint from `styleAndLayoutStart` to the frame's end
//   done       when the reply element's data-state left "streaming" (MutationObserver)
//   paint      the final paint: requestAnimationFrame after `done`, then setTimeout 0 — the
//              callback runs once the frame that shows the final DOM has been produced (the
//              usual "next paint" approximation; Chromium has no paint event for a DOM change)
//   resource   the request's resource timing: responseEnd = arrival of the last byte
// and resolves `window.__chatBench.finished` with all of it once both `paint` and `resource`
// are known. `start` is set by rill-bench's start script.
"use strict";
const [selector, apiPath] = arguments;
const bench = {
  start: null,
  done: null,
  state: null,
  paint: null,
  resource: null,
  longTasks: [],
  longFrames: [],
};
let resolveFinished;
bench.finished = new Promise((resolve) => (resolveFinished = resolve));
window.__chatBench = bench;

const isApi = (entry) => {
  try {
    return new URL(entry.name, location.href).pathname === apiPath;
  } catch (_) {
    return false;
  }
};
const timing = (e) => ({
  startTime: e.startTime,
  requestStart: e.requestStart,
  responseStart: e.responseStart,
  responseEnd: e.responseEnd,
  encodedBodySize: e.encodedBodySize,
  decodedBodySize: e.decodedBodySize,
  transferSize: e.transferSize,
});
const addLongTasks = (entries) => {
  for (const e of entries) bench.longTasks.push([e.startTime, e.duration]);
};

const longTasks = new PerformanceObserver((list) => addLongTasks(list.getEntries()));
longTasks.observe({ type: "longtask" });

const addLongFrames = (entries) => {
  for (const e of entries) {
    const end = e.startTime + e.duration;
    const scripts = e.scripts || [];
    bench.longFrames.push({
      startTime: e.startTime,
      duration: e.duration,
      blockingDuration: e.blockingDuration,
      script: scripts.reduce((sum, s) => sum + s.duration, 0),
      forcedStyleAndLayout: scripts.reduce((sum, s) => sum + s.forcedStyleAndLayoutDuration, 0),
      render: e.renderStart > 0 ? end - e.renderStart : 0,
      styleAndLayout: e.styleAndLayoutStart > 0 ? end - e.styleAndLayoutStart : 0,
      invokers: scripts.map((s) => s.invoker),
    });
  }
};
const longFrames = new PerformanceObserver((list) => addLongFrames(list.getEntries()));
try {
  longFrames.observe({ type: "long-animation-frame" });
} catch (_) {
  // Not in this browser: longFrames stays empty.
}

const resources = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    if (isApi(e) && e.startTime >= (bench.start ?? 0)) bench.resource = timing(e);
  }
  finish();
});
resources.observe({ type: "resource" });

const states = new MutationObserver((records) => {
  if (bench.done !== null) return;
  for (const record of records) {
    const el = record.target;
    if (!(el instanceof Element) || !el.matches(selector)) continue;
    const all = document.querySelectorAll(selector);
    if (all[all.length - 1] !== el) continue;
    const state = el.getAttribute("data-state");
    if (!state || state === "streaming") continue;
    bench.done = performance.now();
    bench.state = state;
    requestAnimationFrame(() =>
      setTimeout(() => {
        bench.paint = performance.now();
        finish();
      }, 0),
    );
    return;
  }
});
states.observe(document.body, { subtree: true, attributes: true, attributeFilter: ["data-state"] });

function finish() {
  if (bench.paint === null || bench.finishedAt) return;
  if (!bench.resource) {
    // The observer is notified lazily; the timeline may already hold the entry.
    const e = performance.getEntriesByType("resource").filter(isApi).pop();
    if (e && e.startTime >= (bench.start ?? 0)) bench.resource = timing(e);
  }
  if (!bench.resource) return;
  bench.finishedAt = performance.now();
  addLongTasks(longTasks.takeRecords());
  addLongFrames(longFrames.takeRecords());
  longTasks.disconnect();
  longFrames.disconnect();
  resources.disconnect();
  states.disconnect();
  const { finished, ...result } = bench;
  resolveFinished(result);
}
return true;
