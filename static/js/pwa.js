/* Registers the service worker (static/js/sw.js, served at /sw.js) for the patient's pages.
   The script tag carries the worker's URL and scope: data-sw and data-scope. */
(function () {
  var script = document.currentScript;
  if (!script || !("serviceWorker" in navigator)) return;
  var url = script.getAttribute("data-sw");
  var scope = script.getAttribute("data-scope");
  window.addEventListener("load", function () {
    navigator.serviceWorker.register(url, { scope: scope }).catch(function () {
      /* Without a worker the app still works online. */
    });
  });
})();
