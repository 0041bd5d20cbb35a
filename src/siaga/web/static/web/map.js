/* Siaga map component: each [data-siaga-map] element becomes a Leaflet map of GeoJSON boundaries, no tile server. */
(function () {
  "use strict";

  var DEFAULT_CENTER = [-2.5, 118.0];
  var DEFAULT_ZOOM = 5;
  // Beyond this many polygons names appear only on tap/hover: measuring thousands of labels on each zoom is slow.
  var PERMANENT_LABELS_MAX = 400;
  var FETCH_ATTEMPTS = 3;

  var BOUNDARY_STYLE = { color: "#3a4047", weight: 1.2, opacity: 1, fillColor: "#fffdf5", fillOpacity: 0.92 };
  var OUTLINE_STYLE = { color: "#111111", weight: 2.6, opacity: 0.85, fill: false };
  var HOVER_STYLE = { color: "#a4161a", weight: 3 };
  var HIGHLIGHT_STYLE = { color: "#a4161a", weight: 3, fillColor: "#ffd54f", fillOpacity: 0.95 };
  var POINT_STYLE = { radius: 7, color: "#ffffff", weight: 2, fillColor: "#a4161a", fillOpacity: 1 };
  var PICK_STYLE = { radius: 9, color: "#111111", weight: 3, fillColor: "#ffbf47", fillOpacity: 1 };

  var states = new WeakMap();

  function escapeHtml(value) {
    return String(value).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function round6(x) {
    return Math.round(x * 1e6) / 1e6;
  }

  function delay(ms) {
    return new Promise(function (resolve) { setTimeout(resolve, ms); });
  }

  function fetchJSON(url, attempts) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/geo+json, application/json" } })
      .then(function (response) {
        if (!response.ok) {
          var error = new Error("HTTP " + response.status + " for " + url);
          error.status = response.status;
          throw error;
        }
        return response.json();
      })
      .catch(function (error) {
        // A bad mobile line often recovers within seconds; a refusal (4xx) will not.
        var refused = error.status >= 400 && error.status < 500;
        if (attempts > 1 && !refused) {
          return delay(1500).then(function () { return fetchJSON(url, attempts - 1); });
        }
        throw error;
      });
  }

  function parseCenter(text) {
    var parts = String(text || "").split(",").map(Number);
    return parts.length === 2 && isFinite(parts[0]) && isFinite(parts[1]) ? parts : DEFAULT_CENTER;
  }

  function setStatus(state, message, isError) {
    var status = state.status;
    if (!status) return;
    status.textContent = message || "";
    status.classList.toggle("is-error", !!isError);
  }

  function featureCount(data) {
    return data && Array.isArray(data.features) ? data.features.length : 0;
  }

  // --- info box: the last tapped point and region ------------------------------------------------
  var InfoControl = L.Control.extend({
    options: { position: "topright" },
    onAdd: function () {
      var div = L.DomUtil.create("div", "siaga-map-info leaflet-control");
      div.setAttribute("aria-live", "polite");
      L.DomEvent.disableClickPropagation(div);
      this._div = div;
      return div;
    },
    show: function (lat, lng, region) {
      var text = lat.toFixed(5) + ", " + lng.toFixed(5);
      if (region && region.name) text = region.name + " (" + region.code + ") · " + text;
      this._div.textContent = text;
    }
  });

  // --- layers ----------------------------------------------------------------------------------
  // Show as many region names as fit without overlapping, larger (and highlighted) regions first.
  function declutter(state) {
    var labelled = [];
    state.layers.forEach(function (entry) {
      if (entry.kind !== "boundary") return;
      entry.layer.eachLayer(function (layer) {
        var tip = layer.getTooltip && layer.getTooltip();
        var el = tip && tip.options.permanent && tip.getElement();
        if (el) labelled.push({ layer: layer, el: el });
      });
    });
    if (!labelled.length) return;
    labelled.forEach(function (item) {
      item.el.classList.remove("is-hidden");
      var code = item.layer.feature.properties.code;
      item.rank = code === state.highlight ? Infinity : item.layer.siagaArea || 0;
    });
    // Measure everything first, then decide: one layout pass instead of one per label.
    labelled.forEach(function (item) { item.rect = item.el.getBoundingClientRect(); });
    labelled.sort(function (a, b) { return b.rank - a.rank; });
    var placed = [];
    labelled.forEach(function (item) {
      var r = item.rect;
      var clash = placed.some(function (p) {
        return r.left < p.right + 2 && r.right > p.left - 2 && r.top < p.bottom && r.bottom > p.top;
      });
      if (clash) item.el.classList.add("is-hidden");
      else placed.push(r);
    });
    state.el.setAttribute("data-labels-shown", String(placed.length));
  }

  function updateLabels(state) {
    // After Leaflet has moved the labels for the new zoom.
    window.requestAnimationFrame(function () { declutter(state); });
  }

  function boundsArea(layer) {
    var b = layer.getBounds && layer.getBounds();
    return b && b.isValid() ? Math.abs((b.getNorth() - b.getSouth()) * (b.getEast() - b.getWest())) : 0;
  }

  function applyHighlight(state) {
    state.layers.forEach(function (entry) {
      if (entry.kind !== "boundary") return;
      entry.layer.eachLayer(function (layer) {
        var code = layer.feature && layer.feature.properties && layer.feature.properties.code;
        entry.layer.resetStyle(layer);
        if (state.highlight && code === state.highlight) {
          layer.setStyle(HIGHLIGHT_STYLE);
          layer.bringToFront();
        }
      });
    });
  }

  function handleClick(state, latlng, properties) {
    var lat = round6(latlng.lat);
    var lng = round6(latlng.lng);
    var region = properties && properties.code
      ? { code: properties.code, name: properties.name, level: properties.level }
      : null;
    state.info.show(lat, lng, region);
    if (state.pick) {
      if (state.pickMarker) state.pickMarker.setLatLng(latlng);
      else state.pickMarker = L.circleMarker(latlng, L.extend({ interactive: false }, PICK_STYLE)).addTo(state.map);
    }
    // Later forms (a call-taker's incident location) listen for this instead of talking to Leaflet.
    state.el.dispatchEvent(new CustomEvent("siaga:mapclick", {
      bubbles: true,
      detail: { lat: lat, lng: lng, region: region }
    }));
  }

  function boundaryLayer(state, data, outline, permanentLabels) {
    var layer = L.geoJSON(data, {
      interactive: !outline,
      style: function () { return outline ? OUTLINE_STYLE : BOUNDARY_STYLE; },
      onEachFeature: function (feature, sub) {
        var p = feature.properties || {};
        if (outline || !p.name) return;
        sub.siagaArea = boundsArea(sub);
        sub.bindTooltip(escapeHtml(p.name), permanentLabels
          ? { permanent: true, direction: "center", className: "siaga-map-label", interactive: false }
          : { sticky: true });
        sub.on("mouseover", function () { if (p.code !== state.highlight) sub.setStyle(HOVER_STYLE); });
        sub.on("mouseout", function () { if (p.code !== state.highlight) layer.resetStyle(sub); });
      }
    });
    if (!outline) {
      layer.on("click", function (e) {
        // Leaflet then fires the same click on the map: mark it so the map handler leaves it alone.
        if (e.originalEvent) e.originalEvent.siagaHandled = true;
        handleClick(state, e.latlng, e.layer && e.layer.feature ? e.layer.feature.properties : null);
      });
    }
    return layer;
  }

  function addPoints(map, data, options) {
    options = options || {};
    return L.geoJSON(data, {
      pointToLayer: function (feature, latlng) {
        return L.circleMarker(latlng, L.extend({}, POINT_STYLE, options.style || {}));
      },
      onEachFeature: function (feature, layer) {
        var p = feature.properties || {};
        var label = options.label ? options.label(p) : (p.name || p.label || "");
        if (label) layer.bindTooltip(escapeHtml(label));
      }
    }).addTo(map);
  }

  function fit(state) {
    var bounds = L.latLngBounds([]);
    var target = null;
    state.layers.forEach(function (entry) {
      var b = entry.layer.getBounds && entry.layer.getBounds();
      if (b && b.isValid()) bounds.extend(b);
      if (entry.kind === "boundary" && state.highlight) {
        entry.layer.eachLayer(function (layer) {
          if (layer.feature && layer.feature.properties.code === state.highlight) target = layer.getBounds();
        });
      }
    });
    // A picked region is shown with some of its neighbours around it, so the user sees where it lies.
    if (target && target.isValid()) bounds = target.pad(0.6);
    if (!bounds.isValid()) return false;
    state.map.fitBounds(bounds, { padding: [8, 8], animate: false });
    return true;
  }

  function clearLayers(state) {
    state.layers.forEach(function (entry) { state.map.removeLayer(entry.layer); });
    state.layers = [];
  }

  // Load boundary URLs (the first filled and labelled, the others as outlines) and an optional point layer.
  function load(state, urls, pointsUrl) {
    var el = state.el;
    var token = (state.loadToken = (state.loadToken || 0) + 1);
    el.setAttribute("data-state", "loading");
    el.removeAttribute("data-features-loaded");
    var jobs = urls.map(function (url) { return fetchJSON(url, FETCH_ATTEMPTS); });
    if (pointsUrl) jobs.push(fetchJSON(pointsUrl, FETCH_ATTEMPTS));
    return Promise.allSettled(jobs).then(function (results) {
      if (token !== state.loadToken) return; // a newer load replaced this one
      clearLayers(state);
      var total = 0, failed = 0, truncated = false;
      var firstCount = results.length && results[0].status === "fulfilled" ? featureCount(results[0].value) : 0;
      var permanentLabels = firstCount <= PERMANENT_LABELS_MAX;
      results.forEach(function (result, i) {
        if (result.status !== "fulfilled") {
          failed += 1;
          if (window.console) console.warn("siaga map:", result.reason);
          return;
        }
        var data = result.value;
        var isPoints = pointsUrl && i === results.length - 1;
        var layer = isPoints ? addPoints(state.map, data) : boundaryLayer(state, data, i > 0, permanentLabels);
        if (!isPoints) layer.addTo(state.map);
        state.layers.push({ kind: isPoints ? "points" : (i > 0 ? "outline" : "boundary"), layer: layer });
        if (!isPoints) total += featureCount(data);
        truncated = truncated || !!data.truncated;
      });
      // Outlines go on top of the filled layer; points on top of everything.
      state.layers.forEach(function (entry) { if (entry.kind === "outline") entry.layer.bringToFront(); });
      state.layers.forEach(function (entry) { if (entry.kind === "points") entry.layer.bringToFront(); });
      applyHighlight(state);
      if (!fit(state)) state.map.setView(state.center, state.zoom);
      updateLabels(state);
      el.setAttribute("data-features-loaded", String(total));
      if (failed && failed === results.length) {
        el.setAttribute("data-state", "error");
        setStatus(state, el.getAttribute("data-text-error") || "Error", true);
        return;
      }
      el.setAttribute("data-state", "ready");
      if (failed) setStatus(state, el.getAttribute("data-text-error") || "Error", true);
      else if (truncated) setStatus(state, el.getAttribute("data-text-truncated") || "", false);
      else if (total === 0 && urls.length) setStatus(state, el.getAttribute("data-text-empty") || "", false);
      else setStatus(state, "", false);
    });
  }

  function init(el) {
    if (states.has(el)) return states.get(el).map;
    var center = parseCenter(el.getAttribute("data-center"));
    var zoom = parseInt(el.getAttribute("data-zoom"), 10);
    var map = L.map(el, { zoomSnap: 0.25, zoomDelta: 1, minZoom: 4, maxZoom: 18 });
    map.attributionControl.setPrefix("Leaflet");
    var attribution = el.getAttribute("data-attribution");
    if (attribution) map.attributionControl.addAttribution(escapeHtml(attribution));
    L.control.scale({ imperial: false, position: "bottomleft", maxWidth: 120 }).addTo(map);
    var state = {
      el: el,
      map: map,
      center: center,
      zoom: isFinite(zoom) ? zoom : DEFAULT_ZOOM,
      layers: [],
      highlight: null,
      pick: el.hasAttribute("data-pick"),
      pickMarker: null,
      info: new InfoControl().addTo(map),
      status: el.parentNode ? el.parentNode.querySelector("[data-siaga-map-status]") : null
    };
    states.set(el, state);
    map.setView(center, state.zoom);
    map.on("zoomend", function () { updateLabels(state); });
    map.on("click", function (e) {
      if (!(e.originalEvent && e.originalEvent.siagaHandled)) handleClick(state, e.latlng, null);
    });
    var urls = (el.getAttribute("data-layers") || "").split(/\s+/).filter(Boolean);
    var pointsUrl = el.getAttribute("data-points-url");
    if (urls.length || pointsUrl) load(state, urls, pointsUrl);
    else {
      el.setAttribute("data-state", "ready");
      el.setAttribute("data-features-loaded", "0");
      setStatus(state, "", false);
    }
    return map;
  }

  function initAll(root) {
    (root || document).querySelectorAll("[data-siaga-map]").forEach(init);
  }

  window.SiagaMap = {
    init: init,
    initAll: initAll,
    // The Leaflet map of an element, for pages that add their own layers.
    get: function (el) { var s = states.get(el); return s ? s.map : null; },
    // Replace the boundary layers, e.g. with the region the user picked; options.highlight = a region code.
    setLayers: function (el, urls, options) {
      var state = states.get(el);
      if (!state) { init(el); state = states.get(el); }
      state.highlight = (options && options.highlight) || null;
      return load(state, urls, options && options.pointsUrl);
    },
    addPoints: addPoints
  };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { initAll(); });
  else initAll();
})();
