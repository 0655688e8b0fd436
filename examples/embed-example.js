// The host page's own use of the widget's API (window.rill), once embed.js has run.
(function wire() {
  var ask = document.getElementById("ask");
  if (!window.rill) return void setTimeout(wire, 100);
  ask.disabled = false;
  ask.addEventListener("click", function () {
    window.rill.send("How do returns work?");
  });
  window.rill.on("reply", function (reply) {
    console.log("rill reply (" + reply.state + "):", reply.text.slice(0, 80));
  });
})();
