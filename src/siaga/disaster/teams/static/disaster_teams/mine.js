/* The volunteer's phone page: on "check in", add the phone's position when it can be had quickly
   (optional: the check-in goes through without it after 5 s or a refusal). */
(function () {
  "use strict";
  if (!navigator.geolocation) return;
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("[data-check-in-form]") || form.getAttribute("data-geo-done")) return;
    var lat = form.querySelector("[data-geo-lat]");
    var lon = form.querySelector("[data-geo-lon]");
    if (!lat || !lon) return;
    event.preventDefault();
    var done = false;
    function send() {
      if (done) return;
      done = true;
      form.setAttribute("data-geo-done", "1");
      form.submit();
    }
    navigator.geolocation.getCurrentPosition(function (pos) {
      lat.value = pos.coords.latitude.toFixed(6);
      lon.value = pos.coords.longitude.toFixed(6);
      send();
    }, send, { enableHighAccuracy: true, timeout: 5000, maximumAge: 60000 });
    setTimeout(send, 6000);
  });
})();
