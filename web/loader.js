// rill's loader: a file, not an inline script, so the page runs under a Content-Security-Policy
// without 'unsafe-inline' (script-src 'self' 'wasm-unsafe-eval').
//
// It reads the URL as the app does (the last valid `view` wins; none or an unknown one is the
// chat), fetches that bundle's wasm in parallel with its JS, adds the feed views' style before
// they start, and says so plainly, as text, if the app cannot start. Every URL is relative to
// the page, so the app runs from any folder of any static host.
let bundle = "rill-chat";
for (const v of new URLSearchParams(location.search).getAll("view")) {
  if (v === "chat") bundle = "rill-chat";
  else if (v === "clock" || v === "inspect") bundle = "rill-feed";
}
const at = (file) => new URL(file, document.baseURI);
const wasm = fetch(at(bundle + "_bg.wasm"));
const style = new Promise((done) => {
  if (bundle !== "rill-feed") return done();
  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = at("clock.css");
  link.onload = link.onerror = done;
  document.head.append(link);
});
Promise.all([import(at(bundle + ".js")), style])
  .then(([glue]) => glue.default({ module_or_path: wasm }))
  .catch((err) => {
    const p = document.createElement("p");
    p.setAttribute("role", "alert");
    // The message may carry remote text (a server's error page): text only, never markup.
    p.textContent = "rill could not start: " + String(err && err.message ? err.message : err).slice(0, 500);
    document.body.append(p);
  });
