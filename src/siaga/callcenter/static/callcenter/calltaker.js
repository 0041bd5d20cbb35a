/* Call-taker screen: keyboard-first intake from the first keystroke to a created incident (or a closed nuisance call).

   The call is opened on the server at the first keystroke (or F2, or the button), so its timestamps are the
   system's. Everything else talks to the call-center API; errors are shown from its {"error": {"message"}}. */
(function () {
  "use strict";

  var root = document.querySelector("[data-calltaker]");
  var configEl = document.getElementById("calltaker-config");
  if (!root || !configEl) return;
  var config = JSON.parse(configEl.textContent);
  var T = config.texts || {};
  var API = root.getAttribute("data-api");
  var INDONESIA = { latMin: -11.5, latMax: 6.5, lngMin: 94.5, lngMax: 141.5 };

  function $(selector) { return root.querySelector(selector); }

  function text(key, vars) {
    var out = T[key] || key;
    Object.keys(vars || {}).forEach(function (name) { out = out.split("{" + name + "}").join(String(vars[name])); });
    return out;
  }

  function el(tag, className, content) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (content !== undefined && content !== null) node.textContent = content;
    return node;
  }

  function debounce(fn, ms) {
    var timer = null;
    var wrapped = function () {
      var args = arguments;
      clearTimeout(timer);
      timer = setTimeout(function () { fn.apply(null, args); }, ms);
    };
    wrapped.cancel = function () { clearTimeout(timer); };
    return wrapped;
  }

  function fold(value) {
    // Case- and accent-insensitive matching for type-ahead.
    return String(value || "").toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "");
  }

  function timeOf(iso) {
    if (!iso) return "";
    var d = new Date(iso);
    return isNaN(d) ? String(iso) : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function dateTimeOf(iso) {
    if (!iso) return "";
    var d = new Date(iso);
    return isNaN(d) ? String(iso) : d.toLocaleString([], { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
  }

  // --- HTTP --------------------------------------------------------------------------------------------
  function cookie(name) {
    var match = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : "";
  }

  function csrfToken() {
    return cookie("csrftoken") || (window.Siaga && window.Siaga.csrfToken ? window.Siaga.csrfToken() : "");
  }

  function newKey() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    return "k" + Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  function request(method, url, body, options) {
    options = options || {};
    var headers = { Accept: "application/json" };
    var init = { method: method, credentials: "same-origin", headers: headers };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    if (method !== "GET") {
      headers["X-CSRFToken"] = csrfToken();
      // A retried write (bad line) must not create a second call or incident.
      headers["Idempotency-Key"] = options.key || newKey();
    }
    if (options.signal) init.signal = options.signal;
    var attempts = method === "GET" ? 1 : 3;
    function attempt(left) {
      return fetch(url, init).catch(function (error) {
        if (error.name === "AbortError" || left <= 1) {
          if (error.name !== "AbortError") error.message = text("network_error");
          throw error;
        }
        return new Promise(function (resolve) { setTimeout(resolve, 800); }).then(function () { return attempt(left - 1); });
      });
    }
    return attempt(attempts).then(function (response) {
      return response.text().then(function (raw) {
        var data = null;
        try { data = raw ? JSON.parse(raw) : null; } catch (e) { data = null; }
        if (!response.ok) {
          var message = data && data.error && data.error.message ? data.error.message : text("http_error", { status: response.status });
          var error = new Error(message);
          error.status = response.status;
          error.data = data;
          throw error;
        }
        return data;
      });
    });
  }

  function api(method, path, body, options) { return request(method, API + path, body, options); }

  // --- page elements -----------------------------------------------------------------------------------
  var form = $("[data-call-form]");
  var numberInput = $("#ct-number");
  var channelSelect = $("#ct-channel");
  var historyBox = $("[data-history]");
  var regionInput = $("[data-region-input]");
  var regionList = $("#ct-region-list");
  var regionStatus = $("[data-region-status]");
  var addressInput = $("#ct-address");
  var coordsInput = $("[data-coords-input]");
  var coordsStatus = $("[data-coords-status]");
  var typeInput = $("[data-type-input]");
  var typeList = $("#ct-type-list");
  var questionsBox = $("[data-questions]");
  var description = $("#ct-description");
  var prioritySelect = $("[data-priority]");
  var suggestedBox = $("[data-priority-suggested]");
  var reasonField = $("[data-priority-reason-field]");
  var reasonInput = $("#ct-priority-reason");
  var duplicatesBox = $("[data-duplicates]");
  var duplicateList = $("[data-duplicate-list]");
  var submitButton = $("[data-submit]");
  var newCallButton = $("[data-new-call]");
  var stateBox = $("[data-call-state]");
  var timerBox = $("[data-call-timer]");
  var errorBox = $("[data-error]");
  var resultBox = $("[data-result]");
  var mapEl = root.querySelector("[data-siaga-map]");
  var dialog = $("[data-reason-dialog]");
  var endButton = $("[data-end-call]");
  var duplicateFlag = $("[data-duplicate-flag]");

  // --- state -------------------------------------------------------------------------------------------
  var state;
  var timer = null;
  var marker = null;

  function freshState() {
    return {
      phase: "idle", // idle -> starting -> active -> done
      call: null,
      starting: null,
      syncedNumber: "",
      region: null, // {code, name, label}
      lat: null,
      lng: null,
      source: "",
      type: null,
      answers: {},
      suggested: null,
      priorityTouched: false,
      incident: null,
      busy: false,
      submitKey: null
    };
  }

  function setPhase(phase) {
    state.phase = phase;
    root.setAttribute("data-phase", phase);
    // During a call the bar offers hanging up instead of a next call.
    newCallButton.hidden = phase === "starting" || phase === "active";
    submitButton.disabled = phase === "done" || state.busy;
    if (phase === "idle") stateBox.textContent = text("idle");
    else if (phase === "starting") stateBox.textContent = text("starting");
    else if (phase === "active") stateBox.textContent = text("active", { id: state.call ? "#" + state.call.id : "" });
    else if (phase === "done") stateBox.textContent = text("done");
    if (phase === "idle" || phase === "starting") stopTimer();
    if (phase === "active" && state.call && state.call.ended_at) stateBox.textContent = text("line_ended");
    endButton.hidden = !(phase === "active" || phase === "done") || !state.call || !!state.call.ended_at;
  }

  function showError(error) {
    if (!error) {
      errorBox.hidden = true;
      errorBox.textContent = "";
      return;
    }
    errorBox.textContent = typeof error === "string" ? error : (error.message || String(error));
    errorBox.hidden = false;
  }

  function startTimer() {
    stopTimer();
    var started = Date.now();
    var tick = function () {
      var s = Math.floor((Date.now() - started) / 1000);
      timerBox.textContent = Math.floor(s / 60) + ":" + ("0" + (s % 60)).slice(-2);
    };
    tick();
    timer = setInterval(tick, 1000);
  }

  function stopTimer() {
    if (timer) clearInterval(timer);
    timer = null;
  }

  // --- the call ----------------------------------------------------------------------------------------
  function normalizedNumber() {
    return numberInput.value.replace(/[^\d+]/g, "");
  }

  function startCall() {
    if (state.phase === "starting" || state.phase === "active") return state.starting;
    if (state.phase === "done") resetForm(false);
    showError(null);
    var number = normalizedNumber();
    setPhase("starting");
    var body = { channel: channelSelect.value };
    if (number.replace(/\D/g, "").length >= 9) body.caller_number = number;
    state.starting = api("POST", "/calls", body)
      .catch(function (error) {
        // A mistyped number must not keep the call from being recorded: start it without, and say why.
        if (!body.caller_number || !error.data || !error.data.error || error.data.error.code !== "invalid_phone") throw error;
        showError(error);
        delete body.caller_number;
        return api("POST", "/calls", body);
      })
      .then(function (call) {
        // A phone call the call-taker is talking on is answered now; other channels are answered at once.
        if (call && !call.answered_at && body.channel === "phone") {
          return api("POST", "/calls/" + call.id + "/answer").then(function (answered) { return answered || call; });
        }
        return call;
      })
      .then(function (call) {
        state.call = call;
        state.syncedNumber = (call && call.caller_number) || body.caller_number || "";
        if (call && call.warning) {
          var warn = el("p", "ct-flag", call.warning);
          warn.setAttribute("role", "alert");
          historyBox.insertBefore(warn, historyBox.firstChild);
          historyBox.setAttribute("data-state", "flagged");
        }
        setPhase("active");
        startTimer();
        // A number still being typed is saved when typing pauses or the field is left.
        if (document.activeElement !== numberInput) syncNumber(true);
        return call;
      })
      .catch(function (error) {
        state.starting = null;
        setPhase("idle");
        showError(error);
        throw error;
      });
    return state.starting;
  }

  function activeCall() {
    if (state.phase === "active") return Promise.resolve(state.call);
    if (state.phase === "starting") return state.starting;
    return startCall();
  }

  // The number typed after the call started is saved on the call (nuisance counters need it).
  var numberUnsupported = false;
  var numberSync = Promise.resolve();

  function syncNumber(final) {
    var number = normalizedNumber();
    if (state.phase !== "active" || numberUnsupported || number.replace(/\D/g, "").length < 9 ||
        number === state.syncedNumber) return numberSync;
    var callId = state.call.id;
    state.syncedNumber = number;
    numberSync = api("PATCH", "/calls/" + callId, { caller_number: number }).then(function (call) {
      if (call && state.call && call.id === state.call.id) {
        var ended = state.call.ended_at;
        state.call = call;
        if (ended && !call.ended_at) state.call.ended_at = ended;
      }
    }).catch(function (error) {
      if (error.status === 404 || error.status === 405) numberUnsupported = true; // sent with the outcome instead
      else {
        state.syncedNumber = "";
        // While typing a pause may fall on half a number: complain only once the field is left.
        if (final === true) showError(error);
      }
    });
    return numberSync;
  }

  // The call as it stands on the server, with the number typed so far saved on it (nuisance counters need it).
  function readyCall() {
    return activeCall().then(function (call) {
      return syncNumber(true).then(function () { return state.call || call; });
    });
  }

  // --- caller history --------------------------------------------------------------------------------------
  var historyController = null;
  var lastHistory = "";

  function loadHistory() {
    var number = normalizedNumber();
    if (number === lastHistory) return;
    lastHistory = number;
    if (historyController) historyController.abort();
    historyBox.textContent = "";
    historyBox.removeAttribute("data-state");
    if (number.replace(/\D/g, "").length < 9) return; // shorter is not a whole Indonesian number yet
    historyController = new AbortController();
    historyBox.appendChild(el("p", "muted", text("history_loading")));
    api("GET", "/callers/" + encodeURIComponent(number) + "/history", undefined, { signal: historyController.signal })
      .then(renderHistory)
      .catch(function (error) {
        if (error.name === "AbortError") return;
        historyBox.textContent = "";
        if (error.status === 400) return; // not a valid number (yet): nothing to say while typing
        historyBox.appendChild(el("p", "muted", error.status === 404 ? text("history_none") : text("history_error")));
        historyBox.setAttribute("data-state", error.status === 404 ? "new" : "error");
      });
  }

  function renderHistory(data) {
    historyBox.textContent = "";
    data = data || {};
    var currentId = state.call ? state.call.id : null;
    var calls = (data.calls || data.items || []).filter(function (c) { return c.id !== currentId; });
    var total = data.total_calls !== undefined ? data.total_calls : calls.length;
    var nuisance = data.nuisance_calls !== undefined ? data.nuisance_calls : 0;
    if (!total && !calls.length && !data.flagged) {
      historyBox.appendChild(el("p", "ct-history__none", text("history_none")));
      historyBox.setAttribute("data-state", "new");
      return;
    }
    historyBox.setAttribute("data-state", data.flagged ? "flagged" : "known");
    if (data.flagged) {
      var policy = (config.policies || {})[data.policy] || data.policy || "";
      var warn = el("p", "ct-flag", text("history_flagged", { policy: policy }));
      warn.setAttribute("role", "alert");
      historyBox.appendChild(warn);
      if (data.note) historyBox.appendChild(el("p", "ct-flag__note", data.note));
    }
    historyBox.appendChild(el("p", "ct-history__summary", text("history_summary", { total: total, nuisance: nuisance })));
    if (calls.length) {
      var list = el("ul", "ct-history__list");
      calls.slice(0, 5).forEach(function (c) {
        var li = el("li");
        li.appendChild(el("time", "", dateTimeOf(c.started_at)));
        var outcome = (config.outcomes || {})[c.outcome] || c.outcome || "—";
        var badge = el("span", "ct-outcome-badge ct-outcome-badge--" + (c.outcome || "open"), outcome);
        li.appendChild(document.createTextNode(" "));
        li.appendChild(badge);
        var number = c.incident_number || (c.incident && c.incident.number);
        var incidentId = c.incident_id || (c.incident && c.incident.id);
        if (number) {
          li.appendChild(document.createTextNode(" "));
          var link = el("a", "", number);
          link.href = root.getAttribute("data-incident-url").replace("{id}", incidentId);
          link.target = "_blank";
          li.appendChild(link);
        }
        if (c.outcome_reason) li.appendChild(el("span", "muted", " · " + c.outcome_reason));
        list.appendChild(li);
      });
      historyBox.appendChild(list);
    }
  }

  var historyLater = debounce(loadHistory, 300);

  // --- combobox (kelurahan and incident type) ------------------------------------------------------------------
  function Combo(input, list, options) {
    var items = [];
    var active = -1;
    var token = 0;
    var self = this;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var nodes = list.querySelectorAll("[role=option]");
      if (!nodes.length) return;
      active = (index + nodes.length) % nodes.length;
      nodes.forEach(function (n, i) { n.setAttribute("aria-selected", i === active ? "true" : "false"); });
      input.setAttribute("aria-activedescendant", nodes[active].id);
      nodes[active].scrollIntoView({ block: "nearest" });
    }

    function render(found) {
      items = found || [];
      list.textContent = "";
      if (!items.length) {
        var emptyText = options.empty ? options.empty() : "";
        if (emptyText) {
          var li = el("li", "ct-list__empty", emptyText);
          li.setAttribute("role", "presentation");
          list.appendChild(li);
          list.hidden = false;
          input.setAttribute("aria-expanded", "true");
        } else close();
        return;
      }
      items.forEach(function (item, i) {
        var li = el("li", "ct-list__item");
        li.id = list.id + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        var shown = options.label(item);
        li.appendChild(el("span", "ct-list__name", shown.name));
        if (shown.meta) li.appendChild(el("span", "ct-list__meta", shown.meta));
        // Keep the focus in the input: a click must not blur it before the pick.
        li.addEventListener("mousedown", function (event) { event.preventDefault(); });
        li.addEventListener("click", function () { pick(i); });
        list.appendChild(li);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      highlight(0);
    }

    function pick(index) {
      var item = items[index];
      if (!item) return;
      close();
      options.pick(item);
    }

    function search() {
      var mine = ++token;
      Promise.resolve(options.source(input.value.trim())).then(function (found) {
        if (mine === token && document.activeElement === input) render(found);
      }).catch(function (error) {
        if (error && error.name === "AbortError") return;
        if (mine === token) { close(); showError(error); }
      });
    }

    var later = debounce(search, options.delay || 0);
    input.addEventListener("input", function () {
      if (options.changed) options.changed();
      later();
    });
    input.addEventListener("keydown", function (event) {
      if (event.altKey || event.ctrlKey || event.metaKey) return;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (list.hidden) { later.cancel(); search(); return; }
        highlight(active + (event.key === "ArrowDown" ? 1 : -1));
      } else if (event.key === "Enter") {
        if (!list.hidden && active >= 0) {
          event.preventDefault();
          event.stopPropagation();
          pick(active);
        } else if (!list.hidden) {
          event.preventDefault();
        }
      } else if (event.key === "Escape" && !list.hidden) {
        event.preventDefault();
        close();
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
    if (options.openOnFocus) input.addEventListener("focus", function () { if (!input.value.trim()) search(); });
    self.close = close;
    self.search = search;
  }

  // --- location ---------------------------------------------------------------------------------------------
  var regionController = null;

  function setRegion(region, options) {
    state.region = region;
    regionInput.value = region ? region.name : "";
    regionStatus.textContent = region ? text("region_picked", { label: region.label || region.name }) : "";
    root.setAttribute("data-region", region ? region.code : "");
    if (region && mapEl && window.SiagaMap) {
      var layers = (mapEl.getAttribute("data-layers") || "").split(/\s+/).filter(Boolean);
      if (layers.length) window.SiagaMap.setLayers(mapEl, layers, { highlight: region.code });
    }
    if (region && !(options && options.keepPoint)) {
      // The kelurahan's centre stands in for the point until the map or coordinates give a better one.
      if (state.source !== "map" && state.source !== "coordinates") {
        request("GET", root.getAttribute("data-region-url") + encodeURIComponent(region.code)).then(function (r) {
          if (state.region !== region || state.source === "map" || state.source === "coordinates") return;
          if (r && r.lat !== null && r.lat !== undefined) setPoint(r.lat, r.lng, "region");
          else state.source = "region";
        }).catch(function () { state.source = state.source || "region"; });
      }
    }
    checkDuplicates();
  }

  function regionSource(query) {
    if (query.length < 2) return [];
    if (regionController) regionController.abort();
    regionController = new AbortController();
    var params = new URLSearchParams({ q: query, level: "4", limit: "8" });
    if (config.within) params.set("within", config.within);
    return request("GET", root.getAttribute("data-region-search-url") + "?" + params.toString(), undefined,
      { signal: regionController.signal }).then(function (data) {
      return Array.isArray(data) ? data : (data && data.items) || [];
    });
  }

  function setPoint(lat, lng, source) {
    state.lat = Math.round(lat * 1e6) / 1e6;
    state.lng = Math.round(lng * 1e6) / 1e6;
    state.source = source;
    root.setAttribute("data-location-source", source);
    if (source === "map") coordsInput.value = state.lat.toFixed(6) + ", " + state.lng.toFixed(6);
    drawMarker();
    checkDuplicates();
  }

  function clearPoint() {
    state.lat = state.lng = null;
    state.source = "";
    root.removeAttribute("data-location-source");
    if (marker) { marker.remove(); marker = null; }
  }

  function drawMarker() {
    if (!mapEl || !window.SiagaMap || !window.L || state.lat === null) return;
    var map = window.SiagaMap.get(mapEl);
    if (!map) return;
    var at = [state.lat, state.lng];
    if (marker) marker.setLatLng(at);
    else {
      marker = window.L.circleMarker(at, { radius: 10, color: "#111111", weight: 3, fillColor: "#ffbf47", fillOpacity: 1,
        interactive: false }).addTo(map);
    }
    marker.bringToFront();
  }

  function lookupRegion(lat, lng) {
    var params = new URLSearchParams({ lat: String(lat), lng: String(lng) });
    return request("GET", root.getAttribute("data-region-lookup-url") + "?" + params.toString()).then(function (data) {
      if (data && data.found && data.region) {
        var parents = (data.ancestors || []).slice().reverse().map(function (a) { return a.name; });
        setRegion({ code: data.region.code, name: data.region.name,
          label: [data.region.name].concat(parents.slice(0, 2)).join(", ") }, { keepPoint: true });
      } else {
        regionStatus.textContent = text("region_lookup_none");
      }
    }).catch(showError);
  }

  function parseCoordinates(raw) {
    var match = String(raw).trim().match(/^(-?\d{1,3}(?:\.\d+)?)\s*[,;\s]\s*(-?\d{1,3}(?:\.\d+)?)$/);
    if (!match) return null;
    var a = parseFloat(match[1]);
    var b = parseFloat(match[2]);
    var inside = function (lat, lng) {
      return lat >= INDONESIA.latMin && lat <= INDONESIA.latMax && lng >= INDONESIA.lngMin && lng <= INDONESIA.lngMax;
    };
    if (inside(a, b)) return { lat: a, lng: b, swapped: false };
    if (inside(b, a)) return { lat: b, lng: a, swapped: true };
    return { outside: true };
  }

  function coordinatesTyped() {
    var raw = coordsInput.value.trim();
    coordsStatus.textContent = "";
    coordsInput.removeAttribute("aria-invalid");
    if (!raw) {
      if (state.source === "coordinates") clearPoint();
      return;
    }
    if (state.source === "map" && raw === state.lat.toFixed(6) + ", " + state.lng.toFixed(6)) return;
    var parsed = parseCoordinates(raw);
    if (!parsed || parsed.outside) {
      coordsStatus.textContent = parsed ? text("coords_outside") : text("coords_bad");
      coordsInput.setAttribute("aria-invalid", "true");
      return;
    }
    if (parsed.swapped) coordsStatus.textContent = text("coords_swapped");
    setPoint(parsed.lat, parsed.lng, "coordinates");
    lookupRegion(parsed.lat, parsed.lng);
  }

  // --- incident type, key questions, priority ----------------------------------------------------------------
  function typeSource(query) {
    var q = fold(query);
    var words = q.split(/\s+/).filter(Boolean);
    var scored = [];
    (config.taxonomy || []).forEach(function (t, order) {
      var name = fold(t.name);
      var hay = [name, fold(t.category), fold(t.keywords), fold(t.code)].join(" ");
      if (!words.every(function (w) { return hay.indexOf(w) >= 0; })) return;
      var rank = !q ? 2 : (name.indexOf(q) === 0 ? 0 : (name.indexOf(q) > 0 ? 1 : 2));
      scored.push({ t: t, rank: rank, order: order });
    });
    scored.sort(function (a, b) { return a.rank - b.rank || a.order - b.order; });
    return scored.slice(0, 30).map(function (s) { return s.t; });
  }

  function setType(type) {
    state.type = type;
    state.answers = {};
    typeInput.value = type ? type.name : "";
    root.setAttribute("data-type", type ? type.code : "");
    renderQuestions();
    updatePriority();
    checkDuplicates();
  }

  function renderQuestions() {
    questionsBox.textContent = "";
    var questions = (state.type && state.type.key_questions) || [];
    questions.forEach(function (q, i) {
      state.answers[q.id] = false;
      var row = el("div", "ct-question");
      var id = "ct-q-" + i;
      var label = el("span", "ct-question__text", q.text);
      label.id = id + "-label";
      var button = el("button", "ct-toggle");
      button.type = "button";
      button.id = id;
      button.setAttribute("aria-pressed", "false");
      button.setAttribute("aria-labelledby", id + "-label " + id);
      button.setAttribute("data-question", q.id);
      button.textContent = text("no");
      var set = function (yes) {
        state.answers[q.id] = yes;
        button.setAttribute("aria-pressed", yes ? "true" : "false");
        button.textContent = yes ? text("yes") : text("no");
        updatePriority();
      };
      button.addEventListener("click", function () { set(!state.answers[q.id]); });
      button.addEventListener("keydown", function (event) {
        if (event.altKey || event.ctrlKey || event.metaKey) return;
        var key = event.key.toLowerCase();
        if (key === "y" || key === "n" || key === "t") {
          // y = yes; n / t (tidak) = no; then on to the next question.
          event.preventDefault();
          set(key === "y");
          var next = questionsBox.querySelectorAll(".ct-toggle")[i + 1];
          (next || description).focus();
        }
      });
      row.appendChild(label);
      row.appendChild(button);
      questionsBox.appendChild(row);
    });
  }

  function suggestion() {
    // The server's rule: the type's default priority, raised by every "yes" to its question's if_yes.
    if (!state.type) return null;
    var p = state.type.default_priority;
    (state.type.key_questions || []).forEach(function (q) {
      if (state.answers[q.id] && q.if_yes) p = Math.min(p, q.if_yes);
    });
    return p;
  }

  function updatePriority() {
    state.suggested = suggestion();
    if (state.suggested === null) {
      suggestedBox.textContent = text("suggested_none");
      suggestedBox.removeAttribute("data-suggested");
    } else {
      suggestedBox.textContent = text("suggested", { priority: (config.priorities || {})[state.suggested] || "P" + state.suggested });
      suggestedBox.setAttribute("data-suggested", String(state.suggested));
      suggestedBox.className = "ct-suggested ct-suggested--p" + state.suggested;
    }
    if (!state.priorityTouched) prioritySelect.value = state.suggested === null ? "" : String(state.suggested);
    priorityChanged();
  }

  function priorityChanged() {
    var chosen = prioritySelect.value ? parseInt(prioritySelect.value, 10) : null;
    var overridden = chosen !== null && state.suggested !== null && chosen !== state.suggested;
    reasonField.hidden = !overridden;
    reasonInput.required = overridden;
  }

  // --- duplicates ---------------------------------------------------------------------------------------------
  var duplicateToken = 0;
  var checkDuplicates = debounce(function () {
    if (state.phase === "done" || !state.type || (state.lat === null && !state.region)) {
      hideDuplicates();
      return;
    }
    var mine = ++duplicateToken;
    var body = {
      type_code: state.type.code,
      lat: state.lat,
      lng: state.lng,
      region_code: state.region ? state.region.code : "",
      description: description.value.trim(),
      address: addressInput.value.trim(),
      caller_number: normalizedNumber().length >= 9 ? normalizedNumber() : ""
    };
    api("POST", "/duplicates/check", body).then(function (data) {
      if (mine !== duplicateToken) return;
      renderDuplicates(Array.isArray(data) ? data : (data && (data.candidates || data.items)) || []);
    }).catch(function (error) {
      if (mine === duplicateToken && error.status !== 404) showError(error);
    });
  }, 500);

  function hideDuplicates() {
    duplicatesBox.hidden = true;
    duplicateFlag.hidden = true;
  }

  function renderDuplicates(candidates) {
    duplicateList.textContent = "";
    duplicatesBox.hidden = !candidates.length;
    // The bar stays in sight while the form scrolls: it says there is something to look at.
    duplicateFlag.hidden = !candidates.length;
    duplicateFlag.textContent = text("duplicates_flag", { count: candidates.length });
    candidates.forEach(function (c) {
      var id = c.incident_id || c.id;
      var number = c.number || c.incident_number || (c.incident && c.incident.number) || "#" + id;
      var li = el("li", "ct-dup");
      li.setAttribute("data-incident-id", id);
      var head = el("div", "ct-dup__head");
      var link = el("a", "", number);
      link.href = root.getAttribute("data-incident-url").replace("{id}", id);
      link.target = "_blank";
      head.appendChild(link);
      var facts = [c.type_name || (c.incident && c.incident.type_name), c.region_name, c.created_at ? timeOf(c.created_at) : "",
        c.score !== undefined ? text("score", { score: Math.round(c.score * 100) / 100 }) : ""].filter(Boolean);
      head.appendChild(el("span", "muted", " " + facts.join(" · ")));
      li.appendChild(head);
      var reasons = c.reasons || [];
      if (!Array.isArray(reasons)) reasons = Object.keys(reasons).map(function (k) { return k + ": " + reasons[k]; });
      if (reasons.length) li.appendChild(el("p", "ct-dup__reasons", reasons.join(" · ")));
      var button = el("button", "btn ct-dup__attach", text("attach", { number: number }));
      button.type = "button";
      button.addEventListener("click", function () { attachTo(id, number); });
      li.appendChild(button);
      duplicateList.appendChild(li);
    });
  }

  function attachTo(incidentId, number) {
    if (state.busy) return;
    state.busy = true;
    showError(null);
    readyCall().then(function (call) {
      var body = { incident_id: incidentId };
      return api("POST", "/calls/" + call.id + "/attach", body);
    }).then(function (call) {
      state.busy = false;
      if (call) state.call = call;
      var num = (call && call.incident_number) || number;
      finish(text("attached", { number: num }), null, { id: incidentId, number: num });
    }).catch(function (error) {
      state.busy = false;
      showError(error);
    });
  }

  // --- creating the incident ------------------------------------------------------------------------------------
  function invalid(message, field) {
    showError(message);
    if (field) field.focus();
    return false;
  }

  function validate() {
    if (state.phase !== "active") return invalid(text("need_call"), numberInput);
    if (!state.region && state.lat === null && !addressInput.value.trim()) return invalid(text("need_location"), regionInput);
    if (!state.type) return invalid(text("need_type"), typeInput);
    if (!reasonField.hidden && !reasonInput.value.trim()) return invalid(text("need_reason"), reasonInput);
    return true;
  }

  function submitIncident() {
    if (state.busy || state.phase === "done") return;
    if (state.phase === "starting") {
      state.starting.then(submitIncident, function () {});
      return;
    }
    if (state.phase === "idle") {
      // Enter on a pre-filled number answers the call and moves on to the location.
      startCall().then(function () { regionInput.focus(); }, function () {});
      return;
    }
    if (!validate()) return;
    showError(null);
    state.busy = true;
    submitButton.disabled = true;
    stateBox.textContent = text("creating");
    var source = state.source || (state.region ? "region" : (addressInput.value.trim() ? "address" : ""));
    var body = {
      call_id: state.call.id,
      type_code: state.type.code,
      description: description.value.trim(),
      region_code: state.region ? state.region.code : "",
      lat: state.lat,
      lng: state.lng,
      address: addressInput.value.trim(),
      location_source: source,
      answers: state.answers,
      priority: prioritySelect.value ? parseInt(prioritySelect.value, 10) : state.suggested,
      priority_reason: reasonField.hidden ? "" : reasonInput.value.trim()
    };
    // One key per incident: a retry after a lost answer returns the same incident.
    state.submitKey = state.submitKey || newKey();
    syncNumber(true).then(function () {
      return api("POST", "/incidents", body, { key: state.submitKey });
    }).then(function (incident) {
      state.busy = false;
      state.incident = incident;
      finish(text("created", { number: incident.number }), incident, incident);
      if (!incident.referrals) refreshIncident();
    }).catch(function (error) {
      state.busy = false;
      submitButton.disabled = false;
      setPhase(state.phase);
      showError(error);
    });
  }

  function finish(title, incident, link) {
    setPhase("done");
    hideDuplicates();
    form.hidden = true;
    resultBox.hidden = false;
    resultBox.querySelector("[data-result-title]").textContent = title;
    resultBox.setAttribute("data-incident-number", link ? link.number : "");
    renderResult(incident, link);
    resultBox.focus();
  }

  // The caller may still be on the line after the incident exists (first-aid instructions): the call ends
  // when the call-taker hangs up (F4), or at the latest when the next call starts.
  function endCall() {
    var call = state.call;
    endButton.hidden = true;
    stopTimer();
    if (!call || call.ended_at) return Promise.resolve();
    call.ended_at = new Date().toISOString();
    if (state.phase === "active") stateBox.textContent = text("line_ended");
    return api("POST", "/calls/" + call.id + "/end").catch(function (error) {
      if (error.status !== 409) showError(error); // 409: it had already ended
    });
  }

  function renderResult(incident, link) {
    var body = resultBox.querySelector("[data-result-body]");
    body.textContent = "";
    if (incident) {
      var facts = el("p", "ct-result__facts");
      var prio = incident.priority ? "P" + incident.priority : "";
      var typeName = incident.type_name || (incident.type && incident.type.name) || (state.type && state.type.name) || "";
      facts.textContent = [prio, typeName, incident.region_name || (state.region && state.region.name) || ""].filter(Boolean).join(" · ");
      body.appendChild(facts);
      var refs = incident.referrals;
      if (refs) {
        body.appendChild(el("h3", "ct-result__sub", text("referrals")));
        if (!refs.length) body.appendChild(el("p", "muted", text("referrals_none")));
        var list = el("ul", "ct-referrals");
        list.setAttribute("data-referrals", "");
        refs.forEach(function (r) {
          var li = el("li", "ct-referral ct-referral--" + (r.status || ""));
          li.setAttribute("data-status", r.status || "");
          var agency = r.agency_name || (r.agency && r.agency.name) || r.agency || "";
          li.appendChild(el("strong", "", agency));
          var status = (config.statuses || {})[r.status] || r.status || "";
          li.appendChild(el("span", "ct-referral__status", " · " + status));
          if (r.status === "requested" && r.ack_deadline) {
            li.appendChild(el("span", "muted", " · " + text("deadline", { time: timeOf(r.ack_deadline) })));
          }
          list.appendChild(li);
        });
        body.appendChild(list);
      }
    }
    if (link && link.id) {
      var a = el("a", "btn", text("open_incident") + " " + (link.number || ""));
      a.href = root.getAttribute("data-incident-url").replace("{id}", link.id);
      var actions = el("p", "ct-result__actions");
      actions.appendChild(a);
      body.appendChild(actions);
    }
  }

  function refreshIncident() {
    var incident = state.incident;
    if (!incident || state.phase !== "done") return;
    api("GET", "/incidents/" + incident.id).then(function (fresh) {
      if (state.incident && fresh && fresh.id === state.incident.id) {
        state.incident = fresh;
        renderResult(fresh, fresh);
      }
    }).catch(function () {});
  }

  // --- nuisance and other outcomes without an incident ----------------------------------------------------------
  var outcomes = {};
  (config.nuisance || []).forEach(function (n) { outcomes[n.outcome] = n; });
  var pendingOutcome = null;

  function askOutcome(outcome) {
    var choice = outcomes[outcome];
    if (!choice || state.busy) return;
    if (state.phase === "idle" || state.phase === "done") startCall().catch(function () {});
    pendingOutcome = choice;
    dialog.querySelector("[data-reason-title]").textContent = text("close_title", { outcome: choice.label });
    var box = dialog.querySelector("[data-reason-options]");
    box.textContent = "";
    choice.reasons.forEach(function (reason, i) {
      var label = el("label", "ct-reason");
      var input = document.createElement("input");
      input.type = "radio";
      input.name = "reason";
      input.value = reason;
      if (i === 0) input.checked = true;
      label.appendChild(input);
      label.appendChild(el("kbd", "", String(i + 1)));
      label.appendChild(document.createTextNode(" " + reason));
      box.appendChild(label);
    });
    dialog.querySelector("[data-reason-other]").value = "";
    dialog.querySelector("[data-reason-error]").hidden = true;
    if (dialog.showModal) dialog.showModal();
    else dialog.setAttribute("open", "");
    var first = box.querySelector("input");
    if (first) first.focus();
  }

  function closeDialog() {
    if (dialog.close) dialog.close();
    else dialog.removeAttribute("open");
  }

  function confirmOutcome() {
    var choice = pendingOutcome;
    if (!choice) return;
    var other = dialog.querySelector("[data-reason-other]").value.trim();
    var picked = dialog.querySelector("input[name=reason]:checked");
    var reason = other || (picked ? picked.value : "");
    var errorEl = dialog.querySelector("[data-reason-error]");
    if (!reason) {
      errorEl.textContent = text("need_outcome_reason");
      errorEl.hidden = false;
      return;
    }
    closeDialog();
    pendingOutcome = null;
    state.busy = true;
    showError(null);
    readyCall().then(function (call) {
      var body = { outcome: choice.outcome, reason: reason };
      return api("POST", "/calls/" + call.id + "/close", body);
    }).then(function (call) {
      state.busy = false;
      if (call) state.call = call;
      finish(text("closed", { outcome: choice.label + " — " + reason }), null, null);
    }).catch(function (error) {
      state.busy = false;
      showError(error);
    });
  }

  dialog.querySelector("[data-reason-form]").addEventListener("submit", function (event) {
    event.preventDefault();
    confirmOutcome();
  });
  dialog.querySelector("[data-reason-cancel]").addEventListener("click", function () {
    pendingOutcome = null;
    closeDialog();
  });
  dialog.addEventListener("keydown", function (event) {
    if (event.target && event.target.matches && event.target.matches("[data-reason-other]")) return;
    var n = parseInt(event.key, 10);
    if (n >= 1 && n <= 9) {
      var radios = dialog.querySelectorAll("input[name=reason]");
      if (radios[n - 1]) {
        event.preventDefault();
        radios[n - 1].checked = true;
        radios[n - 1].focus();
      }
    }
  });
  root.querySelectorAll("[data-outcome]").forEach(function (button) {
    button.addEventListener("click", function () { askOutcome(button.getAttribute("data-outcome")); });
  });

  // --- resetting for the next call ------------------------------------------------------------------------------
  function resetForm(keepNumber) {
    state = freshState();
    if (!keepNumber) numberInput.value = "";
    lastHistory = "";
    historyBox.textContent = "";
    regionInput.value = "";
    regionStatus.textContent = "";
    addressInput.value = "";
    coordsInput.value = "";
    coordsStatus.textContent = "";
    typeInput.value = "";
    questionsBox.textContent = "";
    description.value = "";
    prioritySelect.value = "";
    reasonInput.value = "";
    reasonField.hidden = true;
    hideDuplicates();
    duplicateList.textContent = "";
    resultBox.hidden = true;
    form.hidden = false;
    timerBox.textContent = "";
    endButton.hidden = true;
    ["data-region", "data-type", "data-location-source"].forEach(function (a) { root.removeAttribute(a); });
    if (marker) { marker.remove(); marker = null; }
    updatePriority();
    setPhase("idle");
    if (numberInput.value) loadHistory();
  }

  function newCall() {
    if (state.phase === "starting" || state.phase === "active") return;
    var keep = state.phase === "idle"; // a pre-filled number belongs to this call
    if (state.phase === "done") {
      endCall();
      resetForm(false);
    }
    startCall().then(function () {
      (keep && numberInput.value ? regionInput : numberInput).focus();
    }).catch(function () {});
    if (!(keep && numberInput.value)) numberInput.focus();
  }

  // --- wiring ---------------------------------------------------------------------------------------------------
  state = freshState();

  new Combo(regionInput, regionList, {
    delay: 250,
    source: regionSource,
    empty: function () { return regionInput.value.trim().length >= 2 ? text("region_none") : ""; },
    label: function (r) { return { name: r.name, meta: (r.parents || []).join(", ") || r.code }; },
    changed: function () {
      if (state.source === "region") clearPoint();
      if (state.region) {
        state.region = null;
        root.removeAttribute("data-region");
        regionStatus.textContent = "";
      }
    },
    pick: function (r) {
      setRegion({ code: r.code, name: r.name, label: [r.name].concat((r.parents || []).slice(0, 2)).join(", ") });
      addressInput.focus();
    }
  });

  var typeCombo = new Combo(typeInput, typeList, {
    source: typeSource,
    openOnFocus: true,
    empty: function () { return text("type_none"); },
    label: function (t) { return { name: t.name, meta: t.category + " · P" + t.default_priority }; },
    changed: function () { if (state.type) setType(null); },
    pick: function (t) {
      setType(t);
      var firstQuestion = questionsBox.querySelector(".ct-toggle");
      (firstQuestion || description).focus();
    }
  });

  numberInput.addEventListener("input", function () {
    historyLater();
    syncLater();
  });
  var syncLater = debounce(function () { syncNumber(false); }, 800);
  numberInput.addEventListener("change", function () { syncLater.cancel(); syncNumber(true); });
  coordsInput.addEventListener("input", debounce(coordinatesTyped, 600));
  coordsInput.addEventListener("change", coordinatesTyped);
  description.addEventListener("input", checkDuplicates);
  addressInput.addEventListener("input", checkDuplicates);
  prioritySelect.addEventListener("change", function () {
    state.priorityTouched = true;
    priorityChanged();
    if (!reasonField.hidden) reasonInput.focus();
  });
  newCallButton.addEventListener("click", newCall);
  endButton.addEventListener("click", function () { endCall(); });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    submitIncident();
  });

  document.addEventListener("siaga:mapclick", function (event) {
    var d = event.detail || {};
    if (typeof d.lat !== "number" || typeof d.lng !== "number") return;
    if (state.phase === "idle" || state.phase === "done") startCall().catch(function () {});
    coordsStatus.textContent = "";
    setPoint(d.lat, d.lng, "map");
    if (d.region && d.region.level === 4) {
      setRegion({ code: d.region.code, name: d.region.name, label: d.region.name }, { keepPoint: true });
    } else {
      lookupRegion(d.lat, d.lng);
    }
  });

  // The first keystroke opens the call; shortcuts work from anywhere on the page.
  document.addEventListener("keydown", function (event) {
    if (dialog.open) return;
    var key = event.key;
    if (key === "F4") {
      event.preventDefault();
      if (state.phase === "done" || state.phase === "active") endCall();
      return;
    }
    if (key === "F2") {
      event.preventDefault();
      if (state.phase === "active" || state.phase === "starting") numberInput.focus();
      else newCall();
      return;
    }
    if (event.altKey && !event.ctrlKey && !event.metaKey) {
      var letter = key.length === 1 ? key.toLowerCase() : "";
      var focusTargets = { n: numberInput, l: regionInput, j: typeInput };
      if (focusTargets[letter]) {
        event.preventDefault();
        focusTargets[letter].focus();
        return;
      }
      var match = (config.nuisance || []).filter(function (n) { return n.key === letter; })[0];
      if (match) {
        event.preventDefault();
        askOutcome(match.outcome);
      }
      return;
    }
    if ((event.ctrlKey || event.metaKey) && key === "Enter") {
      event.preventDefault();
      typeCombo.close();
      submitIncident();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var printable = key.length === 1;
    if (!printable || !(state.phase === "idle" || state.phase === "done")) return;
    var target = event.target;
    var inForm = target && form.contains(target) && /^(INPUT|TEXTAREA)$/.test(target.tagName);
    if (state.phase === "done") {
      // After a finished call, typing starts the next one in the number field.
      if (!/[0-9+]/.test(key)) return;
      event.preventDefault();
      endCall();
      resetForm(false);
      numberInput.value = key;
      numberInput.focus();
      startCall().catch(function () {});
      historyLater();
      return;
    }
    if (inForm) {
      startCall().catch(function () {}); // the character lands in the field as usual
    } else if (/[0-9+]/.test(key)) {
      event.preventDefault();
      numberInput.focus();
      numberInput.value += key;
      startCall().catch(function () {});
      historyLater();
    }
  });

  // Referral answers arrive live on the result panel.
  if (window.EventSource) {
    var stream = new EventSource(root.getAttribute("data-stream-url"));
    var onEvent = function (event) {
      if (!state.incident) return;
      var message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      var payload = (message && message.payload) || {};
      if (String(payload.incident_id) === String(state.incident.id) ||
          (message.topic === "incidents" && String(payload.id) === String(state.incident.id))) {
        refreshIncident();
      }
    };
    (config.event_names || []).forEach(function (name) { stream.addEventListener(name, onEvent); });
    window.addEventListener("pagehide", function () { stream.close(); });
  }

  updatePriority();
  setPhase("idle");
  if (numberInput.value) {
    loadHistory();
    newCallButton.focus();
  } else {
    numberInput.focus();
  }
})();
