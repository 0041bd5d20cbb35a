/* Citizens' report form: fills the hidden GPS fields from the phone; the tracking page refreshes its status. */
(function () {
  "use strict";

  function initForm(form) {
    var status = form.querySelector("[data-gps-status]");
    var button = form.querySelector("[data-gps-button]");
    var lat = form.querySelector("[data-lat]");
    var lng = form.querySelector("[data-lng]");
    var accuracy = form.querySelector("[data-accuracy]");
    var send = form.querySelector("[data-send-button]");

    function say(key, ok) {
      status.textContent = status.getAttribute("data-msg-" + key) || "";
      status.classList.toggle("is-ok", !!ok);
    }

    function locate() {
      if (!("geolocation" in navigator)) { say("unavailable"); return; }
      say("finding");
      navigator.geolocation.getCurrentPosition(function (pos) {
        lat.value = pos.coords.latitude.toFixed(6);
        lng.value = pos.coords.longitude.toFixed(6);
        accuracy.value = Math.round(pos.coords.accuracy);
        status.textContent = (status.getAttribute("data-msg-found") || "").replace("%(m)s", Math.round(pos.coords.accuracy));
        status.classList.add("is-ok");
        button.hidden = true;
      }, function (err) {
        say(err && err.code === 1 ? "denied" : "unavailable");
        button.hidden = false;
      }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
    }

    button.addEventListener("click", locate);
    if (lat.value && lng.value) {
      say("found", true);
      status.textContent = status.textContent.replace("%(m)s", accuracy.value || "?");
    } else {
      locate();
    }
    // One tap sends one report: a second tap while the first is on its way does nothing.
    form.addEventListener("submit", function () {
      window.setTimeout(function () { send.disabled = true; }, 0);
    });
  }

  function initTracking(box) {
    var url = box.getAttribute("data-status-url");
    var label = box.querySelector("[data-status-label]");
    var order = ["received", "handled", "on_the_way", "closed"];

    function refresh() {
      if (document.hidden) return;
      fetch(url, { headers: { Accept: "application/json" }, credentials: "omit" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data || data.status === box.getAttribute("data-status")) return;
          box.setAttribute("data-status", data.status);
          label.textContent = data.label;
          var reached = order.indexOf(data.status);
          box.querySelectorAll("[data-step]").forEach(function (li) {
            var i = order.indexOf(li.getAttribute("data-step"));
            li.classList.toggle("is-done", i <= reached);
            li.classList.toggle("is-current", i === reached);
            if (i === reached) li.setAttribute("aria-current", "step"); else li.removeAttribute("aria-current");
          });
        })
        .catch(function () { /* offline: try again on the next tick */ });
    }

    if (box.getAttribute("data-status") !== "closed") window.setInterval(refresh, 30000);
  }

  function init() {
    var form = document.querySelector("[data-lapor-form]");
    if (form) initForm(form);
    var box = document.querySelector("[data-tracking]");
    if (box) initTracking(box);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
