/* Stock dashboard: follows /api/stream (topic "blood") and re-reads the grids fragment after stock changes. */
(function () {
  "use strict";
  var root = document.querySelector("[data-stock-live]");
  if (!root || !window.EventSource) return;
  var status = document.querySelector("[data-live-status]");
  var names = (root.getAttribute("data-events") || "").split(/\s+/).filter(Boolean);
  var timer = null;
  function setStatus(live) {
    if (!status) return;
    status.textContent = status.getAttribute(live ? "data-text-live" : "data-text-offline");
    status.setAttribute("data-state", live ? "live" : "offline");
  }
  function refresh() {
    timer = null;
    fetch(root.getAttribute("data-fragment-url"), { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
      .then(function (html) { root.innerHTML = html; })
      .catch(function () { setStatus(false); });
  }
  var es = new EventSource(root.getAttribute("data-stream-url"));
  es.addEventListener("open", function () { setStatus(true); });
  es.addEventListener("error", function () { setStatus(false); });
  names.forEach(function (name) {
    es.addEventListener(name, function () { if (!timer) timer = setTimeout(refresh, 300); });
  });
  window.addEventListener("pagehide", function () { es.close(); });
})();
