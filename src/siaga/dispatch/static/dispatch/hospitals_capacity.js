/* Hospital staff's capacity page: big + and − buttons, each change saved at once through the API.
   The numbers sent are absolute (never "+1"), so a retry after a lost answer cannot count a bed twice. */
(function () {
  "use strict";

  var SAVE_DELAY_MS = 700;
  var RETRY_MS = 5000;

  function csrfToken() {
    return window.Siaga && window.Siaga.csrfToken ? window.Siaga.csrfToken() : "";
  }

  function init(form) {
    var status = form.querySelector("[data-save-status]");
    var url = form.getAttribute("data-api-url");
    var text = function (name) { return form.getAttribute("data-text-" + name) || ""; };
    var dirty = {};
    var timer = null;
    var sending = false;

    function input(id) { return document.getElementById(id); }
    function value(el) { var n = parseInt(el.value, 10); return isFinite(n) && n >= 0 ? n : 0; }

    function say(message, kind) {
      status.textContent = message;
      status.setAttribute("data-state", kind || "");
    }

    function send() {
      timer = null;
      if (sending) { schedule(); return; }
      var body = dirty;
      dirty = {};
      if (!Object.keys(body).length) return;
      sending = true;
      say(text("saving"), "saving");
      fetch(url, {
        method: "PUT",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken(),
                   "Idempotency-Key": "cap-" + Date.now() + "-" + Math.random().toString(36).slice(2) },
        body: JSON.stringify(body)
      }).then(function (r) {
        return r.json().then(function (data) { return { ok: r.ok, data: data }; });
      }).then(function (res) {
        sending = false;
        if (res.ok) {
          var d = new Date(res.data.updated_at);
          say(text("saved") + " " + (isNaN(d) ? "" : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })),
              "saved");
          form.setAttribute("data-saved-at", res.data.updated_at || "");
        } else {
          var err = res.data && res.data.error;
          say(text("error") + ": " + (err ? err.message : ""), "error");
        }
      }).catch(function () {
        // No answer: keep the numbers and send them again (the same absolute values) when the line is back.
        sending = false;
        Object.keys(body).forEach(function (k) { if (!(k in dirty)) dirty[k] = body[k]; });
        say(text("offline"), "error");
        clearTimeout(timer);
        timer = setTimeout(send, RETRY_MS);
      });
    }

    function schedule() {
      clearTimeout(timer);
      timer = setTimeout(send, SAVE_DELAY_MS);
    }

    function changed(el) {
      dirty[el.name] = value(el);
      // A free count above the total is refused by the server: raise the total with it.
      var totalId = el.getAttribute("data-total");
      if (totalId) {
        var total = input(totalId);
        if (value(el) > value(total)) { total.value = value(el); dirty[total.name] = value(total); }
      }
      schedule();
    }

    form.querySelectorAll("[data-step]").forEach(function (button) {
      button.addEventListener("click", function () {
        var el = input(button.getAttribute("data-target"));
        var step = parseInt(button.getAttribute("data-step"), 10);
        var next = Math.max(0, Math.min(5000, value(el) + step));
        if (next === value(el) && el.value !== "") return;
        el.value = next;
        changed(el);
      });
    });
    form.querySelectorAll("[data-count]").forEach(function (el) {
      el.addEventListener("change", function () { changed(el); });
    });
    form.querySelectorAll("[data-accepting]").forEach(function (el) {
      el.addEventListener("change", function () {
        dirty.accepting = el.value === "1";
        schedule();
      });
    });
    var note = form.querySelector("[data-note]");
    if (note) note.addEventListener("change", function () { dirty.note = note.value; schedule(); });
  }

  function start() { document.querySelectorAll("[data-capacity-form]").forEach(init); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
