// The Users page's behaviour where JavaScript runs: the selection (kept per browser tab
// across pages, cleared when the filter changes), shift-click ranges, "Select all N
// matching", the Bulk Action count, and the delete dialog. Without JavaScript the page
// still lists, searches, sorts, pages and deletes through plain links and forms.
(function () {
  "use strict";

  var STORE_KEY = "pbx-portal.selection";
  var results = document.getElementById("users-results");
  if (!results) return;

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // ---- selection -------------------------------------------------------------------
  // { filterKey, ids: [..], allMatching: bool, total }
  function loadSelection() {
    try {
      var stored = JSON.parse(sessionStorage.getItem(STORE_KEY) || "null");
      if (stored && Array.isArray(stored.ids)) return stored;
    } catch (ignored) { /* a damaged entry starts a new selection */ }
    return { filterKey: "", ids: [], allMatching: false, total: 0 };
  }
  function saveSelection(selection) {
    sessionStorage.setItem(STORE_KEY, JSON.stringify(selection));
  }

  var selection = loadSelection();
  var lastClicked = null;

  function table() { return results.querySelector("table.users"); }
  function rowBoxes() { return Array.prototype.slice.call(results.querySelectorAll("[data-row-select]")); }

  function selectedCount() {
    return selection.allMatching ? selection.total : selection.ids.length;
  }

  function render() {
    var boxes = rowBoxes();
    var chosen = new Set(selection.ids);
    boxes.forEach(function (box) { box.checked = selection.allMatching || chosen.has(box.value); });
    var checkedOnPage = boxes.filter(function (box) { return box.checked; }).length;
    var pageBox = results.querySelector("[data-select-page]");
    if (pageBox) {
      pageBox.checked = boxes.length > 0 && checkedOnPage === boxes.length;
      pageBox.indeterminate = checkedOnPage > 0 && checkedOnPage < boxes.length;
    }
    var offer = results.querySelector("[data-select-matching]");
    if (offer) {
      var total = Number(table() ? table().dataset.total : 0);
      offer.hidden = selection.allMatching || boxes.length === 0 || checkedOnPage < boxes.length || total <= boxes.length;
    }
    var count = selectedCount();
    var button = document.getElementById("bulk-action");
    var badge = document.querySelector("[data-selection-badge]");
    var text = document.getElementById("selection-count");
    if (button) button.disabled = count === 0;
    if (badge) badge.textContent = count > 0 ? " " + count : "";
    if (text) {
      text.textContent = count === 0 ? "No users selected"
        : selection.allMatching ? "All " + count + " matching users selected"
        : count === 1 ? "1 user selected" : count + " users selected";
    }
  }

  // A new filter (search, status, system users) starts a new selection.
  function adoptTable() {
    var current = table();
    if (!current) return;
    var key = current.dataset.filterKey || "";
    if (selection.filterKey !== key) {
      selection = { filterKey: key, ids: [], allMatching: false, total: 0 };
    }
    selection.total = Number(current.dataset.total || 0);
    saveSelection(selection);
    lastClicked = null;
    render();
  }

  function setChosen(id, chosen) {
    var ids = new Set(selection.ids);
    if (chosen) ids.add(id); else ids.delete(id);
    selection.ids = Array.from(ids);
  }

  // Leaving "all matching" keeps every row of this page but the one unticked.
  function leaveAllMatching() {
    if (!selection.allMatching) return;
    selection.allMatching = false;
    selection.ids = rowBoxes().map(function (box) { return box.value; });
  }

  results.addEventListener("click", function (event) {
    var box = event.target.closest("[data-row-select]");
    if (!box) return;
    leaveAllMatching();
    var boxes = rowBoxes();
    var index = boxes.indexOf(box);
    if (event.shiftKey && lastClicked !== null && lastClicked !== index) {
      var from = Math.min(lastClicked, index), to = Math.max(lastClicked, index);
      for (var i = from; i <= to; i++) setChosen(boxes[i].value, box.checked);
    } else {
      setChosen(box.value, box.checked);
    }
    lastClicked = index;
    saveSelection(selection);
    render();
  });

  results.addEventListener("change", function (event) {
    if (!event.target.matches("[data-select-page]")) return;
    var checked = event.target.checked;
    if (!checked) leaveAllMatching();
    rowBoxes().forEach(function (box) { setChosen(box.value, checked); });
    saveSelection(selection);
    render();
  });

  results.addEventListener("click", function (event) {
    if (!event.target.closest("[data-select-all-matching]")) return;
    selection.allMatching = true;
    saveSelection(selection);
    render();
    var text = document.getElementById("selection-count");
    if (text) text.focus();
  });

  // ---- keeping focus across swaps ----------------------------------------------------
  var focusAfterSwap = null;
  document.body.addEventListener("htmx:beforeRequest", function (event) {
    var source = event.detail.elt;
    focusAfterSwap = source && source.id && results.contains(source) ? source.id : null;
  });
  document.body.addEventListener("htmx:afterSettle", function (event) {
    if (event.detail.target !== results) return;
    adoptTable();
    if (focusAfterSwap) {
      var again = document.getElementById(focusAfterSwap) || results.querySelector("a[id^='sort-']");
      if (again) again.focus();
      focusAfterSwap = null;
    }
  });

  // ---- delete dialog -------------------------------------------------------------------
  var dialog = document.getElementById("delete-dialog");
  var status = document.getElementById("status-message");
  var opener = null;
  var pending = null;

  function showError(message) {
    var slot = dialog.querySelector("[data-slot=error]");
    slot.textContent = message;
    slot.hidden = !message;
  }

  results.addEventListener("click", function (event) {
    var button = event.target.closest("[data-delete-action]");
    if (!button || !dialog || typeof dialog.showModal !== "function") return;
    event.preventDefault();
    opener = button;
    pending = button.dataset.deleteAction;
    var name = button.dataset.deleteName;
    dialog.querySelector("[data-slot=who]").textContent =
      button.dataset.deleteExtension + (name ? " (" + name + ")" : "");
    showError("");
    dialog.showModal();
    dialog.querySelector("[data-cancel]").focus();
  });

  if (dialog) {
    dialog.querySelector("[data-cancel]").addEventListener("click", function () { dialog.close(); });
    dialog.addEventListener("close", function () {
      if (opener && document.body.contains(opener)) opener.focus();
      opener = null;
    });
    dialog.querySelector("[data-confirm]").addEventListener("click", function () {
      var yes = this;
      yes.disabled = true;
      fetch(pending, {
        method: "POST",
        headers: { "X-CSRF-Token": csrfToken(), "HX-Request": "true" },
        credentials: "same-origin"
      }).then(function (response) {
        return response.text().then(function (text) { return { ok: response.ok, text: text }; });
      }).then(function (answer) {
        yes.disabled = false;
        if (!answer.ok) { showError(answer.text); return; }
        var removed = opener && opener.dataset.deleteExtension;
        opener = null;
        dialog.close();
        status.textContent = answer.text;
        if (removed) setChosenByRow(removed);
        refreshResults();
      }).catch(function () {
        yes.disabled = false;
        showError("The portal could not be reached. Nothing was deleted; try again.");
      });
    });
  }

  function setChosenByRow(extension) {
    var box = results.querySelector('[aria-label="Select ' + extension + '"]');
    if (box) { setChosen(box.value, false); saveSelection(selection); }
  }

  // After a delete, reload the same view; focus goes to the table's first control.
  function refreshResults() {
    window.htmx.ajax("GET", window.location.pathname + window.location.search, {
      target: "#users-results", swap: "innerHTML"
    }).then(function () {
      var next = results.querySelector("[data-delete-action]") || document.getElementById("search");
      if (next) next.focus();
    });
  }

  adoptTable();
})();
