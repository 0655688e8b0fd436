// The in-page half of `rill-bench big-chat` (bench/big-chat), installed with DevTools'
// Page.addScriptToEvaluateOnNewDocument so it runs before the app's own scripts. It records
// into `window.__big`:
//   longTasks  [startTime, duration] of every `longtask` entry (main-thread tasks > 50 ms)
//   frames     [startTime, duration, blockingDuration] of every `long-animation-frame`
//   events     Event Timing entries (keydown, input, …) of 16 ms or more: [name, startTime,
//              duration, processingEnd - processingStart (the handlers' time)]
//   open       performance.now() (ms since navigation start) in the first animation frame in
//              which the conversation's last message (the last `message` element in the log)
//              has data-state "done", the expected text, and lies inside the scroll viewport
//   openPaint  setTimeout 0 after that frame: the frame showing it has been produced
// `__BIG_LAST__` is replaced by rill-bench with the last message's text (JSON).
"use strict";
(() => {
  const last = __BIG_LAST__;
  const big = (window.__big = { longTasks: [], frames: [], events: [], open: null, openPaint: null });
  const observe = (type, each, extra) => {
    try {
      new PerformanceObserver((list) => list.getEntries().forEach(each)).observe({ type, buffered: true, ...extra });
    } catch (_) {}
  };
  observe("longtask", (e) => big.longTasks.push([e.startTime, e.duration]));
  observe("long-animation-frame", (e) => big.frames.push([e.startTime, e.duration, e.blockingDuration]));
  observe("event", (e) => big.events.push([e.name, e.startTime, e.duration, e.processingEnd - e.processingStart]), { durationThreshold: 16 });
  const shown = () => {
    const log = document.querySelector("[data-testid=chat-log]");
    const scroller = document.querySelector(".rill-chat-scroll");
    if (!log || !scroller) return false;
    let article = log.lastElementChild;
    while (article && article.tagName !== "ARTICLE") article = article.previousElementSibling;
    const msg = article && article.querySelector("[data-testid=message]");
    if (!msg || msg.dataset.state !== "done" || msg.textContent.trim() !== last) return false;
    const r = msg.getBoundingClientRect();
    const s = scroller.getBoundingClientRect();
    return r.bottom > s.top && r.top < s.bottom && r.height > 0;
  };
  const frame = () => {
    if (shown()) {
      big.open = performance.now();
      setTimeout(() => (big.openPaint = performance.now()), 0);
    } else {
      requestAnimationFrame(frame);
    }
  };
  requestAnimationFrame(frame);
})();
