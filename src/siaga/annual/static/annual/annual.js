// The year in one page: the Print button (no inline handlers under the strict Content-Security-Policy).
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-print]");
  if (button) {
    event.preventDefault();
    window.print();
  }
});
