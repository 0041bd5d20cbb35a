/* Dispatcher's console: open incidents and their dispatches, a live map of units, incidents and hospitals,
   the fastest-unit recommendation, coverage now, the acknowledgement alarm and requests for units.
   State comes from the page (JSON) and from /dispatch/state/; live changes from the SSE stream. */
(function () {
  "use strict";

  var root = document.querySelector("[data-console]");
  if (!root) return;
  var config = JSON.parse(document.getElementById("console-config").textContent);
  var state = JSON.parse(document.getElementById("console-state").textContent);
  var T = config.text;
  var API = config.api;
  var PERIODIC_MS = 30000;
  var BUSY = { acknowledged: 1, en_route: 1, on_scene: 1, transporting: 1, at_hospital: 1, handover_done: 1 };

  var ui = {
    incidents: root.querySelector("[data-incident-list]"),
    units: root.querySelector("[data-unit-list]"),
    rec: root.querySelector("[data-rec]"),
    recTitle: root.querySelector("[data-rec-title]"),
    recInfo: root.querySelector("[data-rec-info]"),
    recBody: root.querySelector("[data-rec-body]"),
    received: root.querySelector("[data-requests-received]"),
    made: root.querySelector("[data-requests-made]"),
    message: root.querySelector("[data-console-message]"),
    live: root.querySelector("[data-live-status]"),
    alarm: root.querySelector("[data-ack-alarm]"),
    alarmText: root.querySelector("[data-ack-alarm-text]"),
    alarmCrew: root.querySelector("[data-ack-alarm-crew]"),
    coverage: root.querySelector("[data-coverage-summary]"),
    dialog: root.querySelector("[data-action-dialog]")
  };

  var selectedIncident = null;
  var recommendation = null;
  var selectedUnit = null;
  var alarms = {};        // dispatch id -> {dispatch, handled}
  var dismissed = {};     // alarms the dispatcher closed after calling the crew
  var units = {};         // unit id -> row
  var hospitals = {};     // organisation id -> row

  // --- helpers ---------------------------------------------------------------------------------------
  function fmt(text, vars) {
    return String(text).replace(/%\((\w+)\)s/g, function (m, k) { return vars && k in vars ? vars[k] : m; });
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k === "text") node.textContent = v;
      else if (k === "class") node.className = v;
      else node.setAttribute(k, v === true ? "" : String(v));
    });
    (children || []).forEach(function (c) {
      if (c === null || c === undefined) return;
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }

  function esc(value) {
    return String(value).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function mmss(seconds) {
    if (seconds === null || seconds === undefined) return "—";
    var s = Math.max(0, Math.round(seconds));
    var m = Math.floor(s / 60);
    var r = s % 60;
    return m + ":" + (r < 10 ? "0" : "") + r;
  }

  function km(metres) {
    if (metres === null || metres === undefined) return "—";
    return (metres / 1000).toFixed(1).replace(".", ",") + " " + T.km;
  }

  function statusLabel(status) { return config.statuses[status] || status; }

  function kab(code) {
    var parts = String(code || "").split(".");
    return parts.length >= 2 ? parts[0] + "." + parts[1] : "";
  }

  function ageText(iso) {
    if (!iso) return "—";
    var s = (Date.now() - new Date(iso).getTime()) / 1000;
    if (!isFinite(s)) return "—";
    if (s < 90) return Math.max(0, Math.round(s)) + " s";
    return Math.round(s / 60) + " " + T.minutes;
  }

  function say(text, kind) {
    ui.message.textContent = text;
    ui.message.className = "msg msg--" + (kind || "info");
    ui.message.hidden = !text;
  }

  function csrfToken() {
    var m = document.cookie.match(/(?:^|; )csrftoken=([^;]*)/);
    if (m) return decodeURIComponent(m[1]);
    return window.Siaga && window.Siaga.csrfToken ? window.Siaga.csrfToken() : "";
  }

  function newKey() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    return "k" + Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  function request(method, url, body) {
    var headers = { Accept: "application/json" };
    var init = { method: method, credentials: "same-origin", headers: headers };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    if (method !== "GET") {
      headers["X-CSRFToken"] = csrfToken();
      // One key per click: a retry after a bad line is answered, never applied twice.
      headers["Idempotency-Key"] = newKey();
    }
    // A write that never reached an answer (bad line) is retried with the same key: the server answers it once.
    function attempt(left) {
      return fetch(url, init).catch(function (error) {
        if (method === "GET" || left <= 1) throw error;
        return new Promise(function (resolve) { setTimeout(resolve, 800); }).then(function () { return attempt(left - 1); });
      });
    }
    return attempt(3).then(function (response) {
      return response.text().then(function (raw) {
        var data = null;
        try { data = raw ? JSON.parse(raw) : null; } catch (e) { data = null; }
        if (!response.ok) {
          var error = new Error(data && data.error && data.error.message ? data.error.message : "HTTP " + response.status);
          error.status = response.status;
          throw error;
        }
        return data;
      });
    });
  }

  function fail(error) { say(fmt(T.error, { message: error.message }), "error"); }

  // --- map ------------------------------------------------------------------------------------------
  var mapEl = root.querySelector("[data-siaga-map]");
  var map = window.SiagaMap && mapEl ? (window.SiagaMap.get(mapEl) || window.SiagaMap.init(mapEl)) : null;
  var layers = map ? {
    coverage: L.layerGroup().addTo(map),
    hospitals: L.layerGroup().addTo(map),
    incidents: L.layerGroup().addTo(map),
    units: L.layerGroup().addTo(map)
  } : null;
  var markers = { units: {}, incidents: {}, hospitals: {} };
  var fitted = false;

  function statusClass(status) {
    if (status === "available" || status === "returning") return status;
    if (status === "alerted" || status === "out_of_service") return status;
    return BUSY[status] ? "busy busy-" + status : status;
  }

  function unitPoint(u) {
    if (u.lat !== null && u.lat !== undefined && u.lng !== null && u.lng !== undefined) return [u.lat, u.lng];
    return null;
  }

  // Units standing at the same spot (a station) are stacked one under another, so every call sign shows.
  var stack = {};

  function spotKey(u) { return Number(u.lat).toFixed(5) + "," + Number(u.lng).toFixed(5); }

  function restack() {
    var seen = {};
    stack = {};
    Object.keys(units).map(function (id) { return units[id]; })
      .sort(function (a, b) { return a.call_sign < b.call_sign ? -1 : a.call_sign > b.call_sign ? 1 : 0; })
      .forEach(function (u) {
        if (!unitPoint(u)) return;
        var key = spotKey(u);
        stack[u.id] = seen[key] || 0;
        seen[key] = stack[u.id] + 1;
      });
  }

  function drawUnit(u) {
    if (!map) return;
    var p = unitPoint(u);
    var m = markers.units[u.id];
    if (!p) {
      if (m) { layers.units.removeLayer(m); delete markers.units[u.id]; }
      return;
    }
    var cls = "dc-unit dc-unit--" + statusClass(u.status).split(" ").join(" dc-unit--") +
      (selectedUnit === u.id ? " is-selected" : "");
    var icon = L.divIcon({ className: cls, html: esc(u.call_sign), iconSize: null,
                           iconAnchor: [0, -22 * (stack[u.id] || 0)] });
    if (!m) {
      m = L.marker(p, { icon: icon, keyboard: false, title: u.call_sign }).addTo(layers.units);
      m.bindTooltip("");
      markers.units[u.id] = m;
    } else {
      m.setLatLng(p);
      m.setIcon(icon);
    }
    m.setTooltipContent(esc(u.call_sign + " · " + statusLabel(u.status) + " · " + u.organization_name));
    var node = m.getElement();
    if (node) {
      node.setAttribute("data-unit-marker", u.id);
      node.setAttribute("data-status", u.status);
      node.setAttribute("data-lat", p[0]);
      node.setAttribute("data-lng", p[1]);
    }
  }

  function drawIncident(inc) {
    if (!map || inc.lat === null || inc.lat === undefined) return;
    var cls = "dc-inc dc-inc--p" + inc.priority + (selectedIncident === inc.id ? " is-selected" : "");
    var icon = L.divIcon({ className: cls, html: "!", iconSize: [22, 22] });
    var m = markers.incidents[inc.id];
    if (!m) {
      m = L.marker([inc.lat, inc.lng], { icon: icon, keyboard: false, title: inc.number }).addTo(layers.incidents);
      m.bindTooltip(esc(inc.number + " · " + inc.type));
      m.on("click", function () { selectIncident(inc.id); });
      markers.incidents[inc.id] = m;
    } else {
      m.setLatLng([inc.lat, inc.lng]);
      m.setIcon(icon);
    }
    var node = m.getElement();
    if (node) node.setAttribute("data-incident-marker", inc.id);
  }

  function hospitalText(h) {
    var text = h.name;
    var c = h.capacity;
    if (c) {
      text += " · " + T.beds + " " + c.emergency_beds_free + "/" + c.emergency_beds_total +
        " · " + T.icu + " " + c.icu_beds_free + "/" + c.icu_beds_total;
      if (!c.accepting) text += " · " + T.not_accepting;
    }
    return text;
  }

  function drawHospital(h) {
    if (!map || h.lat === null || h.lat === undefined) return;
    var closed = h.capacity && !h.capacity.accepting;
    var icon = L.divIcon({ className: "dc-hosp" + (closed ? " dc-hosp--closed" : ""), html: "H", iconSize: [20, 20] });
    var m = markers.hospitals[h.id];
    if (!m) {
      m = L.marker([h.lat, h.lng], { icon: icon, keyboard: false, title: h.name }).addTo(layers.hospitals);
      m.bindTooltip("");
      markers.hospitals[h.id] = m;
    } else {
      m.setIcon(icon);
    }
    m.setTooltipContent(esc(hospitalText(h)));
  }

  function fitAll(force) {
    if (!map || (fitted && !force)) return;
    var b = L.latLngBounds([]);
    [markers.units, markers.incidents, markers.hospitals].forEach(function (group) {
      Object.keys(group).forEach(function (k) { b.extend(group[k].getLatLng()); });
    });
    if (b.isValid()) {
      fitted = true;
      map.fitBounds(b.pad(0.2), { maxZoom: 15, animate: false });
    }
  }

  // The boundary component fits the map to the boundaries once they load; without any, fit our markers.
  if (mapEl) {
    var whenReady = function () {
      if (mapEl.getAttribute("data-state") !== "loading" && mapEl.getAttribute("data-features-loaded") === "0") fitAll(true);
    };
    new MutationObserver(whenReady).observe(mapEl, { attributes: true, attributeFilter: ["data-state"] });
    whenReady();
  }

  function syncMarkers() {
    if (!map) return;
    Object.keys(markers.units).forEach(function (id) {
      if (!units[id]) { layers.units.removeLayer(markers.units[id]); delete markers.units[id]; }
    });
    var incidentIds = {};
    allIncidents().forEach(function (i) { incidentIds[i.id] = true; drawIncident(i); });
    Object.keys(markers.incidents).forEach(function (id) {
      if (!incidentIds[id]) { layers.incidents.removeLayer(markers.incidents[id]); delete markers.incidents[id]; }
    });
    restack();
    Object.keys(units).forEach(function (id) { drawUnit(units[id]); });
    Object.keys(hospitals).forEach(function (id) { drawHospital(hospitals[id]); });
  }

  // --- state ----------------------------------------------------------------------------------------
  function liveDispatches(incidentId) {
    return state.dispatches.filter(function (d) { return d.incident_id === incidentId; });
  }

  // Our open incidents, plus incidents our units serve for another organisation (known from their dispatches).
  function allIncidents() {
    var seen = {};
    var out = state.incidents.map(function (i) { seen[i.id] = true; return i; });
    state.dispatches.forEach(function (d) {
      if (seen[d.incident_id]) return;
      seen[d.incident_id] = true;
      out.push({ id: d.incident_id, number: d.incident_number, type: d.incident_type, priority: d.priority,
                 status: "", status_label: "", address: d.incident_address, description: d.incident_description,
                 lat: d.incident_lat, lng: d.incident_lng, region_code: d.incident_region_code, foreign: true });
    });
    return out;
  }

  function incidentById(id) {
    return allIncidents().filter(function (i) { return i.id === id; })[0] || null;
  }

  function dispatchById(id) {
    return state.dispatches.filter(function (d) { return d.id === id; })[0] || null;
  }

  function adopt(newState) {
    state = newState;
    units = {};
    state.units.forEach(function (u) { units[u.id] = u; });
    hospitals = {};
    state.hospitals.forEach(function (h) { hospitals[h.id] = h; });
    // Alarms follow the dispatches: one that is no longer waiting for its crew stops ringing.
    var overdue = {};
    state.dispatches.forEach(function (d) { if (d.ack_overdue) overdue[d.id] = d; });
    Object.keys(alarms).forEach(function (id) { if (!overdue[id]) delete alarms[id]; });
    Object.keys(overdue).forEach(function (id) {
      if (dismissed[id]) return;
      if (!alarms[id]) alarms[id] = { dispatch: overdue[id], handled: false };
      else alarms[id].dispatch = overdue[id];
    });
    renderAll();
  }

  // --- rendering ------------------------------------------------------------------------------------
  function button(text, action, data, extraClass) {
    var attrs = { type: "button", class: "btn btn--small" + (extraClass ? " " + extraClass : ""), "data-action": action };
    Object.keys(data || {}).forEach(function (k) { attrs[k] = data[k]; });
    return el("button", attrs, [text]);
  }

  function mayControl(d) {
    if (!config.can_dispatch) return false;
    var u = units[d.unit_id];
    return d.mine || (u && u.direct);
  }

  function renderIncidents() {
    var list = allIncidents();
    ui.incidents.textContent = "";
    if (!list.length) {
      ui.incidents.appendChild(el("li", { class: "muted", text: T.no_incidents }));
      return;
    }
    list.forEach(function (inc) {
      var ds = liveDispatches(inc.id);
      var head = el("div", { class: "dc-inc-row__head" }, [
        el("span", { class: "prio prio--p" + inc.priority, text: "P" + inc.priority }), " ",
        el("strong", { text: inc.number }), " ",
        el("span", { text: inc.type }),
        inc.status_label ? el("span", { class: "muted", text: " · " + inc.status_label }) : null
      ]);
      var where = el("p", { class: "dc-inc-row__where muted", text: inc.address || inc.description || "" });
      var dlist = el("ul", { class: "dc-inc-row__dispatches" });
      if (!ds.length) dlist.appendChild(el("li", { class: "dc-none", text: T.no_dispatch }));
      ds.forEach(function (d) {
        var item = el("li", { "data-dispatch-id": d.id, "data-status": d.status,
                              class: "dc-disp dc-disp--" + d.status + (d.ack_overdue ? " is-overdue" : "") }, [
          el("strong", { text: d.call_sign }), " ",
          el("span", { class: "dc-disp__status", text: statusLabel(d.status) }),
          d.eta_seconds !== null ? el("span", { class: "muted", text: " · " + T.eta + " " + mmss(d.eta_seconds) }) : null
        ]);
        if (mayControl(d)) {
          var actions = el("span", { class: "dc-disp__actions" }, [
            button(T.cancel, "cancel", { "data-dispatch": d.id }),
            d.status === "alerted" || d.status === "acknowledged" || d.status === "en_route"
              ? button(T.divert, "divert", { "data-dispatch": d.id }) : null,
            button(T.reassign, "reassign", { "data-dispatch": d.id })
          ]);
          item.appendChild(actions);
        }
        dlist.appendChild(item);
      });
      var row = el("li", {
        class: "dc-inc-row" + (selectedIncident === inc.id ? " is-selected" : "") + (ds.length ? "" : " needs-unit"),
        "data-testid": "incident-" + inc.id, "data-incident-id": inc.id
      }, [head, where, dlist]);
      if (config.can_dispatch && !inc.foreign) {
        row.appendChild(button(T.recommend, "recommend", { "data-incident": inc.id, "data-testid": "recommend-" + inc.id },
                               "btn--primary"));
      }
      ui.incidents.appendChild(row);
    });
  }

  function renderUnits() {
    ui.units.textContent = "";
    state.units.forEach(function (u) {
      var crew = (u.crew || []).map(function (c) { return c.name + " (" + c.role + ")"; }).join(", ");
      ui.units.appendChild(el("tr", { "data-unit-id": u.id, class: selectedUnit === u.id ? "is-selected" : "" }, [
        el("td", {}, [el("strong", { text: u.call_sign }), el("br"),
                      el("span", { class: "muted", text: u.organization_name })]),
        el("td", {}, [el("span", { class: "dc-status dc-status--" + statusClass(u.status).split(" ")[0],
                                   "data-testid": "unit-status-" + u.id, "data-status": u.status,
                                   text: statusLabel(u.status) })]),
        el("td", { class: u.crewed_now ? "" : "text-bad", text: crew || "—" }),
        el("td", { class: "muted", text: ageText(u.position_at) })
      ]));
    });
  }

  function renderRequests() {
    ui.received.textContent = "";
    ui.made.textContent = "";
    var any = { received: false, made: false };
    state.requests.forEach(function (r) {
      var u = units[r.unit_id];
      var progress = r.dispatch_id && u ? statusLabel(u.status) : "";
      var item = el("li", { class: "dc-req dc-req--" + r.status, "data-request-id": r.id, "data-status": r.status }, [
        el("strong", { text: r.call_sign }), " → ", el("span", { text: r.incident_number }), " ",
        el("span", { class: "dc-req__status", text: r.status_label }),
        progress ? el("span", { class: "dc-req__progress", "data-request-progress": r.id, text: " · " + progress }) : null,
        r.note ? el("p", { class: "muted", text: r.note }) : null,
        r.response_note ? el("p", { class: "muted", text: r.response_note }) : null
      ]);
      if (r.received) {
        item.insertBefore(el("span", { class: "muted", text: fmt(T.requested_by, { org: r.organization_name }) + " · " }),
                          item.firstChild);
        if (r.status === "requested" && config.can_dispatch) {
          item.appendChild(el("span", { class: "dc-req__actions" }, [
            button(T.accept, "accept-request", { "data-request": r.id }, "btn--primary"),
            button(T.decline, "decline-request", { "data-request": r.id })
          ]));
        }
        ui.received.appendChild(item);
        any.received = true;
      }
      if (r.made && !r.received) {
        item.insertBefore(el("span", { class: "muted", text: fmt(T.requested_from, { org: r.owner_name }) + " · " }),
                          item.firstChild);
        ui.made.appendChild(item);
        any.made = true;
      }
    });
    if (!any.received) ui.received.appendChild(el("li", { class: "muted", text: T.no_requests }));
    if (!any.made) ui.made.appendChild(el("li", { class: "muted", text: T.no_requests }));
  }

  function renderRecommendation() {
    if (!recommendation) { ui.rec.hidden = true; return; }
    var r = recommendation;
    ui.rec.hidden = false;
    ui.recTitle.textContent = r.incident.number + " · " + r.incident.type;
    ui.recInfo.textContent = fmt(T.target, { m: r.target_minutes }) + (r.capability ? " · " + r.capability : "");
    ui.recBody.textContent = "";
    if (!r.units.length) {
      ui.recBody.appendChild(el("tr", {}, [el("td", { colspan: 5, class: "muted", text: T.no_units })]));
      return;
    }
    r.units.forEach(function (u, i) {
      var notes = el("td", { class: "dc-rec__notes" });
      function flag(text, cls) { notes.appendChild(el("span", { class: "dc-flag " + cls, text: text })); }
      if (u.estimate) flag(T.estimate, "dc-flag--estimate");
      if (u.position_stale) flag(T.stale, "dc-flag--stale");
      if (u.at_station) flag(T.at_station, "dc-flag--station");
      if (!u.direct) flag(T.needs_request, "dc-flag--request");
      if (u.leaves_uncovered && u.leaves_uncovered.length) {
        notes.appendChild(el("p", { class: "dc-uncovered", "data-leaves-uncovered": u.unit_id,
          text: fmt(T.leaves_uncovered, { names: u.leaves_uncovered.map(function (k) { return k.name; }).join(", ") }) }));
      }
      var assign = button(u.direct ? T.assign : T.request, "assign",
                          { "data-unit": u.unit_id, "data-direct": u.direct ? "1" : "0", "data-testid": "assign-" + u.unit_id },
                          u.direct ? "btn--primary" : "");
      var row = el("tr", { "data-rec-unit": u.unit_id, class: (i === 0 ? "is-best " : "") + (selectedUnit === u.unit_id ? "is-selected" : "") }, [
        el("td", {}, [el("strong", { text: u.call_sign }), el("br"), el("span", { class: "muted", text: u.organization_name })]),
        el("td", { class: "num", "data-eta": u.eta_seconds === null ? "" : Math.round(u.eta_seconds), text: mmss(u.eta_seconds) }),
        el("td", { class: "num", text: km(u.distance_m) }),
        notes,
        el("td", { class: "dc-rec__actions" }, [
          config.can_dispatch ? assign : null,
          // Coverage is about our own area: only units we send ourselves count in it.
          u.direct ? button(T.coverage, "coverage", { "data-unit": u.unit_id }) : null
        ])
      ]);
      ui.recBody.appendChild(row);
    });
  }

  function renderAlarm() {
    var open = Object.keys(alarms).map(function (k) { return alarms[k]; });
    var ringing = open.filter(function (a) { return !a.handled; });
    var shown = ringing[0] || open[0];
    if (!shown) {
      ui.alarm.hidden = true;
      ui.alarm.removeAttribute("data-dispatch");
      sound(false);
      return;
    }
    var d = shown.dispatch;
    ui.alarm.hidden = false;
    ui.alarm.setAttribute("data-dispatch", d.id);
    ui.alarm.classList.toggle("is-handled", !!shown.handled);
    ui.alarmText.textContent = fmt(T.ack_overdue, { unit: d.call_sign, incident: d.incident_number }) +
      (shown.handled ? " · " + T.ack_handled : "");
    root.querySelector("[data-action='alarm-close']").hidden = !shown.handled;
    sound(ringing.length > 0);
  }

  function renderAll() {
    renderIncidents();
    renderUnits();
    renderRequests();
    renderRecommendation();
    renderAlarm();
    syncMarkers();
  }

  // --- sound (Web Audio): a two-tone alarm every second while an alarm waits --------------------------
  var audio = null;
  var soundTimer = null;

  function audioContext() {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!audio && Ctx) audio = new Ctx();
    return audio;
  }

  function beep() {
    var ctx = audioContext();
    if (!ctx) return;
    if (ctx.state === "suspended") ctx.resume();
    [0, 0.25].forEach(function (offset, i) {
      var osc = ctx.createOscillator();
      var gain = ctx.createGain();
      osc.type = "square";
      osc.frequency.value = i ? 660 : 880;
      gain.gain.value = 0.15;
      osc.connect(gain);
      gain.connect(ctx.destination);
      osc.start(ctx.currentTime + offset);
      osc.stop(ctx.currentTime + offset + 0.2);
    });
  }

  function sound(on) {
    root.setAttribute("data-alarm-sound", on ? "on" : "off");
    if (on && !soundTimer) {
      beep();
      soundTimer = setInterval(beep, 1000);
    } else if (!on && soundTimer) {
      clearInterval(soundTimer);
      soundTimer = null;
    }
  }

  // Browsers start audio only after a user gesture: the first click unlocks it.
  document.addEventListener("click", function () {
    var ctx = audioContext();
    if (ctx && ctx.state === "suspended") ctx.resume();
  }, { once: true });

  // --- refresh from the server ------------------------------------------------------------------------
  var refreshing = false;
  var again = false;
  var refreshTimer = null;

  function refresh() {
    if (refreshing) { again = true; return; }
    refreshing = true;
    again = false;
    request("GET", config.state_url)
      .then(adopt)
      .catch(function () { /* the next event or reconnect tries again */ })
      .then(function () {
        refreshing = false;
        if (again) refresh();
      });
  }

  function scheduleRefresh() {
    if (refreshTimer) clearTimeout(refreshTimer);
    refreshTimer = setTimeout(function () { refreshTimer = null; refresh(); }, 150);
  }

  // --- recommendation, coverage, actions ----------------------------------------------------------------
  function selectIncident(id) {
    selectedIncident = id;
    renderIncidents();
    syncMarkers();
  }

  function loadRecommendation(incidentId) {
    selectIncident(incidentId);
    recommendation = null;
    selectedUnit = null;
    clearCoverage();
    ui.rec.hidden = false;
    ui.recTitle.textContent = "";
    ui.recInfo.textContent = T.loading;
    ui.recBody.textContent = "";
    ui.rec.setAttribute("data-state", "loading");
    return request("GET", API + "/incidents/" + incidentId + "/recommendation")
      .then(function (data) {
        if (selectedIncident !== incidentId) return;
        recommendation = data;
        ui.rec.setAttribute("data-state", "ready");
        renderRecommendation();
      })
      .catch(function (error) {
        ui.rec.setAttribute("data-state", "error");
        ui.recInfo.textContent = fmt(T.error, { message: error.message });
      });
  }

  function assign(unitId, direct, btn) {
    if (!recommendation) return;
    var incidentId = recommendation.incident.id;
    var unit = recommendation.units.filter(function (u) { return u.unit_id === unitId; })[0];
    btn.disabled = true;
    var call = direct
      ? request("POST", API + "/dispatches", { incident_id: incidentId, unit_id: unitId, note: "" })
      : request("POST", API + "/unit-requests", { incident_id: incidentId, unit_id: unitId, note: "" });
    call.then(function () {
      say(fmt(direct ? T.sent : T.requested, { unit: unit ? unit.call_sign : unitId }), "success");
      recommendation = null;
      clearCoverage();
      renderRecommendation();
      refresh();
    }).catch(function (error) {
      btn.disabled = false;
      fail(error);
    });
  }

  function clearCoverage() {
    if (layers) layers.coverage.clearLayers();
    ui.coverage.hidden = true;
    ui.coverage.textContent = "";
  }

  // Kecamatan boundaries, when loaded for the area: lost kecamatan are painted, not just their centres.
  var boundaries = null;

  function loadBoundaries() {
    if (!boundaries) {
      boundaries = config.boundaries_url
        ? request("GET", config.boundaries_url).catch(function () { return null; })
        : Promise.resolve(null);
    }
    return boundaries;
  }

  function paintBoundaries(geo, lost) {
    if (!map || !geo || !geo.features || !geo.features.length) return;
    var features = geo.features.filter(function (f) { return f.properties && lost[f.properties.code]; });
    if (!features.length) return;
    layers.coverage.addLayer(L.geoJSON({ type: "FeatureCollection", features: features }, {
      interactive: false,
      style: function () { return { color: "#c62828", weight: 2, fillColor: "#c62828", fillOpacity: 0.35,
                                    className: "dc-kec-area dc-kec-area--lost" }; }
    }));
  }

  function showCoverage(unitId) {
    selectedUnit = unitId;
    renderRecommendation();
    Object.keys(units).forEach(function (id) { drawUnit(units[id]); });
    var inc = recommendation ? recommendation.incident : null;
    var region = kab(inc && inc.region_code) || kab(units[unitId] && units[unitId].region_code) || config.area_code;
    var name = (units[unitId] && units[unitId].call_sign) ||
      (recommendation && (recommendation.units.filter(function (u) { return u.unit_id === unitId; })[0] || {}).call_sign) || "";
    ui.coverage.hidden = false;
    ui.coverage.textContent = T.loading;
    Promise.all([
      request("GET", API + "/coverage-now?region_code=" + encodeURIComponent(region) + "&unit_id=" + unitId),
      region === config.area_code ? loadBoundaries() : Promise.resolve(null)
    ])
      .then(function (results) {
        var cov = results[0];
        if (selectedUnit !== unitId) return;
        if (layers) layers.coverage.clearLayers();
        var lost = {};
        cov.uncovered_if_unit_leaves.forEach(function (c) { lost[c] = true; });
        var names = [];
        cov.kecamatan.forEach(function (k) {
          var cls = lost[k.code] ? "lost" : (k.covered ? "covered" : "uncovered");
          if (lost[k.code]) names.push(k.name);
          if (!map) return;
          var m = L.circleMarker([k.lat, k.lng], {
            radius: lost[k.code] ? 11 : 7, weight: 2, color: "#ffffff", fillOpacity: 0.85,
            fillColor: cls === "lost" ? "#c62828" : (cls === "covered" ? "#2e7d32" : "#b26a00"),
            className: "dc-kec dc-kec--" + cls
          }).bindTooltip(esc(k.name + (k.best_seconds !== null ? " · " + mmss(k.best_seconds) : "")));
          layers.coverage.addLayer(m);
        });
        paintBoundaries(results[1], lost);
        ui.coverage.textContent = names.length
          ? fmt(T.coverage_lost, { unit: name, names: names.join(", ") })
          : (cov.kecamatan.length ? fmt(T.coverage_none_lost, { unit: name }) : T.coverage_unavailable);
        ui.coverage.classList.toggle("is-warning", names.length > 0);
        ui.coverage.setAttribute("data-lost", names.length);
      })
      .catch(function () {
        ui.coverage.textContent = T.coverage_unavailable;
      });
  }

  // A small dialog asks for the reason (and the target of a divert or reassign).
  var pending = null;

  function openDialog(kind, dispatchId) {
    var d = dispatchById(dispatchId);
    if (!d) return;
    var dlg = ui.dialog;
    var select = dlg.querySelector("select");
    var choice = dlg.querySelector("[data-dialog-choice]");
    dlg.querySelector("[data-dialog-error]").hidden = true;
    dlg.querySelector("textarea").value = "";
    dlg.querySelector("[data-dialog-title]").textContent =
      (kind === "cancel" ? T.cancel : kind === "divert" ? T.divert : T.reassign) + " · " +
      fmt(T.dispatch_of, { unit: d.call_sign, incident: d.incident_number });
    select.textContent = "";
    choice.hidden = kind === "cancel";
    pending = { kind: kind, dispatch: d };
    if (kind === "divert") {
      dlg.querySelector("[data-dialog-choice-label]").textContent = T.choose_incident;
      allIncidents().forEach(function (i) {
        if (i.id !== d.incident_id && !i.foreign) {
          select.appendChild(el("option", { value: i.id, text: "P" + i.priority + " · " + i.number + " · " + i.type }));
        }
      });
    } else if (kind === "reassign") {
      dlg.querySelector("[data-dialog-choice-label]").textContent = T.choose_unit;
      select.appendChild(el("option", { value: "", text: T.loading }));
      // Offer the units the recommendation ranks for this incident, fastest first.
      request("GET", API + "/incidents/" + d.incident_id + "/recommendation").then(function (rec) {
        select.textContent = "";
        rec.units.filter(function (u) { return u.direct && u.unit_id !== d.unit_id; }).forEach(function (u) {
          select.appendChild(el("option", { value: u.unit_id, text: u.call_sign + " · " + mmss(u.eta_seconds) }));
        });
        if (!select.options.length) select.appendChild(el("option", { value: "", text: T.no_units }));
      }).catch(function (error) {
        select.textContent = "";
        select.appendChild(el("option", { value: "", text: error.message }));
      });
    }
    if (dlg.showModal) dlg.showModal(); else dlg.setAttribute("open", "");
  }

  function closeDialog() {
    pending = null;
    if (ui.dialog.close) ui.dialog.close(); else ui.dialog.removeAttribute("open");
  }

  function submitDialog() {
    if (!pending) return;
    var dlg = ui.dialog;
    var reason = dlg.querySelector("textarea").value.trim();
    var value = dlg.querySelector("select").value;
    var errorBox = dlg.querySelector("[data-dialog-error]");
    function problem(text) { errorBox.textContent = text; errorBox.hidden = false; }
    var p = pending;
    var call;
    if (p.kind === "decline") {
      if (!reason) return problem(T.reason_required);
      call = request("POST", API + "/unit-requests/" + p.request + "/respond", { accept: false, note: reason });
    } else if (p.kind === "cancel") {
      if (!reason) return problem(T.reason_required);
      call = request("POST", API + "/dispatches/" + p.dispatch.id + "/cancel", { reason: reason });
    } else if (p.kind === "divert") {
      if (!value) return problem(T.choose_incident);
      call = request("POST", API + "/dispatches/" + p.dispatch.id + "/divert", { incident_id: Number(value), reason: reason });
    } else {
      if (!value) return problem(T.choose_unit);
      if (!reason) return problem(T.reason_required);
      call = request("POST", API + "/dispatches/" + p.dispatch.id + "/reassign", { unit_id: Number(value), reason: reason });
    }
    dlg.querySelector("[data-dialog-ok]").disabled = true;
    call.then(function () {
      if (p.dispatch) delete alarms[p.dispatch.id];
      closeDialog();
      refresh();
    }).catch(function (error) {
      problem(error.message);
    }).then(function () {
      dlg.querySelector("[data-dialog-ok]").disabled = false;
    });
  }

  ui.dialog.querySelector("[data-action-form]").addEventListener("submit", function (event) {
    event.preventDefault();
    submitDialog();
  });

  function alarmDispatch() {
    var id = Number(ui.alarm.getAttribute("data-dispatch"));
    return alarms[id] ? alarms[id] : null;
  }

  function callCrew() {
    var a = alarmDispatch();
    if (!a) return;
    var u = units[a.dispatch.unit_id];
    var crew = (u && u.crew) || [];
    ui.alarmCrew.textContent = "";
    crew.forEach(function (c) {
      ui.alarmCrew.appendChild(el("li", {}, [
        c.name + " (" + c.role + ") ",
        c.phone ? el("a", { href: "tel:" + c.phone, text: c.phone }) : el("span", { class: "muted", text: "—" })
      ]));
    });
    if (!crew.some(function (c) { return c.phone; })) ui.alarmCrew.appendChild(el("li", { class: "muted", text: T.no_crew_phone }));
    ui.alarmCrew.hidden = false;
    a.handled = true;
    renderAlarm();
  }

  root.addEventListener("click", function (event) {
    var b = event.target.closest("[data-action]");
    if (!b || !root.contains(b)) {
      var row = event.target.closest("[data-incident-id]");
      if (row && !event.target.closest("button")) selectIncident(Number(row.getAttribute("data-incident-id")));
      var rec = event.target.closest("[data-rec-unit]");
      if (rec && !event.target.closest("button") && rec.querySelector("[data-action='coverage']")) {
        showCoverage(Number(rec.getAttribute("data-rec-unit")));
      }
      return;
    }
    var action = b.getAttribute("data-action");
    if (action === "recommend") loadRecommendation(Number(b.getAttribute("data-incident")));
    else if (action === "assign") assign(Number(b.getAttribute("data-unit")), b.getAttribute("data-direct") === "1", b);
    else if (action === "coverage") showCoverage(Number(b.getAttribute("data-unit")));
    else if (action === "cancel" || action === "divert" || action === "reassign") {
      openDialog(action, Number(b.getAttribute("data-dispatch")));
    } else if (action === "dialog-close") closeDialog();
    else if (action === "accept-request") {
      b.disabled = true;
      request("POST", API + "/unit-requests/" + b.getAttribute("data-request") + "/respond", { accept: true, note: "" })
        .then(refresh).catch(function (error) { b.disabled = false; fail(error); });
    } else if (action === "decline-request") {
      pending = { kind: "decline", request: Number(b.getAttribute("data-request")) };
      ui.dialog.querySelector("[data-dialog-title]").textContent = T.decline;
      ui.dialog.querySelector("[data-dialog-choice]").hidden = true;
      ui.dialog.querySelector("textarea").value = "";
      ui.dialog.querySelector("[data-dialog-error]").hidden = true;
      if (ui.dialog.showModal) ui.dialog.showModal(); else ui.dialog.setAttribute("open", "");
    } else if (action === "alarm-call") callCrew();
    else if (action === "alarm-cancel" || action === "alarm-reassign") {
      var a = alarmDispatch();
      if (a) openDialog(action === "alarm-cancel" ? "cancel" : "reassign", a.dispatch.id);
    } else if (action === "alarm-close") {
      var current = alarmDispatch();
      if (current) {
        dismissed[current.dispatch.id] = true;
        delete alarms[current.dispatch.id];
      }
      ui.alarmCrew.hidden = true;
      renderAlarm();
    }
  });

  // --- live stream ------------------------------------------------------------------------------------
  function setLive(live) {
    ui.live.textContent = live ? T.live : T.offline;
    ui.live.classList.toggle("is-live", live);
    root.setAttribute("data-live", live ? "true" : "false");
  }

  function payloadOf(event) {
    try { return JSON.parse(event.data).payload || {}; } catch (e) { return {}; }
  }

  function onPosition(event) {
    var p = payloadOf(event);
    var u = units[p.id];
    if (!u) return;
    u.lat = p.lat;
    u.lng = p.lng;
    u.position_at = p.at;
    restack();
    drawUnit(u);
  }

  function onUnitStatus(event) {
    var p = payloadOf(event);
    var u = units[p.id];
    if (u) {
      u.status = p.status;
      u.status_label = statusLabel(p.status);
      renderUnits();
      renderRequests();
      drawUnit(u);
    }
    scheduleRefresh();
  }

  function onAckOverdue(event) {
    var p = payloadOf(event);
    alarms[p.id] = { dispatch: { id: p.id, unit_id: p.unit_id, call_sign: p.call_sign, incident_id: p.incident_id,
                                 incident_number: p.incident_number }, handled: false };
    renderAlarm();
    scheduleRefresh();
  }

  function onCapacity(event) {
    var p = payloadOf(event);
    var h = hospitals[p.organization_id];
    if (!h) { scheduleRefresh(); return; }
    h.capacity = p;
    drawHospital(h);
  }

  if (window.EventSource && config.stream_url) {
    var source = new EventSource(config.stream_url);
    source.addEventListener("open", function () {
      setLive(true);
      // Whatever changed between rendering the page and opening the stream.
      scheduleRefresh();
    });
    source.addEventListener("error", function () { setLive(false); });
    source.addEventListener("unit.position", onPosition);
    source.addEventListener("unit.status", onUnitStatus);
    source.addEventListener("dispatch.ack_overdue", onAckOverdue);
    source.addEventListener("hospital.capacity", onCapacity);
    ["unit.updated", "dispatch.created", "dispatch.status", "unit_request.updated", "incident.created",
     "incident.status_changed", "incident.updated", "incident.merged"].forEach(function (name) {
      source.addEventListener(name, scheduleRefresh);
    });
    window.addEventListener("pagehide", function () { source.close(); });
  } else {
    setLive(false);
  }

  // Ages on the console are minutes, and an event may not reach every party: re-read now and then.
  setInterval(function () { if (!document.hidden) refresh(); }, PERIODIC_MS);

  adopt(state);
  fitAll();
})();
