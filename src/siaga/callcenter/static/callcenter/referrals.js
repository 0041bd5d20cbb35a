/* Referral pages: live reload of the list on referral events (SSE) and countdowns to acknowledgement deadlines. */
(function () {
  "use strict";

  var root = document.querySelector("[data-referrals-live]");
  if (!root) return;

  var fragmentUrl = root.getAttribute("data-fragment-url");
  var streamUrl = root.getAttribute("data-stream-url");
  var eventNames = (root.getAttribute("data-events") || "").split(/\s+/).filter(Boolean);
  var statusEl = document.querySelector("[data-live-status]");
  var staleEl = document.querySelector("[data-live-stale]");
  var text = {
    left: root.getAttribute("data-text-left") || "%(time)s",
    overdue: root.getAttribute("data-text-overdue") || "-%(time)s",
    live: root.getAttribute("data-text-live") || "",
    offline: root.getAttribute("data-text-offline") || ""
  };
  // Server clock minus this device's clock, so countdowns agree with the deadlines the server enforces.
  var skewMs = 0;
  var timer = null;
  var loading = false;
  var again = false;

  function syncClock() {
    var holder = root.querySelector("[data-server-now]");
    var serverNow = holder && Date.parse(holder.getAttribute("data-server-now"));
    if (serverNow) skewMs = serverNow - Date.now();
  }

  function clock(seconds) {
    var s = Math.abs(seconds);
    var h = Math.floor(s / 3600);
    var m = Math.floor((s % 3600) / 60);
    var sec = s % 60;
    var mm = h ? (m < 10 ? "0" + m : String(m)) : String(m);
    return (h ? h + ":" : "") + mm + ":" + (sec < 10 ? "0" + sec : sec);
  }

  function tick() {
    var now = Date.now() + skewMs;
    var clocks = root.querySelectorAll("[data-deadline]");
    for (var i = 0; i < clocks.length; i++) {
      var el = clocks[i];
      var left = Math.round((Date.parse(el.getAttribute("data-deadline")) - now) / 1000);
      el.textContent = (left >= 0 ? text.left : text.overdue).replace("%(time)s", clock(left));
      var card = el.closest("[data-ref-card]");
      if (card && left < 0 && card.classList.contains("ref--waiting")) {
        card.classList.remove("ref--waiting");
        card.classList.add("ref--overdue");
      }
    }
  }

  // Someone typing a reason or the resources must not lose it to a reload: offer the update instead.
  function busy() {
    if (root.querySelector("details[open]")) return true;
    var fields = root.querySelectorAll("input[type=text], textarea");
    for (var i = 0; i < fields.length; i++) {
      if (fields[i].value || fields[i] === document.activeElement) return true;
    }
    return false;
  }

  function setStale(stale) {
    if (staleEl) staleEl.hidden = !stale;
  }

  function reload(force) {
    if (!force && busy()) {
      setStale(true);
      return;
    }
    if (loading) {
      again = true;
      return;
    }
    loading = true;
    fetch(fragmentUrl, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (html) {
        root.innerHTML = html;
        setStale(false);
        syncClock();
        tick();
      })
      .catch(function () {
        setStale(true);
      })
      .then(function () {
        loading = false;
        if (again) {
          again = false;
          reload(false);
        }
      });
  }

  function schedule() {
    // Several events of one action (e.g. an incident referred to three agencies) cost one reload.
    clearTimeout(timer);
    timer = setTimeout(function () { reload(false); }, 150);
  }

  function setStatus(message, offline) {
    if (!statusEl) return;
    statusEl.textContent = message;
    statusEl.classList.toggle("is-offline", !!offline);
  }

  var reloadButton = document.querySelector("[data-live-reload]");
  if (reloadButton) {
    reloadButton.addEventListener("click", function () { reload(true); });
  }

  syncClock();
  tick();
  setInterval(tick, 1000);

  if (!window.EventSource || !streamUrl) return;
  var source = new EventSource(streamUrl);
  source.addEventListener("open", function () {
    setStatus(text.live, false);
    // Whatever changed while the connection was down is shown now.
    schedule();
  });
  source.addEventListener("error", function () { setStatus(text.offline, true); });
  for (var i = 0; i < eventNames.length; i++) {
    source.addEventListener(eventNames[i], schedule);
  }
})();
