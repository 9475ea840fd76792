// Behaviour every page shares:
// - links that act as buttons (role="button") answer the Space key as buttons do, so
//   keyboard users can press them either way;
// - a step swapped into a page's #bulk-body outside a dialog (Restore and Undo reset's
//   Confirm, then the Progress step) takes focus at its heading, so keyboard and
//   screen-reader users are taken to it rather than left on a button that is gone.
//   The Bulk Action dialog moves focus itself (users.js);
// - a dialog step's form has no action of its own (its buttons post with htmx), so a
//   click that lands before htmx has processed a step just swapped in (it does so once
//   the swap settles) would submit the form as a GET of the page, losing the step. Such
//   a submit is held, the step processed at once, and the click replayed, once;
// - a checkbox marked data-submit-on-change (Call routing's Only dead ends) submits its
//   form when changed; without JavaScript the form's own button does;
// - a delete's "will reach nobody" line (data-nobody: each successor field's name with
//   its user's numbers and options; data-nobody-rest: those only Successor for all
//   takes) follows the successors chosen, and is hidden when nothing is left.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.key !== " ") return;
    var link = event.target.closest && event.target.closest('a[role="button"]');
    if (!link) return;
    event.preventDefault();
    link.click();
  });

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("[data-submit-on-change]") || !box.form) return;
    box.form.requestSubmit();
  });

  function counted(n, one, many) { return n + " " + (n === 1 ? one : many); }

  function updateReachingNobody(line) {
    var form = line.closest("form") || line.closest(".reach") || document;
    var chosen = function (name) {
      var field = form.querySelector('[name="' + name + '"]');
      return field && field.value.trim() !== "";
    };
    var forAll = chosen("successor_all");
    var numbers = 0, options = 0;
    var add = function (entry) {
      var parts = entry.split(":");
      numbers += Number(parts[parts.length - 2]) || 0;
      options += Number(parts[parts.length - 1]) || 0;
    };
    if (!forAll) {
      add(line.dataset.nobodyRest || "0:0");
      (line.dataset.nobody || "").split(" ").forEach(function (entry) {
        if (entry && !chosen(entry.split(":")[0])) add(entry);
      });
    }
    var parts = [];
    if (numbers) parts.push(counted(numbers, "phone number", "phone numbers"));
    if (options) parts.push(counted(options, "attendant option", "attendant options"));
    var text = parts.length ? parts.join(" and ") + " will reach nobody." : "";
    if (line.textContent !== text) line.textContent = text;
    line.hidden = !text;
  }

  ["change", "input"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var field = event.target;
      if (!field.name || field.name.indexOf("successor_") !== 0) return;
      var scope = field.closest("form") || document;
      scope.querySelectorAll("[data-nobody]").forEach(updateReachingNobody);
    });
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("bulk-step") || form.hasAttribute("method")) return;
    event.preventDefault();
    var submitter = event.submitter;
    if (!window.htmx || !submitter || submitter.dataset.replayed) return;
    submitter.dataset.replayed = "1";
    window.htmx.process(form);
    setTimeout(function () { submitter.click(); }, 0);
  }, true);

  document.addEventListener("htmx:afterSettle", function (event) {
    var body = event.detail && event.detail.target;
    if (!body || body.id !== "bulk-body" || body.closest("dialog")) return;
    var heading = body.querySelector("h3");
    if (!heading) return;
    if (!heading.hasAttribute("tabindex")) heading.setAttribute("tabindex", "-1");
    heading.focus();
  });
})();
