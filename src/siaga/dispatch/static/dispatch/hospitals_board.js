/* Hospitals' capacity board: hospitals on the map coloured by free emergency beds, rows updated live over SSE. */
(function () {
  "use strict";

  var COLOURS = { ok: "#2e7d32", full: "#c62828", unknown: "#757575" };
  var FIELDS = ["emergency_beds_free", "emergency_beds_total", "icu_beds_free", "icu_beds_total",
                "operating_theatres_free", "operating_theatres_total"];

  function state(row) {
    if (!row || row.classList.contains("hosp-row--stale")) return "unknown";
    if (row.classList.contains("hosp-row--closed") || row.classList.contains("hosp-row--full")) return "full";
    return "ok";
  }

  function init(root) {
    var text = function (name) { return root.getAttribute("data-text-" + name) || ""; };
    var zone = root.getAttribute("data-zone") || undefined;
    var timeFormat;
    try {
      timeFormat = new Intl.DateTimeFormat(document.documentElement.lang || "id", {
        day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", hour12: false, timeZone: zone });
    } catch (e) {
      timeFormat = null;
    }
    var mapEl = root.querySelector("[data-siaga-map]");
    var map = window.SiagaMap && mapEl ? window.SiagaMap.get(mapEl) || window.SiagaMap.init(mapEl) : null;
    var markers = {};
    var points = [];
    try { points = JSON.parse(root.getAttribute("data-points") || "[]"); } catch (e) { points = []; }

    function rowOf(id) { return root.querySelector("[data-hospital-id='" + id + "']"); }

    function paint(id) {
      var m = markers[id];
      if (!m) return;
      var s = state(rowOf(id));
      m.setStyle({ fillColor: COLOURS[s] });
      m.getElement && m.getElement() && m.getElement().setAttribute("data-state", s);
    }

    if (map) {
      var layer = L.layerGroup().addTo(map);
      var bounds = L.latLngBounds([]);
      points.forEach(function (p) {
        var m = L.circleMarker([p.lat, p.lng], { radius: 9, color: "#ffffff", weight: 2, fillOpacity: 1,
                                                  fillColor: COLOURS.unknown });
        m.bindTooltip(function () {
          var row = rowOf(p.organization_id);
          var free = row ? row.querySelector("[data-field=emergency_beds_free]") : null;
          return p.name + (free ? " · IGD " + free.textContent : "");
        });
        m.on("click", function () {
          var row = rowOf(p.organization_id);
          if (row) { row.scrollIntoView({ block: "center" }); row.classList.add("hosp-row--flash"); }
        });
        m.addTo(layer);
        markers[p.organization_id] = m;
        bounds.extend([p.lat, p.lng]);
        paint(p.organization_id);
      });
      var fitMarkers = function () {
        if (bounds.isValid()) map.fitBounds(bounds.pad(0.3), { animate: false, maxZoom: 15 });
      };
      fitMarkers();
      // The map component sets its own view once the boundaries are in; with none loaded, show the hospitals.
      new MutationObserver(function () {
        var done = /^(ready|error)$/.test(mapEl.getAttribute("data-state") || "");
        if (done && mapEl.getAttribute("data-features-loaded") === "0") fitMarkers();
      }).observe(mapEl, { attributes: true, attributeFilter: ["data-state", "data-features-loaded"] });
    }

    function apply(p) {
      var row = rowOf(p.organization_id);
      if (!row) return false;
      FIELDS.forEach(function (f) {
        var el = row.querySelector("[data-field=" + f + "]");
        if (el) el.textContent = String(p[f]);
      });
      var acc = row.querySelector("[data-field=accepting]");
      if (acc) acc.textContent = p.accepting ? text("accepting") : text("closed");
      var when = row.querySelector("[data-field=updated_at]");
      if (when) {
        var d = new Date(p.updated_at);
        var label = timeFormat && !isNaN(d) ? timeFormat.format(d) : p.updated_at;
        when.textContent = label + " (" + text("just-now") + ")";
      }
      var stale = row.querySelector("[data-field=stale]");
      if (stale) stale.hidden = true;
      row.classList.remove("hosp-row--stale");
      row.classList.toggle("hosp-row--closed", !p.accepting);
      row.classList.toggle("hosp-row--full", p.accepting && p.emergency_beds_free === 0);
      row.classList.remove("hosp-row--flash");
      void row.offsetWidth; // restart the highlight animation
      row.classList.add("hosp-row--flash");
      row.setAttribute("data-updated", p.updated_at);
      paint(p.organization_id);
      return true;
    }

    var live = root.querySelector("[data-live-status]");
    var streamUrl = root.getAttribute("data-stream-url");
    if (window.EventSource && streamUrl) {
      var source = new EventSource(streamUrl);
      source.addEventListener("open", function () { live.textContent = text("live"); });
      source.addEventListener("error", function () { live.textContent = text("offline"); });
      source.addEventListener("hospital.capacity", function (e) {
        var message;
        try { message = JSON.parse(e.data); } catch (err) { return; }
        var p = message && message.payload;
        // A hospital new to this board (added since the page loaded): fetch the page again.
        if (p && !apply(p)) window.location.reload();
      });
    }
  }

  function start() { document.querySelectorAll("[data-hospital-board]").forEach(init); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
