/* Posyandu day on a phone: pick a child, type weight and length/height, see the WHO classification at once.

   Everything goes through the health API; the server computes z-scores, categories and the KMS result.
   Values outside WHO's plausible range come back as "needs_confirmation": the kader measures again or confirms. */
(function () {
  "use strict";

  var root = document.querySelector("[data-session-page]");
  var configEl = document.getElementById("session-config");
  if (!root || !configEl) return;
  var config = JSON.parse(configEl.textContent);
  var T = config.texts || {};
  var API = config.api;
  var canRecord = root.getAttribute("data-can-record") === "1";
  var roster = [];
  var current = null;

  function $(sel) { return root.querySelector(sel); }
  function text(key, vars) {
    var out = T[key] || key;
    Object.keys(vars || {}).forEach(function (k) { out = out.split("{" + k + "}").join(String(vars[k])); });
    return out;
  }
  function el(tag, cls, content) {
    var n = document.createElement(tag);
    if (cls) n.className = cls;
    if (content !== undefined && content !== null) n.textContent = content;
    return n;
  }
  function csrf() {
    return (window.Siaga && window.Siaga.csrfToken) ? window.Siaga.csrfToken() :
      (document.querySelector('meta[name="csrf-token"]') || {}).content;
  }
  function request(method, url, body) {
    return fetch(url, {
      method: method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf(), "Accept": "application/json" },
      body: body ? JSON.stringify(body) : undefined
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) { return { status: r.status, data: data }; });
    });
  }
  function showError(message) {
    var box = $("[data-error]");
    box.textContent = message || "";
    box.hidden = !message;
  }
  function kg(grams) { return grams === null || grams === undefined ? "–" : String(grams / 1000).replace(".", ","); }
  function cm(mm) { return mm === null || mm === undefined ? "–" : String(mm / 10).replace(".", ","); }
  function ageText(months) {
    if (months < 24) return text("months", { n: months });
    return text("years", { y: Math.floor(months / 12), m: months % 12 });
  }
  function parseNumber(value) {
    var v = String(value || "").trim().replace(",", ".");
    if (!v) return null;
    if (!/^\d+(\.\d+)?$/.test(v)) return NaN;
    return parseFloat(v);
  }
  var SEVERITY = {
    normal: "ok", tall: "ok", stunted: "warn", wasted: "warn", underweight: "warn",
    possible_risk_of_overweight: "warn", risk_of_overweight: "warn", severely_stunted: "bad",
    severely_wasted: "bad", severely_underweight: "bad", overweight: "bad", obese: "bad"
  };
  function chip(label, category) {
    return el("span", "py-chip py-chip--" + (SEVERITY[category] || ""), label);
  }

  // --- roster --------------------------------------------------------------------------------------
  function load() {
    return request("GET", API + "/sessions/" + config.sessionId).then(function (res) {
      if (res.status !== 200) { showError((res.data.error || {}).message); return; }
      roster = res.data.roster;
      var measured = roster.filter(function (e) { return e.measurement; }).length;
      $("[data-counts]").textContent = res.data.attendance_count + " " + text("present") + " · " +
        measured + " " + text("measured");
      drawRoster();
    }).catch(function () { showError(text("network")); });
  }

  function drawRoster() {
    var list = $("[data-roster]");
    var q = ($("[data-search]").value || "").trim().toLowerCase();
    list.textContent = "";
    roster.forEach(function (entry) {
      var p = entry.person;
      if (q && p.name.toLowerCase().indexOf(q) === -1) return;
      var li = el("li");
      var btn = el("button", "py-child" + (entry.measurement ? " py-child--done" : ""));
      btn.type = "button";
      btn.setAttribute("data-child", p.id);
      var left = el("span");
      left.appendChild(el("span", "py-child__name", p.name));
      left.appendChild(el("span", "py-child__meta", ageText(p.age_months) + (p.nik_masked ? " · " + p.nik_masked : "")));
      btn.appendChild(left);
      var state = el("span", "py-child__state");
      if (entry.measurement) {
        var m = entry.measurement;
        state.appendChild(el("span", null, kg(m.weight_g) + " kg"));
        if (m.category_lhfa && SEVERITY[m.category_lhfa] !== "ok") state.appendChild(el("br"));
        if (m.category_lhfa && SEVERITY[m.category_lhfa] !== "ok") state.appendChild(chip(m.category_labels.lhfa, m.category_lhfa));
        if (m.growth_status === "T") { state.appendChild(el("br")); state.appendChild(chip("T", "wasted")); }
      } else {
        state.textContent = text("not_measured");
      }
      btn.appendChild(state);
      if (canRecord) btn.addEventListener("click", function () { openForm(entry); });
      li.appendChild(btn);
      list.appendChild(li);
    });
  }

  // --- form ----------------------------------------------------------------------------------------
  function openForm(entry) {
    current = entry;
    var p = entry.person;
    $("[data-result]").hidden = true;
    $("[data-form-title]").textContent = p.name;
    var meta = ageText(p.age_months);
    if (entry.previous) {
      meta += " · " + text("last", { date: entry.previous.measured_on, kg: kg(entry.previous.weight_g),
                                     cm: cm(entry.previous.length_height_mm) });
    }
    $("[data-form-meta]").textContent = meta;
    var form = $("[data-measure-form]");
    form.reset();
    var usual = p.age_days < 731 ? "lying" : "standing";
    form.querySelector('input[name="position"][value="' + usual + '"]').checked = true;
    hideConfirm();
    $("[data-form]").hidden = false;
    $("[data-roster]").hidden = true;
    form.querySelector("#py-weight").focus();
  }

  function closeForm() {
    current = null;
    $("[data-form]").hidden = true;
    $("[data-roster]").hidden = false;
    hideConfirm();
  }

  function hideConfirm() {
    $("[data-confirm-message]").hidden = true;
    $("[data-confirm]").hidden = true;
  }

  function submit(confirm) {
    if (!current) return;
    var form = $("[data-measure-form]");
    var w = parseNumber(form.querySelector("#py-weight").value);
    var l = parseNumber(form.querySelector("#py-length").value);
    if (Number.isNaN(w) || Number.isNaN(l)) { showError(text("bad_number")); return; }
    if (w === null && l === null) { showError(text("need_value")); return; }
    showError("");
    var checked = form.querySelector('input[name="position"]:checked');
    var body = {
      person_id: current.person.id,
      weight_g: w === null ? null : Math.round(w * 1000),
      length_height_mm: l === null ? null : Math.round(l * 10),
      position: l === null || !checked ? "" : checked.value,
      confirm: !!confirm
    };
    var save = $("[data-save]");
    save.disabled = true;
    save.textContent = text("saving");
    request("POST", API + "/sessions/" + config.sessionId + "/measurements", body).then(function (res) {
      save.disabled = false;
      save.textContent = text("save");
      if (res.status === 201) { showResult(current, res.data); closeForm(); load(); return; }
      var err = res.data.error || {};
      if (err.code === "needs_confirmation") {
        var box = $("[data-confirm-message]");
        box.textContent = err.message;
        box.hidden = false;
        $("[data-confirm]").hidden = false;
        return;
      }
      showError(err.message || text("network"));
    }).catch(function () {
      save.disabled = false;
      save.textContent = text("save");
      showError(text("network"));
    });
  }

  function showResult(entry, m) {
    var box = $("[data-result]");
    box.textContent = "";
    box.setAttribute("data-result-for", entry.person.id);
    box.appendChild(el("h2", "card__title", entry.person.name + " · " + text("saved")));
    var ul = el("ul");
    [["wfa", m.z_wfa], ["lhfa", m.z_lhfa], ["wflh", m.z_wflh]].forEach(function (pair) {
      var key = pair[0];
      var category = m["category_" + key];
      if (!category) return;
      var li = el("li", null);
      li.setAttribute("data-indicator", key);
      li.setAttribute("data-category", category);
      li.appendChild(el("strong", null, text(key) + ": "));
      li.appendChild(chip(m.category_labels[key], category));
      if (pair[1] !== null) li.appendChild(el("span", "py-z", " z = " + pair[1].toFixed(2).replace(".", ",")));
      ul.appendChild(li);
    });
    box.appendChild(ul);
    if (m.growth_status) {
      var gs = el("p", null, (T.growth_status || {})[m.growth_status] || m.growth_status);
      gs.setAttribute("data-growth-status", m.growth_status);
      box.appendChild(gs);
      if (m.minimum_gain_g !== null && m.weight_gain_g !== null) {
        box.appendChild(el("p", "py-z", text("gain", { g: m.weight_gain_g, m: m.minimum_gain_g })));
      }
    }
    if (m.needs_referral) box.appendChild(el("p", "msg msg--error", text("referral")));
    if (m.implausible) box.appendChild(el("p", "msg msg--warning", text("flagged")));
    var link = el("a", null, text("chart", { name: entry.person.name }));
    link.href = config.childUrl.replace("{id}", entry.person.id);
    box.appendChild(link);
    box.hidden = false;
    box.focus();
  }

  $("[data-measure-form]").addEventListener("submit", function (e) { e.preventDefault(); submit(false); });
  $("[data-confirm]").addEventListener("click", function () { submit(true); });
  $("[data-cancel]").addEventListener("click", closeForm);
  $("[data-search]").addEventListener("input", drawRoster);
  load();

  // Several kader record at once on a busy posyandu day: each phone's list follows the others' entries.
  var reloadTimer = null;
  function onLive(e) {
    var payload = {};
    try { payload = (JSON.parse(e.data) || {}).payload || {}; } catch (err) { return; }
    if (payload.session_id !== config.sessionId && payload.id !== config.sessionId) return;
    if (current) return;  // never redraw under a kader who is typing
    clearTimeout(reloadTimer);
    reloadTimer = setTimeout(load, 300);
  }
  if (window.EventSource && config.streamUrl) {
    var source = new EventSource(config.streamUrl);
    ["health.measurement_recorded", "health.attendance_recorded", "health.session_closed"].forEach(function (name) {
      source.addEventListener(name, onLive);
    });
  }
})();
