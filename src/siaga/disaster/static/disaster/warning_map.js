/* Warning map: the warning's polygons outlined in red, affected regions filled by the share covered. No tiles. */
(function () {
  "use strict";

  // Share covered -> fill colour, light to dark (a sequential ramp readable in print and for colour-blind users).
  var RAMP = [[0.05, "#fff5eb"], [0.25, "#fdbe85"], [0.5, "#fd8d3c"], [0.75, "#e6550d"], [1.01, "#a63603"]];

  function fillFor(share) {
    for (var i = 0; i < RAMP.length; i++) {
      if (share < RAMP[i][0]) return RAMP[i][1];
    }
    return RAMP[RAMP.length - 1][1];
  }

  function escapeHtml(value) {
    return String(value).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function draw(el, status, data) {
    var map = L.map(el, { zoomControl: true, attributionControl: false });
    var affected = [];
    var warning = [];
    (data.features || []).forEach(function (f) {
      if (f.properties && f.properties.kind === "affected") affected.push(f);
      else warning.push(f);
    });
    // Coarser levels first, so kelurahan sit on top of their kecamatan.
    affected.sort(function (a, b) { return a.properties.level - b.properties.level; });
    var regions = L.geoJSON({ type: "FeatureCollection", features: affected }, {
      style: function (f) {
        return { color: "#3a4047", weight: f.properties.level >= 4 ? 0.8 : 1.4, fillColor: fillFor(f.properties.share),
                 fillOpacity: 0.85 };
      },
      onEachFeature: function (f, layer) {
        var p = f.properties;
        var text = escapeHtml(p.name) + " (" + escapeHtml(p.code) + ")<br>" + Math.round(p.share * 100) + "% " +
          escapeHtml(el.getAttribute("data-text-share") || "");
        if (p.population_affected !== null && p.population_affected !== undefined) {
          text += "<br>" + p.population_affected + " " + escapeHtml(el.getAttribute("data-text-people") || "");
        }
        layer.bindTooltip(text);
      }
    }).addTo(map);
    var outline = L.geoJSON({ type: "FeatureCollection", features: warning }, {
      style: { color: "#c1121f", weight: 3, fill: false, dashArray: "6 4" }
    }).addTo(map);
    var bounds = outline.getBounds();
    if (!bounds.isValid()) bounds = regions.getBounds();
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [16, 16] });
    else map.setView([-2.5, 118.0], 5);
    // Layers render once the map has a view; then tests and assistive tools find each lit region by its code.
    regions.eachLayer(function (layer) {
      var path = layer.getElement && layer.getElement();
      if (path) path.setAttribute("data-region", layer.feature.properties.code);
    });
    el.setAttribute("data-lit", String(affected.length));
    status.textContent = "";
  }

  function init(el) {
    var status = el.parentNode.querySelector("[data-warning-map-status]") || document.createElement("p");
    fetch(el.getAttribute("data-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      })
      .then(function (data) { draw(el, status, data); })
      .catch(function () {
        status.textContent = el.getAttribute("data-text-error") || "Error";
        status.classList.add("is-error");
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-warning-map]"), init);
  });
})();
