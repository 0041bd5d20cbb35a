/* Closures page: pick a street or draw a flooded area on the map, show closures in force, follow them live. */
(function () {
  "use strict";

  var CLOSED = { color: "#c62828", weight: 6, opacity: 0.9 };
  var AREA = { color: "#c62828", weight: 2, fillColor: "#1565c0", fillOpacity: 0.35 };

  function esc(value) {
    return String(value).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function init(root) {
    var mapEl = root.querySelector("[data-siaga-map]");
    var map = window.SiagaMap && mapEl ? window.SiagaMap.get(mapEl) || window.SiagaMap.init(mapEl) : null;
    if (!map) return;
    var shapesLayer = L.layerGroup().addTo(map);
    var drawLayer = L.layerGroup().addTo(map);
    var fitted = false;

    function drawShapes(json) {
      var shapes;
      try { shapes = JSON.parse(json || "[]"); } catch (e) { shapes = []; }
      shapesLayer.clearLayers();
      var bounds = L.latLngBounds([]);
      shapes.forEach(function (s) {
        var layer = null;
        if (s.lines && s.lines.length) layer = L.polyline(s.lines, CLOSED);
        else if (s.area) layer = L.geoJSON(s.area, { style: function () { return AREA; } });
        if (!layer) return;
        layer.bindTooltip(esc(s.reason)).addTo(shapesLayer);
        bounds.extend(layer.getBounds());
      });
      if (!fitted && bounds.isValid()) { map.fitBounds(bounds.pad(0.5), { animate: false }); fitted = true; }
    }
    drawShapes(root.getAttribute("data-shapes"));

    // --- the form: a tapped street, or the corners of an area ---------------------------------------
    var form = root.querySelector("[data-closure-form]");
    var points = [];
    if (form) {
      var status = form.querySelector("[data-pick-status]");
      var areaButtons = form.querySelector("[data-area-buttons]");
      var latInput = form.querySelector("[data-lat]");
      var lngInput = form.querySelector("[data-lng]");
      var areaInput = form.querySelector("[data-area-points]");
      var mode = function () {
        var checked = form.querySelector("input[name=mode]:checked");
        return checked ? checked.value : "road";
      };
      var redraw = function (closed) {
        drawLayer.clearLayers();
        points.forEach(function (p) {
          L.circleMarker(p, { radius: 5, color: "#111111", fillColor: "#ffbf47", fillOpacity: 1 }).addTo(drawLayer);
        });
        if (points.length >= 2) (closed ? L.polygon(points, AREA) : L.polyline(points, AREA)).addTo(drawLayer);
        status.textContent = points.length + " " + (root.getAttribute("data-text-points") || "");
      };
      var syncMode = function () {
        areaButtons.hidden = mode() !== "area";
        points = [];
        areaInput.value = "";
        drawLayer.clearLayers();
      };
      form.querySelectorAll("input[name=mode]").forEach(function (r) { r.addEventListener("change", syncMode); });
      areaButtons.hidden = mode() !== "area";
      mapEl.addEventListener("siaga:mapclick", function (e) {
        var d = e.detail;
        if (mode() === "area") {
          points.push([d.lat, d.lng]);
          areaInput.value = "";
          redraw(false);
        } else {
          latInput.value = d.lat;
          lngInput.value = d.lng;
          status.textContent = d.lat.toFixed(5) + ", " + d.lng.toFixed(5);
        }
      });
      form.querySelector("[data-area-finish]").addEventListener("click", function () {
        if (points.length < 3) return;
        areaInput.value = JSON.stringify(points);
        redraw(true);
      });
      form.querySelector("[data-area-clear]").addEventListener("click", function () {
        points = [];
        areaInput.value = "";
        redraw(false);
      });
    }

    // --- live: another operator's closure or lift reloads the list and the map --------------------------
    var list = root.querySelector("[data-closure-list]");
    var live = root.querySelector("[data-live-status]");
    var pending = null;
    function refresh() {
      fetch(window.location.pathname, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          var fresh = doc.querySelector("[data-closures]");
          if (!fresh) return;
          list.innerHTML = fresh.querySelector("[data-closure-list]").innerHTML;
          drawShapes(fresh.getAttribute("data-shapes"));
        })
        .catch(function () {});
    }
    function schedule() { clearTimeout(pending); pending = setTimeout(refresh, 300); }
    var streamUrl = root.getAttribute("data-stream-url");
    if (window.EventSource && streamUrl) {
      var source = new EventSource(streamUrl);
      source.addEventListener("open", function () { live.textContent = root.getAttribute("data-text-live") || ""; });
      source.addEventListener("error", function () { live.textContent = root.getAttribute("data-text-offline") || ""; });
      source.addEventListener("road.closure_created", schedule);
      source.addEventListener("road.closure_lifted", schedule);
    }
  }

  function start() { document.querySelectorAll("[data-closures]").forEach(init); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
