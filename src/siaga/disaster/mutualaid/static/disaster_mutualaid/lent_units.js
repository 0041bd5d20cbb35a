/* Lent units on a mutual-aid request page: the section marked data-lent-units follows /api/stream and re-reads
   its own HTML (data-fragment-url) when a lent unit of this request moves or changes status, or the request
   changes state (a unit becomes lent, or is handed back). The server decides what the viewer may see; the
   event only says "look again". At most one re-read per second while positions pour in; without EventSource
   (old phones) the section is re-read every 30 s. Kept apart from the request's own live fragment so a moving
   ambulance never redraws a form the user is filling in. */
(function () {
  "use strict";
  var root = document.querySelector("[data-lent-units]");
  if (!root) return;
  var names = (root.getAttribute("data-events") || "").split(/\s+/).filter(Boolean);
  var request = root.getAttribute("data-request");
  var timer = null;
  var last = 0;
  function refresh() {
    timer = null;
    last = Date.now();
    fetch(root.getAttribute("data-fragment-url"), { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.text(); })
      .then(function (html) { root.innerHTML = html; root.setAttribute("data-refreshed", String(Date.now())); })
      .catch(function () { root.setAttribute("data-refresh-failed", String(Date.now())); });
  }
  function schedule() {
    if (timer) return;
    timer = setTimeout(refresh, Math.max(250, 1000 - (Date.now() - last)));
  }
  function ours(event) {
    try {
      var data = JSON.parse(event.data);
      return String((data.payload || data).request_id) === request;
    } catch (error) { return true; }
  }
  if (!window.EventSource) { setInterval(refresh, 30000); return; }
  var es = new EventSource(root.getAttribute("data-stream-url"));
  names.forEach(function (name) {
    es.addEventListener(name, function (event) { if (ours(event)) schedule(); });
  });
  window.addEventListener("pagehide", function () { es.close(); });
})();
