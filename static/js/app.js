// Behaviour every page shares:
// - links that act as buttons (role="button") answer the Space key as buttons do, so
//   keyboard users can press them either way;
// - a step swapped into a page's #bulk-body outside a dialog (Restore and Undo reset's
//   Confirm, then the Progress step) takes focus at its heading, so keyboard and
//   screen-reader users are taken to it rather than left on a button that is gone.
//   The Bulk Action dialog moves focus itself (users.js).
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.key !== " ") return;
    var link = event.target.closest && event.target.closest('a[role="button"]');
    if (!link) return;
    event.preventDefault();
    link.click();
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var body = event.detail && event.detail.target;
    if (!body || body.id !== "bulk-body" || body.closest("dialog")) return;
    var heading = body.querySelector("h3");
    if (!heading) return;
    if (!heading.hasAttribute("tabindex")) heading.setAttribute("tabindex", "-1");
    heading.focus();
  });
})();
