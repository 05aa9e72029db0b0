/* The pain drawing (templates/trigger/snippets/body_chart.html, mode "input"): each area of
   the chart becomes a checkbox control (role, name, keyboard) that ticks the same place in
   the list beside it. Without this script the list alone does the work. */
(function () {
  "use strict";
  document.querySelectorAll(".body-chart-input").forEach(function (chart) {
    var scope = chart.closest("fieldset") || document;
    var boxes = {};
    scope.querySelectorAll("input[type=checkbox][data-area]").forEach(function (box) {
      boxes[box.dataset.area] = box;
    });
    var summary = scope.querySelector("#areas-chosen");

    function describe() {
      if (!summary) return;
      var names = [];
      scope.querySelectorAll("input[type=checkbox][data-area]").forEach(function (box) {
        if (box.checked) {
          var area = chart.querySelector('[data-area="' + box.dataset.area + '"]');
          names.push(area ? area.dataset.label : box.value);
        }
      });
      summary.textContent = names.length
        ? summary.dataset.prefix + " " + names.join("; ")
        : summary.dataset.none;
    }

    chart.querySelectorAll("svg").forEach(function (svg) {
      svg.removeAttribute("aria-hidden");
      svg.setAttribute("role", "group");
      var caption = svg.parentNode.querySelector("figcaption");
      if (caption) svg.setAttribute("aria-labelledby", caption.id);
    });
    chart.querySelectorAll(".chart-area[data-area]").forEach(function (area) {
      var box = boxes[area.dataset.area];
      if (!box) return;
      area.setAttribute("role", "checkbox");
      area.setAttribute("tabindex", "0");
      area.setAttribute("aria-label", area.dataset.label);
      function show() {
        area.setAttribute("aria-checked", box.checked ? "true" : "false");
        area.classList.toggle("is-marked", box.checked);
      }
      function toggle() {
        box.checked = !box.checked;
        show();
        describe();
      }
      area.addEventListener("click", toggle);
      area.addEventListener("keydown", function (event) {
        if (event.key === " " || event.key === "Enter") {
          event.preventDefault();
          toggle();
        }
      });
      box.addEventListener("change", function () {
        show();
        describe();
      });
      show();
    });
    // With the chart working, the list folds away (one tap opens it again).
    scope.querySelectorAll("details[data-collapse-with-js]").forEach(function (details) {
      details.removeAttribute("open");
    });
    describe();
  });
})();
