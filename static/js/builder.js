// The program builder and the printable program. Loaded as a file: the CSP allows no
// inline script. Everything here is an enhancement; the pages work without it.
(function () {
  "use strict";

  // The print page's button (hidden without JavaScript, where the text explains
  // the browser's own Print / Save as PDF).
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
    });
  });

  // Success messages of in-place edits fade after a while; errors stay until closed.
  document.body.addEventListener("htmx:afterSettle", function () {
    var box = document.getElementById("builder-messages");
    if (!box) {
      return;
    }
    box.querySelectorAll(".alert-success").forEach(function (alert) {
      window.setTimeout(function () {
        alert.remove();
      }, 6000);
    });
  });
})();
