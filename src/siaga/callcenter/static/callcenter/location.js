/* Location-link page: reads the phone's GPS once and posts it to the call center (one-time link). */
(function () {
  "use strict";

  function init() {
    var button = document.querySelector("[data-send-location]");
    var result = document.querySelector("[data-location-result]");
    if (!button || !result) return;

    function say(key, kind, text) {
      result.textContent = text || button.getAttribute("data-msg-" + key) || "";
      result.classList.toggle("is-ok", kind === "ok");
      result.classList.toggle("is-error", kind === "error");
    }

    function post(pos) {
      say("sending");
      fetch(button.getAttribute("data-post-url"), {
        method: "POST",
        credentials: "omit",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({
          lat: pos.coords.latitude,
          lng: pos.coords.longitude,
          accuracy_m: Math.round(pos.coords.accuracy)
        })
      }).then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (body) {
          if (r.ok) {
            say("done", "ok");
            button.hidden = true;
          } else {
            // The server explains a used, expired or unknown link, or a position outside Indonesia.
            say("error", "error", body && body.error && body.error.message);
            button.disabled = r.status === 404 || r.status === 410;
          }
        });
      }).catch(function () {
        say("error", "error");
        button.disabled = false;
      });
    }

    button.addEventListener("click", function () {
      if (!("geolocation" in navigator)) { say("unsupported", "error"); return; }
      button.disabled = true;
      say("finding");
      navigator.geolocation.getCurrentPosition(post, function (err) {
        say(err && err.code === 1 ? "denied" : "unavailable", "error");
        button.disabled = false;
      }, { enableHighAccuracy: true, timeout: 30000, maximumAge: 0 });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
