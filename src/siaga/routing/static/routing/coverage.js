/* Coverage page: colour kelurahan covered / not covered, show stations and suggested posts on the map. */
(function () {
  "use strict";

  var COVERED = "#2e7d32";
  var UNCOVERED = "#c62828";

  function esc(value) {
    return String(value).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function init(root) {
    var mapEl = root.querySelector("[data-siaga-map]");
    var map = window.SiagaMap && mapEl ? window.SiagaMap.get(mapEl) || window.SiagaMap.init(mapEl) : null;
    if (!map) return;
    var data;
    try { data = JSON.parse(root.getAttribute("data-result") || "{}"); } catch (e) { return; }
    var text = function (name) { return root.getAttribute("data-text-" + name) || name; };
    var target = data.target_seconds || 0;
    var byCode = {};
    (data.demand || []).forEach(function (d) { byCode[d.code] = d; });
    function covered(d) { return d && d.best_seconds !== null && d.best_seconds <= target; }
    function label(d) {
      var t = d.best_seconds === null ? "—" : Math.round(d.best_seconds / 60) + " " + text("minutes");
      return esc(d.name) + " · " + t + (d.estimate ? " (" + text("estimate") + ")" : "") + " · " +
        (covered(d) ? text("covered") : text("uncovered"));
    }
    var bounds = L.latLngBounds([]);
    function markers() {
      (data.demand || []).forEach(function (d) {
        var m = L.circleMarker([d.lat, d.lng], { radius: 7, color: "#ffffff", weight: 2, fillOpacity: 0.95,
          fillColor: covered(d) ? COVERED : UNCOVERED }).bindTooltip(label(d)).addTo(map);
        bounds.extend(m.getLatLng());
      });
    }
    function points() {
      (data.stations || []).forEach(function (s) {
        var m = L.circleMarker([s.lat, s.lng], { radius: 8, color: "#111111", weight: 3, fillColor: "#1565c0",
          fillOpacity: 1 }).bindTooltip(esc(s.name || text("station"))).addTo(map);
        bounds.extend(m.getLatLng());
      });
      (data.suggestions || []).forEach(function (s, i) {
        var m = L.circleMarker([s.lat, s.lng], { radius: 10, color: "#111111", weight: 3, fillColor: "#ffbf47",
          fillOpacity: 1 }).bindTooltip(esc(text("suggestion") + " " + (i + 1) + " · +" +
            Math.round(s.gained_share * 100) + " %"), { permanent: true, direction: "right" }).addTo(map);
        bounds.extend(m.getLatLng());
      });
      if (bounds.isValid()) map.fitBounds(bounds, { padding: [12, 12], animate: false });
    }
    // Legend swatches take the map's colours (set from here: the page carries no inline style).
    var swatches = { covered: COVERED, uncovered: UNCOVERED, station: "#1565c0", suggestion: "#ffbf47" };
    Object.keys(swatches).forEach(function (k) {
      document.querySelectorAll(".legend--" + k).forEach(function (el) { el.style.color = swatches[k]; });
    });
    var url = root.getAttribute("data-boundaries-url");
    if (!url) { markers(); points(); return; }
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
      .then(function (geo) {
        if (!geo.features || !geo.features.length) { markers(); return; }
        var layer = L.geoJSON(geo, {
          style: function (f) {
            var d = byCode[f.properties.code];
            return { color: "#3a4047", weight: 1, fillOpacity: 0.6, fillColor: d ? (covered(d) ? COVERED : UNCOVERED) : "#cccccc" };
          },
          onEachFeature: function (f, sub) {
            var d = byCode[f.properties.code];
            sub.bindTooltip(d ? label(d) : esc(f.properties.name || ""), { sticky: true });
          }
        }).addTo(map);
        bounds.extend(layer.getBounds());
      })
      .catch(function () { markers(); })
      .then(points);
  }

  function start() { document.querySelectorAll("[data-coverage-map]").forEach(init); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
