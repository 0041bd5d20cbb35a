/* Alert form: find a kecamatan or kelurahan by name and add its code to the area (the plain input works
   without this script too). */
(function () {
  "use strict";
  var picker = document.querySelector("[data-region-picker]");
  if (!picker) return;
  var query = picker.querySelector("[data-region-query]");
  var level = picker.querySelector("[data-region-level]");
  var results = picker.querySelector("[data-region-results]");
  var codes = document.querySelector("[data-region-codes]");
  var timer = null;
  var latest = 0;

  function add(code) {
    var list = codes.value.split(/[\s,]+/).filter(Boolean);
    if (list.indexOf(code) < 0) list.push(code);
    codes.value = list.join(" ");
  }

  function show(hits) {
    results.textContent = "";
    if (!hits.length) {
      var none = document.createElement("li");
      none.textContent = picker.getAttribute("data-text-none");
      results.appendChild(none);
      return;
    }
    hits.forEach(function (hit) {
      var li = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "btn";
      button.setAttribute("data-code", hit.code);
      button.textContent = picker.getAttribute("data-text-add") + ": " + hit.label + " (" + hit.code + ")";
      button.addEventListener("click", function () { add(hit.code); results.textContent = ""; query.value = ""; });
      li.appendChild(button);
      results.appendChild(li);
    });
  }

  function search() {
    var q = query.value.trim();
    if (q.length < 3) { results.textContent = ""; return; }
    var mine = ++latest;
    var url = picker.getAttribute("data-search-url") + "?limit=8&level=" + encodeURIComponent(level.value) +
      "&q=" + encodeURIComponent(q);
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
      .then(function (hits) { if (mine === latest) show(hits); })
      .catch(function () { if (mine === latest) show([]); });
  }

  function later() { if (timer) clearTimeout(timer); timer = setTimeout(search, 250); }
  query.addEventListener("input", later);
  level.addEventListener("change", later);
  // Enter in the search box must not submit the whole alert.
  query.addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); search(); } });
})();
