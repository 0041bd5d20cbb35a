/* Region search page: asks the regions API while the user types and shows a picked region on the map. */
(function () {
  "use strict";

  var form = document.querySelector("[data-region-search]");
  if (!form) return;
  var input = form.querySelector('input[name="q"]');
  var results = document.querySelector("[data-region-results]");
  var status = document.querySelector("[data-region-status]");
  var labelsEl = document.getElementById("region-level-labels");
  var levelLabels = labelsEl ? JSON.parse(labelsEl.textContent) : {};
  var searchUrl = form.getAttribute("data-search-url");
  var childrenUrl = form.getAttribute("data-children-url");
  var controller = null;
  var timer = null;
  var lastQuery = null;

  function text(key) {
    return form.getAttribute("data-text-" + key) || "";
  }

  function params() {
    var out = new URLSearchParams();
    out.set("q", input.value.trim());
    ["level", "within"].forEach(function (name) {
      var field = form.elements[name];
      if (field && field.value) out.set(name, field.value);
    });
    return out;
  }

  function showOnMap(item, button) {
    var mapEl = document.querySelector("[data-siaga-map]");
    if (!mapEl || !window.SiagaMap) return;
    var code = String(item.code);
    var level = Number(item.level);
    // A desa/kelurahan has no children: draw its kecamatan's kelurahan and highlight it.
    var area = level >= 4 ? code.split(".").slice(0, -1).join(".") : code;
    window.SiagaMap.setLayers(mapEl, [childrenUrl.replace("{code}", encodeURIComponent(area))], {
      highlight: level >= 4 ? code : null
    });
    results.querySelectorAll("button[aria-pressed]").forEach(function (b) { b.setAttribute("aria-pressed", "false"); });
    button.setAttribute("aria-pressed", "true");
    mapEl.scrollIntoView({ block: "nearest", behavior: "smooth" });
  }

  function render(data) {
    var items = Array.isArray(data) ? data : (data && Array.isArray(data.items) ? data.items : []);
    results.textContent = "";
    items.forEach(function (item) {
      var li = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.setAttribute("aria-pressed", "false");
      button.title = text("show");
      var name = document.createElement("span");
      name.className = "results__name";
      name.textContent = item.name;
      var meta = document.createElement("span");
      meta.className = "results__meta";
      var parts = [levelLabels[String(item.level)] || item.level, item.code];
      // The regions API names the ancestors ("parents"); older shapes may give a parent_name.
      if (Array.isArray(item.parents) && item.parents.length) parts.push(item.parents.join(", "));
      else if (item.parent_name) parts.push(item.parent_name);
      meta.textContent = parts.join(" · ");
      button.appendChild(name);
      button.appendChild(meta);
      button.addEventListener("click", function () { showOnMap(item, button); });
      li.appendChild(button);
      results.appendChild(li);
    });
    status.textContent = items.length ? text("count").replace("{count}", items.length) : text("none");
  }

  function search() {
    var query = params();
    var key = query.toString();
    if (key === lastQuery) return;
    lastQuery = key;
    if (history.replaceState) history.replaceState(null, "", "?" + key);
    if (query.get("q").length < 2) {
      results.textContent = "";
      status.textContent = query.get("q") ? text("short") : "";
      return;
    }
    if (controller) controller.abort();
    controller = new AbortController();
    status.textContent = text("searching");
    fetch(searchUrl + "?" + key, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      signal: controller.signal
    })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(render)
      .catch(function (error) {
        if (error.name === "AbortError") return;
        lastQuery = null; // let the same query be retried
        status.textContent = text("error");
      });
  }

  function later() {
    clearTimeout(timer);
    // Wait for a pause in typing: each request costs a call-taker's bandwidth.
    timer = setTimeout(search, 350);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearTimeout(timer);
    lastQuery = null;
    search();
  });
  input.addEventListener("input", later);
  form.querySelectorAll("select").forEach(function (select) { select.addEventListener("change", later); });

  // Restore a search from the address (a shared link or the back button).
  var initial = new URLSearchParams(window.location.search);
  ["level", "within"].forEach(function (name) {
    var field = form.elements[name];
    if (field && initial.has(name)) field.value = initial.get(name);
  });
  if (input.value.trim()) search();
})();
