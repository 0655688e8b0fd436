/* rill's chat widget for other sites' pages. One tag:
 *   <script src="https://host/rill/embed.js" data-endpoint="…" data-title="…" async></script>
 * It adds a launcher button; the first open (or window.rill.send/prefill) adds the chat, an
 * <iframe> of the app beside this file in widget mode (embed=1). Plain JS, no build step.
 * - No <style> element and no style attribute (a host may send style-src 'self'): everything
 *   is in a shadow root styled by a constructed stylesheet; `:host { all: initial
 *   !important }` keeps the host page's CSS out (host rules cannot reach inside).
 * - postMessage both ways, origin-checked: only the frame's own window on the widget's origin
 *   is listened to, and messages go to exactly that origin (never "*"). The app checks the
 *   host origin it is given in `host` the same way.
 * - Same keys as the app's URL parameters and config.json; unknown data-* keys are not
 *   passed on. Launcher only: data-position (bottom-right|bottom-left), data-launcher-color,
 *   data-launcher-text-color (#rgb/#rrggbb). */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.rill) return;
  var src = new URL(script.src, location.href);
  var origin = src.origin;
  var data = script.dataset;
  var KEYS = ["view", "stream", "endpoint", "format", "model", "title", "greeting", "theme", "lang", "accent"];
  var MAX = 100000;
  var colour = function (v) {
    return /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.test(v || "") ? v : null;
  };
  var zh = (data.lang || (data.lang === undefined && navigator.language) || "").toLowerCase().indexOf("zh") === 0;
  var theme = data.theme === "dark" || data.theme === "light" ? data.theme : "system";
  var left = data.position === "bottom-left";
  var bg = colour(data.launcherColor) || colour(data.accent) || "#0b6bcb";
  var fg = colour(data.launcherTextColor) || "#fff";
  var title = (data.title || "").slice(0, 100);
  var words = zh
    ? { chat: "聊天", close: "关闭聊天", frame: "聊天窗口" }
    : { chat: "Chat", close: "Close chat", frame: "Chat window" };

  var app = new URL("./", src);
  var query = new URLSearchParams();
  query.set("embed", "1");
  KEYS.forEach(function (k) {
    if (data[k] != null && data[k] !== "") query.set(k, data[k]);
  });
  // The app talks only to this origin ("null" for a file: page, which gets no messages).
  query.set("host", location.origin);
  app.search = query.toString();

  var dark = theme === "dark" ? "@media all{" : theme === "light" ? "@media not all{" : "@media (prefers-color-scheme:dark){";
  var css =
    ":host{all:initial!important;position:fixed!important;z-index:2147483000!important;bottom:0!important;" +
    (left ? "left" : "right") + ":0!important;display:block!important;" +
    "font:15px/1.4 ui-sans-serif,system-ui,-apple-system,'Segoe UI',Roboto,sans-serif!important;" +
    "color:#1b1f24;direction:ltr}" +
    "*{box-sizing:border-box;margin:0}" +
    "[hidden]{display:none!important}" +
    ".launcher{all:initial;position:absolute;bottom:16px;" + (left ? "left" : "right") + ":16px;" +
    "width:56px;height:56px;border-radius:28px;border:0;cursor:pointer;display:flex;" +
    "align-items:center;justify-content:center;background:" + bg + ";color:" + fg + ";" +
    "box-shadow:0 4px 14px rgba(0,0,0,.25)}" +
    ".launcher:focus-visible,.close:focus-visible{outline:3px solid #0b6bcb;outline-offset:3px}" +
    "svg{width:26px;height:26px;fill:currentColor;display:block}" +
    ".panel{position:absolute;bottom:88px;" + (left ? "left" : "right") + ":16px;width:380px;" +
    "height:600px;max-height:calc(100vh - 104px);display:flex;flex-direction:column;" +
    "border-radius:12px;overflow:hidden;background:#fff;border:1px solid #dfe3e8;" +
    "box-shadow:0 12px 40px rgba(0,0,0,.28)}" +
    ".bar{all:initial;display:flex;align-items:center;gap:8px;padding:6px 6px 6px 14px;" +
    "min-height:44px;font:inherit;font-weight:600;color:inherit;background:#f0f2f5;" +
    "border-bottom:1px solid #dfe3e8}" +
    ".name{flex:1;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}" +
    ".close{all:initial;width:32px;height:32px;border-radius:8px;cursor:pointer;color:inherit;" +
    "display:flex;align-items:center;justify-content:center}" +
    ".close svg{width:18px;height:18px}.close:hover{background:rgba(127,127,127,.2)}" +
    "iframe{all:initial;display:block;flex:1;width:100%;min-height:0;border:0;background:#f6f7f9}" +
    dark + ":host{color:#e6e9ee}.panel{background:#171b21;border-color:#2c333d}" +
    ".bar{background:#1f252d;border-color:#2c333d}iframe{background:#0f1216}" +
    ".launcher:focus-visible,.close:focus-visible{outline-color:#7cb9ff}}" +
    "@media (max-width:640px){.panel{position:fixed;inset:0;width:100%;height:100%;" +
    "max-height:none;border-radius:0;border:0}.open .launcher{display:none}}";

  var NS = "http://www.w3.org/2000/svg";
  var icon = function (d) {
    var svg = document.createElementNS(NS, "svg");
    var path = document.createElementNS(NS, "path");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    path.setAttribute("d", d);
    svg.appendChild(path);
    return svg;
  };
  var BUBBLE = "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z";
  var CROSS = "M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12 19 17.6 17.6 19 12 13.4 6.4 19 5 17.6 10.6 12 5 6.4z";
  var make = function (tag, cls) {
    var el = document.createElement(tag);
    if (cls) el.className = cls;
    return el;
  };

  // A custom element as the shadow host: host rules for div, section and the like miss it.
  var TAG = "rill-chat-widget";
  if (!customElements.get(TAG)) customElements.define(TAG, class extends HTMLElement {});
  var host = document.createElement(TAG);
  var shadow = host.attachShadow({ mode: "open" });
  var sheet = new CSSStyleSheet();
  sheet.replaceSync(css);
  shadow.adoptedStyleSheets = [sheet];
  var root = make("div", "root");
  var launcher = make("button", "launcher");
  launcher.type = "button";
  launcher.setAttribute("data-testid", "rill-launcher");
  launcher.setAttribute("aria-label", title ? words.chat + (zh ? "：" : ": ") + title : words.chat);
  launcher.setAttribute("aria-expanded", "false");
  launcher.appendChild(icon(BUBBLE));
  root.appendChild(launcher);
  shadow.appendChild(root);

  var panel = null;
  var frame = null;
  var ready = false;
  var queue = [];
  var listeners = {};
  var isOpen = false;

  var emit = function (type, detail) {
    (listeners[type] || []).slice().forEach(function (fn) {
      try {
        fn(detail);
      } catch (e) {
        setTimeout(function () {
          throw e;
        });
      }
    });
  };
  var post = function (msg) {
    msg.rill = 1;
    if (ready && frame && frame.contentWindow) frame.contentWindow.postMessage(msg, origin);
    else queue.push(msg);
  };
  var build = function () {
    if (panel) return;
    panel = make("div", "panel");
    panel.id = "rill-panel";
    panel.hidden = true;
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-label", title || words.frame);
    var bar = make("div", "bar");
    var name = make("span", "name");
    name.textContent = title || words.chat;
    var close = make("button", "close");
    close.type = "button";
    close.setAttribute("aria-label", words.close);
    close.setAttribute("data-testid", "rill-close");
    close.appendChild(icon(CROSS));
    close.addEventListener("click", function () {
      api.close();
    });
    bar.appendChild(name);
    bar.appendChild(close);
    frame = make("iframe");
    frame.setAttribute("data-testid", "rill-frame");
    frame.title = title || words.frame;
    frame.src = app.href;
    panel.appendChild(bar);
    panel.appendChild(frame);
    root.insertBefore(panel, launcher);
    launcher.setAttribute("aria-controls", "rill-panel");
  };

  window.addEventListener("message", function (event) {
    if (!frame || event.source !== frame.contentWindow || event.origin !== origin) return;
    var msg = event.data;
    if (!msg || typeof msg !== "object" || msg.rill !== 1) return;
    if (msg.type === "ready") {
      ready = true;
      queue.splice(0).forEach(post);
      emit("ready", {});
    } else if (msg.type === "reply" && typeof msg.state === "string" && typeof msg.text === "string") {
      emit("reply", { state: msg.state, text: msg.text });
    } else if (msg.type === "close") {
      api.close();
    }
  });
  shadow.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && isOpen) {
      event.preventDefault();
      api.close();
    }
  });
  launcher.addEventListener("click", function () {
    api.toggle();
  });

  var text = function (t) {
    return String(t == null ? "" : t).slice(0, MAX);
  };
  var api = {
    open: function () {
      build();
      if (isOpen) return;
      isOpen = true;
      panel.hidden = false;
      root.className = "root open";
      launcher.setAttribute("aria-expanded", "true");
      frame.focus();
      post({ type: "focus" });
      emit("open", {});
    },
    close: function () {
      if (!isOpen) return;
      isOpen = false;
      panel.hidden = true;
      root.className = "root";
      launcher.setAttribute("aria-expanded", "false");
      launcher.focus();
      emit("close", {});
    },
    toggle: function () {
      if (isOpen) api.close();
      else api.open();
    },
    send: function (t) {
      api.open();
      post({ type: "send", text: text(t) });
    },
    prefill: function (t) {
      api.open();
      post({ type: "prefill", text: text(t) });
    },
    on: function (type, fn) {
      if (typeof fn === "function") (listeners[type] = listeners[type] || []).push(fn);
      return api;
    },
    off: function (type, fn) {
      listeners[type] = (listeners[type] || []).filter(function (f) {
        return f !== fn;
      });
      return api;
    },
  };
  window.rill = api;
  var add = function () {
    document.body.appendChild(host);
  };
  if (document.body) add();
  else document.addEventListener("DOMContentLoaded", add);
})();
