/* Siaga Kru: the ambulance crew's phone page. Rings on a dispatch, takes the acknowledgement and the
   status steps, draws the route, and keeps every change in a queue on the phone until the server has it.

   The queue (localStorage, synchronous and survives a reload or a dead battery's restart) holds status
   changes in the order they were tapped, each with its own client_id and the phone's time. They are sent
   one at a time, oldest first; a network failure leaves the head in place and retries with backoff and on
   the browser's "online" event. The server ignores a client_id it has already seen, so a change whose
   answer was lost on the way back is harmless to send again. */
(function () {
  "use strict";

  var cfgEl = document.getElementById("crew-config");
  if (!cfgEl) return;
  var cfg = JSON.parse(cfgEl.textContent);
  var T = cfg.texts;
  var QUEUE_KEY = "siaga-kru:queue:" + cfg.user;
  var STATE_KEY = "siaga-kru:state:" + cfg.user;

  // The crew's next steps after each status (mirrors the server's status machine; the server decides).
  var NEXT = {
    alerted: ["acknowledged"],
    acknowledged: ["en_route"],
    en_route: ["on_scene"],
    on_scene: ["transporting", "returning", "completed"],
    transporting: ["at_hospital"],
    at_hospital: ["handover_done"],
    handover_done: ["returning", "completed"],
    returning: ["completed"]
  };
  var STEP_ORDER = ["alerted", "acknowledged", "en_route", "on_scene", "transporting", "at_hospital",
                    "handover_done", "returning", "completed"];
  var ENDED = ["completed", "cancelled", "diverted", "reassigned"];
  var TO_HOSPITAL = ["transporting", "at_hospital"];
  var TO_SCENE = ["alerted", "acknowledged", "en_route", "on_scene"];

  var $ = function (sel) { return document.querySelector(sel); };
  var el = {
    unit: $("[data-crew-unit]"),
    live: $("[data-crew-live]"),
    banner: $("[data-testid=crew-offline]"),
    message: $("[data-crew-message]"),
    messageText: $("[data-crew-message-text]"),
    messageClose: $("[data-crew-message-close]"),
    start: $("[data-crew-start]"),
    startBtn: $("[data-testid=crew-start]"),
    status: $("[data-testid=crew-status]"),
    incident: $("[data-crew-incident]"),
    priority: $("[data-crew-priority]"),
    number: $("[data-crew-number]"),
    type: $("[data-crew-type]"),
    address: $("[data-crew-address]"),
    description: $("[data-crew-description]"),
    eta: $("[data-crew-eta]"),
    destination: $("[data-crew-destination]"),
    handover: $("[data-crew-handover]"),
    idle: $("[data-crew-idle]"),
    dest: $("[data-crew-dest]"),
    destSelect: $("[data-crew-dest-select]"),
    steps: document.querySelectorAll("[data-step]"),
    routeTitle: $("[data-crew-route-title]"),
    routeSummary: $("[data-crew-route-summary]"),
    map: $("[data-crew-map]"),
    instructions: $("[data-crew-instructions]"),
    share: $("[data-crew-share]"),
    shareStatus: $("[data-crew-share-status]"),
    alert: $("[data-testid=crew-alert]"),
    alertPriority: $("[data-alert-priority]"),
    alertType: $("[data-alert-type]"),
    alertAddress: $("[data-alert-address]"),
    alertEta: $("[data-alert-eta]"),
    alertSound: $("[data-alert-sound]"),
    ack: $("[data-testid=crew-ack]")
  };

  // --- small helpers ---------------------------------------------------------------------------------------

  function fmt(text, params) {
    return String(text).replace(/%\((\w+)\)s/g, function (_, k) { return params[k] == null ? "" : params[k]; });
  }

  function pad(n, width) {
    n = String(n);
    while (n.length < (width || 2)) n = "0" + n;
    return n;
  }

  // ISO 8601 in the phone's own zone, with its offset (the server refuses times without one).
  function isoLocal(date) {
    var off = -date.getTimezoneOffset();
    var sign = off >= 0 ? "+" : "-";
    off = Math.abs(off);
    return date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate()) + "T" +
      pad(date.getHours()) + ":" + pad(date.getMinutes()) + ":" + pad(date.getSeconds()) + "." +
      pad(date.getMilliseconds(), 3) + sign + pad(Math.floor(off / 60)) + ":" + pad(off % 60);
  }

  function clock(iso) {
    var d = new Date(iso);
    return isNaN(d) ? "" : pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return pad(x.toString(16)); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function csrfToken() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (m) return decodeURIComponent(m[1]);
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function load(key, fallback) {
    try {
      var raw = localStorage.getItem(key);
      return raw ? JSON.parse(raw) : fallback;
    } catch (e) {
      return fallback;
    }
  }

  function store(key, value) {
    try { localStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* full or private mode */ }
  }

  function show(node, visible) { if (node) node.hidden = !visible; }

  function setText(node, text) { if (node) node.textContent = text || ""; }

  // Resolves {ok, status, data}; rejects when the network failed or hung (no answer in time). A write that
  // timed out may still have reached the server: sending it again is harmless (client_id).
  function api(method, url, body) {
    var opts = {method: method, credentials: "same-origin", cache: "no-store",
                headers: {"Accept": "application/json"}};
    var timer = null;
    if (window.AbortController) {
      var ctrl = new AbortController();
      opts.signal = ctrl.signal;
      timer = setTimeout(function () { ctrl.abort(); }, body === undefined ? 15000 : 20000);
    }
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.headers["X-CSRFToken"] = csrfToken();
      opts.body = JSON.stringify(body);
    }
    return fetch(url, opts).then(function (res) {
      return res.text().then(function (text) {
        clearTimeout(timer);
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        return {ok: res.ok, status: res.status, data: data};
      });
    }, function (err) {
      clearTimeout(timer);
      throw err;
    });
  }

  function errorOf(res) {
    var e = res.data && res.data.error;
    return {code: (e && e.code) || "", message: (e && e.message) || ("HTTP " + res.status)};
  }

  // --- state -----------------------------------------------------------------------------------------------

  var saved = load(STATE_KEY, {});
  var state = {
    units: saved.units || [],
    unit: saved.unit || null,
    dispatch: saved.dispatch || null,
    route: saved.route || null,
    stations: saved.stations || null,
    hospitals: [],
    position: null
  };
  var queue = load(QUEUE_KEY, []);
  var net = {online: navigator.onLine !== false, stream: false, sending: false, backoff: 0, timer: null,
             loginNeeded: false, lastRefresh: 0};

  function persist() {
    store(STATE_KEY, {units: state.units, unit: state.unit, dispatch: state.dispatch, route: state.route,
                      stations: state.stations});
  }

  function saveQueue() { store(QUEUE_KEY, queue); }

  // What the crew sees: the server's dispatch with the changes still in the queue applied on top.
  function view() {
    var d = state.dispatch;
    var v = {dispatch: d, status: d ? d.status : null, times: {}, availablePending: false,
             destinationId: d && d.destination ? d.destination.id : null};
    if (d) STEP_ORDER.forEach(function (s) { if (d[s + "_at"]) v.times[s] = d[s + "_at"]; });
    queue.forEach(function (it) {
      if (it.kind === "step" && d && it.dispatch_id === d.id) {
        v.status = it.status;
        v.times[it.status] = it.at;
        if (it.destination_id) v.destinationId = it.destination_id;
      } else if (it.kind === "available" && state.unit && it.unit_id === state.unit.id) {
        v.availablePending = true;
      }
    });
    return v;
  }

  function lastStepTime(d) {
    var latest = null;
    if (!d) return latest;
    STEP_ORDER.forEach(function (s) {
      var t = d[s + "_at"] ? new Date(d[s + "_at"]) : null;
      if (t && !isNaN(t) && (!latest || t > latest)) latest = t;
    });
    queue.forEach(function (it) {
      var t = it.at ? new Date(it.at) : null;
      if (it.dispatch_id === d.id && t && !isNaN(t) && (!latest || t > latest)) latest = t;
    });
    return latest;
  }

  // --- the queue -------------------------------------------------------------------------------------------

  function enqueue(item) {
    var now = new Date();
    // A phone clock running behind the server would put a step before the alert itself: never earlier
    // than the last step known, so the order the crew tapped is the order the server records.
    var floor = item.kind === "step" ? lastStepTime(state.dispatch) : null;
    if (floor && now < floor) now = new Date(floor.getTime() + 1);
    item.client_id = uuid();
    item.at = isoLocal(now);
    queue.push(item);
    saveQueue();
    render();
    flush();
  }

  function stepUrl(it) {
    return it.kind === "available" ? cfg.available_url.replace("{id}", it.unit_id)
      : cfg.status_url.replace("{id}", it.dispatch_id);
  }

  function stepBody(it) {
    var body = {client_id: it.client_id};
    if (it.at) body.at = it.at;
    if (it.kind === "step") {
      body.status = it.status;
      if (it.destination_id) body.destination_id = it.destination_id;
    }
    return body;
  }

  function dropHead(it) {
    if (queue.length && queue[0].client_id === it.client_id) queue.shift();
    saveQueue();
  }

  function retryLater() {
    net.backoff = Math.min(net.backoff ? net.backoff * 2 : 2000, 60000);
    clearTimeout(net.timer);
    net.timer = setTimeout(function () { net.timer = null; flush(); }, net.backoff);
  }

  function flush() {
    if (net.sending) return;
    queue = load(QUEUE_KEY, queue);
    if (!queue.length) { renderBanner(); return; }
    var it = queue[0];
    net.sending = true;
    renderBanner();
    api("POST", stepUrl(it), stepBody(it)).then(function (res) {
      net.sending = false;
      setOnline(true);
      if (res.ok) {
        net.backoff = 0;
        net.loginNeeded = false;
        dropHead(it);
        if (it.kind === "step" && res.data && res.data.id) applyDispatch(res.data);
        else if (it.kind === "available" && res.data && res.data.id) applyUnit(res.data);
        render();
        if (queue.length) flush(); else refresh();
        return;
      }
      var err = errorOf(res);
      if (res.status === 401) {
        net.loginNeeded = true;
        render();
        retryLater();
      } else if (res.status >= 500 || res.status === 429 || res.status === 408) {
        retryLater();
      } else if (err.code === "time_in_future" && it.at) {
        // The phone's clock runs ahead of the server's: let the server stamp the change instead.
        it.at = null;
        saveQueue();
        flush();
      } else {
        // Refused for good (out of order, the dispatch ended, not ours): drop it, say so, show what is true.
        dropHead(it);
        say(fmt(T.dropped, {message: err.message}));
        render();
        if (queue.length) flush();
        refresh();
      }
    }, function () {
      net.sending = false;
      setOnline(false);
      retryLater();
    });
  }

  // --- server state ----------------------------------------------------------------------------------------

  function applyDispatch(d) {
    if (ENDED.indexOf(d.status) >= 0) {
      if (!state.dispatch || state.dispatch.id === d.id) state.dispatch = null;
    } else {
      state.dispatch = d;
    }
    persist();
  }

  function applyUnit(u) {
    state.units = state.units.map(function (x) { return x.id === u.id ? u : x; });
    if (state.unit && state.unit.id === u.id) state.unit = u;
    persist();
  }

  var refreshing = null;

  function refresh() {
    if (refreshing) return refreshing;
    refreshing = api("GET", cfg.me_url).then(function (res) {
      if (res.status === 401) { net.loginNeeded = true; return; }
      if (!res.ok || !res.data) return;
      setOnline(true);
      net.loginNeeded = false;
      net.lastRefresh = Date.now();
      var me = res.data;
      var before = state.dispatch;
      state.units = me.units || [];
      var d = me.dispatch;
      state.unit = (d && state.units.filter(function (u) { return u.id === d.unit_id; })[0]) || state.units[0] || null;
      if (d) {
        state.dispatch = d;
        return;
      }
      // A returning unit still belongs to its dispatch until the crew finishes it; /me lists only live ones.
      var cur = (state.unit && state.unit.current_dispatch_id) || (before && before.id);
      if (!cur) { state.dispatch = null; return; }
      return api("GET", cfg.dispatch_url.replace("{id}", cur)).then(function (r2) {
        var gone = r2.ok && r2.data ? r2.data : null;
        state.dispatch = gone && ENDED.indexOf(gone.status) < 0 ? gone : null;
        // Called off by the dispatcher (cancelled, diverted, reassigned): say so, not just go quiet.
        if (gone && before && gone.id === before.id && gone.status !== "completed" && ENDED.indexOf(gone.status) >= 0) {
          say(fmt(T.ended, {n: gone.incident_number, status: T.statuses[gone.status] || gone.status}));
        }
      });
    }).then(function () {
      persist();
      render();
      loadStations();
      updateRoute(false);
      loadHospitals();
    }, function () {
      setOnline(false);
    }).then(function () { refreshing = null; });
    return refreshing;
  }

  function loadStations() {
    if (state.stations || !state.unit || !state.unit.station_id) return;
    api("GET", cfg.stations_url).then(function (res) {
      if (!res.ok || !Array.isArray(res.data)) return;
      state.stations = {};
      res.data.forEach(function (s) {
        if (s.lat != null && s.lng != null) state.stations[s.id] = {lat: s.lat, lng: s.lng, name: s.name};
      });
      persist();
      updateRoute(false);
    }, function () {});
  }

  // Destination suggestions come from the hospitals' part of the API; without it the crew simply goes on.
  var hospitalsFor = null;

  function loadHospitals() {
    var v = view();
    var d = v.dispatch;
    if (!d || v.status !== "on_scene" || d.destination || hospitalsFor === d.id) return;
    hospitalsFor = d.id;
    if (d.incident_lat == null || d.incident_lng == null) return;
    var url = cfg.hospitals_url + (cfg.hospitals_url.indexOf("?") >= 0 ? "&" : "?") +
      "lat=" + encodeURIComponent(d.incident_lat) + "&lng=" + encodeURIComponent(d.incident_lng) + "&limit=8";
    api("GET", url).then(function (res) {
      if (!res.ok || !res.data) return;
      var list = Array.isArray(res.data) ? res.data : (res.data.hospitals || res.data.results || []);
      state.hospitals = list.map(function (h) {
        return {id: h.organization_id || h.id, name: h.name || "", lat: h.lat, lng: h.lng,
                eta_seconds: h.eta_seconds, available: h.available !== false, reason: h.reason_text || ""};
      }).filter(function (h) { return h.id; });
      renderDestinations();
    }, function () { hospitalsFor = null; });
  }

  // --- rendering -------------------------------------------------------------------------------------------

  var messageTimer = null;

  function say(text) {
    setText(el.messageText, text);
    show(el.message, true);
    clearTimeout(messageTimer);
    messageTimer = setTimeout(function () { show(el.message, false); }, 15000);
  }

  function setOnline(online) {
    if (net.online === online) return;
    net.online = online;
    renderBanner();
    renderLive();
  }

  function renderLive() {
    if (!el.live) return;
    var live = net.online && net.stream;
    el.live.textContent = live ? T.live : (net.online ? T.reconnecting : T.offline_short);
    el.live.className = "crew-live " + (live ? "is-live" : "is-down");
  }

  function renderBanner() {
    var n = queue.length;
    var offline = !net.online || navigator.onLine === false;
    el.banner.setAttribute("data-waiting", String(n));
    el.banner.classList.toggle("is-offline", offline);
    if (net.loginNeeded && n) {
      el.banner.textContent = T.login_again;
    } else if (n) {
      el.banner.textContent = fmt(offline || !net.sending ? T.offline_waiting : T.sending, {n: n});
    } else {
      el.banner.textContent = T.offline;
    }
    show(el.banner, n > 0 || offline);
  }

  function km(metres) { return (metres / 1000).toFixed(metres < 10000 ? 1 : 0).replace(".", ","); }

  function etaText(d) {
    var metres = d.distance_m, seconds = d.eta_seconds, estimate = d.eta_estimate;
    if (state.route && state.route.dispatch_id === d.id && state.route.kind === "scene" && state.route.data) {
      metres = state.route.data.metres;
      seconds = state.route.data.seconds;
      estimate = state.route.data.estimate;
    }
    if (metres == null || seconds == null) return "";
    return fmt(T.eta, {km: km(metres), min: Math.max(1, Math.round(seconds / 60))}) +
      (estimate ? " " + T.eta_estimate : "");
  }

  function render() {
    var v = view();
    var d = v.dispatch;
    var unit = state.unit;
    setText(el.unit, unit ? unit.call_sign : "");

    var active = !!(d && ENDED.indexOf(v.status) < 0);
    var code, statusText;
    if (d && v.status && (active || v.status === "completed")) {
      code = v.status;
      statusText = T.statuses[code] || code;
    } else if (unit) {
      code = v.availablePending ? "available" : unit.status;
      statusText = T.unit_statuses[code] || code;
    } else {
      code = "";
      statusText = "—";
    }
    el.status.textContent = statusText;
    el.status.setAttribute("data-status", code);

    show(el.incident, !!active);
    if (active) {
      setText(el.priority, fmt(T.priority, {p: d.priority}));
      el.priority.className = "crew-prio crew-prio--" + d.priority;
      setText(el.number, d.incident_number);
      setText(el.type, d.incident_type);
      setText(el.address, d.incident_address);
      setText(el.description, d.incident_description);
      setText(el.eta, etaText(d));
      var dest = destinationOf(v);
      show(el.destination, !!dest);
      setText(el.destination, dest ? T.hospital + ": " + dest.name : "");
      var handover = v.times.handover_done;
      show(el.handover, !!handover);
      setText(el.handover, handover ? fmt(T.handover_at, {time: clock(handover)}) : "");
    }
    show(el.idle, !active);
    setText(el.idle, unit ? T.no_dispatch : T.no_unit);

    var next = active ? (NEXT[v.status] || []) : [];
    if (!active && unit && unit.status === "returning" && !v.availablePending) next = ["available"];
    Array.prototype.forEach.call(el.steps, function (b) {
      show(b, next.indexOf(b.getAttribute("data-step")) >= 0);
    });
    show(el.dest, !!(active && v.status === "on_scene" && !d.destination && state.hospitals.length));

    renderAlert(v);
    renderBanner();
    renderLive();
    drawMap();
  }

  function destinationOf(v) {
    var d = v.dispatch;
    if (d && d.destination && (!v.destinationId || v.destinationId === d.destination.id)) return d.destination;
    if (v.destinationId) {
      return state.hospitals.filter(function (h) { return h.id === v.destinationId; })[0] || null;
    }
    return null;
  }

  function renderDestinations() {
    var sel = el.destSelect;
    if (!sel) return;
    while (sel.firstChild) sel.removeChild(sel.firstChild);
    var none = document.createElement("option");
    none.value = "";
    none.textContent = T.destination_none;
    sel.appendChild(none);
    state.hospitals.forEach(function (h) {
      var o = document.createElement("option");
      o.value = String(h.id);
      var minutes = h.eta_seconds != null ? " · " + Math.max(1, Math.round(h.eta_seconds / 60)) + " min" : "";
      o.textContent = h.name + minutes + (!h.available && h.reason ? " · " + h.reason : "");
      sel.appendChild(o);
    });
    // The best hospital that can take the patient now is the default; the crew may change it.
    var best = state.hospitals.filter(function (h) { return h.available; })[0];
    if (best) sel.value = String(best.id);
    render();
  }

  // --- the alert and its alarm -----------------------------------------------------------------------------

  var audio = {ctx: null, timer: null, wakeLock: null};

  function unlockAudio() {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return;
    if (!audio.ctx) {
      try { audio.ctx = new Ctx(); } catch (e) { return; }
    }
    if (audio.ctx.state === "suspended") audio.ctx.resume().catch(function () {});
  }

  function beep(freq, start, length) {
    var ctx = audio.ctx;
    var osc = ctx.createOscillator();
    var gain = ctx.createGain();
    osc.type = "square";
    osc.frequency.setValueAtTime(freq, start);
    gain.gain.setValueAtTime(0.0001, start);
    gain.gain.exponentialRampToValueAtTime(1.0, start + 0.02);
    gain.gain.setValueAtTime(1.0, start + length - 0.03);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + length);
    osc.connect(gain);
    gain.connect(ctx.destination);
    osc.start(start);
    osc.stop(start + length + 0.01);
  }

  // A two-tone siren, over and over until someone acknowledges.
  function ring() {
    if (audio.ctx && audio.ctx.state === "running") {
      var t = audio.ctx.currentTime + 0.01;
      for (var i = 0; i < 3; i++) {
        beep(988, t + i * 0.5, 0.22);
        beep(784, t + i * 0.5 + 0.25, 0.22);
      }
    }
    if (navigator.vibrate) navigator.vibrate([500, 200, 500, 200, 500]);
  }

  function startAlarm() {
    if (audio.timer) return;
    unlockAudio();
    ring();
    audio.timer = setInterval(ring, 2000);
    el.alert.setAttribute("data-ringing", "true");
    notify();
  }

  function stopAlarm() {
    if (!audio.timer) return;
    clearInterval(audio.timer);
    audio.timer = null;
    if (navigator.vibrate) navigator.vibrate(0);
    el.alert.setAttribute("data-ringing", "false");
  }

  // With the screen off the page cannot ring: a system notification (when allowed) can.
  var notifiedFor = null;

  function notify() {
    var d = state.dispatch;
    if (!d || notifiedFor === d.id || !document.hidden) return;
    if (!("Notification" in window) || Notification.permission !== "granted" || !navigator.serviceWorker) return;
    notifiedFor = d.id;
    navigator.serviceWorker.getRegistration(cfg.scope).then(function (reg) {
      if (reg) {
        reg.showNotification(d.incident_type || "Siaga Kru", {
          body: [fmt(T.priority, {p: d.priority}), d.incident_address].filter(Boolean).join(" · "),
          tag: "dispatch-" + d.id, renotify: true, requireInteraction: true,
          vibrate: [500, 200, 500, 200, 500], icon: cfg.icon_url
        });
      }
    }).catch(function () {});
  }

  function renderAlert(v) {
    var d = v.dispatch;
    var alerted = !!(d && v.status === "alerted");
    var wasShown = !el.alert.hidden;
    show(el.alert, alerted);
    if (alerted && !wasShown) el.ack.focus();
    document.body.classList.toggle("is-alerted", alerted);
    if (!alerted) { stopAlarm(); return; }
    setText(el.alertPriority, fmt(T.priority, {p: d.priority}));
    el.alert.className = "crew-alert crew-alert--p" + d.priority;
    setText(el.alertType, d.incident_type);
    setText(el.alertAddress, d.incident_address);
    setText(el.alertEta, etaText(d));
    show(el.alertSound, !(audio.ctx && audio.ctx.state === "running"));
    startAlarm();
  }

  // The next button appears where the last one was: a double tap must not record two steps at once.
  var guard = {until: 0, timer: null};

  function holdButtons() {
    guard.until = Date.now() + 800;
    Array.prototype.forEach.call(el.steps, function (b) { b.disabled = true; });
    clearTimeout(guard.timer);
    guard.timer = setTimeout(function () {
      Array.prototype.forEach.call(el.steps, function (b) { b.disabled = false; });
    }, 800);
  }

  function acknowledge() {
    var d = state.dispatch;
    if (!d || view().status !== "alerted") return;
    holdButtons();
    unlockAudio();
    stopAlarm();
    enqueue({kind: "step", dispatch_id: d.id, unit_id: d.unit_id, status: "acknowledged"});
    updateRoute(false);
  }

  function step(status) {
    if (Date.now() < guard.until) return;
    holdButtons();
    var v = view();
    if (status === "available") {
      if (state.unit) enqueue({kind: "available", unit_id: state.unit.id});
      return;
    }
    var d = v.dispatch;
    if (!d || (NEXT[v.status] || []).indexOf(status) < 0) return;
    var item = {kind: "step", dispatch_id: d.id, unit_id: d.unit_id, status: status};
    if (status === "transporting" && el.destSelect && el.destSelect.value) {
      item.destination_id = parseInt(el.destSelect.value, 10);
    }
    enqueue(item);
    if (!net.online) say(T.saved_offline);
    updateRoute(false);
    loadHospitals();
  }

  function startShift() {
    unlockAudio();
    if (audio.ctx && audio.ctx.state !== "closed") {
      // A short chirp proves the speaker works and leaves the audio context unlocked for the alarm.
      try { beep(880, audio.ctx.currentTime + 0.05, 0.12); } catch (e) { /* no audio */ }
    }
    if (navigator.wakeLock && navigator.wakeLock.request) {
      navigator.wakeLock.request("screen").then(function (lock) { audio.wakeLock = lock; }, function () {});
    }
    if ("Notification" in window && Notification.permission === "default" && Notification.requestPermission) {
      try { Notification.requestPermission(); } catch (e) { /* old API */ }
    }
    watchPosition();
    el.start.classList.add("is-started");
    setText(el.start.querySelector(".crew-hint"), T.sound_on);
    el.startBtn.hidden = true;
    render();
  }

  // --- route and map ---------------------------------------------------------------------------------------

  function origin() {
    if (state.position) return [state.position.lat, state.position.lng];
    var u = state.unit;
    if (u && u.lat != null && u.lng != null) return [u.lat, u.lng];
    var st = u && state.stations && state.stations[u.station_id];
    return st ? [st.lat, st.lng] : null;
  }

  function target(v) {
    var d = v.dispatch;
    if (!d || ENDED.indexOf(v.status) >= 0) return null;
    if (TO_HOSPITAL.indexOf(v.status) >= 0) {
      var dest = destinationOf(v);
      if (dest && dest.lat != null) return {kind: "hospital", point: [dest.lat, dest.lng]};
    }
    if (TO_SCENE.indexOf(v.status) >= 0 && d.incident_lat != null) {
      return {kind: "scene", point: [d.incident_lat, d.incident_lng]};
    }
    return null;
  }

  var routeAsked = {key: "", at: 0, source: ""};

  function updateRoute(force) {
    var v = view();
    var t = target(v);
    var from = origin();
    if (!t || !from) { drawMap(); return; }
    var source = state.position ? "gps" : "known";
    // A new route when the target changes, or when the phone has moved and a minute has passed.
    var key = v.dispatch.id + ":" + t.kind + ":" + t.point.join(",");
    var fine = key + "@" + from[0].toFixed(3) + "," + from[1].toFixed(3);
    var now = Date.now();
    if (!force && routeAsked.key === fine) return;
    // The first GPS fix replaces the station or last known position at once; later moves wait a minute.
    if (!force && routeAsked.key.indexOf(key + "@") === 0 && routeAsked.source === source &&
        now - routeAsked.at < 60000) return;
    routeAsked = {key: fine, at: now, source: source};
    api("POST", cfg.route_url, {from: from, to: t.point}).then(function (res) {
      if (res.ok && res.data) {
        state.route = {dispatch_id: v.dispatch.id, kind: t.kind, from: from, to: t.point, data: res.data};
        persist();
        render();
      } else {
        setText(el.routeSummary, T.route_unavailable);
      }
    }, function () {
      routeAsked.key = "";
      setText(el.routeSummary, T.route_unavailable);
    });
  }

  var map = {leaflet: null, layer: null, drawn: ""};

  function drawMap() {
    var v = view();
    var d = v.dispatch && ENDED.indexOf(v.status) < 0 ? v.dispatch : null;
    var route = state.route && d && state.route.dispatch_id === d.id ? state.route : null;
    var t = target(v);
    if (route && t && route.kind !== t.kind) route = null;
    setText(el.routeTitle, t && t.kind === "hospital" ? T.route_to_hospital : T.route_to_scene);
    renderInstructions(route);
    if (!window.L || !el.map) return;
    var me = origin();
    var dest = d ? destinationOf(v) : null;
    var sig = JSON.stringify([route && route.data && route.data.geometry.length, route && route.kind, me,
                              d && [d.incident_lat, d.incident_lng], dest && [dest.lat, dest.lng]]);
    if (sig === map.drawn) return;
    map.drawn = sig;
    if (!map.leaflet) {
      map.leaflet = L.map(el.map, {zoomControl: true, attributionControl: false})
        .setView(me || [-2.5, 118], me ? 14 : 5);
      map.layer = L.layerGroup().addTo(map.leaflet);
    }
    map.layer.clearLayers();
    var bounds = [];
    if (route && route.data && route.data.geometry && route.data.geometry.length > 1) {
      L.polyline(route.data.geometry, {color: "#1d4ed8", weight: 6, opacity: 0.85}).addTo(map.layer);
      bounds = bounds.concat(route.data.geometry);
    }
    function dot(p, color, label, radius) {
      L.circleMarker(p, {radius: radius || 9, color: "#fff", weight: 3, fillColor: color, fillOpacity: 1})
        .bindTooltip(label).addTo(map.layer);
      bounds.push(p);
    }
    if (d && d.incident_lat != null) dot([d.incident_lat, d.incident_lng], "#b91c1c", T.scene, 11);
    if (dest && dest.lat != null) dot([dest.lat, dest.lng], "#1d4ed8", T.hospital + ": " + dest.name, 10);
    if (me) dot(me, "#15803d", T.me, 8);
    if (bounds.length > 1) map.leaflet.fitBounds(bounds, {padding: [24, 24], maxZoom: 17});
    else if (bounds.length === 1) map.leaflet.setView(bounds[0], 15);
  }

  function distanceText(m) {
    return m >= 1000 ? km(m) + " km" : Math.round(m / 10) * 10 + " m";
  }

  function renderInstructions(route) {
    var list = el.instructions;
    while (list.firstChild) list.removeChild(list.firstChild);
    if (!route || !route.data) {
      setText(el.routeSummary, state.dispatch ? T.route_none : "");
      return;
    }
    var r = route.data;
    setText(el.routeSummary, fmt(T.eta, {km: km(r.metres), min: Math.max(1, Math.round(r.seconds / 60))}) +
      (r.estimate ? " " + T.eta_estimate : ""));
    (r.instructions || []).forEach(function (ins) {
      var li = document.createElement("li");
      var street = document.createElement("strong");
      street.textContent = ins.street || T.unnamed_road;
      var dist = document.createElement("span");
      dist.className = "crew-instructions__dist";
      dist.textContent = distanceText(ins.metres || 0);
      li.appendChild(street);
      li.appendChild(dist);
      list.appendChild(li);
    });
  }

  // --- my position -----------------------------------------------------------------------------------------

  var geo = {watch: null, sharing: false, lastSent: 0, disabled: false};

  function watchPosition() {
    if (geo.watch !== null || !navigator.geolocation) return;
    geo.watch = navigator.geolocation.watchPosition(function (pos) {
      var c = pos.coords;
      state.position = {lat: c.latitude, lng: c.longitude, accuracy_m: c.accuracy,
                        speed_kmh: c.speed != null ? c.speed * 3.6 : null, heading_deg: c.heading,
                        at: isoLocal(new Date(pos.timestamp || Date.now()))};
      updateRoute(false);
      drawMap();
      sendPosition();
    }, function () {
      if (geo.sharing) setText(el.shareStatus, T.no_gps);
    }, {enableHighAccuracy: true, maximumAge: 10000, timeout: 30000});
  }

  function sendPosition() {
    var p = state.position;
    if (!geo.sharing || geo.disabled || !p || !state.unit || Date.now() - geo.lastSent < 10000) return;
    geo.lastSent = Date.now();
    api("POST", cfg.positions_url, {unit_id: state.unit.id, source: "phone", lat: p.lat, lng: p.lng, measured_at: p.at,
                                    accuracy_m: p.accuracy_m, speed_kmh: p.speed_kmh,
                                    heading_deg: p.heading_deg}).then(function (res) {
      if (res.status === 404 || res.status === 405) {
        // The position service is not there (yet): stop asking, quietly.
        geo.disabled = true;
        geo.sharing = false;
        el.share.setAttribute("aria-pressed", "false");
        el.share.disabled = true;
        setText(el.shareStatus, T.share_unavailable);
      }
    }, function () { /* no signal: the next fix tries again */ });
  }

  function toggleShare() {
    geo.sharing = !geo.sharing;
    el.share.setAttribute("aria-pressed", geo.sharing ? "true" : "false");
    setText(el.share, geo.sharing ? T.share_on : T.share_off);
    setText(el.shareStatus, "");
    if (geo.sharing) {
      if (!navigator.geolocation) { setText(el.shareStatus, T.no_gps); return; }
      watchPosition();
      geo.lastSent = 0;
      sendPosition();
    }
  }

  // --- live updates ----------------------------------------------------------------------------------------

  var refreshTimer = null;

  function scheduleRefresh() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refresh, 100);
  }

  function concernsMe(msg) {
    var p = (msg && msg.payload) || {};
    if (!state.units.length) return true;
    if (state.dispatch && p.id === state.dispatch.id) return true;
    return state.units.some(function (u) { return u.id === p.unit_id; });
  }

  function connectStream() {
    if (!window.EventSource || !cfg.stream_url) return;
    var source = new EventSource(cfg.stream_url);
    source.addEventListener("error", function () {
      if (source.readyState === EventSource.CLOSED) setTimeout(connectStream, (cfg.poll_seconds || 15) * 1000);
    });
    source.addEventListener("open", function () {
      net.stream = true;
      setOnline(true);
      renderLive();
      refresh();  // whatever happened while the connection was down
    });
    source.addEventListener("error", function () {
      net.stream = false;
      renderLive();
    });
    ["dispatch.created", "dispatch.status", "dispatch.ack_overdue"].forEach(function (name) {
      source.addEventListener(name, function (e) {
        var msg = null;
        try { msg = JSON.parse(e.data); } catch (err) { msg = null; }
        if (concernsMe(msg)) scheduleRefresh();
      });
    });
  }

  // Polling covers a dropped stream: every poll_seconds without it, once a minute with it.
  function poll() {
    var since = Date.now() - net.lastRefresh;
    if (!net.stream || since > 60000) refresh();
    if (queue.length && !net.sending && !net.timer) flush();
  }

  // --- service worker --------------------------------------------------------------------------------------

  function registerWorker() {
    if (!("serviceWorker" in navigator) || !cfg.worker_url) return;
    try {
      navigator.serviceWorker.register(cfg.worker_url, {scope: cfg.scope}).catch(function () {});
    } catch (e) { /* blocked */ }
  }

  // --- wiring ----------------------------------------------------------------------------------------------

  el.ack.addEventListener("click", acknowledge);
  el.startBtn.addEventListener("click", startShift);
  el.share.addEventListener("click", toggleShare);
  el.messageClose.addEventListener("click", function () { show(el.message, false); });
  Array.prototype.forEach.call(el.steps, function (b) {
    b.addEventListener("click", function () { step(b.getAttribute("data-step")); });
  });
  el.destSelect.addEventListener("change", function () { render(); });
  // Any first touch unlocks the audio too, in case the crew never tapped "start shift".
  document.addEventListener("pointerdown", unlockAudio, {once: true});
  window.addEventListener("online", function () {
    setOnline(true);
    net.backoff = 0;
    clearTimeout(net.timer);
    net.timer = null;
    flush();
    refresh();
  });
  window.addEventListener("offline", function () { setOnline(false); });
  window.addEventListener("storage", function (e) {
    if (e.key === QUEUE_KEY) { queue = load(QUEUE_KEY, []); render(); }
  });
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) {
      refresh();
      if (audio.wakeLock && audio.wakeLock.released && navigator.wakeLock) {
        navigator.wakeLock.request("screen").then(function (l) { audio.wakeLock = l; }, function () {});
      }
    }
  });

  render();  // the last known state first: the page is useful before (or without) the network
  refresh();
  flush();
  connectStream();
  setInterval(poll, (cfg.poll_seconds || 15) * 1000);
  registerWorker();
})();
