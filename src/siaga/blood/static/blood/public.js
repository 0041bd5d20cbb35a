/* Public stock board: follows /darah/stok/live and redraws the cells from each "board" event (aggregates only). */
(function () {
  "use strict";
  var root = document.querySelector("[data-public-board]");
  if (!root) return;
  var status = document.querySelector("[data-live-status]");
  var LEVELS = ["green", "amber", "red", "none"];
  function setStatus(live) {
    if (!status) return;
    status.textContent = status.getAttribute(live ? "data-text-live" : "data-text-offline");
    status.setAttribute("data-state", live ? "live" : "offline");
  }
  function draw(board) {
    (board.sites || []).forEach(function (site) {
      (site.groups || []).forEach(function (g) {
        var cell = root.querySelector('[data-site="' + site.id + '"][data-group="' + g.group + '"]');
        if (!cell) return;
        var units = cell.querySelector("[data-units]");
        if (units) units.textContent = String(g.units);
        LEVELS.forEach(function (l) { cell.classList.remove("level--" + l); });
        cell.classList.add("level--" + (g.level || "none"));
      });
    });
    Object.keys(board.totals || {}).forEach(function (group) {
      var cell = root.querySelector('[data-total="' + group + '"]');
      if (cell) cell.textContent = String(board.totals[group]);
    });
    var updated = root.querySelector("[data-updated]");
    if (updated && board.updated_at) {
      updated.setAttribute("datetime", board.updated_at);
      updated.textContent = board.updated_at.slice(0, 16).replace("T", " ");
    }
  }
  function poll() {
    fetch(root.getAttribute("data-data-url")).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (b) { if (b) draw(b); }).catch(function () {});
  }
  if (!window.EventSource) { setInterval(poll, 60000); return; }
  var es = new EventSource(root.getAttribute("data-stream-url"));
  es.addEventListener("open", function () { setStatus(true); });
  es.addEventListener("error", function () { setStatus(false); });
  es.addEventListener("board", function (event) {
    setStatus(true);
    try { draw(JSON.parse(event.data)); } catch (error) { /* a malformed event: keep the last board */ }
  });
  window.addEventListener("pagehide", function () { es.close(); });
})();
