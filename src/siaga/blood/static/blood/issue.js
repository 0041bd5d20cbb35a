/* Hand-over signature: a finger or mouse drawing on a canvas, kept as SVG path data in the form's hidden field. */
(function () {
  "use strict";
  var canvas = document.querySelector("[data-signature-pad]");
  var input = document.querySelector("[data-signature-input]");
  if (!canvas || !input || !canvas.getContext) return;
  var ctx = canvas.getContext("2d");
  var path = [];
  var drawing = false;
  ctx.lineWidth = 2;
  ctx.lineCap = "round";
  function point(event) {
    var box = canvas.getBoundingClientRect();
    return [Math.round((event.clientX - box.left) * canvas.width / box.width),
            Math.round((event.clientY - box.top) * canvas.height / box.height)];
  }
  canvas.addEventListener("pointerdown", function (event) {
    drawing = true;
    var p = point(event);
    path.push("M" + p[0] + " " + p[1]);
    ctx.beginPath();
    ctx.moveTo(p[0], p[1]);
    if (canvas.setPointerCapture) canvas.setPointerCapture(event.pointerId);
    event.preventDefault();
  });
  canvas.addEventListener("pointermove", function (event) {
    if (!drawing) return;
    var p = point(event);
    path.push("L" + p[0] + " " + p[1]);
    ctx.lineTo(p[0], p[1]);
    ctx.stroke();
    input.value = path.join(" ");
  });
  function stop() { drawing = false; }
  canvas.addEventListener("pointerup", stop);
  canvas.addEventListener("pointercancel", stop);
  var clear = document.querySelector("[data-signature-clear]");
  if (clear) clear.addEventListener("click", function () {
    path = [];
    input.value = "";
    ctx.clearRect(0, 0, canvas.width, canvas.height);
  });
})();
