// The Users page's behaviour where JavaScript runs: the selection (kept per browser tab
// across pages, cleared when the filter changes), shift-click ranges, "Select all N
// matching", the Bulk Action count, and the delete dialog. Without JavaScript the page
// still lists, searches, sorts, pages and deletes through plain links and forms.
//
// Every listener sits on `document` and every element is looked up when needed, because
// htmx replaces the page's content (results on search, the whole body on Back/Forward).
(function () {
  "use strict";

  var STORE_KEY = "pbx-portal.selection";

  function byId(id) { return document.getElementById(id); }
  function results() { return byId("users-results"); }
  function table() { var r = results(); return r ? r.querySelector("table.users") : null; }
  function rowBoxes() {
    var r = results();
    return r ? Array.prototype.slice.call(r.querySelectorAll("[data-row-select]")) : [];
  }
  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // ---- selection: { filterKey, ids: [..], allMatching: bool, total, totalText } --------
  // total is the view's count, or the cap a broad search passed ("1,000+" as totalText).
  function loadSelection() {
    try {
      var stored = JSON.parse(sessionStorage.getItem(STORE_KEY) || "null");
      if (stored && Array.isArray(stored.ids)) return stored;
    } catch (ignored) { /* a damaged entry starts a new selection */ }
    return { filterKey: "", ids: [], allMatching: false, total: 0, totalText: "0" };
  }
  function saveSelection() { sessionStorage.setItem(STORE_KEY, JSON.stringify(selection)); }

  var selection = loadSelection();
  var lastClicked = null;

  function selectedCount() { return selection.allMatching ? selection.total : selection.ids.length; }

  function render() {
    var boxes = rowBoxes();
    var chosen = new Set(selection.ids);
    boxes.forEach(function (box) { box.checked = selection.allMatching || chosen.has(box.value); });
    var checkedOnPage = boxes.filter(function (box) { return box.checked; }).length;
    var pageBox = document.querySelector("[data-select-page]");
    if (pageBox) {
      pageBox.checked = boxes.length > 0 && checkedOnPage === boxes.length;
      pageBox.indeterminate = checkedOnPage > 0 && checkedOnPage < boxes.length;
    }
    var offer = document.querySelector("[data-select-matching]");
    if (offer) {
      offer.hidden = selection.allMatching || boxes.length === 0 ||
        checkedOnPage < boxes.length || selection.total <= boxes.length;
    }
    var count = selectedCount();
    var button = byId("bulk-action");
    var badge = document.querySelector("[data-selection-badge]");
    var text = byId("selection-count");
    if (button) button.disabled = count === 0;
    var shown = selection.allMatching ? selection.totalText : String(count);
    if (badge) badge.textContent = count > 0 ? " " + shown : "";
    if (text) {
      text.textContent = count === 0 ? "No users selected"
        : selection.allMatching ? "All " + shown + " matching users selected"
        : count === 1 ? "1 user selected" : count + " users selected";
    }
  }

  // A new filter (search, status, system users) starts a new selection.
  function adoptTable() {
    var current = table();
    if (!current) return;
    var key = current.dataset.filterKey || "";
    if (selection.filterKey !== key) {
      selection = { filterKey: key, ids: [], allMatching: false, total: 0, totalText: "0" };
    }
    selection.total = Number(current.dataset.total || 0);
    selection.totalText = current.dataset.totalText || String(selection.total);
    saveSelection();
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

  document.addEventListener("click", function (event) {
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
    saveSelection();
    render();
  });

  document.addEventListener("change", function (event) {
    if (!event.target.matches("[data-select-page]")) return;
    var checked = event.target.checked;
    if (!checked) leaveAllMatching();
    rowBoxes().forEach(function (box) { setChosen(box.value, checked); });
    saveSelection();
    render();
  });

  document.addEventListener("click", function (event) {
    if (!event.target.closest("[data-select-all-matching]")) return;
    selection.allMatching = true;
    saveSelection();
    render();
    // The offer just hid itself: keep focus on what acts on the selection.
    var button = byId("bulk-action");
    if (button) button.focus();
  });

  // ---- keeping focus across swaps ----------------------------------------------------
  var focusAfterSwap = null;
  document.addEventListener("htmx:beforeRequest", function (event) {
    var source = event.detail.elt;
    var r = results();
    focusAfterSwap = source && source.id && r && r.contains(source) ? source.id : null;
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.detail.target !== results()) return;
    adoptTable();
    if (focusAfterSwap) {
      var again = byId(focusAfterSwap) || results().querySelector("a[id^='sort-']");
      if (again) again.focus();
      focusAfterSwap = null;
    }
  });
  // Back and Forward put a whole earlier page back: pick the selection up again.
  document.addEventListener("htmx:historyRestore", adoptTable);

  // ---- delete dialog -------------------------------------------------------------------
  var opener = null;
  var pending = null;

  function dialog() { return byId("delete-dialog"); }

  function showError(message) {
    var slot = dialog().querySelector("[data-slot=error]");
    slot.textContent = message;
    slot.hidden = !message;
  }

  // Answers may be plain text or a small HTML fragment: show their text either way.
  function readable(body) {
    var parsed = new DOMParser().parseFromString(body, "text/html");
    return (parsed.body.textContent || "").trim();
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-delete-extension]");
    var box = dialog();
    if (!button || !box || typeof box.showModal !== "function") return;
    event.preventDefault();
    opener = button;
    pending = button.getAttribute("formaction");
    var name = button.dataset.deleteName;
    box.querySelector("[data-slot=who]").textContent =
      button.dataset.deleteExtension + (name ? " (" + name + ")" : "");
    showError("");
    usersAddress = window.location.href;
    // What reaches the user, and who may take over: asked of the portal as the dialog
    // opens (the same part the page without JavaScript shows).
    var reach = box.querySelector("[data-slot=reach]");
    reach.textContent = "";
    fetch(pending, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) { if (box.open && pending) reach.innerHTML = html; })
      .catch(function () {});
    box.showModal();
    box.querySelector("[data-cancel]").focus();
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest("#delete-dialog [data-cancel]")) dialog().close();
  });

  // "close" does not bubble: listen in the capture phase.
  document.addEventListener("close", function (event) {
    if (event.target !== dialog()) return;
    if (opener && document.body.contains(opener)) opener.focus();
    opener = null;
  }, true);

  document.addEventListener("click", function (event) {
    var yes = event.target.closest("#delete-dialog [data-confirm]");
    if (!yes || !pending) return;
    yes.disabled = true;
    var chosen = new URLSearchParams();
    dialog().querySelectorAll("[data-slot=reach] select, [data-slot=reach] input").forEach(function (field) {
      chosen.append(field.name, field.value);
    });
    fetch(pending, {
      method: "POST",
      headers: {
        "X-CSRF-Token": csrfToken(),
        "HX-Request": "true",
        "Content-Type": "application/x-www-form-urlencoded"
      },
      body: chosen.toString(),
      credentials: "same-origin"
    }).then(function (response) {
      return response.text().then(function (body) {
        return { ok: response.ok, body: body, goTo: response.headers.get("HX-Redirect") };
      });
    }).then(function (answer) {
      yes.disabled = false;
      if (answer.goTo) { window.location.assign(answer.goTo); return; }
      if (!answer.ok) { showError(readable(answer.body)); return; }
      var removed = opener && opener.dataset.deleteExtension;
      opener = null;
      dialog().close();
      byId("status-message").textContent = answer.body;
      if (removed) forgetRow(removed);
      refreshResults();
    }).catch(function () {
      yes.disabled = false;
      showError("The portal could not be reached. Nothing was deleted; try again.");
    });
  });

  function forgetRow(extension) {
    var box = document.querySelector('[data-row-select][aria-label="Select ' + extension + '"]');
    if (box) { setChosen(box.value, false); saveSelection(); }
  }

  // After a delete, reload the same view; focus moves to the next row's delete button.
  function refreshResults() {
    if (!results()) { window.location.reload(); return; }
    window.htmx.ajax("GET", window.location.pathname + window.location.search, {
      target: "#users-results", swap: "innerHTML"
    }).then(function () {
      var next = document.querySelector("#users-results [data-delete-extension]") || byId("search");
      if (next) next.focus();
    });
  }

  // ---- Bulk Action dialog ------------------------------------------------------------
  function bulkDialog() { return byId("bulk-dialog"); }
  // The Users page's address when the dialog opened: Confirm pushes the job's address,
  // and leaving the job puts this one back.
  var usersAddress = window.location.href;

  function fillSelectionForm(form) {
    form.textContent = "";
    function add(name, value) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      input.value = value;
      form.appendChild(input);
    }
    if (selection.allMatching) {
      add("all_matching", "1");
      var query = (selection.filterKey.split("?")[1] || "");
      new URLSearchParams(query).forEach(function (value, name) { add(name, value); });
    } else {
      selection.ids.forEach(function (id) { add("user", id); });
    }
  }

  document.addEventListener("click", function (event) {
    if (!event.target.closest("#bulk-action")) return;
    var box = bulkDialog();
    var form = byId("bulk-selection");
    if (!box || !form || selectedCount() === 0) return;
    fillSelectionForm(form);
    byId("bulk-body").textContent = "Loading the selected users…";
    usersAddress = window.location.href;
    box.showModal();
    box.querySelector("[data-bulk-cancel]").focus();
    window.htmx.ajax("POST", form.getAttribute("action"), { source: form, target: "#bulk-body", swap: "innerHTML" });
  });

  // The edit page's Reset User: the same dialog for one user, starting at Options.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-reset-user]");
    var box = bulkDialog();
    var form = byId("bulk-selection");
    if (!button || !box || !form) return;
    event.preventDefault();
    form.textContent = "";
    var input = document.createElement("input");
    input.type = "hidden";
    input.name = "user";
    input.value = button.dataset.resetUser;
    form.appendChild(input);
    byId("bulk-body").textContent = "Loading…";
    usersAddress = window.location.href;
    box.showModal();
    box.querySelector("[data-bulk-cancel]").focus();
    window.htmx.ajax("POST", form.dataset.resetAction, { source: form, target: "#bulk-body", swap: "innerHTML" });
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest("#bulk-dialog [data-bulk-cancel]")) bulkDialog().close();
  });

  document.addEventListener("close", function (event) {
    if (event.target !== bulkDialog()) return;
    // Once a job has started, closing the dialog in any way is the end of the work: the
    // selection goes and the table is reloaded, as Close does.
    if (bulkDialog().querySelector("[data-job-step]")) {
      byId("bulk-body").textContent = "";
      endOfJob();
      return;
    }
    var button = byId("bulk-action") || document.querySelector("[data-reset-user]");
    if (button) button.focus();
  }, true);

  function endOfJob() {
    selection = { filterKey: selection.filterKey, ids: [], allMatching: false, total: selection.total, totalText: selection.totalText };
    saveSelection();
    // Confirm put the job's address in the address bar (Reload, Back and Forward find
    // the job there); leaving the job puts back the Users page's.
    if (/^\/jobs\/\d+$/.test(window.location.pathname)) {
      window.history.replaceState(window.history.state, "", usersAddress);
    }
    refreshResults();
  }

  // When the job ends, its Close (or Next) takes focus, unless the user is elsewhere.
  document.addEventListener("htmx:afterSettle", function () {
    var box = bulkDialog();
    if (!box || !box.open) return;
    var end = box.querySelector("[data-job-step] a[role=button]");
    var active = document.activeElement;
    if (end && (!active || active === document.body || active.id === "job-progress-heading")) end.focus();
  });

  // Close at the end of a job: the work is done, so the selection goes and the table
  // shows the users as they are now.
  document.addEventListener("click", function (event) {
    var close = event.target.closest("#bulk-dialog [data-bulk-close]");
    if (!close) return;
    event.preventDefault();
    bulkDialog().close();
  });

  // Select All Options checks every option; pressed when all are checked, it unchecks
  // them all. Recycle Users is not an option and is never touched.
  function optionBoxes(scope) {
    return Array.prototype.slice.call(scope.querySelectorAll("[data-reset-option]"));
  }
  function updateNext(form) {
    var next = form.querySelector("[data-options-next]");
    if (next) next.disabled = !optionBoxes(form).some(function (box) { return box.checked; });
  }
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-select-all-options]");
    if (!toggle) return;
    var form = toggle.closest("form");
    var boxes = optionBoxes(form);
    var all = boxes.every(function (box) { return box.checked; });
    boxes.forEach(function (box) { box.checked = !all; });
    updateNext(form);
  });
  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-reset-option]")) updateNext(event.target.closest("form"));
    if (event.target.matches("[data-edit-change]")) updateEditNext(event.target.closest("form"));
  });

  // Edit Users: Next waits for a checked Change box; typing into a field's input checks
  // its box, since that is surely what was meant.
  function updateEditNext(form) {
    var next = form.querySelector("[data-edit-next]");
    var boxes = Array.prototype.slice.call(form.querySelectorAll("[data-edit-change]"));
    if (next) next.disabled = !boxes.some(function (box) { return box.checked; });
  }
  document.addEventListener("input", function (event) {
    var form = event.target.closest && event.target.closest("[data-edit-fields]");
    if (!form || event.target.matches("[data-edit-change]")) return;
    var box = byId("change-" + event.target.name);
    if (box && !box.checked) { box.checked = true; updateEditNext(form); }
  });

  // Each new step of the dialog takes focus, so keyboard and screen-reader users
  // continue where the content changed.
  document.addEventListener("htmx:afterSettle", function (event) {
    var body = byId("bulk-body");
    if (!body || event.detail.target !== body) return;
    var form = body.querySelector("[data-reset-options]");
    if (form) updateNext(form);
    var edit = body.querySelector("[data-edit-fields]");
    if (edit) updateEditNext(edit);
    var first = body.querySelector("h3, .selected-count");
    if (first) { first.setAttribute("tabindex", "-1"); first.focus(); }
  });

  // The Bulk Action button and the selection's count are the script's: the page hides
  // them from a browser without it, which checks boxes of its own form instead.
  ["bulk-action", "selection-count"].forEach(function (id) {
    var shown = byId(id);
    if (shown) shown.hidden = false;
  });
  adoptTable();
})();
