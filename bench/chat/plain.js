// The plain-JS baseline's reader (see plain.html), a file because rill-server serves the page
// under the app's Content-Security-Policy, which runs no inline script or style.
"use strict";
window.__plainStart = async function (prompt, model) {
  const out = document.getElementById("out");
  out.setAttribute("data-state", "streaming");
  out.textContent = "";
  let text = "";
  try {
    const response = await fetch("/v1/chat/completions", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        model,
        messages: [{ role: "user", content: prompt }],
        stream: true,
      }),
    });
    if (!response.ok) throw new Error("HTTP " + response.status);
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    let finished = false;
    while (!finished) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      const lines = buffer.split("\n");
      buffer = lines.pop();
      for (const line of lines) {
        if (!line.startsWith("data:")) continue;
        const data = line.slice(5).trim();
        if (data === "[DONE]") {
          finished = true;
          break;
        }
        const delta = JSON.parse(data).choices[0].delta;
        if (delta && delta.content) text += delta.content;
      }
      out.textContent = text;
    }
    out.setAttribute("data-state", finished ? "done" : "interrupted");
    // Read the rest (the end of the body) so the request completes as the app's does.
    while (finished && !(await reader.read()).done) {}
  } catch (e) {
    out.textContent = text;
    out.setAttribute("data-error", String(e));
    out.setAttribute("data-state", "error");
  }
};
