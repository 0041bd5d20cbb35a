/* Incident board: follows the live stream and re-reads the board fragment on every incident or referral event.
   On an incident's page it only says when that incident changed, with a link to reload. */
(function () {
  "use strict";

  function concerns(event, incidentId) {
    var message;
    try { message = JSON.parse(event.data); } catch (error) { return false; }
    var payload = (message && message.payload) || {};
    var id = String(incidentId);
    if (String(payload.incident_id) === id) return true;
    if (message.topic === "incidents" && String(payload.id) === id) return true;
    // A merge names both incidents.
    return String(payload.source_id) === id || String(payload.target_id) === id;
  }

  var detail = document.querySelector("[data-incident-live]");
  if (detail && window.EventSource) {
    var notice = document.querySelector("[data-incident-changed]");
    var names = (detail.getAttribute("data-events") || "").split(/\s+/).filter(Boolean);
    var es = new EventSource(detail.getAttribute("data-stream-url"));
    var onEvent = function (event) {
      if (notice && concerns(event, detail.getAttribute("data-incident-id"))) notice.hidden = false;
    };
    names.forEach(function (name) { es.addEventListener(name, onEvent); });
    window.addEventListener("pagehide", function () { es.close(); });
  }

  var root = document.querySelector("[data-board]");
  if (!root) return;
  var fragmentUrl = root.getAttribute("data-fragment-url");
  var streamUrl = root.getAttribute("data-stream-url");
  var eventNames = (root.getAttribute("data-events") || "").split(/\s+/).filter(Boolean);
  var status = document.querySelector("[data-live-status]");
  var errorBox = document.querySelector("[data-board-error]");
  // Ages on the board are minutes: a quiet board still re-reads itself now and then.
  var PERIODIC_MS = 30000;
  var NEW_ROW_MS = 8000;
  var loading = false;
  var again = false;
  var source = null;

  function setStatus(key, live) {
    if (!status) return;
    status.textContent = status.getAttribute("data-text-" + key) || key;
    status.classList.toggle("is-live", !!live);
    root.setAttribute("data-live", live ? "true" : "false");
  }

  function rowIds(scope) {
    var ids = {};
    scope.querySelectorAll("[data-incident-id]").forEach(function (row) { ids[row.getAttribute("data-incident-id")] = true; });
    return ids;
  }

  function refresh() {
    if (loading) {
      again = true; // one more read after this one, so the last event is never lost
      return;
    }
    loading = true;
    again = false;
    fetch(fragmentUrl, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (html) {
        var before = rowIds(root);
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var body = holder.querySelector("[data-board-body]");
        var current = root.querySelector("[data-board-body]");
        if (!body || !current) return;
        body.querySelectorAll("[data-incident-id]").forEach(function (row) {
          if (!before[row.getAttribute("data-incident-id")]) {
            row.classList.add("is-new");
            setTimeout(function () { row.classList.remove("is-new"); }, NEW_ROW_MS);
          }
        });
        current.replaceWith(body);
        root.setAttribute("data-refreshed", String(Date.now()));
        if (errorBox) errorBox.textContent = "";
      })
      .catch(function () {
        if (errorBox) errorBox.textContent = root.getAttribute("data-text-error") || "";
      })
      .then(function () {
        loading = false;
        if (again) refresh();
      });
  }

  function connect() {
    if (!window.EventSource || !streamUrl) return;
    source = new EventSource(streamUrl);
    source.addEventListener("open", function () {
      setStatus("live", true);
      refresh(); // whatever happened while disconnected
    });
    source.addEventListener("error", function () { setStatus("offline", false); });
    source.addEventListener("message", refresh);
    eventNames.forEach(function (name) { source.addEventListener(name, refresh); });
  }

  connect();
  setInterval(refresh, PERIODIC_MS);
  window.addEventListener("pagehide", function () { if (source) source.close(); });
  window.addEventListener("pageshow", function (event) { if (event.persisted) connect(); });
})();
