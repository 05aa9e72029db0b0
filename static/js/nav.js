// The patient's pages load no Bootstrap script: this opens and closes the top menu (the
// "collapse" of the navbar toggler) and keeps aria-expanded true to what is shown.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var toggler = event.target.closest('[data-bs-toggle="collapse"]');
    if (!toggler) return;
    var menu = document.querySelector(toggler.getAttribute("data-bs-target"));
    if (!menu) return;
    var open = menu.classList.toggle("show");
    toggler.setAttribute("aria-expanded", open ? "true" : "false");
  });
})();
