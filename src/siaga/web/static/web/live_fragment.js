/* Live fragments: a page region marked data-live-fragment follows /api/stream and re-reads its own HTML from
   data-fragment-url when one of the named events arrives. The server decides what the user may see; the event
   only says "look again". Optional data-match-field + data-match-value keep a detail page to its own record.
   Without EventSource (old phones) the fragment is re-read every 30 s. */
(function () {
  "use strict";
  var root = document.querySelector("[data-live-fragment]");
  if (!root) return;
  var status = document.querySelector("[data-live-status]");
  var names = (root.getAttribute("data-events") || "").split(/\s+/).filter(Boolean);
  var field = root.getAttribute("data-match-field");
  var value = root.getAttribute("data-match-value");
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
    if (!field) return true;
    try {
      var data = JSON.parse(event.data);
      var payload = data.payload || data;
      return String(payload[field]) === value;
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
