/* Evaluation page: draws each <canvas data-chart="id"> with Chart.js from the page's JSON configuration. */
(function () {
  "use strict";

  function init() {
    var source = document.getElementById("evaluation-charts");
    if (!source || !window.Chart) return;
    var configs;
    try {
      configs = JSON.parse(source.textContent);
    } catch (error) {
      return;
    }
    window.Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    window.Chart.defaults.color = "#161616";
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var config = configs[canvas.getAttribute("data-chart")];
      if (!config) return;
      try {
        // eslint-disable-next-line no-new
        new window.Chart(canvas, config);
        canvas.setAttribute("data-chart-ready", "true");
      } catch (error) {
        if (window.console) console.warn("siaga chart:", error);
      }
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
