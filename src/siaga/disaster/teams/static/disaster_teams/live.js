/* Live regions of the team activation pages. Each [data-teams-live] region re-reads its own HTML from
   data-fragment-url when one of its data-events arrives on its data-stream-url; regions on the same stream
   share one EventSource. The event only says "look again": the server decides what the user may see.
   data-match-field/data-match-value keep a region to one record (the roster to its event).
   data-match-list names a payload list of ids (alert_ids) that must meet the ids the region shows
   (data-own-ids inside it), except for the event types in data-always-events (a new alert may be mine).
   Without EventSource (old phones) the regions are re-read every 30 s. */
(function () {
  "use strict";
  var regions = Array.prototype.slice.call(document.querySelectorAll("[data-teams-live]"));
  if (!regions.length) return;
  var status = document.querySelector("[data-live-status]");

  function setStatus(live) {
    if (!status) return;
    status.textContent = status.getAttribute(live ? "data-text-live" : "data-text-offline");
    status.setAttribute("data-state", live ? "live" : "offline");
  }

  function words(value) { return (value || "").split(/\s+/).filter(Boolean); }

  function refresh(region) {
    region._timer = null;
    fetch(region.getAttribute("data-fragment-url"), { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.text(); })
      .then(function (html) {
        region.innerHTML = html;
        region.setAttribute("data-refreshed", String(Date.now()));
        region.dispatchEvent(new CustomEvent("teams:refreshed", { bubbles: true }));
      })
      .catch(function () { setStatus(false); });
  }

  function relevant(region, type, event) {
    var payload;
    try { var data = JSON.parse(event.data); payload = data.payload || data; } catch (e) { return true; }
    var field = region.getAttribute("data-match-field");
    if (field && String(payload[field]) !== region.getAttribute("data-match-value")) return false;
    var list = region.getAttribute("data-match-list");
    if (list && words(region.getAttribute("data-always-events")).indexOf(type) < 0) {
      var holder = region.querySelector("[data-own-ids]");
      var own = words(holder ? holder.getAttribute("data-own-ids") : "");
      var ids = (payload[list] || []).map(String);
      return ids.some(function (id) { return own.indexOf(id) >= 0; });
    }
    return true;
  }

  if (!window.EventSource) {
    setInterval(function () { regions.forEach(refresh); }, 30000);
    return;
  }
  var byStream = {};
  regions.forEach(function (region) {
    var url = region.getAttribute("data-stream-url");
    (byStream[url] = byStream[url] || []).push(region);
  });
  Object.keys(byStream).forEach(function (url) {
    var es = new EventSource(url);
    es.addEventListener("open", function () { setStatus(true); });
    es.addEventListener("error", function () { setStatus(false); });
    var types = {};
    byStream[url].forEach(function (region) { words(region.getAttribute("data-events")).forEach(function (t) { types[t] = true; }); });
    Object.keys(types).forEach(function (type) {
      es.addEventListener(type, function (event) {
        byStream[url].forEach(function (region) {
          if (words(region.getAttribute("data-events")).indexOf(type) < 0) return;
          if (relevant(region, type, event) && !region._timer) region._timer = setTimeout(function () { refresh(region); }, 250);
        });
      });
    });
    window.addEventListener("pagehide", function () { es.close(); });
  });
})();
