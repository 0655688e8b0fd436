// rill's loader: a file, not an inline script, so the page runs under a Content-Security-Policy
// without 'unsafe-inline' (script-src 'self' 'wasm-unsafe-eval').
//
// It picks the bundle as the app picks its view: the URL's `view` (the last valid one), else
// the `view` of the site's config.json, else the chat. It fetches config.json (beside the
// page) in parallel with the bundle the URL implies, so the common case (the URL names the
// view, or config.json names none or the same bundle's) costs no extra round trip; only a
// config.json whose view is in the other bundle, on a URL that names none, switches bundles
// once config.json is in (the first bundle's wasm download is aborted). The answer is left in
// `globalThis.__rillConfig` for the app, which reads it once, so it is not fetched twice. The
// loader adds the feed views' style before they start, and says so plainly, as text, if the app
// cannot start. Every URL is relative to the page, so the app runs from any folder of any
// static host.
const at = (file) => new URL(file, document.baseURI);
const feedViews = ["clock", "inspect"];
const known = (view) => view === "chat" || feedViews.includes(view);
const bundleOf = (view) => (feedViews.includes(view) ? "rill-feed" : "rill-chat");
// The chat is Trunk's main app: its files carry a content hash, which Trunk writes on this
// script's tag (Trunk.toml `pattern_script`). The feed bundle's names are fixed.
const tag = document.querySelector("script[data-rill-chat-js]");
const files = {
  "rill-chat": {
    js: (tag && tag.dataset.rillChatJs) || "rill-chat.js",
    wasm: (tag && tag.dataset.rillChatWasm) || "rill-chat_bg.wasm",
  },
  "rill-feed": { js: "rill-feed.js", wasm: "rill-feed_bg.wasm" },
};

let urlView = null;
for (const v of new URLSearchParams(location.search).getAll("view")) {
  if (known(v)) urlView = v;
}

// `no-cache`: revalidated on every load, so an edited config.json applies at once. A host
// that never answers must not keep the app from starting: after 10 s it starts without it
// (and says so).
const patience = typeof AbortSignal.timeout === "function" ? AbortSignal.timeout(10000) : undefined;
const config = fetch(at("config.json"), { cache: "no-cache", signal: patience })
  .then(async (r) => ({
    status: r.status,
    type: r.headers.get("content-type") || "",
    text: r.ok ? await r.text() : "",
  }))
  .catch((err) => ({ error: String(err && err.message ? err.message : err) }));

// config.json's view, read as the app reads it (`ConfigFile::from_response`): only a
// successful answer that is not an HTML page (a host's fallback for any path) is a config.
const fileView = (c) => {
  if (!(c.status >= 200 && c.status < 300) || /^\s*text\/html\s*(;|$)/i.test(c.type)) return null;
  try {
    const view = JSON.parse(c.text.replace(/^\uFEFF/, "")).view;
    return known(view) ? view : null;
  } catch {
    return null; // The app names the problem.
  }
};

// Starts one bundle's downloads: its wasm and, in parallel, its JS glue. A download that is
// abandoned must not report an unhandled rejection, hence the empty handlers on the side.
const load = (bundle, signal) => {
  const wasm = fetch(at(files[bundle].wasm), { signal });
  const glue = import(at(files[bundle].js));
  wasm.catch(() => {});
  glue.catch(() => {});
  return { bundle, wasm, glue };
};

const guess = new AbortController();
const first = load(bundleOf(urlView || "chat"), guess.signal);
const chosen = config.then((c) => {
  globalThis.__rillConfig = c;
  const bundle = bundleOf(urlView || fileView(c) || "chat");
  if (bundle === first.bundle) return first;
  guess.abort();
  return load(bundle);
});

const styled = (bundle) =>
  new Promise((done) => {
    if (bundle !== "rill-feed") return done();
    const link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = at("clock.css");
    link.onload = link.onerror = done;
    document.head.append(link);
  });

chosen
  .then(({ bundle, wasm, glue }) => Promise.all([glue, styled(bundle)]).then(([g]) => g.default({ module_or_path: wasm })))
  .catch((err) => {
    const p = document.createElement("p");
    p.setAttribute("role", "alert");
    // The message may carry remote text (a server's error page): text only, never markup.
    p.textContent = "rill could not start: " + String(err && err.message ? err.message : err).slice(0, 500);
    document.body.append(p);
  });
