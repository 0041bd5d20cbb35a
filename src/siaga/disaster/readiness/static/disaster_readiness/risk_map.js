/* Risk map: each ticked layer is fetched as GeoJSON for the visible box (capped by the server) and redrawn
   when the map stops moving. No tile server: the layers are the map. The map follows the live stream
   (data-stream-url): when a warning event (data-reload-events, "warning.*") arrives, the warnings layer is
   fetched again, so a new BMKG warning lights up its area without a reload; the server decides what the viewer
   may see, the event only says "look again". */
(function () {
  "use strict";

  var INDONESIA = [[-11.5, 94.0], [6.5, 141.5]];
  var PEOPLE_RAMP = ["#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f"];
  var SHARE_RAMP = [[0.05, "#fff5eb"], [0.25, "#fdbe85"], [0.5, "#fd8d3c"], [0.75, "#e6550d"], [1.01, "#a63603"]];

  function escapeHtml(value) {
    return String(value === null || value === undefined ? "" : value).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function shareColour(share) {
    for (var i = 0; i < SHARE_RAMP.length; i++) if (share < SHARE_RAMP[i][0]) return SHARE_RAMP[i][1];
    return SHARE_RAMP[SHARE_RAMP.length - 1][1];
  }

  function peopleColour(n, max) {
    if (!max) return PEOPLE_RAMP[0];
    var i = Math.min(PEOPLE_RAMP.length - 1, Math.floor((n / max) * PEOPLE_RAMP.length));
    return PEOPLE_RAMP[i];
  }

  function link(url, text) {
    return url ? '<br><a href="' + escapeHtml(url) + '">' + escapeHtml(text) + "</a>" : "";
  }

  // One builder per layer: GeoJSON in, a Leaflet layer out.
  function builders(el) {
    var t = function (name) { return el.getAttribute("data-text-" + name) || ""; };
    return {
      events: function (data) {
        return L.geoJSON(data, {
          pointToLayer: function (f, latlng) {
            return L.circleMarker(latlng, { radius: 9, color: "#fff", weight: 2, fillColor: "#a4161a", fillOpacity: 1 });
          },
          onEachFeature: function (f, layer) {
            var p = f.properties;
            layer.bindPopup("<strong>" + escapeHtml(p.name) + "</strong><br>" + escapeHtml(p.type_name) + " · " +
              escapeHtml(p.phase_label) + link(p.url, t("open")));
          }
        });
      },
      warnings: function (data) {
        var features = (data.features || []).slice().sort(function (a, b) {
          // Affected regions first, the warning outlines on top.
          return (a.properties.kind === "warning") - (b.properties.kind === "warning");
        });
        return L.geoJSON({ type: "FeatureCollection", features: features }, {
          style: function (f) {
            if (f.properties.kind === "warning") return { color: "#c1121f", weight: 3, fill: false, dashArray: "6 4" };
            // A kecamatan drawn where its kelurahan have no boundaries in the data (the server's fallback).
            return { color: "#3a4047", weight: 0.6, fillColor: shareColour(f.properties.share), fillOpacity: 0.75,
                     className: "risk-area" + (f.properties.fallback ? " risk-area--kecamatan" : "") };
          },
          onEachFeature: function (f, layer) {
            var p = f.properties;
            if (p.kind === "warning") {
              layer.bindPopup("<strong>" + escapeHtml(p.headline) + "</strong><br>" + escapeHtml(p.severity) +
                link(p.url, t("open")));
            } else {
              layer.bindTooltip(escapeHtml(p.name) + " · " + Math.round(p.share * 100) + "% " + escapeHtml(t("covered")));
            }
          }
        });
      },
      affected: function (data) {
        var max = (data.meta && data.meta.max_people) || 0;
        return L.geoJSON(data, {
          style: function (f) {
            return { color: "#54278f", weight: 0.8, fillColor: peopleColour(f.properties.people, max), fillOpacity: 0.8 };
          },
          pointToLayer: function (f, latlng) {
            return L.circleMarker(latlng, { radius: 8, color: "#54278f", weight: 1,
              fillColor: peopleColour(f.properties.people, max), fillOpacity: 0.9 });
          },
          onEachFeature: function (f, layer) {
            layer.bindTooltip(escapeHtml(f.properties.name) + ": " + f.properties.people + " " + escapeHtml(t("people")));
          }
        });
      },
      volunteers: function (data) {
        return L.geoJSON(data, {
          pointToLayer: function (f, latlng) {
            var r = 5 + Math.min(12, Math.sqrt(f.properties.total) * 2);
            return L.circleMarker(latlng, { radius: r, color: "#fff", weight: 1.5, fillColor: "#1565c0", fillOpacity: 0.85 });
          },
          onEachFeature: function (f, layer) {
            var p = f.properties;
            layer.bindTooltip(escapeHtml(p.name) + ": " + p.total + " " + escapeHtml(t("volunteers")) + " (" +
              p.available + " " + escapeHtml(t("available")) + ", " + p.deployed + " " + escapeHtml(t("deployed")) + ")");
          }
        });
      },
      warehouses: function (data) {
        return L.geoJSON(data, {
          pointToLayer: function (f, latlng) {
            return L.circleMarker(latlng, { radius: 7, color: "#fff", weight: 2, fillColor: "#6d4c41", fillOpacity: 1 });
          },
          onEachFeature: function (f, layer) {
            layer.bindTooltip(escapeHtml(f.properties.name) + " · " + escapeHtml(f.properties.organization));
          }
        });
      },
      quakes: function (data) {
        return L.geoJSON(data, {
          pointToLayer: function (f, latlng) {
            var m = f.properties.magnitude;
            return L.circleMarker(latlng, { radius: Math.max(3, (m - 4) * 3), color: "#8a5300", weight: 1,
              fillColor: "#f9a825", fillOpacity: 0.6 });
          },
          onEachFeature: function (f, layer) {
            var p = f.properties;
            layer.bindTooltip("M" + p.magnitude + " · " + escapeHtml(p.date) + " · " + p.depth_km + " km<br>" + escapeHtml(p.remark));
          }
        });
      },
      faults: function (data) {
        return L.geoJSON(data, { style: { color: "#5d0a0a", weight: 2, opacity: 0.8 }, interactive: false });
      },
      "border-zones": function (data) {
        return L.geoJSON(data, {
          style: { color: "#7b1fa2", weight: 3, dashArray: "8 6", fillColor: "#7b1fa2", fillOpacity: 0.06 },
          onEachFeature: function (f, layer) {
            layer.bindPopup("<strong>" + escapeHtml(f.properties.name) + "</strong>" + link(f.properties.url, t("open")));
          }
        });
      }
    };
  }

  function init(el) {
    var status = document.querySelector("[data-risk-map-status]");
    var boxes = document.querySelectorAll("[data-risk-layers] input[type=checkbox]");
    var api = el.getAttribute("data-api");
    var build = builders(el);
    var map = L.map(el, { zoomControl: true, attributionControl: false, preferCanvas: false });
    var drawn = {};
    var generation = {};
    var truncated = {};
    var failed = {};
    var timer = null;

    var start = (el.getAttribute("data-bbox") || "").split(",").map(Number);
    if (start.length === 4 && start.every(isFinite)) map.fitBounds([[start[1], start[0]], [start[3], start[2]]]);
    else map.fitBounds(INDONESIA);

    function report() {
      var loading = Object.keys(generation).some(function (k) { return generation[k] < 0; });
      var message = "";
      if (Object.keys(failed).some(function (k) { return failed[k]; })) message = el.getAttribute("data-text-error");
      else if (Object.keys(truncated).some(function (k) { return truncated[k]; })) message = el.getAttribute("data-text-truncated");
      status.textContent = message;
      status.classList.toggle("is-error", !!message && message === el.getAttribute("data-text-error"));
      el.setAttribute("data-state", loading ? "loading" : "ready");
    }

    function bboxString() {
      var b = map.getBounds();
      var w = Math.max(-180, b.getWest()), s = Math.max(-90, b.getSouth());
      var e = Math.min(180, b.getEast()), n = Math.min(90, b.getNorth());
      return [w, s, e, n].map(function (x) { return x.toFixed(4); }).join(",");
    }

    function load(name) {
      var mine = (generation[name] = Math.abs(generation[name] || 0) + 1);
      generation[name] = -mine;
      fetch(api + name + "?bbox=" + encodeURIComponent(bboxString()),
            { credentials: "same-origin", headers: { Accept: "application/geo+json, application/json" } })
        .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
        .then(function (data) {
          if (Math.abs(generation[name]) !== mine) return;  // a newer request for this layer is on its way
          if (drawn[name]) map.removeLayer(drawn[name]);
          drawn[name] = build[name](data).addTo(map);
          truncated[name] = !!(data.meta && data.meta.truncated);
          failed[name] = false;
          generation[name] = mine;
          el.setAttribute("data-layer-" + name, String((data.features || []).length));
          report();
        })
        .catch(function () {
          if (Math.abs(generation[name]) !== mine) return;
          failed[name] = true;
          generation[name] = mine;
          report();
        });
    }

    function remove(name) {
      if (drawn[name]) map.removeLayer(drawn[name]);
      drawn[name] = null;
      truncated[name] = false;
      failed[name] = false;
      el.removeAttribute("data-layer-" + name);
      report();
    }

    function refreshAll() {
      Array.prototype.forEach.call(boxes, function (box) { if (box.checked) load(box.value); });
    }

    Array.prototype.forEach.call(boxes, function (box) {
      box.addEventListener("change", function () { if (box.checked) load(box.value); else remove(box.value); });
    });

    function ticked(name) {
      return Array.prototype.some.call(boxes, function (box) { return box.value === name && box.checked; });
    }

    function follow() {
      var url = el.getAttribute("data-stream-url");
      var live = document.querySelector("[data-live-status]");
      if (!url || !window.EventSource) return;
      var setLive = function (on) {
        if (!live) return;
        live.textContent = live.getAttribute(on ? "data-text-live" : "data-text-offline");
        live.setAttribute("data-state", on ? "live" : "offline");
      };
      var pending = null;
      var es = new EventSource(url);
      es.addEventListener("open", function () { setLive(true); });
      es.addEventListener("error", function () { setLive(false); });
      (el.getAttribute("data-reload-events") || "").split(/\s+/).filter(Boolean).forEach(function (name) {
        es.addEventListener(name, function () {
          if (!ticked("warnings") || pending) return;
          // A burst (a warning and its notice) is one reload.
          pending = setTimeout(function () {
            pending = null;
            load("warnings");
            el.setAttribute("data-warnings-reloaded", String(Date.now()));
          }, 250);
        });
      });
      window.addEventListener("pagehide", function () { es.close(); });
    }
    map.on("moveend", function () {
      if (timer) clearTimeout(timer);
      timer = setTimeout(refreshAll, 300);
    });
    refreshAll();
    follow();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var el = document.querySelector("[data-risk-map]");
    if (el && window.L) init(el);
  });
})();
