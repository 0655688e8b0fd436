// Loaded before bench.js, as a file: rill-server serves this page under the app's
// Content-Security-Policy, which runs no inline script.
// A module that fails to load or throw at top level never reaches bench.js's own catch:
// report it here so that `./x bench` fails at once instead of waiting for its timeout.
const fail = (what) => {
  window.__benchError = window.__benchError || what;
};
window.addEventListener(
  "error",
  (e) => fail(e.error ? String(e.error.stack || e.error) : `failed to load ${e.target && (e.target.src || e.target.href) || e.message}`),
  true,
);
window.addEventListener("unhandledrejection", (e) => fail(String(e.reason)));
