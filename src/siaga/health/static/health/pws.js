/* PWS dashboard: the 12-month trend (Chart.js), the kelurahan choropleth (Leaflet, no tiles), and live figures.
   The server renders every figure; this script only draws, and re-reads the figures' fragment when the live
   stream says something was recorded (or every few minutes where the stream is not open to the user). */
(function () {
  "use strict";

  var config = {};
  try { config = JSON.parse(document.getElementById("pws-config").textContent); } catch (e) { config = {}; }
  var texts = config.texts || {};

  // Thresholds (percent) of public-health significance: WHO/UNICEF 2018 for stunting, wasting and overweight,
  // WHO 1995 for underweight; coverage targets in steps of the Renstra's 80-90 %.
  var BREAKS = {
    stunting: [2.5, 10, 20, 30], wasting: [2.5, 5, 10, 15], overweight: [2.5, 5, 10, 15],
    underweight: [10, 20, 30, 40], d_s: [50, 70, 80, 90], n_d: [50, 70, 80, 90], immunisation: [50, 70, 80, 90],
    k4: [50, 70, 80, 90]
  };
  var HIGH_IS_GOOD = { d_s: true, n_d: true, immunisation: true, k4: true };
  var BAD_RAMP = ["#fff5eb", "#fdbe85", "#fd8d3c", "#e6550d", "#a63603"];
  var GOOD_RAMP = ["#a63603", "#e6550d", "#fdbe85", "#9ecae1", "#2171b5"];
  var NO_DATA = "#d9d9d9";
  var COLOURS = ["#2171b5", "#238b45", "#a63603", "#6a51a3", "#737373"];

  function colourFor(indicator, pct) {
    if (pct === null || pct === undefined) return NO_DATA;
    var breaks = BREAKS[indicator] || [20, 40, 60, 80];
    var ramp = HIGH_IS_GOOD[indicator] ? GOOD_RAMP : BAD_RAMP;
    for (var i = 0; i < breaks.length; i++) { if (pct < breaks[i]) return ramp[i]; }
    return ramp[ramp.length - 1];
  }

  function fmtPct(pct) {
    return pct === null || pct === undefined ? "–" : String(Math.round(pct * 10) / 10).replace(".", ",") + "%";
  }

  // --- trend --------------------------------------------------------------------------------------
  var chart = null;

  function trendData() {
    var el = document.getElementById("pws-trend-data");
    if (!el) return null;
    try { return JSON.parse(el.textContent); } catch (e) { return null; }
  }

  function drawTrend() {
    var canvas = document.querySelector("[data-pws-trend]");
    var data = trendData();
    if (!canvas || !data || !window.Chart) return;
    var datasets = data.series.map(function (s, i) {
      return { label: s.label, data: s.data, borderColor: COLOURS[i % COLOURS.length],
               backgroundColor: COLOURS[i % COLOURS.length], spanGaps: true, tension: 0, pointRadius: 3 };
    });
    if (chart) {
      chart.data.labels = data.labels;
      chart.data.datasets = datasets;
      chart.update();
    } else {
      chart = new window.Chart(canvas, {
        type: "line",
        data: { labels: data.labels, datasets: datasets },
        options: {
          responsive: true, maintainAspectRatio: false, animation: false,
          scales: { y: { min: 0, max: 100, ticks: { callback: function (v) { return v + "%"; } } } },
          plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } },
                     tooltip: { callbacks: { label: function (c) { return c.dataset.label + ": " + fmtPct(c.parsed.y); } } } }
        }
      });
    }
    canvas.setAttribute("data-drawn", String(data.labels.length));
    canvas.setAttribute("data-last-d", String(data.d[data.d.length - 1]));
  }

  // --- map ------------------------------------------------------------------------------------------
  var map = null;
  var layer = null;

  function legend(el, indicator) {
    if (!el) return;
    while (el.firstChild) el.removeChild(el.firstChild);
    var breaks = BREAKS[indicator] || [];
    var ramp = HIGH_IS_GOOD[indicator] ? GOOD_RAMP : BAD_RAMP;
    var items = [];
    for (var i = 0; i <= breaks.length; i++) {
      var label = i === 0 ? "< " + fmtPct(breaks[0]) : i === breaks.length ? "≥ " + fmtPct(breaks[i - 1])
        : fmtPct(breaks[i - 1]) + " – " + fmtPct(breaks[i]);
      items.push([ramp[i], label]);
    }
    items.push([NO_DATA, texts.noData || "–"]);
    items.forEach(function (item) {
      var span = document.createElement("span");
      var sw = document.createElement("span");
      sw.className = "pws-legend__swatch";
      sw.style.background = item[0];
      span.appendChild(sw);
      span.appendChild(document.createTextNode(item[1]));
      el.appendChild(span);
    });
  }

  function tooltipText(p) {
    var value = p.value === null || p.value === undefined ? (p.has_data ? (texts.hidden || "<5") : (texts.noData || "–"))
      : fmtPct(p.value * 100);
    var counts = p.numerator !== null && p.numerator !== undefined && p.denominator !== null && p.denominator !== undefined
      ? " (" + p.numerator + "/" + p.denominator + ")" : "";
    return p.name + ": " + value + counts;
  }

  function drawMap(el) {
    var status = document.querySelector("[data-pws-map-status]");
    var indicator = el.getAttribute("data-indicator");
    var url = el.getAttribute("data-url") + "?indicator=" + encodeURIComponent(indicator) + "&month=" +
      encodeURIComponent(el.getAttribute("data-month"));
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
      .then(function (data) {
        if (!window.L) return;
        if (!map) map = L.map(el, { zoomControl: true, attributionControl: false });
        if (layer) map.removeLayer(layer);
        layer = L.geoJSON(data, {
          style: function (f) {
            var v = f.properties.value;
            return { color: "#3a4047", weight: 1, fillOpacity: 0.85,
                     fillColor: colourFor(indicator, v === null || v === undefined ? null : v * 100) };
          },
          onEachFeature: function (f, l) {
            l.bindTooltip(tooltipText(f.properties));
            l.on("click", function () {
              window.location.href = el.getAttribute("data-area-base") + f.properties.code + "/?month=" +
                encodeURIComponent(el.getAttribute("data-month"));
            });
          }
        }).addTo(map);
        var bounds = layer.getBounds();
        if (bounds.isValid()) map.fitBounds(bounds, { padding: [8, 8] });
        else map.setView([-2.5, 118.0], 5);
        layer.eachLayer(function (l) {
          var path = l.getElement && l.getElement();
          if (path) {
            path.setAttribute("data-region", l.feature.properties.code);
            path.setAttribute("data-value", String(l.feature.properties.value));
          }
        });
        el.setAttribute("data-lit", String((data.features || []).length));
        legend(document.querySelector("[data-pws-legend]"), indicator);
        if (status) { status.textContent = ""; status.classList.remove("is-error"); }
      })
      .catch(function () {
        if (status) { status.textContent = texts.mapError || "Error"; status.classList.add("is-error"); }
      });
  }

  // --- live figures -------------------------------------------------------------------------------
  function setStatus(state) {
    var el = document.querySelector("[data-pws-live-status]");
    if (!el) return;
    el.textContent = el.getAttribute("data-text-" + state) || "";
    el.setAttribute("data-state", state);
  }

  function live(root) {
    var timer = null;
    function refresh() {
      timer = null;
      fetch(root.getAttribute("data-fragment-url"), { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
        .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.text(); })
        .then(function (html) {
          root.innerHTML = html;
          root.setAttribute("data-refreshed", String(Date.now()));
          drawTrend();
          var mapEl = document.querySelector("[data-pws-map]");
          if (mapEl) drawMap(mapEl);
        })
        .catch(function () { setStatus("offline"); });
    }
    var streamUrl = root.getAttribute("data-stream-url");
    var poll = parseInt(root.getAttribute("data-poll-seconds") || "0", 10);
    if (streamUrl && window.EventSource) {
      var es = new EventSource(streamUrl);
      es.addEventListener("open", function () { setStatus("live"); });
      es.addEventListener("error", function () { setStatus("offline"); });
      (root.getAttribute("data-events") || "").split(/\s+/).filter(Boolean).forEach(function (name) {
        es.addEventListener(name, function () { if (!timer) timer = setTimeout(refresh, 300); });
      });
      window.addEventListener("pagehide", function () { es.close(); });
    } else if (poll > 0 || streamUrl) {
      setStatus("poll");
      setInterval(refresh, (poll > 0 ? poll : 60) * 1000);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawTrend();
    var mapEl = document.querySelector("[data-pws-map]");
    if (mapEl) {
      drawMap(mapEl);
      var select = document.querySelector("[data-pws-indicator]");
      if (select) {
        select.addEventListener("change", function () {
          mapEl.setAttribute("data-indicator", select.value);
          drawMap(mapEl);
        });
      }
    }
    var root = document.querySelector("[data-pws-figures]");
    if (root) live(root);
  });
})();
