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

  var list = function () {
    return document.getElementById("items");
  };
  var cards = function () {
    var items = list();
    return items ? Array.prototype.slice.call(items.querySelectorAll(":scope > .program-item")) : [];
  };
  var status = document.getElementById("builder-status");

  function announce(text) {
    if (!status) {
      return;
    }
    // Emptied first, so the same words twice are read twice.
    status.textContent = "";
    window.setTimeout(function () {
      status.textContent = text;
    }, 50);
  }

  function focusCard(card) {
    var heading = card && card.querySelector("h3");
    if (heading) {
      heading.focus();
      return true;
    }
    return false;
  }

  // --- Focus after every in-place change --------------------------------------------------
  // Before the request: which card, which button, where it was. After the swap: focus the
  // same card (edit, move), its neighbour (remove), the new card (add) or the prompt.
  var lastButton = null;
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button");
    if (button) {
      lastButton = button;
    }
  });

  var pending = null;
  document.body.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail.elt.closest && event.detail.elt.closest("[data-builder-action]");
    if (!form) {
      return;
    }
    var card = form.closest(".program-item");
    var all = cards();
    pending = {
      action: form.dataset.builderAction,
      item: card ? card.dataset.item : null,
      name: card ? card.dataset.name : "",
      index: card ? all.indexOf(card) : -1,
      before: all.map(function (each) {
        return each.dataset.item;
      }),
      button: lastButton && form.contains(lastButton) ? lastButton : null,
      addButton: form.dataset.builderAction === "add" && lastButton ? lastButton : null,
    };
  });

  document.body.addEventListener("htmx:afterSettle", function () {
    var box = document.getElementById("builder-messages");
    if (box) {
      box.querySelectorAll(".alert-success").forEach(function (alert) {
        window.setTimeout(function () {
          alert.remove();
        }, 6000);
      });
    }
    enableDragging();
    if (!pending) {
      return;
    }
    var done = pending;
    pending = null;
    var prompt = document.querySelector("[data-duplicate-confirm]");
    if (done.action === "add" && prompt) {
      prompt.focus();
      wireCancel(done.addButton);
      return;
    }
    var all = cards();
    var card = done.item ? document.getElementById("item-" + done.item) : null;
    if (done.action === "edit") {
      focusCard(card);
    } else if (done.action === "move" || done.action === "reorder") {
      var selector = done.button && done.button.classList.contains("btn-move-down")
        ? ".btn-move-down"
        : ".btn-move-up";
      var again = card && done.action === "move" ? card.querySelector(selector) : null;
      if (again) {
        again.focus();
      } else {
        focusCard(card);
      }
      if (card && status) {
        announce(
          done.name + " " + status.dataset.moved + " " + (all.indexOf(card) + 1) + " " +
            status.dataset.of + " " + all.length
        );
      }
    } else if (done.action === "remove") {
      var neighbour = all[done.index] || all[done.index - 1];
      if (!focusCard(neighbour)) {
        var heading = document.getElementById("items-heading");
        if (heading) {
          heading.focus();
        }
      }
    } else if (done.action === "add") {
      var added = all.filter(function (each) {
        return done.before.indexOf(each.dataset.item) === -1;
      });
      if (!focusCard(added[added.length - 1]) && done.addButton && document.contains(done.addButton)) {
        done.addButton.focus();
      }
    }
  });

  function wireCancel(addButton) {
    var cancel = document.querySelector("[data-duplicate-cancel]");
    if (!cancel) {
      return;
    }
    cancel.addEventListener("click", function (event) {
      event.preventDefault();
      var box = document.getElementById("builder-messages");
      if (box) {
        box.innerHTML = "";
      }
      if (addButton && document.contains(addButton)) {
        addButton.focus();
      }
    });
  }

  // --- Drag and drop, the hand's way to reorder; the up and down buttons stay the keyboard's.
  var dragged = null;

  function enableDragging() {
    var items = list();
    var form = document.getElementById("reorder-form");
    if (!items || !form || items.dataset.dragReady === "1") {
      return;
    }
    items.dataset.dragReady = "1";
    cards().forEach(function (card) {
      card.draggable = true;
      card.title = items.dataset.dragHint || "";
      var handle = card.querySelector(".drag-handle");
      if (handle) {
        handle.hidden = false;
      }
    });
    items.addEventListener("dragstart", function (event) {
      dragged = event.target.closest && event.target.closest(".program-item");
      if (!dragged) {
        return;
      }
      dragged.classList.add("dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", dragged.dataset.item);
    });
    items.addEventListener("dragover", function (event) {
      if (!dragged) {
        return;
      }
      event.preventDefault();
      var over = event.target.closest && event.target.closest(".program-item");
      if (!over || over === dragged) {
        return;
      }
      var box = over.getBoundingClientRect();
      var after = event.clientY > box.top + box.height / 2;
      items.insertBefore(dragged, after ? over.nextSibling : over);
    });
    items.addEventListener("drop", function (event) {
      if (!dragged) {
        return;
      }
      event.preventDefault();
      submitOrder(form, dragged);
    });
    items.addEventListener("dragend", function () {
      if (dragged) {
        dragged.classList.remove("dragging");
      }
      dragged = null;
    });
  }

  function submitOrder(form, card) {
    form.querySelectorAll('input[name="item"]').forEach(function (input) {
      input.remove();
    });
    cards().forEach(function (each) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = "item";
      input.value = each.dataset.item;
      form.appendChild(input);
    });
    lastButton = null;
    if (window.htmx) {
      window.htmx.trigger(form, "submit");
    } else {
      form.submit();
    }
    // Which card moved, for the focus and the announcement after the swap.
    pendingFromDrag(card);
  }

  function pendingFromDrag(card) {
    var all = cards();
    pending = {
      action: "reorder",
      item: card.dataset.item,
      name: card.dataset.name,
      index: all.indexOf(card),
      before: all.map(function (each) {
        return each.dataset.item;
      }),
      button: null,
      addButton: null,
    };
  }

  enableDragging();
})();
