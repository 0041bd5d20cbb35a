/* Registration form: typing a kelurahan's name offers matching desa/kelurahan codes (datalist) from the regions API. */
(function () {
  "use strict";
  var input = document.querySelector("[data-kelurahan-input]");
  if (!input || !window.fetch) return;
  var list = document.getElementById(input.getAttribute("list"));
  var timer = null;
  var controller = null;
  function search() {
    timer = null;
    var q = input.value.trim();
    // A code being typed needs no suggestions.
    if (q.length < 3 || /^[0-9.]+$/.test(q)) return;
    var params = new URLSearchParams({ q: q, level: "4", limit: "15" });
    var within = input.getAttribute("data-within");
    if (within) params.set("within", within);
    if (controller) controller.abort();
    controller = window.AbortController ? new AbortController() : null;
    fetch(input.getAttribute("data-search-url") + "?" + params.toString(),
          { credentials: "same-origin", signal: controller ? controller.signal : undefined })
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
      .then(function (hits) {
        list.textContent = "";
        hits.forEach(function (h) {
          var option = document.createElement("option");
          option.value = h.code;
          option.textContent = h.label || h.name;
          list.appendChild(option);
        });
      })
      .catch(function () { /* suggestions are a convenience; the code can still be typed */ });
  }
  input.addEventListener("input", function () {
    if (timer) clearTimeout(timer);
    timer = setTimeout(search, 250);
  });
})();
