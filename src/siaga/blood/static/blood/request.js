/* Request queue and request page: follow /api/stream (topic "blood") and re-read the live fragment when a request,
   reservation or issue event arrives (the server decides what the user may see; the event only says "look again"). */
(function () {
  "use strict";
  var root = document.querySelector("[data-live-fragment]");
  if (!root) return;
  var status = document.querySelector("[data-live-status]");
  var names = (root.getAttribute("data-events") || "").split(/\s+/).filter(Boolean);
  var only = root.getAttribute("data-request-id");
  var timer = null;
  function setStatus(live) {
    if (!status) return;
    status.textContent = status.getAttribute(live ? "data-text-live" : "data-text-offline");
    status.setAttribute("data-state", live ? "live" : "offline");
  }
  function refresh() {
    timer = null;
    fetch(root.getAttribute("data-fragment-url"), { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.text(); })
      .then(function (html) { root.innerHTML = html; root.setAttribute("data-refreshed", String(Date.now())); })
      .catch(function () { setStatus(false); });
  }
  function relevant(event) {
    if (!only) return true;
    try {
      var data = JSON.parse(event.data);
      var payload = data.payload || data;
      return String(payload.request_id) === only;
    } catch (error) { return true; }
  }
  if (!window.EventSource) { setInterval(refresh, 30000); return; }
  var es = new EventSource(root.getAttribute("data-stream-url"));
  es.addEventListener("open", function () { setStatus(true); });
  es.addEventListener("error", function () { setStatus(false); });
  names.forEach(function (name) {
    es.addEventListener(name, function (event) {
      if (relevant(event) && !timer) timer = setTimeout(refresh, 250);
    });
  });
  window.addEventListener("pagehide", function () { es.close(); });
})();
