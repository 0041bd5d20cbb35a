/* Duty roster page: week picker, delete confirmation, the new-shift form's member list, today's column in view. */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }

  ready(function () {
    // Choosing a date opens that week at once; the Show button stays for keyboards and for browsers without JS.
    document.querySelectorAll("[data-autosubmit]").forEach(function (input) {
      input.addEventListener("change", function () {
        if (input.value && input.form) { input.form.submit(); }
      });
    });

    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
      });
    });

    // Offer only people of the chosen unit's organisation who hold the chosen role.
    var form = document.querySelector("[data-new-shift]");
    if (form) {
      var place = form.querySelector("[name=place]");
      var role = form.querySelector("[name=role]");
      var member = form.querySelector("[name=member]");
      var filter = function () {
        var opt = place.options[place.selectedIndex];
        var org = opt ? opt.getAttribute("data-org") : null;
        Array.prototype.forEach.call(member.options, function (o) {
          if (!o.value) { return; }
          var roles = (o.getAttribute("data-roles") || "").split(" ");
          var fits = roles.indexOf(role.value) !== -1 && (!org || o.getAttribute("data-org") === org);
          o.hidden = !fits;
          o.disabled = !fits;
          if (!fits && o.selected) { member.value = ""; }
        });
      };
      place.addEventListener("change", filter);
      role.addEventListener("change", filter);
      filter();
    }

    // On a phone the grid scrolls sideways: start at today's column instead of Monday.
    var scroller = document.querySelector("[data-roster-scroll]");
    var today = scroller && scroller.querySelector("td[data-today]");
    if (scroller && today && scroller.scrollWidth > scroller.clientWidth) {
      var label = scroller.querySelector(".roster__label");
      scroller.scrollLeft = Math.max(0, today.offsetLeft - (label ? label.offsetWidth : 0));
    }
  });
})();
