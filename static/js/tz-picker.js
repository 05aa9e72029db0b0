// The time-zone picker: a search box over the plain <select data-tz-picker> (which works
// without JavaScript, suggested zones first). Typing narrows the list to the zones whose
// name holds every word typed; the browser's own zone joins the suggestions.
(function () {
  "use strict";

  function words(text) {
    return text.toLowerCase().replace(/[_/]/g, " ").split(/\s+/).filter(Boolean);
  }

  function enhance(select) {
    var label = select.dataset.tzSearchLabel || "Search time zones";
    var box = document.createElement("input");
    box.type = "search";
    box.className = "form-control mb-2";
    box.id = select.id + "-search";
    box.setAttribute("aria-controls", select.id);
    box.setAttribute("autocomplete", "off");
    box.placeholder = select.dataset.tzSearchPlaceholder || "e.g. London, Auckland";
    var boxLabel = document.createElement("label");
    boxLabel.className = "visually-hidden";
    boxLabel.htmlFor = box.id;
    boxLabel.textContent = label;
    var status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("aria-live", "polite");
    status.id = select.id + "-count";
    select.parentNode.insertBefore(boxLabel, select);
    select.parentNode.insertBefore(box, select);
    select.parentNode.insertBefore(status, select.nextSibling);

    // The browser's zone, if offered and not yet among the suggestions.
    var own = "";
    try {
      own = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (error) {
      own = "";
    }
    var first = select.querySelector("optgroup");
    if (own && first && !first.querySelector('option[value="' + CSS.escape(own) + '"]')) {
      var match = select.querySelector('option[value="' + CSS.escape(own) + '"]');
      if (match) {
        var copy = match.cloneNode(true);
        copy.selected = false;
        first.insertBefore(copy, first.firstChild);
      }
    }

    box.addEventListener("input", function () {
      var wanted = words(box.value);
      var shown = 0;
      var firstShown = null;
      select.querySelectorAll("option").forEach(function (option) {
        var text = words(option.value + " " + option.textContent).join(" ");
        var ok = wanted.every(function (word) {
          return text.indexOf(word) !== -1;
        });
        option.hidden = !ok;
        option.disabled = !ok && !option.selected;
        if (ok) {
          shown += 1;
          firstShown = firstShown || option;
        }
      });
      select.querySelectorAll("optgroup").forEach(function (group) {
        group.hidden = !group.querySelector("option:not([hidden])");
      });
      if (wanted.length && firstShown) {
        firstShown.selected = true;
      }
      status.textContent = shown + " " + (select.dataset.tzCountLabel || "zones match");
    });
  }

  document.querySelectorAll("select[data-tz-picker]").forEach(enhance);
})();
