/* A child's growth chart: the WHO 2006 SD curves (-3 to +3) and the child's points, one indicator at a time. */
(function () {
  "use strict";

  var root = document.querySelector("[data-growth-page]");
  var configEl = document.getElementById("growth-config");
  if (!root || !configEl || !window.Chart) return;
  var config = JSON.parse(configEl.textContent);
  var T = config.texts || {};
  var canvas = root.querySelector("[data-chart]");
  var data = null;
  var chart = null;
  var DAYS_PER_MONTH = 30.4375;
  var LINE_COLOURS = { "-3": "#a4161a", "-2": "#c77700", "-1": "#9aa0a6", "0": "#0d5e25", "1": "#9aa0a6",
                       "2": "#c77700", "3": "#a4161a" };

  function refLines(ref) {
    return Object.keys(ref.lines).sort(function (a, b) { return a - b; }).map(function (sd) {
      return {
        type: "line", label: sd === "0" ? (T.median || "0") : (sd > 0 ? "+" : "") + sd + " SD",
        data: ref.x.map(function (x, i) { return { x: x, y: ref.lines[sd][i] }; }),
        borderColor: LINE_COLOURS[sd], borderWidth: sd === "0" ? 2 : 1, pointRadius: 0, tension: 0.2,
        borderDash: Math.abs(sd) === 1 ? [4, 4] : []
      };
    });
  }

  function childPoints(indicator) {
    return data.measurements.map(function (m) {
      var months = m.age_days / DAYS_PER_MONTH;
      if (indicator === "wfa" && m.weight_g) return { x: months, y: m.weight_g / 1000 };
      if (indicator === "lhfa" && m.length_height_mm) return { x: months, y: m.length_height_mm / 10 };
      if (indicator === "bmi" && m.weight_g && m.length_height_mm) {
        var metres = m.length_height_mm / 1000;
        return { x: months, y: (m.weight_g / 1000) / (metres * metres) };
      }
      if (indicator === "wflh" && m.weight_g && m.length_height_mm) return { x: m.length_height_mm / 10, y: m.weight_g / 1000 };
      return null;
    }).filter(Boolean);
  }

  function draw(indicator) {
    var ref;
    if (indicator === "wflh") {
      var last = data.measurements[data.measurements.length - 1];
      ref = data.reference[last && last.age_days >= 731 ? "wfh" : "wfl"];
    } else {
      ref = data.reference[indicator];
    }
    var datasets = refLines(ref);
    datasets.push({ type: "line", label: T.child || "", data: childPoints(indicator), borderColor: "#0a4da3",
                    backgroundColor: "#0a4da3", pointRadius: 5, showLine: true, borderWidth: 2 });
    var xTitle = indicator === "wflh" ? T.length_cm : T.age_months;
    var yTitle = indicator === "lhfa" ? T.length_cm : indicator === "bmi" ? T.bmi_axis : T.weight_kg;
    if (chart) chart.destroy();
    chart = new window.Chart(canvas, {
      data: { datasets: datasets },
      options: {
        animation: false, maintainAspectRatio: false, parsing: false,
        scales: { x: { type: "linear", title: { display: true, text: xTitle },
                       max: indicator === "wflh" ? undefined : 61 },
                  y: { title: { display: true, text: yTitle } } },
        plugins: { legend: { display: false } }
      }
    });
    root.setAttribute("data-drawn", indicator);
  }

  root.querySelectorAll("[data-indicator]").forEach(function (tab) {
    tab.addEventListener("click", function () {
      root.querySelectorAll("[data-indicator]").forEach(function (t) { t.setAttribute("aria-selected", "false"); });
      tab.setAttribute("aria-selected", "true");
      if (data) draw(tab.getAttribute("data-indicator"));
    });
  });

  fetch(config.api + "/persons/" + config.personId + "/growth", { credentials: "same-origin",
                                                                   headers: { Accept: "application/json" } })
    .then(function (r) { return r.json(); })
    .then(function (body) { data = body; draw("wfa"); });
})();
